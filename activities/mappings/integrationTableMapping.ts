// Integration Table Mapping (BC table 5335) and Integration Field Mapping (table 5336) as data,
// validated at the boundary (default mappings, config file overrides, MongoDB documents).
// bc-integration-behaviour.md section 1 names every field kept here.
import { z } from 'zod';

/** Direction of a mapping or a field mapping, as BC names it (section 1). */
export const Direction = z.enum(['Bidirectional', 'ToIntegrationTable', 'FromIntegrationTable']);
export type Direction = z.infer<typeof Direction>;

export const UpdateConflictResolution = z.enum([
  'None',
  'Send Update to Integration',
  'Get Update from Integration',
]);
export type UpdateConflictResolution = z.infer<typeof UpdateConflictResolution>;

export const DeletionConflictResolution = z.enum(['None', 'Restore Records', 'Remove Coupling']);
export type DeletionConflictResolution = z.infer<typeof DeletionConflictResolution>;

/** Transformation rules run on the source value before transfer (section 1). */
export const Transformation = z.enum(['uppercase', 'trim', 'code']);
export type Transformation = z.infer<typeof Transformation>;

/**
 * A lookup between mapped tables through couplings: the BC side holds a code (e.g. `currencyCode`), the
 * CRM side a reference (`_transactioncurrencyid_value`). The code is resolved to the BC record of
 * `mapping` by `bcKeyField`, then to the coupled CRM row.
 */
export const RowLookup = z.strictObject({
  mapping: z.string().min(1),
  /** Field of the looked-up BC entity that holds the code, e.g. `code`, `number`. */
  bcKeyField: z.string().min(1),
  /** Dataverse entity set of the referenced row, for `@odata.bind`. */
  crmEntitySet: z.string().min(1),
  /** Single-valued navigation property used in `@odata.bind`, e.g. `transactioncurrencyid`. */
  crmNavigationProperty: z.string().min(1),
  /**
   * The referenced row is not the coupled row but one found from it: `baseUnitOfGroup` = the base unit
   * (uom) of the coupled unit group; `defaultUnitOfProduct` = the default unit of the coupled product
   * (docs/product-units.md); `currencyOfPriceList` = the currency of the coupled price list.
   */
  via: z.enum(['baseUnitOfGroup', 'defaultUnitOfProduct', 'currencyOfPriceList']).optional(),
});
/**
 * A lookup whose CRM side is a choice column (e.g. `paymenttermscode`) instead of a reference: the BC
 * code or id is resolved through the couplings of an option mapping (PAYMENT TERMS, ...) to an option
 * value (docs/option-mappings.md).
 */
export const OptionLookup = z.strictObject({
  mapping: z.string().min(1),
  bcKeyField: z.string().min(1),
  crmOptionSet: z.literal(true),
});
export const Lookup = z.union([RowLookup, OptionLookup]);
export type Lookup = z.infer<typeof Lookup>;
export type RowLookup = z.infer<typeof RowLookup>;

export const isOptionLookup = (lookup: Lookup | undefined): lookup is z.infer<typeof OptionLookup> =>
  lookup !== undefined && 'crmOptionSet' in lookup;

export const FieldMapping = z
  .strictObject({
    /** The BC table field as BC names it (`Currency Code`), for people and the docs. */
    bcCaption: z.string().min(1),
    /** API property on the BC side; absent when a constant is written to CRM. */
    bcField: z.string().min(1).optional(),
    /** Dataverse column (logical name); absent when a constant is written to BC. */
    crmField: z.string().min(1).optional(),
    direction: Direction,
    /** Constant Value: used when there is no source field. */
    constant: z.union([z.string(), z.number(), z.boolean()]).optional(),
    status: z.enum(['Enabled', 'Disabled']).default('Enabled'),
    /** Not Null: never write a null reference (e.g. an empty owner). */
    notNull: z.boolean().default(false),
    /** Clear Value on Failed Sync: a lookup to an uncoupled record is written blank instead of failing. */
    clearValueOnFailedSync: z.boolean().default(false),
    validateField: z.boolean().default(true),
    transformation: Transformation.optional(),
    lookup: Lookup.optional(),
    /** Option/enum translation, BC value -> CRM value (the reverse is derived). */
    optionMap: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    /** Maximum length on the destination side, for truncation with a logged warning. */
    maxLength: z
      .strictObject({
        bc: z.number().int().positive().optional(),
        crm: z.number().int().positive().optional(),
      })
      .optional(),
    useForMatchBasedCoupling: z.boolean().default(false),
    caseSensitiveMatching: z.boolean().default(false),
    matchPriority: z.number().int().nonnegative().default(0),
    /** Values are masked (`***`) in the record lineage (docs/lineage.md). */
    sensitive: z.boolean().default(false),
    /** Why this field mapping differs from BC's default (a documented, deliberate difference). */
    note: z.string().optional(),
  })
  .refine((f) => f.bcField !== undefined || f.crmField !== undefined, {
    message: 'a field mapping needs bcField or crmField (or both)',
  })
  .refine((f) => (f.bcField !== undefined && f.crmField !== undefined) || f.constant !== undefined, {
    message: 'a field mapping with only one side needs a constant value',
  });
export type FieldMapping = z.infer<typeof FieldMapping>;

/**
 * Match-based coupling (section 7): an uncoupled record is coupled to the one uncoupled record on the
 * other side whose values are equal on every field of a set; sets are tried by ascending priority, and
 * the first set that finds any candidate decides. Values compare after trimming, collapsing blanks and
 * dropping punctuation, and ignoring case unless `caseSensitive` (docs/match-based-coupling.md).
 */
