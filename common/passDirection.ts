// The two passes of a mapping, in the vocabulary every layer shares (engine, stores, workflows).

/** toCrm = BC -> CRM (ToIntegrationTable pass), fromCrm = CRM -> BC (FromIntegrationTable pass). */
export type PassDirection = 'toCrm' | 'fromCrm';
