// The entity sets the BC emulator serves, with the field names of the Business Central API v2.0 reference
// (MicrosoftDocs/dynamics365smb-devitpro-pb, api-reference/v2.0/resources) and, for our own custom API, the
// contract in docs/bc-custom-api.md. Lengths are those of the BC table fields behind each API field
// (e.g. Customer."Name" Text[100], "City" Text[30], "E-Mail" Text[80]); Code fields are upper-cased by BC.

export type FieldType =
  'text' | 'code' | 'decimal' | 'integer' | 'boolean' | 'date' | 'datetime' | 'guid' | 'option';

export interface FieldDef {
  readonly type: FieldType;
  /** Text/Code length of the BC table field. */
  readonly maxLength?: number;
  /** Server-computed or FlowField: a client may not change it. */
  readonly readOnly?: boolean;
  /** Settable on POST only; a PATCH may repeat the stored value, never change it. */
  readonly insertOnly?: boolean;
  /** Option/enum captions exactly as the API returns them. */
  readonly options?: readonly string[];
  /** BC field caption, used in BC's error messages. */
  readonly caption: string;
}

export type ApiRoute = 'v2.0' | 'bcsync';

export interface EntityDef {
  readonly entitySet: string;
  /** OData entity type name (`Microsoft.NAV.<entityType>`). */
  readonly entityType: string;
  /** BC table caption, used in error messages. */
  readonly table: string;
  readonly api: ApiRoute;
  readonly fields: Readonly<Record<string, FieldDef>>;
  /** Default sort order: the BC table's primary key (the real API pages in primary-key order). */
  readonly sortKey: readonly string[];
  /** Unique key enforced on insert/update (Internal_EntityWithSameKeyExists). */
  readonly uniqueKey?: { readonly fields: readonly string[]; readonly captions: readonly string[] };
  /** Number series used when a create gives no `number`. */
  readonly numberSeries?: string;
  /** Fields that must not be blank on create (BadRequest_RequiredParamNotProvided). */
  readonly required?: readonly string[];
  /** Fields with a secondary index (lookups by parent id, customer id ...). */
  readonly indexed?: readonly string[];
  /** No POST/PATCH/DELETE (customerStatistics). */
  readonly readOnlyEntity?: boolean;
  /** Only reachable under a parent document as well as at company level (salesInvoiceLines). */
  readonly parentSet?: string;
  /** Whether rows carry `lastModifiedDateTime` (document lines do not in the real API). */
  readonly hasModifiedAt: boolean;
}

export const BLANK_GUID = '00000000-0000-0000-0000-000000000000';
export const BLANK_DATE = '0001-01-01';
/** Local currency of the emulated company (CRONUS USA): the API shows it for a blank Currency Code. */
export const LCY_CODE = 'USD';

// `id` on API v2.0's pages: `field(id; Rec.SystemId) { Editable = false; }` (microsoft/ALAppExtensions,
// Apps/W1/APIV2, e.g. APIV2Customers.Page.al), so a POST that gives one is refused like any read-only
// control, never honoured (test/emulators/strictness.contract.test.ts).
const id: FieldDef = { type: 'guid', readOnly: true, caption: 'SystemId' };
/**
 * `id` on the bcsync extension's writable pages: the client may choose it on POST, never change it
 * (docs/bc-custom-api.md, "Client-chosen ids"; bc-extension/src/BCSyncClientId.Codeunit.al).
 */
const clientId: FieldDef = { type: 'guid', caption: 'SystemId', insertOnly: true };
const modifiedAt: FieldDef = { type: 'datetime', readOnly: true, caption: 'Last Modified Date Time' };
const text = (maxLength: number, caption: string, readOnly = false): FieldDef => ({
  type: 'text',
  maxLength,
  caption,
  readOnly,
});
const code = (maxLength: number, caption: string, readOnly = false): FieldDef => ({
  type: 'code',
  maxLength,
  caption,
  readOnly,
});
const decimal = (caption: string, readOnly = false): FieldDef => ({ type: 'decimal', caption, readOnly });
const bool = (caption: string, readOnly = false): FieldDef => ({ type: 'boolean', caption, readOnly });
const guid = (caption: string, readOnly = false): FieldDef => ({ type: 'guid', caption, readOnly });
const date = (caption: string, readOnly = false): FieldDef => ({ type: 'date', caption, readOnly });
const option = (options: readonly string[], caption: string, readOnly = false): FieldDef => ({
  type: 'option',
  options,
  caption,
  readOnly,
});

