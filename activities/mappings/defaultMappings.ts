// The default integration table mappings and job queue entries, as BC creates them (codeunit 7204 "CDS
// Setup Defaults", 5334 "CRM Setup Defaults"): bc-integration-behaviour.md section 2, mission.md.
// BC field captions are kept beside the API property names so an admin can find each row of the spec.
// Where BC API v2.0 lacks a field, the entity is read through the bcsync extension's custom API
// (docs/bc-custom-api.md); where no API exposes it, the field mapping is disabled with a note.
import type { FieldMapping, IntegrationTableMappingInput, StatisticsJob } from './integrationTableMapping';

type FieldInput = Omit<Partial<FieldMapping>, 'bcCaption' | 'direction'>;
const to = (bcCaption: string, bcField: string, crmField: string, extra: FieldInput = {}) =>
  ({ bcCaption, bcField, crmField, direction: 'ToIntegrationTable', ...extra }) as const;
const from = (bcCaption: string, bcField: string, crmField: string, extra: FieldInput = {}) =>
  ({ bcCaption, bcField, crmField, direction: 'FromIntegrationTable', ...extra }) as const;
const both = (bcCaption: string, bcField: string, crmField: string, extra: FieldInput = {}) =>
  ({ bcCaption, bcField, crmField, direction: 'Bidirectional', ...extra }) as const;

const salespersonLookup = {
  mapping: 'SALESPEOPLE',
  bcKeyField: 'code',
  crmEntitySet: 'systemusers',
  crmNavigationProperty: 'ownerid',
} as const;
const currencyLookup = {
  mapping: 'CURRENCY',
  bcKeyField: 'code',
  crmEntitySet: 'transactioncurrencies',
  crmNavigationProperty: 'transactioncurrencyid',
} as const;

/** Address fields shared by CUSTOMER and CONTACT. */
const addressFields = [
  both('Address', 'addressLine1', 'address1_line1'),
  both('Address 2', 'addressLine2', 'address1_line2'),
  both('Post Code', 'postalCode', 'address1_postalcode'),
  both('City', 'city', 'address1_city'),
  both('Country/Region Code', 'country', 'address1_country'),
  both('County', 'state', 'address1_stateorprovince'),
];

/** product statecode Active with its status reason Active: publishing a Draft product. */
const PUBLISH_PRODUCT = { statecode: 0, statuscode: 1 };

/** An item's or resource's base unit of measure -> the coupled unit group (UNIT OF MEASURE). */
const unitGroupLookup = {
  mapping: 'UNIT OF MEASURE',
  bcKeyField: 'code',
  crmEntitySet: 'uomschedules',
  crmNavigationProperty: 'defaultuomscheduleid',
};
/** ... and that unit group's base unit, the product's default unit. */
const defaultUnitLookup = {
  ...unitGroupLookup,
  crmEntitySet: 'uoms',
  crmNavigationProperty: 'defaultuomid',
  via: 'baseUnitOfGroup' as const,
};

type MatchSetInput = { priority: number; fields: Array<{ bcField: string; crmField: string }> };
const matchOn = (...sets: Array<Array<[bcField: string, crmField: string]>>): MatchSetInput[] =>
  sets.map((fields, i) => ({
    priority: i + 1,
    fields: fields.map(([bcField, crmField]) => ({ bcField, crmField })),
  }));

const weekly = (entry: string, inactivityTimeoutMinutes: 720 | 1440) => ({ entry, inactivityTimeoutMinutes });

/**
 * PAYMENT TERMS, SHIPMENT METHOD, SHIPPING AGENT: a BC table against the options of an account choice
 * column, as newer BC versions map them ("Map to option sets in Dataverse without code";
 * docs/option-mappings.md). Codes become option labels; CRM options missing in BC become BC records.
 */
