// Per-table business logic of the master data the emulator serves (customers, contacts, items, the custom
// API's resources and sales prices ...), reduced to what an API client can observe: relations that must
// exist, derived fields, and cascades. Invoices live in invoiceRules.ts.
import { bcErrors } from './bcErrors';
import { blankStatistics, refreshStatistics } from './customerStatistics';
import { BLANK_DATE, BLANK_GUID, LCY_CODE } from './entityModel';
import type { BcState } from './bcState';
import type { JsonRow } from './entityTable';
import { salesInvoiceLineRules, salesInvoiceRules } from './invoiceRules';
import {
  checkEmail,
  checkPhone,
  findByCode,
  requireIdReference,
  requireRelated,
  resolveCodeAndId,
  resolveCurrency,
} from './relationLookups';
import type { EntityRules } from './ruleTypes';

const unitOfMeasureTarget = { entitySet: 'unitsOfMeasure', field: 'code', table: 'Unit of Measure' };
const salespersonTarget = {
  entitySet: 'salespeoplePurchasers',
  field: 'code',
  table: 'Salesperson/Purchaser',
};
const shippingAgentTarget = { entitySet: 'shippingAgents', field: 'code', table: 'Shipping Agent' };
const currencyTarget = { entitySet: 'currencies', field: 'code', table: 'Currency' };

const customerRules: EntityRules = {
  apply({ state }, row, changes) {
    resolveCurrency(state, row, changes);
    requireRelated(state, changes.salespersonCode, salespersonTarget, {
      field: 'Salesperson Code',
      table: 'Customer',
    });
    requireIdReference(state, changes, 'paymentTermsId', 'paymentTerms', 'Payment Term');
    requireIdReference(state, changes, 'shipmentMethodId', 'shipmentMethods', 'Shipment Method');
    requireIdReference(state, changes, 'primaryContactId', 'contacts', 'Contact');
    requireRelated(state, changes.shippingAgentCode, shippingAgentTarget, {
      field: 'Shipping Agent Code',
      table: 'Customer',
    });
    if ('phoneNumber' in changes)
      checkPhone(changes.phoneNumber, 'Phone No.', 'Customer', `No.='${String(row.number)}'`);
    if ('email' in changes) checkEmail(changes.email);
  },
  afterInsert({ state }, row) {
    state.insert('customerStatistics', blankStatistics(row, String(row.lastModifiedDateTime)));
  },
  afterUpdate({ state }, before, after) {
    if (before.number !== after.number) refreshStatistics(state, String(after.id));
  },
  beforeDelete({ state }, row) {
    const invoices = state.table('salesInvoices');
    const hasDraft = invoices
      .idsWhere('customerId', row.id)
      .some((id) => invoices.get(id)?.data.status === 'Draft');
    if (hasDraft) {
      throw bcErrors.dialog(
        `You cannot delete Customer ${String(row.number)} because there is at least one outstanding Sales Invoice for this customer.`,
      );
    }
  },
  afterDelete({ state }, row) {
    state.delete('customerStatistics', String(row.id));
  },
};

const contactRules: EntityRules = {
  apply({ state }, row, changes, current) {
    linkToCustomer(state, row, changes);
    if (row.type === 'Company') {
      // A company contact is its own company (Contact."Company No." = "No.").
      row.companyNumber = row.number;
      row.companyName = row.displayName;
    } else if (row.companyNumber === '' || row.companyNumber === current?.number) {
      row.companyNumber = '';
      row.companyName = '';
    } else {
      const company = findByCode(state, 'contacts', 'number', String(row.companyNumber));
      if (!company || company.type !== 'Company') {
        throw bcErrors.tableRelation('Company No.', 'Contact', String(row.companyNumber), 'Contact');
      }
      row.companyName = company.displayName;
    }
    const previousName = String(current?.displayName ?? '').toUpperCase();
    if (!('searchName' in changes) && (row.searchName === '' || row.searchName === previousName)) {
      row.searchName = String(row.displayName).toUpperCase().slice(0, 100);
    }
    if ('phoneNumber' in changes)
      checkPhone(changes.phoneNumber, 'Phone No.', 'Contact', `No.='${String(row.number)}'`);
    if ('email' in changes) checkEmail(changes.email);
    requireRelated(state, changes.salespersonCode, salespersonTarget, {
      field: 'Salesperson Code',
      table: 'Contact',
    });
    requireRelated(state, changes.currencyCode, currencyTarget, { field: 'Currency Code', table: 'Contact' });
  },
  afterUpdate({ state }, before, after) {
    if (after.type !== 'Company' || before.displayName === after.displayName) return;
    const contacts = state.table('contacts');
    for (const id of contacts.idsWhere('companyNumber', after.number)) {
      if (id !== after.id) state.patchDerived('contacts', id, { companyName: after.displayName });
    }
  },
  afterDelete({ state }, row) {
    // Contact.OnDelete of a company removes the persons of that company.
    if (row.type !== 'Company') return;
    const contacts = state.table('contacts');
    for (const id of contacts.idsWhere('companyNumber', row.number)) {
      if (contacts.get(id)?.data.type === 'Person') state.delete('contacts', id);
    }
  },
};

/**
 * The custom API's `customerId` of a contact: BC links a person to its company contact and that company
 * to a customer (Contact Business Relation). A person placed under a company gets that company's
 * customer; a person given a customer is placed under the customer's company contact.
 */
