// The Dataverse tables the emulator serves (emulator contract: Dataverse entity sets), with the column
// names, types, maximum lengths and requirement levels of the real tables (Dataverse table reference,
// MicrosoftDocs/powerapps-docs `reference/entities/*.md`). Only SystemRequired columns are enforced on
// create: the real API does not enforce ApplicationRequired ("Business required") columns either.

export type AttributeType =
  | 'string'
  | 'memo'
  | 'integer'
  | 'decimal'
  | 'money'
  | 'boolean'
  | 'datetime'
  | 'dateonly'
  | 'guid'
  | 'picklist'
  | 'state'
  | 'status';

export interface AttributeDef {
  name: string;
  type: AttributeType;
  maxLength?: number;
  /** RequiredLevel SystemRequired: the platform rejects a create without a value. */
  systemRequired?: boolean;
  /** Not valid for create/update (computed or system-set): silently ignored in request bodies. */
  readOnly?: boolean;
  min?: number;
  max?: number;
  /** Value written on create when the body has none. */
  defaultValue?: unknown;
  /**
   * Picklist: the options of the column's (local) option set in a stock organization. Declared ones are
   * enforced on write (optionSets.ts); more are added through InsertOptionValue.
   */
  options?: readonly OptionDef[];
}

export interface OptionDef {
  value: number;
  label: string;
}

export type CascadeOnDelete = 'cascade' | 'removeLink';

export interface LookupDef {
  /** Logical name of the lookup column, e.g. `parentcustomerid`; read back as `_parentcustomerid_value`. */
  attribute: string;
  /** Target table logical name -> single-valued navigation property used in `@odata.bind`. */
  targets: Record<string, string>;
  systemRequired?: boolean;
  /** What happens to this row when the referenced row is deleted. */
  onDelete: CascadeOnDelete;
  /** System-managed lookups (createdby, owninguser, ...) cannot be bound by clients. */
  readOnly?: boolean;
}

export interface AlternateKeyDef {
  name: string;
  attributes: string[];
  displayName: string;
}

export interface StateDef {
  /** statecode -> default statuscode; listing all valid statecodes. */
  defaultStatus: Record<number, number>;
  /** statuscode -> statecode it belongs to. */
  statusState: Record<number, number>;
}

export interface EntityDef {
  entitySet: string;
  logicalName: string;
  primaryId: string;
  primaryName: string;
  ownership: 'user' | 'organization' | 'businessunit';
  attributes: AttributeDef[];
  lookups: LookupDef[];
  alternateKeys: AlternateKeyDef[];
  states?: StateDef;
}

const str = (name: string, maxLength: number, extra: Partial<AttributeDef> = {}): AttributeDef => ({
  name,
  type: 'string',
  maxLength,
  ...extra,
});
const memo = (name: string, maxLength = 2000): AttributeDef => ({ name, type: 'memo', maxLength });
const int = (name: string, extra: Partial<AttributeDef> = {}): AttributeDef => ({
  name,
  type: 'integer',
  ...extra,
});
const dec = (name: string, extra: Partial<AttributeDef> = {}): AttributeDef => ({
  name,
  type: 'decimal',
  ...extra,
});
const money = (name: string, extra: Partial<AttributeDef> = {}): AttributeDef => ({
  name,
  type: 'money',
  min: -922337203685477,
  max: 922337203685477,
  ...extra,
});
const bool = (name: string, extra: Partial<AttributeDef> = {}): AttributeDef => ({
  name,
  type: 'boolean',
  ...extra,
});
const dateTime = (name: string, extra: Partial<AttributeDef> = {}): AttributeDef => ({
  name,
  type: 'datetime',
  ...extra,
});
const dateOnly = (name: string): AttributeDef => ({ name, type: 'dateonly' });
const choice = (name: string, extra: Partial<AttributeDef> = {}): AttributeDef => ({
  name,
  type: 'picklist',
  ...extra,
});
const guid = (name: string, extra: Partial<AttributeDef> = {}): AttributeDef => ({
  name,
  type: 'guid',
  ...extra,
});

const lookup = (
  attribute: string,
  targets: Record<string, string>,
  onDelete: CascadeOnDelete = 'removeLink',
  extra: Partial<LookupDef> = {},
): LookupDef => ({ attribute, targets, onDelete, ...extra });

const activeInactive: StateDef = { defaultStatus: { 0: 1, 1: 2 }, statusState: { 1: 0, 2: 1 } };