function optionMapping(o: {
  name: string;
  tableCaption: string;
  bc: { api: 'v2.0' | 'custom'; entitySet: string };
  attribute: string;
  descriptionField: string;
  descriptionLength: number;
}): IntegrationTableMappingInput {
  return {
    name: o.name,
    tableCaption: o.tableCaption,
    integrationTableCaption: `account.${o.attribute} (options)`,
    bc: o.bc,
    crm: {
      entitySet: 'accounts',
      key: 'accountid',
      optionSet: { entity: 'account', attribute: o.attribute },
    },
    direction: 'Bidirectional',
    fieldMappings: [
      both('Code', 'code', 'label', { transformation: 'code', maxLength: { bc: 10 } }),
      from('Description', o.descriptionField, 'label', { maxLength: { bc: o.descriptionLength } }),
    ],
    jobQueue: weekly(o.name, 1440),
  };
}

const optionLookup = (mapping: string, bcKeyField: 'id' | 'code') =>
  ({ mapping, bcKeyField, crmOptionSet: true }) as const;

export const defaultMappings: IntegrationTableMappingInput[] = [
  {
    name: 'SALESPEOPLE',
    tableCaption: 'Salesperson/Purchaser',
    integrationTableCaption: 'systemuser',
    bc: { api: 'v2.0', entitySet: 'salespeoplePurchasers' },
    crm: { entitySet: 'systemusers', key: 'systemuserid' },
    direction: 'FromIntegrationTable',
    integrationTableFilter: 'isdisabled eq false and islicensed eq true and isintegrationuser eq false',
    // BC: Only Coupled = true, so a new system user never reaches BC on a scheduled run; here it does
    // (coupled by e-mail when the salesperson exists, else created) - docs/match-based-coupling.md.
    syncOnlyCoupledRecords: false,
    matchFieldSets: matchOn([['email', 'internalemailaddress']]),
    fieldMappings: [
      // BC's set-up couples users to salespeople by e-mail before the first sync (match-based coupling).
      from('E-Mail', 'email', 'internalemailaddress', { useForMatchBasedCoupling: true, matchPriority: 1 }),
      from('Name', 'displayName', 'fullname'),
      from('Phone No.', 'phoneNo', 'mobilephone'),
    ],
    jobQueue: weekly('SALESPEOPLE', 1440),
  },
  {
    name: 'CURRENCY',
    tableCaption: 'Currency',
    integrationTableCaption: 'transactioncurrency',
    bc: { api: 'v2.0', entitySet: 'currencies', exchangeRates: true },
    crm: { entitySet: 'transactioncurrencies', key: 'transactioncurrencyid' },
    direction: 'ToIntegrationTable',
    // BC sets Create New in Case of No Match and Synch. After Bulk Coupling here, but Only Coupled = true:
    // a new currency waits for a full sync. Here a scheduled run couples or creates it.
    syncOnlyCoupledRecords: false,
    createNewInCaseOfNoMatch: true,
    matchFieldSets: matchOn([['code', 'isocurrencycode']]),
    // exchangerate is required on transactioncurrency: 1 only for a currency BC has no rate for yet.
    crmTemplate: { exchangerate: 1, currencyprecision: 2 },
    fieldMappings: [
      to('Code', 'code', 'isocurrencycode', {
        transformation: 'code',
        useForMatchBasedCoupling: true,
        matchPriority: 1,
      }),
      to('Symbol', 'symbol', 'currencysymbol'),
      to('Description', 'displayName', 'currencyname'),
      to('Exchange Rate', 'exchangeRate', 'exchangerate', {
        note: 'The current rate of Currency Exchange Rates, per unit of the local currency (docs/exchange-rates.md).',
      }),
    ],
    jobQueue: weekly('CURRENCY', 720),
  },
  {
    name: 'UNIT OF MEASURE',
    tableCaption: 'Unit of Measure',
    integrationTableCaption: 'uomschedule',
    bc: { api: 'v2.0', entitySet: 'unitsOfMeasure' },
    crm: { entitySet: 'uomschedules', key: 'uomscheduleid' },
    direction: 'ToIntegrationTable',
    // As CURRENCY: a new unit reaches the CRM on the next scheduled run (coupled by name when it exists).
    syncOnlyCoupledRecords: false,
    matchFieldSets: matchOn([['code', 'name']]),
    fieldMappings: [
      to('Code', 'code', 'baseuomname', { transformation: 'code' }),
      to('Code', 'code', 'name', {
        transformation: 'code',
        note: 'uomschedule.name is required in Dataverse; BC fills it with the code when it creates the unit group.',
      }),
    ],
    jobQueue: weekly('UNITOFMEASURE', 720),
  },
  optionMapping({
    name: 'PAYMENT TERMS',
    tableCaption: 'Payment Terms',
    bc: { api: 'v2.0', entitySet: 'paymentTerms' },
    attribute: 'paymenttermscode',
    descriptionField: 'displayName',
    descriptionLength: 100,
  }),
  optionMapping({
    name: 'SHIPMENT METHOD',
    tableCaption: 'Shipment Method',
    bc: { api: 'v2.0', entitySet: 'shipmentMethods' },
    attribute: 'address1_freighttermscode',
    descriptionField: 'displayName',
    descriptionLength: 100,
  }),
  optionMapping({
    name: 'SHIPPING AGENT',
    tableCaption: 'Shipping Agent',
    // API v2.0 has no shipping agents: the bcsync extension's page (docs/bc-custom-api.md).
    bc: { api: 'custom', entitySet: 'shippingAgents' },
    attribute: 'address1_shippingmethodcode',
    descriptionField: 'name',
    descriptionLength: 50,
  }),
  {
    name: 'CUSTOMER',
    tableCaption: 'Customer',
    integrationTableCaption: 'account',
    bc: { api: 'custom', entitySet: 'customers' },
    crm: { entitySet: 'accounts', key: 'accountid' },
    direction: 'Bidirectional',
    tableFilter: "blocked eq ' '",
    // statecode Active, customertypecode Customer (3).
    integrationTableFilter: 'statecode eq 0 and customertypecode eq 3',
    dependencyFilter: ['SALESPEOPLE', 'CURRENCY', 'PAYMENT TERMS', 'SHIPMENT METHOD', 'SHIPPING AGENT'],
    bcTemplate: { type: 'Company', blocked: ' ' },
    crmTemplate: { customertypecode: 3 },
    // Customer No. = account number (accounts an earlier integration created), then name and city.
    matchFieldSets: matchOn(
      [['number', 'accountnumber']],
      [
        ['displayName', 'name'],
        ['city', 'address1_city'],
      ],
    ),
    fieldMappings: [
      to('Salesperson Code', 'salespersonCode', 'ownerid', { lookup: salespersonLookup, notNull: true }),
      both('Name', 'displayName', 'name'),
      both('Contact', 'contactName', 'address1_primarycontactname'),
      ...addressFields,
      both('Currency Code', 'currencyCode', 'transactioncurrencyid', { lookup: currencyLookup }),
      both('E-Mail', 'email', 'emailaddress1'),
      both('Fax No.', 'faxNumber', 'fax'),
      both('Home Page', 'website', 'websiteurl'),
      both('Phone No.', 'phoneNumber', 'telephone1'),
      // Option set columns, through the option mappings' couplings; API v2.0 carries payment terms and
      // shipment method as ids, the bcsync extension adds the shipping agent code.
      both('Shipment Method Code', 'shipmentMethodId', 'address1_freighttermscode', {
        lookup: optionLookup('SHIPMENT METHOD', 'id'),
      }),
      both('Shipping Agent Code', 'shippingAgentCode', 'address1_shippingmethodcode', {
        lookup: optionLookup('SHIPPING AGENT', 'code'),
      }),
      both('Payment Terms Code', 'paymentTermsId', 'paymenttermscode', {
        lookup: optionLookup('PAYMENT TERMS', 'id'),
      }),
      to('Credit Limit (LCY)', 'creditLimit', 'creditlimit'),
      both('Primary Contact No.', 'primaryContactId', 'primarycontactid', {
        lookup: {
          mapping: 'CONTACT',
          bcKeyField: 'id',
          crmEntitySet: 'contacts',
          crmNavigationProperty: 'primarycontactid',
        },
        clearValueOnFailedSync: true,
      }),
      to('No.', 'number', 'accountnumber', { status: 'Disabled' }),
      both('Mobile Phone No.', 'mobilePhoneNumber', 'telephone2', { status: 'Disabled' }),
    ],
    jobQueue: weekly('CUSTOMER', 720),
  },
  {
    name: 'CONTACT',
    tableCaption: 'Contact',
    integrationTableCaption: 'contact',
    bc: { api: 'custom', entitySet: 'contacts' },
    crm: { entitySet: 'contacts', key: 'contactid' },
    direction: 'Bidirectional',
    // Persons of a company contact that is linked to a customer (BC synchronizes contacts of customers only).
    tableFilter:
      "type eq 'Person' and companyNumber ne '' and customerId ne 00000000-0000-0000-0000-000000000000",
    // parentcustomerid not null, statecode Active; "parent is an account" is the parentcustomerid_account bind.
    integrationTableFilter: '_parentcustomerid_value ne null and statecode eq 0',
    dependencyFilter: ['CUSTOMER'],
    bcTemplate: { type: 'Person' },
    matchFieldSets: matchOn([['email', 'emailaddress1']]),
    fieldMappings: [
      to('Salesperson Code', 'salespersonCode', 'ownerid', { lookup: salespersonLookup }),
      both('Currency Code', 'currencyCode', 'transactioncurrencyid', { lookup: currencyLookup }),
      ...addressFields,
      both('E-Mail', 'email', 'emailaddress1'),
      both('Fax No.', 'faxNumber', 'fax'),
      both('First Name', 'firstName', 'firstname'),
      both('Middle Name', 'middleName', 'middlename'),
      both('Surname', 'surname', 'lastname'),
      both('Home Page', 'website', 'websiteurl'),
      both('Mobile Phone No.', 'mobilePhoneNumber', 'mobilephone'),
      both('Pager', 'pager', 'pager'),
      both('Phone No.', 'phoneNumber', 'telephone1'),
      both('Company No.', 'customerId', 'parentcustomerid', {
        lookup: {
          mapping: 'CUSTOMER',
          bcKeyField: 'id',
          crmEntitySet: 'accounts',
          crmNavigationProperty: 'parentcustomerid_account',
        },
        notNull: true,
        note: "The parent account: BC links a person to its company contact and that company to a customer; the custom API exposes the customer's id.",
      }),
      { bcCaption: 'Type', bcField: 'type', direction: 'FromIntegrationTable', constant: 'Person' },
      {
        bcCaption: 'Parent Customer Type',
        crmField: 'parentcustomeridtype',
        direction: 'ToIntegrationTable',
        constant: 'account',
      },
    ],
    jobQueue: weekly('CONTACT', 720),
  },
  {
    name: 'ITEM-PRODUCT',
    tableCaption: 'Item',
    integrationTableCaption: 'product',
    bc: { api: 'custom', entitySet: 'items' },
    // New products are Draft on a Sales organization: published (Active) right after the create.
    crm: { entitySet: 'products', key: 'productid', afterCreate: PUBLISH_PRODUCT },
    // The job queue table says BC -> CRM; BC's code default is Bidirectional (mission.md).
    direction: 'ToIntegrationTable',
    tableFilter: 'blocked eq false',
    // producttypecode Sales Inventory (1).
    integrationTableFilter: 'producttypecode eq 1',
    dependencyFilter: ['UNIT OF MEASURE'],
    crmTemplate: { producttypecode: 1, quantitydecimal: 2 },
    matchFieldSets: matchOn([['number', 'productnumber']]),
    fieldMappings: [
      to('No.', 'number', 'productnumber'),
      both('Description', 'displayName', 'name'),
      to('Unit Price', 'unitPrice', 'price'),
      to('Unit Cost', 'unitCost', 'standardcost'),
      to('Unit Cost', 'unitCost', 'currentcost'),
      to('Unit Volume', 'unitVolume', 'stockvolume'),
      to('Gross Weight', 'grossWeight', 'stockweight'),
      to('Vendor No.', 'vendorNumber', 'vendorid'),
      to('Vendor Item No.', 'vendorItemNumber', 'vendorpartnumber'),
      to('Inventory', 'inventory', 'quantityonhand'),
      both('Base Unit of Measure', 'baseUnitOfMeasureCode', 'defaultuomscheduleid', {
        lookup: unitGroupLookup,
      }),
      to('Base Unit of Measure', 'baseUnitOfMeasureCode', 'defaultuomid', {
        lookup: defaultUnitLookup,
        note: 'The base unit of the unit group, as BC sets it: Dataverse publishes a product only with a default unit (docs/product-units.md).',
      }),
    ],
    jobQueue: weekly('ITEM-PRODUCT', 1440),
  },
  {
    name: 'RESOURCE-PRODUCT',
    tableCaption: 'Resource',
    integrationTableCaption: 'product',
    bc: { api: 'custom', entitySet: 'resources' },
    // New products are Draft on a Sales organization: published (Active) right after the create.
    crm: { entitySet: 'products', key: 'productid', afterCreate: PUBLISH_PRODUCT },
    direction: 'ToIntegrationTable',
    // producttypecode Services (3).
    integrationTableFilter: 'producttypecode eq 3',
    dependencyFilter: ['UNIT OF MEASURE'],
    crmTemplate: { producttypecode: 3, quantitydecimal: 2 },
    matchFieldSets: matchOn([['number', 'productnumber']]),
    fieldMappings: [
      to('No.', 'number', 'productnumber'),
      to('Name', 'name', 'name'),
      // As for items: BC gives a resource's product the unit group of its base unit and that group's
      // base unit, so invoice lines of the resource refer to the product (docs/product-units.md).
      to('Base Unit of Measure', 'baseUnitOfMeasureCode', 'defaultuomscheduleid', {
        lookup: unitGroupLookup,
      }),
      to('Base Unit of Measure', 'baseUnitOfMeasureCode', 'defaultuomid', { lookup: defaultUnitLookup }),
      to('Unit Price', 'unitPrice', 'price'),
      to('Unit Cost', 'unitCost', 'standardcost'),
      to('Unit Cost', 'unitCost', 'currentcost'),
      to('Vendor No.', 'vendorNumber', 'vendorid'),
      to('Capacity', 'capacity', 'quantityonhand'),
    ],
    jobQueue: weekly('RESOURCE-PRODUCT', 720),
  },
  {
    name: 'CUSTPRCGRP-PRICE',
    tableCaption: 'Customer Price Group',
    integrationTableCaption: 'pricelevel',
    bc: { api: 'custom', entitySet: 'customerPriceGroups' },
    crm: { entitySet: 'pricelevels', key: 'pricelevelid' },
    direction: 'ToIntegrationTable',
    dependencyFilter: ['CURRENCY', 'ITEM-PRODUCT'],
    matchFieldSets: matchOn([['code', 'name']]),
    fieldMappings: [
      to('Code', 'code', 'name'),
      to('Currency Code', 'currencyCode', 'transactioncurrencyid', {
        lookup: currencyLookup,
        note: "A price list's items have its currency: the currency of the group's prices, else the local currency (docs/product-units.md).",
      }),
    ],
    jobQueue: weekly('CUSTPRCGRP-PRICE', 1440),
  },
  {
    name: 'SALESPRC-PRODPRICE',
    tableCaption: 'Sales Price',
    integrationTableCaption: 'productpricelevel',
    bc: { api: 'custom', entitySet: 'salesPrices' },
    crm: { entitySet: 'productpricelevels', key: 'productpricelevelid' },
    direction: 'ToIntegrationTable',
    tableFilter: "salesType eq 'Customer Price Group' and salesCode ne ''",
    syncOnlyCoupledRecords: false,
    dependencyFilter: ['CUSTPRCGRP-PRICE', 'ITEM-PRODUCT'],
    fieldMappings: [
      to('Sales Code', 'salesCode', 'pricelevelid', {
        lookup: {
          mapping: 'CUSTPRCGRP-PRICE',
          bcKeyField: 'code',
          crmEntitySet: 'pricelevels',
          crmNavigationProperty: 'pricelevelid',
        },
        notNull: true,
      }),
      to('Item No.', 'itemNumber', 'productid', {
        lookup: {
          mapping: 'ITEM-PRODUCT',
          bcKeyField: 'number',
          crmEntitySet: 'products',
          crmNavigationProperty: 'productid',
        },
        notNull: true,
      }),
      to('Item No.', 'itemNumber', 'productnumber'),
      to('Item No.', 'itemNumber', 'uomid', {
        lookup: {
          mapping: 'ITEM-PRODUCT',
          bcKeyField: 'number',
          crmEntitySet: 'uoms',
          crmNavigationProperty: 'uomid',
          via: 'defaultUnitOfProduct',
        },
        notNull: true,
        note: "Dataverse requires a unit of the product's unit group on a price list item: the product's default unit (docs/product-units.md).",
      }),
      to('Currency Code', 'currencyCode', 'transactioncurrencyid', { lookup: currencyLookup }),
      to('Sales Code', 'salesCode', 'transactioncurrencyid', {
        lookup: {
          mapping: 'CUSTPRCGRP-PRICE',
          bcKeyField: 'code',
          crmEntitySet: 'transactioncurrencies',
          crmNavigationProperty: 'transactioncurrencyid',
          via: 'currencyOfPriceList',
        },
        notNull: true,
        note: "a price list item has its price list's currency: keep one currency per customer price group, docs/product-units.md",
      }),
      // Currency Amount (1).
      {
        bcCaption: 'Pricing Method',
        crmField: 'pricingmethodcode',
        direction: 'ToIntegrationTable',
        constant: 1,
      },
      to('Unit Price', 'unitPrice', 'amount'),
    ],
    jobQueue: weekly('SALESPRC-PRODUCTPRICE', 1440),
  },
  {
    name: 'POSTEDSALESINV-INV',
    tableCaption: 'Sales Invoice Header',
    integrationTableCaption: 'invoice',
    bc: { api: 'v2.0', entitySet: 'salesInvoices', lines: 'salesInvoiceLines' },
    crm: {
      entitySet: 'invoices',
      key: 'invoiceid',
      lines: { entitySet: 'invoicedetails', key: 'invoicedetailid', parentBind: 'invoiceid' },
    },
    direction: 'ToIntegrationTable',
    // Posted invoices only: BC API v2.0 serves drafts and posted invoices together.
    tableFilter: "status ne 'Draft'",
    matchFieldSets: matchOn([['number', 'invoicenumber']]),
    dependencyFilter: ['ITEM-PRODUCT', 'RESOURCE-PRODUCT'],
    fieldMappings: [
      to('No.', 'number', 'invoicenumber'),
      to('Bill-to Customer', 'customerId', 'customerid', {
        lookup: {
          mapping: 'CUSTOMER',
          bcKeyField: 'id',
          crmEntitySet: 'accounts',
          crmNavigationProperty: 'customerid_account',
        },
        notNull: true,
        note: 'Dataverse requires the invoice customer; BC sets it from the coupled account.',
      }),
      to('Salesperson Code', 'salesperson', 'ownerid', { lookup: salespersonLookup }),
      to('Currency Code', 'currencyCode', 'transactioncurrencyid', { lookup: currencyLookup }),
      to('Due Date', 'dueDate', 'duedate'),
      to('Ship-to Name', 'shipToName', 'shipto_name'),
      to('Ship-to Address', 'shipToAddressLine1', 'shipto_line1'),
      to('Ship-to Address 2', 'shipToAddressLine2', 'shipto_line2'),
      to('Ship-to City', 'shipToCity', 'shipto_city'),
      to('Ship-to County', 'shipToState', 'shipto_stateorprovince'),
      to('Ship-to Post Code', 'shipToPostCode', 'shipto_postalcode'),
      to('Ship-to Country/Region Code', 'shipToCountry', 'shipto_country'),
      to('Bill-to Name', 'billToName', 'billto_name'),
      to('Bill-to Address', 'billToAddressLine1', 'billto_line1'),
      to('Bill-to Address 2', 'billToAddressLine2', 'billto_line2'),
      to('Bill-to City', 'billToCity', 'billto_city'),
      to('Bill-to County', 'billToState', 'billto_stateorprovince'),
      to('Bill-to Post Code', 'billToPostCode', 'billto_postalcode'),
      to('Bill-to Country/Region Code', 'billToCountry', 'billto_country'),
      to('Shipment Date', 'shipmentDate', 'datedelivered', {
        status: 'Disabled',
        note: 'BC API v2.0 salesInvoices does not expose Shipment Date.',
      }),
      to('Amount', 'totalAmountExcludingTax', 'totalamountlessfreight', {
        status: 'Disabled',
        note: 'Dataverse computes the invoice totals from the lines and the invoice discount (docs/invoice-lines.md).',
      }),
      to('Amount Including VAT', 'totalAmountIncludingTax', 'totalamount', {
        status: 'Disabled',
        note: 'Dataverse computes the invoice totals from the lines and the invoice discount (docs/invoice-lines.md).',
      }),
      to('Invoice Discount Amount', 'discountAmount', 'discountamount'),
      to('Shipping Agent Code', 'shippingAgentCode', 'shippingmethodcode', {
        status: 'Disabled',
        note: 'BC API v2.0 salesInvoices does not expose Shipping Agent Code.',
      }),
      to('Payment Terms Code', 'paymentTermsCode', 'paymenttermscode', {
        status: 'Disabled',
        note: 'BC API v2.0 salesInvoices exposes only paymentTermsId, not the code.',
      }),
    ],
    jobQueue: weekly('POSTEDSALESINV-INV', 1440),
  },
];