const customers: EntityDef = {
  entitySet: 'customers',
  entityType: 'customer',
  table: 'Customer',
  api: 'v2.0',
  hasModifiedAt: true,
  sortKey: ['number'],
  uniqueKey: { fields: ['number'], captions: ['No.'] },
  numberSeries: 'CUST',
  indexed: ['salespersonCode', 'currencyCode'],
  fields: {
    id,
    number: code(20, 'No.'),
    displayName: text(100, 'Name'),
    type: option(['Company', 'Person'], 'Contact Type'),
    addressLine1: text(100, 'Address'),
    addressLine2: text(50, 'Address 2'),
    city: text(30, 'City'),
    state: text(30, 'County'),
    country: code(10, 'Country/Region Code'),
    postalCode: code(20, 'Post Code'),
    phoneNumber: text(30, 'Phone No.'),
    email: text(80, 'E-Mail'),
    website: text(80, 'Home Page'),
    salespersonCode: code(20, 'Salesperson Code'),
    balanceDue: decimal('Balance Due', true),
    creditLimit: decimal('Credit Limit (LCY)'),
    taxLiable: bool('Tax Liable'),
    taxAreaId: guid('Tax Area Id'),
    taxAreaDisplayName: text(100, 'Tax Area Display Name', true),
    taxRegistrationNumber: text(20, 'VAT Registration No.'),
    currencyId: guid('Currency Id'),
    currencyCode: code(10, 'Currency Code'),
    paymentTermsId: guid('Payment Terms Id'),
    shipmentMethodId: guid('Shipment Method Id'),
    paymentMethodId: guid('Payment Method Id'),
    blocked: option([' ', 'Ship', 'Invoice', 'All'], 'Blocked'),
    lastModifiedDateTime: modifiedAt,
  },
};

const contacts: EntityDef = {
  entitySet: 'contacts',
  entityType: 'contact',
  table: 'Contact',
  api: 'v2.0',
  hasModifiedAt: true,
  sortKey: ['number'],
  uniqueKey: { fields: ['number'], captions: ['No.'] },
  numberSeries: 'CONT',
  indexed: ['companyNumber'],
  fields: {
    id,
    number: code(20, 'No.'),
    type: option(['Company', 'Person'], 'Type'),
    displayName: text(100, 'Name'),
    companyNumber: code(20, 'Company No.'),
    companyName: text(100, 'Company Name', true),
    contactBusinessRelation: option(
      ['None', 'Customer', 'Vendor', 'Bank Account', 'Employee', 'Multiple', 'Other'],
      'Contact Business Relation',
      true,
    ),
    addressLine1: text(100, 'Address'),
    addressLine2: text(50, 'Address 2'),
    city: text(30, 'City'),
    state: text(30, 'County'),
    country: code(10, 'Country/Region Code'),
    postalCode: code(20, 'Post Code'),
    phoneNumber: text(30, 'Phone No.'),
    mobilePhoneNumber: text(30, 'Mobile Phone No.'),
    email: text(80, 'E-Mail'),
    website: text(80, 'Home Page'),
    searchName: code(100, 'Search Name'),
    privacyBlocked: bool('Privacy Blocked'),
    taxRegistrationNumber: text(20, 'VAT Registration No.'),
    lastInteractionDate: date('Date of Last Interaction', true),
    lastModifiedDateTime: modifiedAt,
  },
};

const currencies: EntityDef = {
  entitySet: 'currencies',
  entityType: 'currency',
  table: 'Currency',
  api: 'v2.0',
  hasModifiedAt: true,
  sortKey: ['code'],
  uniqueKey: { fields: ['code'], captions: ['Code'] },
  required: ['code'],
  fields: {
    id,
    code: code(10, 'Code'),
    displayName: text(30, 'Description'),
    symbol: text(10, 'Symbol'),
    amountDecimalPlaces: text(5, 'Amount Decimal Places'),
    amountRoundingPrecision: decimal('Amount Rounding Precision'),
    lastModifiedDateTime: modifiedAt,
  },
};