/** Columns every row has; the server sets them on each write. */
const systemAttributes = (): AttributeDef[] => [
  dateTime('createdon', { readOnly: true }),
  dateTime('modifiedon', { readOnly: true }),
  dateTime('overriddencreatedon'),
  { name: 'versionnumber', type: 'integer', readOnly: true },
  int('importsequencenumber'),
  int('timezoneruleversionnumber'),
  int('utcconversiontimezonecode'),
];

const systemLookups = (): LookupDef[] => [
  lookup('createdby', { systemuser: 'createdby' }, 'removeLink', { readOnly: true }),
  lookup('modifiedby', { systemuser: 'modifiedby' }, 'removeLink', { readOnly: true }),
  lookup('createdonbehalfby', { systemuser: 'createdonbehalfby' }, 'removeLink', { readOnly: true }),
  lookup('modifiedonbehalfby', { systemuser: 'modifiedonbehalfby' }, 'removeLink', { readOnly: true }),
];

const ownerLookups = (): LookupDef[] => [
  lookup('ownerid', { systemuser: 'ownerid' }),
  lookup('owninguser', { systemuser: 'owninguser' }, 'removeLink', { readOnly: true }),
  { attribute: 'owningbusinessunit', targets: {}, onDelete: 'removeLink', readOnly: true },
];

const stateAttributes = (): AttributeDef[] => [
  { name: 'statecode', type: 'state' },
  { name: 'statuscode', type: 'status' },
];

/** address1_* columns shared by account and contact (same lengths on both tables). */
const address1 = (): AttributeDef[] => [
  str('address1_name', 200),
  str('address1_line1', 250),
  str('address1_line2', 250),
  str('address1_line3', 250),
  str('address1_city', 80),
  str('address1_county', 50),
  str('address1_stateorprovince', 50),
  str('address1_postalcode', 20),
  str('address1_country', 80),
  str('address1_telephone1', 50),
  str('address1_fax', 50),
  str('address1_postofficebox', 20),
  // Stock options (Dataverse table reference, account/contact Address1_FreightTermsCode and
  // Address1_ShippingMethodCode choices); an organisation adds its own through InsertOptionValue.
  choice('address1_freighttermscode', {
    options: [
      { value: 1, label: 'FOB' },
      { value: 2, label: 'No Charge' },
    ],
  }),
  choice('address1_shippingmethodcode', {
    options: [
      { value: 1, label: 'Airborne' },
      { value: 2, label: 'DHL' },
      { value: 3, label: 'FedEx' },
      { value: 4, label: 'UPS' },
      { value: 5, label: 'Postal Mail' },
      { value: 6, label: 'Full Load' },
      { value: 7, label: 'Will Call' },
    ],
  }),
  choice('address1_addresstypecode'),
  dec('address1_latitude'),
  dec('address1_longitude'),
  memo('address1_composite', 1000),
];

const account: EntityDef = {
  entitySet: 'accounts',
  logicalName: 'account',
  primaryId: 'accountid',
  primaryName: 'name',
  ownership: 'user',
  attributes: [
    guid('accountid'),
    str('name', 160),
    str('accountnumber', 20),
    str('telephone1', 50),
    str('telephone2', 50),
    str('telephone3', 50),
    str('fax', 50),
    str('emailaddress1', 100),
    str('emailaddress2', 100),
    str('emailaddress3', 100),
    str('websiteurl', 200),
    str('tickersymbol', 10),
    str('address1_primarycontactname', 100),
    ...address1(),
    // Account PaymentTermsCode choices (Dataverse table reference, account).
    choice('paymenttermscode', {
      options: [
        { value: 1, label: 'Net 30' },
        { value: 2, label: '2% 10, Net 30' },
        { value: 3, label: 'Net 45' },
        { value: 4, label: 'Net 60' },
      ],
    }),
    choice('customertypecode'),
    choice('accountcategorycode'),
    choice('industrycode'),
    choice('preferredcontactmethodcode', { defaultValue: 1 }),
    money('creditlimit'),
    money('revenue'),
    dec('exchangerate', { readOnly: true }),
    bool('creditonhold', { defaultValue: false }),
    bool('donotemail', { defaultValue: false }),
    bool('donotphone', { defaultValue: false }),
    int('numberofemployees'),
    memo('description'),
    ...stateAttributes(),
    ...systemAttributes(),
  ],
  lookups: [
    lookup('primarycontactid', { contact: 'primarycontactid' }),
    lookup('parentaccountid', { account: 'parentaccountid' }),
    lookup('transactioncurrencyid', { transactioncurrency: 'transactioncurrencyid' }),
    lookup('defaultpricelevelid', { pricelevel: 'defaultpricelevelid' }),
    lookup('nav_accountstatisticsid', { nav_accountstatistics: 'nav_accountstatisticsid' }),
    ...ownerLookups(),
    ...systemLookups(),
  ],
  alternateKeys: [
    { name: 'accountnumber_key', attributes: ['accountnumber'], displayName: 'Account Number' },
  ],
  states: activeInactive,
};

