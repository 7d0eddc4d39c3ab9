// Search attribute names and types, as data: the dev server registers them at start
// (`--search-attribute NAME=TYPE`) and the workflow upserts them, so the Temporal UI can filter
// "all entries in Error" or "all on hold".
export const searchAttributeDefinitions = [
  { name: 'BcSyncMapping', type: 'Keyword' },
  { name: 'BcSyncState', type: 'Keyword' },
  { name: 'BcSyncNextRunAt', type: 'Datetime' },
  { name: 'BcSyncLastResult', type: 'Keyword' },
  { name: 'BcSyncFailedCount', type: 'Int' },
] as const;