/**
 * API v2.0 currencyExchangeRates (resource type "currencyExchangeRate": GET only). Exchange Rate Amount
 * units of the currency equal Relational Exch. Rate Amount units of the relational currency (the local
 * currency when blank), from the starting date on.
 */
const currencyExchangeRates: EntityDef = {
  entitySet: 'currencyExchangeRates',
  entityType: 'currencyExchangeRate',
  table: 'Currency Exchange Rate',
  api: 'v2.0',
  hasModifiedAt: true,
  readOnlyEntity: true,
  sortKey: ['currencyCode', 'startingDate'],
  uniqueKey: { fields: ['currencyCode', 'startingDate'], captions: ['Currency Code', 'Starting Date'] },
  fields: {
    id,
    currencyCode: code(10, 'Currency Code'),
    startingDate: date('Starting Date'),
    exchangeRateAmount: decimal('Exchange Rate Amount'),
    relationalCurrencyCode: code(10, 'Relational Currency Code'),
    relationalExchangeRateAmount: decimal('Relational Exch. Rate Amount'),
    lastModifiedDateTime: modifiedAt,
  },
};

const items: EntityDef = {
  entitySet: 'items',
  entityType: 'item',
  table: 'Item',
  api: 'v2.0',
  hasModifiedAt: true,
  sortKey: ['number'],
  uniqueKey: { fields: ['number'], captions: ['No.'] },
  numberSeries: 'ITEM',
  indexed: ['baseUnitOfMeasureCode'],
  fields: {
    id,
    number: code(20, 'No.'),
    displayName: text(100, 'Description'),
    type: option(['Inventory', 'Service', 'Non-Inventory'], 'Type'),
    itemCategoryId: guid('Item Category Id'),
    itemCategoryCode: code(20, 'Item Category Code'),
    blocked: bool('Blocked'),
    gtin: code(14, 'GTIN'),
    inventory: decimal('Inventory', true),
    unitPrice: decimal('Unit Price'),
    priceIncludesTax: bool('Price Includes VAT'),
    unitCost: decimal('Unit Cost'),
    taxGroupId: guid('Tax Group Id'),
    taxGroupCode: code(20, 'Tax Group Code'),
    baseUnitOfMeasureId: guid('Unit of Measure Id'),
    baseUnitOfMeasureCode: code(10, 'Base Unit of Measure'),
    generalProductPostingGroupId: guid('Gen. Prod. Posting Group Id'),
    generalProductPostingGroupCode: code(20, 'Gen. Prod. Posting Group'),
    inventoryPostingGroupId: guid('Inventory Posting Group Id'),
    inventoryPostingGroupCode: code(20, 'Inventory Posting Group'),
    lastModifiedDateTime: modifiedAt,
  },
};

const unitsOfMeasure: EntityDef = {
  entitySet: 'unitsOfMeasure',
  entityType: 'unitOfMeasure',
  table: 'Unit of Measure',
  api: 'v2.0',
  hasModifiedAt: true,
  sortKey: ['code'],
  uniqueKey: { fields: ['code'], captions: ['Code'] },
  required: ['code'],
  fields: {
    id,
    code: code(10, 'Code'),
    displayName: text(50, 'Description'),
    internationalStandardCode: code(10, 'International Standard Code'),
    symbol: text(10, 'Symbol'),
    lastModifiedDateTime: modifiedAt,
  },
};

const salespeoplePurchasers: EntityDef = {
  entitySet: 'salespeoplePurchasers',
  entityType: 'salespersonPurchaser',
  table: 'Salesperson/Purchaser',
  api: 'v2.0',
  hasModifiedAt: true,
  sortKey: ['code'],
  uniqueKey: { fields: ['code'], captions: ['Code'] },
  required: ['code'],
  fields: {
    id,
    code: code(20, 'Code'),
    displayName: text(50, 'Name'),
    email: text(80, 'E-Mail'),
    email2: text(80, 'E-Mail 2'),
    phoneNo: text(30, 'Phone No.'),
    jobTitle: text(30, 'Job Title'),
    // Misspelled in the real API; kept on purpose (apis.md A).
    commisionPercent: decimal('Commission %'),
    privacyBlocked: bool('Privacy Blocked'),
    blocked: bool('Blocked'),
    lastModifiedDateTime: modifiedAt,
  },
};