const contact: EntityDef = {
  entitySet: 'contacts',
  logicalName: 'contact',
  primaryId: 'contactid',
  primaryName: 'fullname',
  ownership: 'user',
  attributes: [
    guid('contactid'),
    str('salutation', 100),
    str('firstname', 50),
    str('middlename', 50),
    str('lastname', 50),
    str('fullname', 160, { readOnly: true }),
    str('nickname', 100),
    str('jobtitle', 100),
    str('department', 100),
    str('emailaddress1', 100),
    str('emailaddress2', 100),
    str('emailaddress3', 100),
    str('telephone1', 50),
    str('telephone2', 50),
    str('telephone3', 50),
    str('mobilephone', 50),
    str('fax', 50),
    str('pager', 50),
    str('websiteurl', 200),
    ...address1(),
    choice('paymenttermscode'),
    choice('gendercode'),
    choice('preferredcontactmethodcode', { defaultValue: 1 }),
    dateOnly('birthdate'),
    money('creditlimit'),
    dec('exchangerate', { readOnly: true }),
    bool('creditonhold', { defaultValue: false }),
    bool('donotemail', { defaultValue: false }),
    memo('description'),
    ...stateAttributes(),
    ...systemAttributes(),
  ],
  lookups: [
    // Customer lookup: an account or a contact; parental relationship, so deleting the parent deletes it.
    lookup(
      'parentcustomerid',
      { account: 'parentcustomerid_account', contact: 'parentcustomerid_contact' },
      'cascade',
    ),
    lookup('transactioncurrencyid', { transactioncurrency: 'transactioncurrencyid' }),
    ...ownerLookups(),
    ...systemLookups(),
  ],
  alternateKeys: [],
  states: activeInactive,
};

const transactioncurrency: EntityDef = {
  entitySet: 'transactioncurrencies',
  logicalName: 'transactioncurrency',
  primaryId: 'transactioncurrencyid',
  primaryName: 'currencyname',
  ownership: 'organization',
  attributes: [
    guid('transactioncurrencyid'),
    str('isocurrencycode', 5, { systemRequired: true }),
    str('currencyname', 100, { systemRequired: true }),
    str('currencysymbol', 10, { systemRequired: true }),
    dec('exchangerate', { systemRequired: true, min: 1e-12, max: 100000000000 }),
    int('currencyprecision', { min: 0, max: 10, defaultValue: 2 }),
    choice('currencytype', { defaultValue: 1 }),
    ...stateAttributes(),
    ...systemAttributes(),
  ],
  lookups: [...systemLookups()],
  // ISO codes are unique per organisation.
  alternateKeys: [
    { name: 'isocurrencycode_key', attributes: ['isocurrencycode'], displayName: 'Currency Code' },
  ],
  states: activeInactive,
};

const product: EntityDef = {
  entitySet: 'products',
  logicalName: 'product',
  primaryId: 'productid',
  primaryName: 'name',
  ownership: 'organization',
  attributes: [
    guid('productid'),
    str('name', 100),
    str('productnumber', 100, { systemRequired: true }),
    memo('description'),
    money('price'),
    money('standardcost'),
    money('currentcost'),
    dec('exchangerate', { readOnly: true }),
    choice('producttypecode', { defaultValue: 1 }),
    choice('productstructure', { defaultValue: 1 }),
    int('quantitydecimal', { min: 0, max: 5, defaultValue: 0 }),
    dec('quantityonhand', { min: 0, max: 1000000000 }),
    dec('stockvolume', { min: 0, max: 1000000000 }),
    dec('stockweight', { min: 0, max: 1000000000 }),
    str('size', 200),
    str('suppliername', 100),
    str('vendorid', 100),
    str('vendorname', 100),
    str('vendorpartnumber', 100),
    str('producturl', 255),
    bool('iskit', { defaultValue: false }),
    bool('isstockitem', { defaultValue: false }),
    dateOnly('validfromdate'),
    dateOnly('validtodate'),
    ...stateAttributes(),
    ...systemAttributes(),
  ],
  lookups: [
    lookup('defaultuomscheduleid', { uomschedule: 'defaultuomscheduleid' }),
    lookup('defaultuomid', { uom: 'defaultuomid' }),
    lookup('pricelevelid', { pricelevel: 'pricelevelid' }),
    lookup('transactioncurrencyid', { transactioncurrency: 'transactioncurrencyid' }),
    lookup('parentproductid', { product: 'parentproductid' }),
    ...systemLookups(),
  ],
  alternateKeys: [{ name: 'productnumber_key', attributes: ['productnumber'], displayName: 'Product ID' }],
  states: { defaultStatus: { 0: 1, 1: 2, 2: 0, 3: 3 }, statusState: { 1: 0, 2: 1, 0: 2, 3: 3 } },
};