function linkToCustomer(state: BcState, row: JsonRow, changes: JsonRow): void {
  requireIdReference(state, changes, 'customerId', 'customers', 'Customer');
  if (row.type !== 'Person') return;
  const contacts = state.table('contacts');
  if ('customerId' in changes && !('companyNumber' in changes) && row.customerId !== BLANK_GUID) {
    const company = contacts
      .idsWhere('customerId', row.customerId)
      .map((id) => contacts.get(id)?.data)
      .find((c) => c?.type === 'Company');
    if (company) row.companyNumber = company.number;
  } else if ('companyNumber' in changes && !('customerId' in changes)) {
    const company = findByCode(state, 'contacts', 'number', String(row.companyNumber));
    row.customerId = company?.type === 'Company' ? company.customerId : BLANK_GUID;
  }
}

const itemRules: EntityRules = {
  apply({ state }, row, changes) {
    resolveCodeAndId(state, row, changes, {
      codeField: 'baseUnitOfMeasureCode',
      idField: 'baseUnitOfMeasureId',
      entitySet: 'unitsOfMeasure',
      targetCodeField: 'code',
      noun: 'Unit of Measure',
    });
  },
};

const salespersonRules: EntityRules = {
  apply(_ctx, _row, changes) {
    if ('email' in changes) checkEmail(changes.email);
    if ('email2' in changes) checkEmail(changes.email2);
  },
};

const resourceRules: EntityRules = {
  apply({ state }, _row, changes) {
    requireRelated(state, changes.baseUnitOfMeasureCode, unitOfMeasureTarget, {
      field: 'Base Unit of Measure',
      table: 'Resource',
    });
  },
};

/**
 * A customer price group's currency as the bcsync extension shows it (docs/bc-custom-api.md): the currency
 * of the group's sales prices when they all have the same one, else the local currency. Dataverse keeps a
 * price list's items in the price list's currency (docs/product-units.md).
 */
function priceGroupCurrency(state: BcState, groupCode: string): string {
  const prices = state.table('salesPrices');
  const currencies = new Set(
    prices
      .idsWhere('salesCode', groupCode)
      .map((id) => prices.get(id)?.data)
      .filter((p): p is JsonRow => p?.salesType === 'Customer Price Group')
      .map((p) => String(p.currencyCode)),
  );
  const only = currencies.size === 1 ? [...currencies][0]! : '';
  return only === '' ? LCY_CODE : only;
}

function refreshPriceGroupCurrency(state: BcState, price: JsonRow | undefined): void {
  if (price?.salesType !== 'Customer Price Group') return;
  const group = findByCode(state, 'customerPriceGroups', 'code', String(price.salesCode));
  if (group) {
    state.patchDerived('customerPriceGroups', String(group.id), {
      currencyCode: priceGroupCurrency(state, String(price.salesCode)),
    });
  }
}

const customerPriceGroupRules: EntityRules = {
  apply({ state }, row) {
    row.currencyCode = priceGroupCurrency(state, String(row.code));
  },
};

const salesPriceRules: EntityRules = {
  afterInsert({ state }, row) {
    refreshPriceGroupCurrency(state, row);
  },
  afterUpdate({ state }, before, after) {
    refreshPriceGroupCurrency(state, before);
    refreshPriceGroupCurrency(state, after);
  },
  afterDelete({ state }, row) {
    refreshPriceGroupCurrency(state, row);
  },
  apply({ state }, row) {
    requireRelated(
      state,
      row.itemNumber,
      { entitySet: 'items', field: 'number', table: 'Item' },
      {
        field: 'Item No.',
        table: 'Sales Price',
      },
    );
    // Sales Price OnInsert/OnModify: "All Customers" has no sales code, every other type needs one.
    if (row.salesType === 'All Customers') {
      row.salesCode = '';
    } else if (row.salesCode === '') {
      throw bcErrors.fieldValidation(
        `Sales Code must have a value in Sales Price: Item No.=${String(row.itemNumber)}, Sales Type=${String(row.salesType)}. It cannot be zero or empty.`,
      );
    } else if (row.salesType === 'Customer') {
      requireRelated(
        state,
        row.salesCode,
        { entitySet: 'customers', field: 'number', table: 'Customer' },
        {
          field: 'Sales Code',
          table: 'Sales Price',
        },
      );
    } else if (row.salesType === 'Customer Price Group') {
      requireRelated(
        state,
        row.salesCode,
        { entitySet: 'customerPriceGroups', field: 'code', table: 'Customer Price Group' },
        { field: 'Sales Code', table: 'Sales Price' },
      );
    }
    // The Sales Price table stores a blank currency for the local currency (no API translation here).
    requireRelated(state, row.currencyCode, currencyTarget, {
      field: 'Currency Code',
      table: 'Sales Price',
    });
    requireRelated(state, row.unitOfMeasureCode, unitOfMeasureTarget, {
      field: 'Unit of Measure Code',
      table: 'Sales Price',
    });
    if (row.startingDate === '') row.startingDate = BLANK_DATE;
  },
};

const RULES: Readonly<Record<string, EntityRules>> = {
  customers: customerRules,
  contacts: contactRules,
  items: itemRules,
  salespeoplePurchasers: salespersonRules,
  salesInvoices: salesInvoiceRules,
  salesInvoiceLines: salesInvoiceLineRules,
  resources: resourceRules,
  salesPrices: salesPriceRules,
  customerPriceGroups: customerPriceGroupRules,
};

const NO_RULES: EntityRules = {};

export function rulesFor(entitySet: string): EntityRules {
  return RULES[entitySet] ?? NO_RULES;
}