const paymentTerms: EntityDef = {
  entitySet: 'paymentTerms',
  entityType: 'paymentTerm',
  table: 'Payment Terms',
  api: 'v2.0',
  hasModifiedAt: true,
  sortKey: ['code'],
  uniqueKey: { fields: ['code'], captions: ['Code'] },
  required: ['code'],
  fields: {
    id,
    code: code(10, 'Code'),
    displayName: text(100, 'Description'),
    dueDateCalculation: text(32, 'Due Date Calculation'),
    discountDateCalculation: text(32, 'Discount Date Calculation'),
    discountPercent: decimal('Discount %'),
    calculateDiscountOnCreditMemos: bool('Calc. Pmt. Disc. on Cr. Memos'),
    lastModifiedDateTime: modifiedAt,
  },
};

const shipmentMethods: EntityDef = {
  entitySet: 'shipmentMethods',
  entityType: 'shipmentMethod',
  table: 'Shipment Method',
  api: 'v2.0',
  hasModifiedAt: true,
  sortKey: ['code'],
  uniqueKey: { fields: ['code'], captions: ['Code'] },
  required: ['code'],
  fields: {
    id,
    code: code(10, 'Code'),
    displayName: text(100, 'Description'),
    lastModifiedDateTime: modifiedAt,
  },
};

export const INVOICE_STATUSES = [
  ' ',
  'Draft',
  'In Review',
  'Open',
  'Paid',
  'Canceled',
  'Corrective',
] as const;

const salesInvoices: EntityDef = {
  entitySet: 'salesInvoices',
  entityType: 'salesInvoice',
  table: 'Sales Invoice Entity Aggregate',
  api: 'v2.0',
  hasModifiedAt: true,
  // Drafts and posted invoices share the set (apis.md A); their number series differ, so the number is unique.
  sortKey: ['number'],
  uniqueKey: { fields: ['number'], captions: ['No.'] },
  numberSeries: 'S-INV',
  indexed: ['customerId'],
  fields: {
    id,
    number: code(20, 'No.'),
    externalDocumentNumber: code(35, 'External Document No.'),
    invoiceDate: date('Document Date'),
    postingDate: date('Posting Date'),
    dueDate: date('Due Date'),
    customerPurchaseOrderReference: text(35, 'Your Reference'),
    customerId: guid('Customer Id'),
    customerNumber: code(20, 'Sell-to Customer No.'),
    customerName: text(100, 'Sell-to Customer Name', true),
    billToName: text(100, 'Bill-to Name', true),
    billToCustomerId: guid('Bill-to Customer Id'),
    billToCustomerNumber: code(20, 'Bill-to Customer No.'),
    shipToName: text(100, 'Ship-to Name'),
    shipToContact: text(100, 'Ship-to Contact'),
    sellToAddressLine1: text(100, 'Sell-to Address'),
    sellToAddressLine2: text(50, 'Sell-to Address 2'),
    sellToCity: text(30, 'Sell-to City'),
    sellToCountry: code(10, 'Sell-to Country/Region Code'),
    sellToState: text(30, 'Sell-to County'),
    sellToPostCode: code(20, 'Sell-to Post Code'),
    billToAddressLine1: text(100, 'Bill-to Address', true),
    billToAddressLine2: text(50, 'Bill-to Address 2', true),
    billToCity: text(30, 'Bill-to City', true),
    billToCountry: code(10, 'Bill-to Country/Region Code', true),
    billToState: text(30, 'Bill-to County', true),
    billToPostCode: code(20, 'Bill-to Post Code', true),
    shipToAddressLine1: text(100, 'Ship-to Address'),
    shipToAddressLine2: text(50, 'Ship-to Address 2'),
    shipToCity: text(30, 'Ship-to City'),
    shipToCountry: code(10, 'Ship-to Country/Region Code'),
    shipToState: text(30, 'Ship-to County'),
    shipToPostCode: code(20, 'Ship-to Post Code'),
    currencyId: guid('Currency Id'),
    shortcutDimension1Code: code(20, 'Shortcut Dimension 1 Code'),
    shortcutDimension2Code: code(20, 'Shortcut Dimension 2 Code'),
    currencyCode: code(10, 'Currency Code'),
    orderId: guid('Order Id', true),
    orderNumber: code(20, 'Order No.', true),
    paymentTermsId: guid('Payment Terms Id'),
    shipmentMethodId: guid('Shipment Method Id'),
    salesperson: code(20, 'Salesperson Code'),
    pricesIncludeTax: bool('Prices Including VAT', true),
    remainingAmount: decimal('Remaining Amount', true),
    discountAmount: decimal('Invoice Discount Amount'),
    discountAppliedBeforeTax: bool('Discount Applied Before Tax', true),
    totalAmountExcludingTax: decimal('Amount', true),
    totalTaxAmount: decimal('Total Tax Amount', true),
    totalAmountIncludingTax: decimal('Amount Including VAT', true),
    status: option(INVOICE_STATUSES, 'Status', true),
    lastModifiedDateTime: modifiedAt,
    phoneNumber: text(30, 'Sell-to Phone No.'),
    email: text(80, 'Sell-to E-Mail'),
  },
};