export const MatchField = z.strictObject({
  bcField: z.string().min(1),
  crmField: z.string().min(1),
  caseSensitive: z.boolean().default(false),
});
export const MatchFieldSet = z.strictObject({
  priority: z.number().int().nonnegative(),
  fields: z.array(MatchField).min(1),
});
export type MatchFieldSet = z.infer<typeof MatchFieldSet>;

/**
 * Blast-radius guard: a run that would modify or delete more than `maxShare` of the mapping's coupled
 * records (when it has at least `minCoupledRecords`) stops before writing and puts its entry On Hold
 * until `bcsync approve` (docs/blast-radius-guard.md).
 */
export const BlastRadiusGuard = z.strictObject({
  enabled: z.boolean().default(true),
  maxShare: z.number().gt(0).max(1).default(0.25),
  minCoupledRecords: z.number().int().min(1).default(50),
});
export type BlastRadiusGuard = z.infer<typeof BlastRadiusGuard>;

/** Job queue entry defaults (section 2, section 6). */
export const JobQueueSettings = z.strictObject({
  entry: z.string().min(1),
  minutesBetweenRuns: z.number().int().positive().default(30),
  inactivityTimeoutMinutes: z.number().int().nonnegative(),
  maxAttempts: z.number().int().positive().default(10),
  rerunDelaySeconds: z.number().int().nonnegative().default(30),
  /** Created on hold (Customer Statistics). */
  startOnHold: z.boolean().default(false),
  /** A CRM-side change wakes the entry: off by default, as in BC (mission.md point 7). */
  crmWakeEnabled: z.boolean().default(false),
});
export type JobQueueSettings = z.infer<typeof JobQueueSettings>;

export const BcEntity = z.strictObject({
  /** `v2.0` = standard API; `custom` = the bcsync extension's API (docs/bc-custom-api.md). */
  api: z.enum(['v2.0', 'custom']),
  entitySet: z.string().min(1),
  /** Child lines synced with the header (posted invoice lines), no job of their own. */
  lines: z.string().min(1).optional(),
  /**
   * Currencies carry `exchangeRate`, their current rate from BC's currencyExchangeRates, and count as
   * modified when that rate changes (CURRENCY; docs/exchange-rates.md).
   */
  exchangeRates: z.boolean().optional(),
});

export const CrmEntity = z.strictObject({
  entitySet: z.string().min(1),
  key: z.string().min(1),
  /**
   * An option mapping's CRM side (docs/option-mappings.md): the options of this choice column, not rows
   * of `entitySet`. Each BC record is coupled to one option value.
   */
  optionSet: z.strictObject({ entity: z.string().min(1), attribute: z.string().min(1) }).optional(),
  modifiedOn: z.string().min(1).default('modifiedon'),
  /**
   * Values written by an update right after each create: a product is created in Draft on a Sales
   * organization and published with `{ statecode: 0, statuscode: 1 }` (docs/strict-apis.md).
   */
  afterCreate: z.record(z.string(), z.unknown()).optional(),
  lines: z
    .strictObject({ entitySet: z.string().min(1), key: z.string().min(1), parentBind: z.string().min(1) })
    .optional(),
});

export const IntegrationTableMapping = z.strictObject({
  name: z.string().min(1),
  /** BC table as BC names it (`Customer`), for people. */
  tableCaption: z.string().min(1),
  /** Dataverse table logical name (`account`). */
  integrationTableCaption: z.string().min(1),
  bc: BcEntity,
  crm: CrmEntity,
  direction: Direction,
  /** Table Filter (BC side), an OData `$filter` on the BC API. */
  tableFilter: z.string().optional(),
  /** Integration Table Filter (CRM side), an OData `$filter` on the Dataverse Web API. */
  integrationTableFilter: z.string().optional(),
  syncOnlyCoupledRecords: z.boolean().default(true),
  /** Table Config Template Code: field defaults for new BC records. */
  bcTemplate: z.record(z.string(), z.unknown()).default({}),
  /** Int. Tbl. Config Template Code: field defaults for new CRM rows. */
  crmTemplate: z.record(z.string(), z.unknown()).default({}),
  /** Dependency Filter: mappings that must be synced first. */
  dependencyFilter: z.array(z.string().min(1)).default([]),
  updateConflictResolution: UpdateConflictResolution.default('None'),
  deletionConflictResolution: DeletionConflictResolution.default('None'),
  /**
   * Create New in Case of No Match: an uncoupled record that matched nothing is created on the other side;
   * off = it is only reported (dry-run, `bcsync review` does not list it), never created.
   */
  createNewInCaseOfNoMatch: z.boolean().default(true),
  /**
   * Match field sets in priority order; absent = the field mappings marked `useForMatchBasedCoupling`,
   * one set per Match Priority (BC's own form).
   */
  matchFieldSets: z.array(MatchFieldSet).optional(),
  /** Synch. After Bulk Coupling: a record coupled by match is synchronized at once (else only coupled). */
  synchAfterCoupling: z.boolean().default(true),
  blastRadiusGuard: BlastRadiusGuard.default({ enabled: true, maxShare: 0.25, minCoupledRecords: 50 }),
  fieldMappings: z.array(FieldMapping).min(1),
  jobQueue: JobQueueSettings,
});
export type IntegrationTableMapping = z.infer<typeof IntegrationTableMapping>;
export type IntegrationTableMappingInput = z.input<typeof IntegrationTableMapping>;

/** The Customer Statistics job: not a mapping, a job of its own (section 2). */
export const StatisticsJob = z.strictObject({
  name: z.literal('Customer Statistics'),
  bc: BcEntity,
  crm: CrmEntity,
  jobQueue: JobQueueSettings,
  fields: z.array(z.strictObject({ bcField: z.string().min(1), crmField: z.string().min(1) })).min(1),
});
export type StatisticsJob = z.infer<typeof StatisticsJob>;
