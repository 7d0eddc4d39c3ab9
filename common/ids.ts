// Branded identifiers: a BC SystemId and a Dataverse row id are both GUID strings, and mixing them up is
// the classic duplicate-record bug. The brand makes the compiler catch it.
export type Brand<T, B extends string> = T & { readonly __brand: B };

/** Business Central SystemId (`id` in API v2.0). */
export type BcRecordId = Brand<string, 'BcRecordId'>;
/** Dataverse primary key (e.g. `accountid`). */
export type CrmRecordId = Brand<string, 'CrmRecordId'>;
/** Integration table mapping name, e.g. `CUSTOMER`, `UNIT OF MEASURE`. */
export type MappingName = Brand<string, 'MappingName'>;
/** Synchronization job (one pass) id. */
export type JobId = Brand<string, 'JobId'>;

export const bcRecordId = (s: string): BcRecordId => s.toLowerCase() as BcRecordId;
export const crmRecordId = (s: string): CrmRecordId => s.toLowerCase() as CrmRecordId;
export const mappingName = (s: string): MappingName => s as MappingName;
export const jobId = (s: string): JobId => s as JobId;