const salesInvoiceLines: EntityDef = {
  entitySet: 'salesInvoiceLines',
  entityType: 'salesInvoiceLine',
  table: 'Sales Invoice Line Aggregate',
  api: 'v2.0',
  // The real salesInvoiceLine resource has no lastModifiedDateTime; a line change touches its header.
  hasModifiedAt: false,
  sortKey: ['documentId', 'sequence'],
  uniqueKey: { fields: ['documentId', 'sequence'], captions: ['Document Id', 'Sequence'] },
  indexed: ['documentId'],
  parentSet: 'salesInvoices',
  fields: {
    id,
    documentId: guid('Document Id'),
    sequence: { type: 'integer', caption: 'Line No.' },
    itemId: guid('Item Id'),
    accountId: guid('Account Id'),
    lineType: option(['Comment', 'Account', 'Item', 'Resource', 'Value', 'Fixed Asset', 'Charge'], 'Type'),
    lineObjectNumber: code(20, 'No.'),
    description: text(100, 'Description'),
    unitOfMeasureId: guid('Unit of Measure Id'),
    unitOfMeasureCode: code(10, 'Unit of Measure Code'),
    unitPrice: decimal('Unit Price'),
    quantity: decimal('Quantity'),
    discountAmount: decimal('Line Discount Amount'),
    discountPercent: decimal('Line Discount %'),
    discountAppliedBeforeTax: bool('Discount Applied Before Tax', true),
    amountExcludingTax: decimal('Amount', true),
    taxCode: code(20, 'Tax Code'),
    taxPercent: decimal('VAT %', true),
    totalTaxAmount: decimal('Total Tax Amount', true),
    amountIncludingTax: decimal('Amount Including VAT', true),
    invoiceDiscountAllocation: decimal('Inv. Discount Amount', true),
    netAmount: decimal('Net Amount', true),
    netTaxAmount: decimal('Net Tax Amount', true),
    netAmountIncludingTax: decimal('Net Amount Including Tax', true),
    shipmentDate: date('Shipment Date'),
    itemVariantId: guid('Item Variant Id'),
  },
};

// ---- Custom API (bcsync/integration/v1.0): the contract of docs/bc-custom-api.md ----

const resources: EntityDef = {
  entitySet: 'resources',
  entityType: 'resource',
  table: 'Resource',
  api: 'bcsync',
  hasModifiedAt: true,
  sortKey: ['number'],
  uniqueKey: { fields: ['number'], captions: ['No.'] },
  numberSeries: 'RES',
  fields: {
    id: clientId,
    number: code(20, 'No.'),
    name: text(100, 'Name'),
    type: option(['Person', 'Machine'], 'Type'),
    baseUnitOfMeasureCode: code(10, 'Base Unit of Measure'),
    unitPrice: decimal('Unit Price'),
    unitCost: decimal('Unit Cost'),
    vendorNumber: code(20, 'Vendor No.'),
    capacity: decimal('Capacity', true),
    blocked: bool('Blocked'),
    lastModifiedDateTime: modifiedAt,
  },
};

const customerPriceGroups: EntityDef = {
  entitySet: 'customerPriceGroups',
  entityType: 'customerPriceGroup',
  table: 'Customer Price Group',
  api: 'bcsync',
  hasModifiedAt: true,
  sortKey: ['code'],
  uniqueKey: { fields: ['code'], captions: ['Code'] },
  required: ['code'],
  fields: {
    id: clientId,
    code: code(10, 'Code'),
    description: text(100, 'Description'),
    // Not a table field: the currency of the group's prices, else the local currency (docs/bc-custom-api.md).
    currencyCode: code(10, 'Currency Code', true),
    lastModifiedDateTime: modifiedAt,
  },
};