const uomschedule: EntityDef = {
  entitySet: 'uomschedules',
  logicalName: 'uomschedule',
  primaryId: 'uomscheduleid',
  primaryName: 'name',
  ownership: 'organization',
  attributes: [
    guid('uomscheduleid'),
    str('name', 200, { systemRequired: true }),
    str('baseuomname', 100),
    memo('description'),
    ...stateAttributes(),
    ...systemAttributes(),
  ],
  lookups: [...systemLookups()],
  alternateKeys: [],
  states: activeInactive,
};

const uom: EntityDef = {
  entitySet: 'uoms',
  logicalName: 'uom',
  primaryId: 'uomid',
  primaryName: 'name',
  ownership: 'organization',
  attributes: [
    guid('uomid'),
    str('name', 100, { systemRequired: true }),
    dec('quantity', { systemRequired: true, min: 0, max: 1000000000 }),
    bool('isschedulebaseuom', { readOnly: true, defaultValue: false }),
    ...systemAttributes(),
  ],
  lookups: [
    lookup('uomscheduleid', { uomschedule: 'uomscheduleid' }, 'cascade', { systemRequired: true }),
    lookup('baseuom', { uom: 'baseuom' }),
    ...systemLookups(),
  ],
  alternateKeys: [],
};

const pricelevel: EntityDef = {
  entitySet: 'pricelevels',
  logicalName: 'pricelevel',
  primaryId: 'pricelevelid',
  primaryName: 'name',
  ownership: 'organization',
  attributes: [
    guid('pricelevelid'),
    str('name', 100, { systemRequired: true }),
    memo('description'),
    dateOnly('begindate'),
    dateOnly('enddate'),
    choice('freighttermscode'),
    choice('paymentmethodcode'),
    choice('shippingmethodcode'),
    dec('exchangerate', { readOnly: true }),
    ...stateAttributes(),
    ...systemAttributes(),
  ],
  lookups: [
    lookup('transactioncurrencyid', { transactioncurrency: 'transactioncurrencyid' }),
    ...systemLookups(),
  ],
  alternateKeys: [],
  states: { defaultStatus: { 0: 100001, 1: 100002 }, statusState: { 100001: 0, 100002: 1 } },
};

const productpricelevel: EntityDef = {
  entitySet: 'productpricelevels',
  logicalName: 'productpricelevel',
  primaryId: 'productpricelevelid',
  primaryName: 'productidname',
  ownership: 'organization',
  attributes: [
    guid('productpricelevelid'),
    money('amount'),
    dec('percentage'),
    money('roundingoptionamount'),
    choice('pricingmethodcode', { defaultValue: 1 }),
    choice('quantitysellingcode', { defaultValue: 1 }),
    choice('roundingpolicycode', { defaultValue: 1 }),
    choice('roundingoptioncode'),
    str('productnumber', 100, { readOnly: true }),
    dec('exchangerate', { readOnly: true }),
    ...systemAttributes(),
  ],
  lookups: [
    lookup('pricelevelid', { pricelevel: 'pricelevelid' }, 'cascade', { systemRequired: true }),
    lookup('productid', { product: 'productid' }, 'cascade', { systemRequired: true }),
    lookup('uomid', { uom: 'uomid' }),
    lookup('uomscheduleid', { uomschedule: 'uomscheduleid' }),
    lookup('discounttypeid', { discounttype: 'discounttypeid' }),
    lookup('transactioncurrencyid', { transactioncurrency: 'transactioncurrencyid' }),
    ...systemLookups(),
  ],
  alternateKeys: [],
};