export const defaultStatisticsJob: StatisticsJob = {
  name: 'Customer Statistics',
  bc: { api: 'custom', entitySet: 'customerStatistics' },
  crm: { entitySet: 'nav_accountstatisticses', key: 'nav_accountstatisticsid', modifiedOn: 'modifiedon' },
  // Every 30 minutes, created on hold with a 30-minute inactivity timeout, 2 attempts (section 2).
  jobQueue: {
    entry: 'Customer Statistics',
    minutesBetweenRuns: 30,
    inactivityTimeoutMinutes: 30,
    maxAttempts: 2,
    rerunDelaySeconds: 30,
    startOnHold: true,
    crmWakeEnabled: false,
  },
  fields: [
    { bcField: 'customerNumber', crmField: 'nav_customerno' },
    { bcField: 'balance', crmField: 'nav_balance' },
    { bcField: 'outstandingOrders', crmField: 'nav_outstandingorders' },
    { bcField: 'shippedNotInvoiced', crmField: 'nav_shippednotinvoiced' },
    { bcField: 'outstandingInvoices', crmField: 'nav_outstandinginvoices' },
    { bcField: 'totalSales', crmField: 'nav_totalsales' },
    { bcField: 'overdueAmount', crmField: 'nav_overdueamount' },
  ],
};