export const SALES_TYPES = ['Customer', 'Customer Price Group', 'All Customers', 'Campaign'] as const;

const salesPrices: EntityDef = {
  entitySet: 'salesPrices',
  entityType: 'salesPrice',
  table: 'Sales Price',
  api: 'bcsync',
  hasModifiedAt: true,
  sortKey: [
    'itemNumber',
    'salesType',
    'salesCode',
    'startingDate',
    'currencyCode',
    'unitOfMeasureCode',
    'minimumQuantity',
  ],
  uniqueKey: {
    fields: [
      'itemNumber',
      'salesType',
      'salesCode',
      'startingDate',
      'currencyCode',
      'unitOfMeasureCode',
      'minimumQuantity',
    ],
    captions: [
      'Item No.',
      'Sales Type',
      'Sales Code',
      'Starting Date',
      'Currency Code',
      'Unit of Measure Code',
      'Minimum Quantity',
    ],
  },
  required: ['itemNumber'],
  indexed: ['itemNumber', 'salesCode'],
  fields: {
    id: clientId,
    itemNumber: code(20, 'Item No.'),
    salesType: option(SALES_TYPES, 'Sales Type'),
    salesCode: code(20, 'Sales Code'),
    currencyCode: code(10, 'Currency Code'),
    startingDate: date('Starting Date'),
    unitOfMeasureCode: code(10, 'Unit of Measure Code'),
    minimumQuantity: decimal('Minimum Quantity'),
    unitPrice: decimal('Unit Price'),
    lastModifiedDateTime: modifiedAt,
  },
};

const shippingAgents: EntityDef = {
  entitySet: 'shippingAgents',
  entityType: 'shippingAgent',
  table: 'Shipping Agent',
  api: 'bcsync',
  hasModifiedAt: true,
  sortKey: ['code'],
  uniqueKey: { fields: ['code'], captions: ['Code'] },
  required: ['code'],
  fields: {
    id: clientId,
    code: code(10, 'Code'),
    name: text(50, 'Name'),
    internetAddress: text(250, 'Internet Address'),
    accountNumber: text(30, 'Account No.'),
    lastModifiedDateTime: modifiedAt,
  },
};

const customerStatistics: EntityDef = {
  entitySet: 'customerStatistics',
  entityType: 'customerStatistic',
  table: 'BCSync Customer Statistics',
  api: 'bcsync',
  hasModifiedAt: true,
  sortKey: ['customerNumber'],
  readOnlyEntity: true,
  fields: {
    id,
    customerId: guid('Customer Id', true),
    customerNumber: code(20, 'Customer No.', true),
    balance: decimal('Balance (LCY)', true),
    outstandingOrders: decimal('Outstanding Orders (LCY)', true),
    shippedNotInvoiced: decimal('Shipped Not Invoiced (LCY)', true),
    outstandingInvoices: decimal('Outstanding Invoices (LCY)', true),
    totalSales: decimal('Sales (LCY)', true),
    overdueAmount: decimal('Overdue Amount (LCY)', true),
    lastModifiedDateTime: modifiedAt,
  },
};

// ---- Custom API views of API v2.0 tables ----
// The same records as `customers`, `contacts` and `items` of API v2.0, with the fields the default
// mappings sync that API v2.0 lacks (docs/bc-custom-api.md). A table keeps the union of its views' fields;
// each route shows only its own.
const { lastModifiedDateTime: _customerModified, ...customerFields } = customers.fields;
const customersIntegration: EntityDef = {
  ...customers,
  api: 'bcsync',
  indexed: [...(customers.indexed ?? []), 'primaryContactId'],
  fields: {
    ...customerFields,
    id: clientId,
    contactName: text(100, 'Contact'),
    mobilePhoneNumber: text(30, 'Mobile Phone No.'),
    faxNumber: text(30, 'Fax No.'),
    primaryContactId: guid('Primary Contact Id'),
    shippingAgentCode: code(10, 'Shipping Agent Code'),
    lastModifiedDateTime: modifiedAt,
  },
};