const systemuser: EntityDef = {
  entitySet: 'systemusers',
  logicalName: 'systemuser',
  primaryId: 'systemuserid',
  primaryName: 'fullname',
  ownership: 'businessunit',
  attributes: [
    guid('systemuserid'),
    str('firstname', 64),
    str('middlename', 50),
    str('lastname', 64),
    str('fullname', 200, { readOnly: true }),
    str('nickname', 50),
    str('title', 128),
    str('jobtitle', 100),
    str('internalemailaddress', 100),
    str('personalemailaddress', 100),
    str('domainname', 1024),
    str('mobilephone', 64),
    str('homephone', 50),
    str('address1_telephone1', 64),
    guid('applicationid'),
    guid('azureactivedirectoryobjectid'),
    bool('isdisabled', { defaultValue: false }),
    bool('islicensed', { defaultValue: false }),
    bool('isintegrationuser', { defaultValue: false }),
    choice('accessmode', { defaultValue: 0 }),
    choice('caltype', { defaultValue: 0 }),
    ...systemAttributes(),
  ],
  lookups: [
    { attribute: 'businessunitid', targets: {}, onDelete: 'removeLink', readOnly: true },
    lookup('parentsystemuserid', { systemuser: 'parentsystemuserid' }),
    ...systemLookups(),
  ],
  alternateKeys: [],
};

const invoice: EntityDef = {
  entitySet: 'invoices',
  logicalName: 'invoice',
  primaryId: 'invoiceid',
  primaryName: 'name',
  ownership: 'user',
  attributes: [
    guid('invoiceid'),
    str('name', 300),
    str('invoicenumber', 100),
    memo('description'),
    dateOnly('duedate'),
    dateOnly('datedelivered'),
    // Computed by the server from the lines (system pricing); a value written to them is ignored.
    money('totalamount', { readOnly: true }),
    money('totalamountlessfreight', { readOnly: true }),
    money('totallineitemamount', { readOnly: true }),
    money('totallineitemdiscountamount', { readOnly: true }),
    money('totaldiscountamount', { readOnly: true }),
    money('totaltax', { readOnly: true }),
    money('discountamount'),
    money('freightamount'),
    dec('discountpercentage'),
    dec('exchangerate', { readOnly: true }),
    bool('ispricelocked', { defaultValue: false }),
    bool('willcall', { defaultValue: false }),
    choice('paymenttermscode'),
    choice('shippingmethodcode'),
    choice('pricingerrorcode', { defaultValue: 0 }),
    str('billto_name', 200),
    str('billto_line1', 250),
    str('billto_line2', 250),
    str('billto_line3', 250),
    str('billto_city', 80),
    str('billto_stateorprovince', 50),
    str('billto_postalcode', 20),
    str('billto_country', 80),
    str('billto_telephone', 50),
    str('billto_fax', 50),
    str('billto_contactname', 150),
    str('shipto_name', 200),
    str('shipto_line1', 250),
    str('shipto_line2', 250),
    str('shipto_line3', 250),
    str('shipto_city', 80),
    str('shipto_stateorprovince', 50),
    str('shipto_postalcode', 20),
    str('shipto_country', 80),
    str('shipto_telephone', 50),
    str('shipto_fax', 50),
    str('shipto_contactname', 150),
    choice('shipto_freighttermscode'),
    ...stateAttributes(),
    ...systemAttributes(),
  ],
  lookups: [
    lookup('customerid', { account: 'customerid_account', contact: 'customerid_contact' }),
    lookup('pricelevelid', { pricelevel: 'pricelevelid' }),
    lookup('transactioncurrencyid', { transactioncurrency: 'transactioncurrencyid' }),
    lookup('opportunityid', { opportunity: 'opportunityid' }),
    lookup('salesorderid', { salesorder: 'salesorderid' }),
    ...ownerLookups(),
    ...systemLookups(),
  ],
  alternateKeys: [],
  states: {
    defaultStatus: { 0: 1, 1: 100003, 2: 100001, 3: 100003 },
    statusState: { 1: 0, 2: 0, 4: 0, 5: 0, 6: 0, 100001: 2, 100002: 2, 100003: 3 },
  },
};