const { lastModifiedDateTime: _contactModified, ...contactFields } = contacts.fields;
const contactsIntegration: EntityDef = {
  ...contacts,
  api: 'bcsync',
  indexed: [...(contacts.indexed ?? []), 'customerId'],
  fields: {
    ...contactFields,
    id: clientId,
    firstName: text(30, 'First Name'),
    middleName: text(30, 'Middle Name'),
    surname: text(30, 'Surname'),
    faxNumber: text(30, 'Fax No.'),
    pager: text(30, 'Pager'),
    salespersonCode: code(20, 'Salesperson Code'),
    currencyCode: code(10, 'Currency Code'),
    customerId: guid('Customer Id'),
    lastModifiedDateTime: modifiedAt,
  },
};

const { lastModifiedDateTime: _itemModified, ...itemFields } = items.fields;
const itemsIntegration: EntityDef = {
  ...items,
  api: 'bcsync',
  fields: {
    ...itemFields,
    id: clientId,
    unitCost: decimal('Unit Cost'),
    unitVolume: decimal('Unit Volume'),
    grossWeight: decimal('Gross Weight'),
    vendorNumber: code(20, 'Vendor No.'),
    vendorItemNumber: text(50, 'Vendor Item No.'),
    lastModifiedDateTime: modifiedAt,
  },
};

export const ENTITY_DEFS: readonly EntityDef[] = [
  customers,
  contacts,
  currencies,
  currencyExchangeRates,
  items,
  unitsOfMeasure,
  salespeoplePurchasers,
  paymentTerms,
  shipmentMethods,
  salesInvoices,
  salesInvoiceLines,
  resources,
  customerPriceGroups,
  salesPrices,
  shippingAgents,
  customerStatistics,
  customersIntegration,
  contactsIntegration,
  itemsIntegration,
];

const byKey = new Map(ENTITY_DEFS.map((d) => [`${d.api}/${d.entitySet}`, d]));
/** Per entity set, the definition of its table: the view with the most fields. */
const bySet = new Map<string, EntityDef>();
for (const d of ENTITY_DEFS) {
  const known = bySet.get(d.entitySet);
  if (!known || Object.keys(d.fields).length > Object.keys(known.fields).length) bySet.set(d.entitySet, d);
}
/** One definition per stored table. */
export const TABLE_DEFS: readonly EntityDef[] = [...bySet.values()];

/** The fields a route shows when it is a narrower view of its table (API v2.0 `customers`), else undefined. */
export function viewFields(def: EntityDef): readonly string[] | undefined {
  return bySet.get(def.entitySet) === def ? undefined : Object.keys(def.fields);
}

export function entityDefFor(api: ApiRoute, entitySet: string): EntityDef | undefined {
  return byKey.get(`${api}/${entitySet}`);
}

export function entityDef(entitySet: string): EntityDef {
  const def = bySet.get(entitySet);
  if (!def) throw new Error(`Unknown BC entity set '${entitySet}' (known: ${[...bySet.keys()].join(', ')}).`);
  return def;
}

export function isEntitySet(entitySet: string): boolean {
  return bySet.has(entitySet);
}

/** The value a field has when nobody set it (BC never returns null for table fields). */
export function blankValue(field: FieldDef): unknown {
  switch (field.type) {
    case 'text':
    case 'code':
      return '';
    case 'decimal':
    case 'integer':
      return 0;
    case 'boolean':
      return false;
    case 'date':
      return BLANK_DATE;
    case 'datetime':
      return '0001-01-01T00:00:00Z';
    case 'guid':
      return BLANK_GUID;
    case 'option':
      return field.options?.[0] ?? '';
  }
}

const blankTemplates = new Map<EntityDef, Record<string, unknown>>();

/** A complete row with every field blank, the starting point of every insert (a copy of a cached template). */
export function blankRow(def: EntityDef): Record<string, unknown> {
  let template = blankTemplates.get(def);
  if (!template) {
    const built: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(def.fields)) built[name] = blankValue(field);
    // Keyed stores of ~50 properties leave V8 with a slow dictionary-mode object; a JSON round trip gives
    // a fast-mode template whose copies are cheap (this matters for 100,000-row seeds).
    template = JSON.parse(JSON.stringify(built)) as Record<string, unknown>;
    blankTemplates.set(def, template);
  }
  return { ...template };
}