const invoicedetail: EntityDef = {
  entitySet: 'invoicedetails',
  logicalName: 'invoicedetail',
  primaryId: 'invoicedetailid',
  primaryName: 'productname',
  ownership: 'user',
  attributes: [
    guid('invoicedetailid'),
    str('productdescription', 500),
    str('productname', 500, { readOnly: true }),
    memo('description'),
    dec('quantity'),
    money('priceperunit'),
    // Computed by the server from price, quantity, discounts and tax (IsValidForCreate False).
    money('baseamount', { readOnly: true }),
    money('extendedamount', { readOnly: true }),
    money('manualdiscountamount'),
    money('volumediscountamount'),
    money('tax'),
    bool('ispriceoverridden', { defaultValue: false }),
    bool('isproductoverridden', { defaultValue: false }),
    int('lineitemnumber'),
    int('sequencenumber'),
    dateOnly('actualdeliveryon'),
    dec('exchangerate', { readOnly: true }),
    ...systemAttributes(),
  ],
  lookups: [
    lookup('invoiceid', { invoice: 'invoiceid' }, 'cascade', { systemRequired: true }),
    lookup('productid', { product: 'productid' }),
    lookup('uomid', { uom: 'uomid' }),
    lookup('transactioncurrencyid', { transactioncurrency: 'transactioncurrencyid' }),
    ...ownerLookups(),
    ...systemLookups(),
  ],
  alternateKeys: [],
};

// Custom table of Business Central's CRM solution (customer statistics), as the contract names it.
const navAccountStatistics: EntityDef = {
  entitySet: 'nav_accountstatisticses',
  logicalName: 'nav_accountstatistics',
  primaryId: 'nav_accountstatisticsid',
  primaryName: 'nav_name',
  ownership: 'organization',
  attributes: [
    guid('nav_accountstatisticsid'),
    str('nav_name', 100),
    str('nav_customerno', 20),
    money('nav_balance'),
    money('nav_outstandingorders'),
    money('nav_shippednotinvoiced'),
    money('nav_outstandinginvoices'),
    money('nav_totalsales'),
    money('nav_overdueamount'),
    money('nav_outstandingserviceorders'),
    money('nav_serviceshippednotinvoiced'),
    money('nav_outstandingserviceinvoices'),
    money('nav_paymentstoday'),
    money('nav_invoicedprepaymentamount'),
    dec('exchangerate', { readOnly: true }),
    ...stateAttributes(),
    ...systemAttributes(),
  ],
  lookups: [
    lookup('transactioncurrencyid', { transactioncurrency: 'transactioncurrencyid' }),
    ...systemLookups(),
  ],
  alternateKeys: [],
  states: activeInactive,
};

export const ENTITY_DEFS: readonly EntityDef[] = [
  account,
  contact,
  transactioncurrency,
  product,
  uomschedule,
  uom,
  pricelevel,
  productpricelevel,
  systemuser,
  invoice,
  invoicedetail,
  navAccountStatistics,
];

/** Compiled lookups of one entity, by navigation property and by `_x_value` name. */
export interface EntityModel {
  def: EntityDef;
  attributes: Map<string, AttributeDef>;
  lookupsByAttribute: Map<string, LookupDef>;
  /** navigation property -> lookup (several targets may share one nav, e.g. ownerid). */
  lookupsByNav: Map<string, { lookup: LookupDef; targets: string[] }>;
  /** `_parentcustomerid_value` -> lookup */
  lookupsByValueName: Map<string, LookupDef>;
  /** Every property the API exposes for reading, in output order. */
  readableProperties: string[];
}

export const lookupValueName = (attribute: string): string => `_${attribute}_value`;

export function buildModel(def: EntityDef): EntityModel {
  const attributes = new Map(def.attributes.map((a) => [a.name, a]));
  const lookupsByAttribute = new Map(def.lookups.map((l) => [l.attribute, l]));
  const lookupsByNav = new Map<string, { lookup: LookupDef; targets: string[] }>();
  for (const l of def.lookups) {
    for (const [target, nav] of Object.entries(l.targets)) {
      const entry = lookupsByNav.get(nav) ?? { lookup: l, targets: [] };
      entry.targets.push(target);
      lookupsByNav.set(nav, entry);
    }
  }
  const lookupsByValueName = new Map(def.lookups.map((l) => [lookupValueName(l.attribute), l]));
  const readableProperties = [
    ...def.attributes.map((a) => a.name),
    ...def.lookups.map((l) => lookupValueName(l.attribute)),
  ];
  return { def, attributes, lookupsByAttribute, lookupsByNav, lookupsByValueName, readableProperties };
}

export const ENTITY_MODELS: ReadonlyMap<string, EntityModel> = new Map(
  ENTITY_DEFS.map((def) => [def.entitySet, buildModel(def)]),
);

export const ENTITY_SET_BY_LOGICAL: ReadonlyMap<string, string> = new Map(
  ENTITY_DEFS.map((def) => [def.logicalName, def.entitySet]),
);
