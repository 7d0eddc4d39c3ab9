// Sales invoices and their lines: customer defaults on the header, line amounts, header totals, and posting
// through the bound action `Microsoft.NAV.post` (apis.md A: keeps id, new number, status Draft -> Open).
import { bcErrors } from './bcErrors';
import type { BcState } from './bcState';
import { refreshStatistics } from './customerStatistics';
import { BLANK_DATE, BLANK_GUID, LCY_CODE } from './entityModel';
import type { JsonRow } from './entityTable';
import {
  findByCode,
  findById,
  requireIdReference,
  requireRelated,
  resolveCodeAndId,
  resolveCurrency,
  round2,
} from './relationLookups';
import type { EntityRules, RuleContext } from './ruleTypes';

/** Sales tax rate the emulator applies to tax-liable customers (one flat "TAXABLE" tax group). */
export const SALES_TAX_PERCENT = 5;

const CANNOT_MODIFY_POSTED = 'The invoice has been posted and can no longer be modified.';

/** Adds a BC date formula such as `30D`, `2W`, `1M` or `CM` to a date. */
export function applyDateFormula(dateIso: string, formula: string): string {
  const d = new Date(`${dateIso}T00:00:00Z`);
  const f = formula.trim().toUpperCase();
  const m = /^(\d+)([DWMY])$/.exec(f);
  if (m) {
    const n = Number(m[1]);
    if (m[2] === 'D') d.setUTCDate(d.getUTCDate() + n);
    if (m[2] === 'W') d.setUTCDate(d.getUTCDate() + 7 * n);
    if (m[2] === 'M') d.setUTCMonth(d.getUTCMonth() + n);
    if (m[2] === 'Y') d.setUTCFullYear(d.getUTCFullYear() + n);
  } else if (f === 'CM') {
    d.setUTCMonth(d.getUTCMonth() + 1, 0);
  }
  return d.toISOString().slice(0, 10);
}

function customerFor(state: BcState, row: JsonRow, changes: JsonRow): JsonRow | undefined {
  const idGiven = 'customerId' in changes && changes.customerId !== BLANK_GUID;
  const numberGiven = 'customerNumber' in changes && changes.customerNumber !== '';
  let byId: JsonRow | undefined;
  let byNumber: JsonRow | undefined;
  if (idGiven) {
    byId = findById(state, 'customers', String(changes.customerId));
    if (!byId) throw bcErrors.dialog('The "customerId" does not match to a Customer.');
  }
  if (numberGiven) {
    byNumber = findByCode(state, 'customers', 'number', String(changes.customerNumber));
    if (!byNumber) throw bcErrors.dialog('The "customerNumber" does not match to a Customer.');
  }
  if (byId && byNumber && byId.id !== byNumber.id) {
    throw bcErrors.dialog('The customer values do not match to a specific Customer.');
  }
  return (
    byId ??
    byNumber ??
    (row.customerId !== BLANK_GUID ? findById(state, 'customers', String(row.customerId)) : undefined)
  );
}

function checkNotBlocked(customer: JsonRow, forPosting: boolean): void {
  const blocked = customer.blocked;
  if (blocked === 'All' || (forPosting && blocked === 'Invoice')) {
    throw bcErrors.dialog(
      `You cannot ${forPosting ? 'post' : 'create'} this type of document when Customer ${String(customer.number)} is blocked with type ${String(blocked)}.`,
    );
  }
}

/** Copies the sell-to customer's defaults onto a header (BC's "Sell-to Customer No." OnValidate). */
function applyCustomer(row: JsonRow, changes: JsonRow, customer: JsonRow): void {
  row.customerId = customer.id;
  row.customerNumber = customer.number;
  row.customerName = customer.displayName;
  const setIfNotGiven = (field: string, value: unknown) => {
    if (!(field in changes)) row[field] = value;
  };
  setIfNotGiven('sellToAddressLine1', customer.addressLine1);
  setIfNotGiven('sellToAddressLine2', customer.addressLine2);
  setIfNotGiven('sellToCity', customer.city);
  setIfNotGiven('sellToState', customer.state);
  setIfNotGiven('sellToCountry', customer.country);
  setIfNotGiven('sellToPostCode', customer.postalCode);
  setIfNotGiven('shipToName', customer.displayName);
  setIfNotGiven('shipToAddressLine1', customer.addressLine1);
  setIfNotGiven('shipToAddressLine2', customer.addressLine2);
  setIfNotGiven('shipToCity', customer.city);
  setIfNotGiven('shipToState', customer.state);
  setIfNotGiven('shipToCountry', customer.country);
  setIfNotGiven('shipToPostCode', customer.postalCode);
  setIfNotGiven('phoneNumber', customer.phoneNumber);
  setIfNotGiven('email', customer.email);
  setIfNotGiven('salesperson', customer.salespersonCode);
  setIfNotGiven('paymentTermsId', customer.paymentTermsId);
  setIfNotGiven('shipmentMethodId', customer.shipmentMethodId);
  if (!('currencyCode' in changes) && !('currencyId' in changes)) {
    row.currencyCode = customer.currencyCode;
    row.currencyId = customer.currencyId;
  }
  if (!('billToCustomerId' in changes) && !('billToCustomerNumber' in changes)) {
    row.billToCustomerId = customer.id;
    row.billToCustomerNumber = customer.number;
  }
}

function applyBillTo(state: BcState, row: JsonRow, changes: JsonRow): void {
  resolveCodeAndId(state, row, changes, {
    codeField: 'billToCustomerNumber',
    idField: 'billToCustomerId',
    entitySet: 'customers',
    targetCodeField: 'number',
    noun: 'Customer',
  });
  const billTo =
    row.billToCustomerId !== BLANK_GUID
      ? findById(state, 'customers', String(row.billToCustomerId))
      : undefined;
  row.billToName = billTo?.displayName ?? '';
  row.billToAddressLine1 = billTo?.addressLine1 ?? '';
  row.billToAddressLine2 = billTo?.addressLine2 ?? '';
  row.billToCity = billTo?.city ?? '';
  row.billToState = billTo?.state ?? '';
  row.billToCountry = billTo?.country ?? '';
  row.billToPostCode = billTo?.postalCode ?? '';
}

function dueDateFor(state: BcState, row: JsonRow): string {
  const terms =
    row.paymentTermsId !== BLANK_GUID
      ? findById(state, 'paymentTerms', String(row.paymentTermsId))
      : undefined;
  return applyDateFormula(String(row.invoiceDate), String(terms?.dueDateCalculation ?? ''));
}

export const salesInvoiceRules: EntityRules = {
  apply(ctx, row, changes, current) {
    const { state } = ctx;
    if (current && current.status !== 'Draft') throw bcErrors.dialog(CANNOT_MODIFY_POSTED);
    const customer = customerFor(state, row, changes);
    if (!current && !customer) throw bcErrors.dialog('A customerNumber or a customerID must be provided.');
    const customerChanged = customer !== undefined && (!current || current.customerId !== customer.id);
    if (customer && customerChanged) {
      checkNotBlocked(customer, false);
      applyCustomer(row, changes, customer);
    }
    resolveCurrency(state, row, changes);
    applyBillTo(state, row, changes);
    requireRelated(
      state,
      row.salesperson,
      { entitySet: 'salespeoplePurchasers', field: 'code', table: 'Salesperson/Purchaser' },
      { field: 'Salesperson Code', table: 'Sales Header' },
    );
    requireIdReference(state, changes, 'paymentTermsId', 'paymentTerms', 'Payment Term');
    requireIdReference(state, changes, 'shipmentMethodId', 'shipmentMethods', 'Shipment Method');
    if (!current) {
      row.status = 'Draft';
      if (row.invoiceDate === BLANK_DATE) row.invoiceDate = state.clock.today();
    }
    if (row.postingDate === BLANK_DATE || (!('postingDate' in changes) && 'invoiceDate' in changes)) {
      row.postingDate = row.invoiceDate;
    }
    if (
      !('dueDate' in changes) &&
      (!current || 'invoiceDate' in changes || 'paymentTermsId' in changes || customerChanged)
    ) {
      row.dueDate = dueDateFor(state, row);
    }
    computeTotals(state, row);
  },
  afterInsert(ctx, row) {
    refreshStatistics(ctx.state, String(row.customerId));
  },
  afterUpdate(ctx, before, after) {
    refreshStatistics(ctx.state, String(after.customerId));
    if (before.customerId !== after.customerId) refreshStatistics(ctx.state, String(before.customerId));
  },
  beforeDelete(_ctx, row) {
    if (row.status !== 'Draft')
      throw bcErrors.dialog('The invoice has been posted and can no longer be deleted.');
  },
  afterDelete(ctx, row) {
    const lines = ctx.state.table('salesInvoiceLines');
    for (const lineId of lines.idsWhere('documentId', row.id)) ctx.state.delete('salesInvoiceLines', lineId);
    refreshStatistics(ctx.state, String(row.customerId));
  },
};

/**
 * Header totals from the lines; the invoice discount is spread over the lines in proportion to their amount
 * (BC's invoice discount allocation), which changes the lines' net figures but not their own fields.
 */
export function computeTotals(state: BcState, header: JsonRow): void {
  const linesTable = state.table('salesInvoiceLines');
  const lines = linesTable
    .idsWhere('documentId', header.id)
    .map((id) => linesTable.get(id)?.data)
    .filter((l): l is JsonRow => l !== undefined);
  const gross = lines.reduce((sum, l) => sum + Number(l.amountExcludingTax), 0);
  const discount = Math.min(Number(header.discountAmount), gross);
  let excl = 0;
  let tax = 0;
  // The discount is spread in proportion to the line amounts, each share rounded and the rounding carried
  // to the next line, so the shares add up to the invoice discount exactly.
  let discountLeft = discount;
  let grossLeft = gross;
  for (const line of lines) {
    const amount = Number(line.amountExcludingTax);
    const share = grossLeft === 0 ? 0 : round2((discountLeft * amount) / grossLeft);
    discountLeft = round2(discountLeft - share);
    grossLeft = round2(grossLeft - amount);
    const net = round2(Number(line.amountExcludingTax) - share);
    const netTax = round2((net * Number(line.taxPercent)) / 100);
    excl += net;
    tax += netTax;
    state.patchDerived('salesInvoiceLines', String(line.id), {
      invoiceDiscountAllocation: share,
      netAmount: net,
      netTaxAmount: netTax,
      netAmountIncludingTax: round2(net + netTax),
    });
  }
  header.totalAmountExcludingTax = round2(excl);
  header.totalTaxAmount = round2(tax);
  header.totalAmountIncludingTax = round2(excl + tax);
  header.discountAppliedBeforeTax = true;
  if (header.status === 'Draft') header.remainingAmount = header.totalAmountIncludingTax;
}

/** A line change touches its header: totals and lastModifiedDateTime move, and the header is notified. */
function touchHeader(state: BcState, documentId: string): void {
  const header = state.get('salesInvoices', documentId)?.data;
  if (!header) return;
  const next = { ...header };
  computeTotals(state, next);
  next.lastModifiedDateTime = state.stampModified(header.lastModifiedDateTime);
  state.update('salesInvoices', next);
  refreshStatistics(state, String(header.customerId));
}

function draftHeader(ctx: RuleContext, documentId: string): JsonRow {
  const header = ctx.state.get('salesInvoices', documentId)?.data;
  if (!header) throw bcErrors.recordNotFound('Sales Invoice Entity Aggregate', documentId);
  if (header.status !== 'Draft') throw bcErrors.dialog(CANNOT_MODIFY_POSTED);
  return header;
}

function taxPercentFor(state: BcState, header: JsonRow, taxCode: string): number {
  if (taxCode === 'NONTAXABLE') return 0;
  const customer = findById(state, 'customers', String(header.customerId));
  return customer?.taxLiable === true ? SALES_TAX_PERCENT : 0;
}

export const salesInvoiceLineRules: EntityRules = {
  apply(ctx, row, changes, current) {
    const { state } = ctx;
    if (ctx.parentId !== undefined) {
      if ('documentId' in changes && changes.documentId !== ctx.parentId) {
        throw bcErrors.dialog('The "documentId" of the line does not match the document in the URL.');
      }
      row.documentId = ctx.parentId;
    }
    if (current && row.documentId !== current.documentId) throw bcErrors.readOnlyField('documentId');
    if (row.documentId === BLANK_GUID)
      throw bcErrors.dialog('You must specify a document id to create a line.');
    const header = draftHeader(ctx, String(row.documentId));
    if (!current && !('sequence' in changes)) {
      const lines = state.table('salesInvoiceLines');
      const max = lines
        .idsWhere('documentId', row.documentId)
        .reduce((m, id) => Math.max(m, Number(lines.get(id)?.data.sequence ?? 0)), 0);
      row.sequence = max + 10000;
    }
    if (!current && !('lineType' in changes)) {
      row.lineType = 'itemId' in changes || 'lineObjectNumber' in changes ? 'Item' : 'Comment';
    }
    const objectChanged =
      !current || 'itemId' in changes || 'lineObjectNumber' in changes || 'lineType' in changes;
    if (objectChanged) applyLineObject(state, row, changes);
    if ('unitOfMeasureCode' in changes || 'unitOfMeasureId' in changes) {
      resolveCodeAndId(state, row, changes, {
        codeField: 'unitOfMeasureCode',
        idField: 'unitOfMeasureId',
        entitySet: 'unitsOfMeasure',
        targetCodeField: 'code',
        noun: 'Unit of Measure',
      });
    }
    if (row.lineType === 'Comment') {
      row.quantity = 0;
      row.unitPrice = 0;
    }
    if (!current && !('taxCode' in changes)) {
      row.taxCode = taxPercentFor(state, header, '') > 0 ? 'TAXABLE' : 'NONTAXABLE';
    }
    const lineAmount = round2(Number(row.quantity) * Number(row.unitPrice));
    if ('discountPercent' in changes || !('discountAmount' in changes)) {
      row.discountAmount = round2((lineAmount * Number(row.discountPercent)) / 100);
    } else {
      row.discountPercent =
        lineAmount === 0 ? 0 : Math.round((Number(row.discountAmount) / lineAmount) * 1e7) / 1e5;
    }
    row.amountExcludingTax = round2(lineAmount - Number(row.discountAmount));
    row.taxPercent = taxPercentFor(state, header, String(row.taxCode));
    row.totalTaxAmount = round2((Number(row.amountExcludingTax) * Number(row.taxPercent)) / 100);
    row.amountIncludingTax = round2(Number(row.amountExcludingTax) + Number(row.totalTaxAmount));
    row.discountAppliedBeforeTax = true;
    row.netAmount = row.amountExcludingTax;
    row.netTaxAmount = row.totalTaxAmount;
    row.netAmountIncludingTax = row.amountIncludingTax;
  },
  afterInsert(ctx, row) {
    touchHeader(ctx.state, String(row.documentId));
  },
  afterUpdate(ctx, _before, after) {
    touchHeader(ctx.state, String(after.documentId));
  },
  beforeDelete(ctx, row) {
    draftHeader(ctx, String(row.documentId));
  },
  afterDelete(ctx, row) {
    touchHeader(ctx.state, String(row.documentId));
  },
};

/** Item/Resource lines take number, description, unit of measure and price from the item or resource. */
function applyLineObject(state: BcState, row: JsonRow, changes: JsonRow): void {
  const type = row.lineType;
  if (type === 'Item') {
    const itemIdGiven = 'itemId' in changes && changes.itemId !== BLANK_GUID;
    let item: JsonRow | undefined;
    if (itemIdGiven) {
      item = findById(state, 'items', String(changes.itemId));
      if (!item) throw bcErrors.dialog('The "itemId" does not match to an Item.');
    } else if (row.lineObjectNumber !== '') {
      item = requireRelated(
        state,
        row.lineObjectNumber,
        { entitySet: 'items', field: 'number', table: 'Item' },
        { field: 'No.', table: 'Sales Line' },
      );
    }
    if (!item) return;
    if (item.blocked === true)
      throw bcErrors.dialog(`You cannot sell Item ${String(item.number)} because it is blocked.`);
    row.itemId = item.id;
    row.lineObjectNumber = item.number;
    if (!('description' in changes)) row.description = item.displayName;
    if (!('unitPrice' in changes)) row.unitPrice = item.unitPrice;
    if (!('unitOfMeasureCode' in changes) && !('unitOfMeasureId' in changes)) {
      row.unitOfMeasureCode = item.baseUnitOfMeasureCode;
      row.unitOfMeasureId = item.baseUnitOfMeasureId;
    }
  } else if (type === 'Resource') {
    const resource = requireRelated(
      state,
      row.lineObjectNumber,
      { entitySet: 'resources', field: 'number', table: 'Resource' },
      { field: 'No.', table: 'Sales Line' },
    );
    row.itemId = BLANK_GUID;
    if (!resource) return;
    if (!('description' in changes)) row.description = resource.name;
    if (!('unitPrice' in changes)) row.unitPrice = resource.unitPrice;
    if (!('unitOfMeasureCode' in changes) && !('unitOfMeasureId' in changes)) {
      row.unitOfMeasureCode = resource.baseUnitOfMeasureCode;
      const uom = findByCode(state, 'unitsOfMeasure', 'code', String(resource.baseUnitOfMeasureCode));
      row.unitOfMeasureId = uom?.id ?? BLANK_GUID;
    }
  } else {
    row.itemId = BLANK_GUID;
  }
}

/**
 * `salesInvoices({id})/Microsoft.NAV.post`: the draft becomes a posted invoice with the same id, a number
 * from the posted-invoice series and status Open; the customer's ledger (statistics) moves.
 */
export function postSalesInvoice(state: BcState, id: string): void {
  const header = state.get('salesInvoices', id)?.data;
  if (!header) throw bcErrors.recordNotFound('Sales Invoice Entity Aggregate', id);
  if (header.status !== 'Draft')
    throw bcErrors.dialog(`Sales Invoice ${String(header.number)} has already been posted.`);
  const lines = state.table('salesInvoiceLines');
  const postable = lines
    .idsWhere('documentId', id)
    .map((lineId) => lines.get(lineId)?.data)
    .some((l) => l !== undefined && l.lineType !== 'Comment' && Number(l.quantity) !== 0);
  if (!postable) throw bcErrors.dialog('There is nothing to post.');
  const customer = findById(state, 'customers', String(header.customerId));
  if (!customer)
    throw bcErrors.dialog(`The customer of sales invoice ${String(header.number)} no longer exists.`);
  checkNotBlocked(customer, true);
  const posted: JsonRow = {
    ...header,
    number: state.nextNumber('PS-INV', 'salesInvoices'),
    status: 'Open',
    postingDate: header.postingDate === BLANK_DATE ? state.clock.today() : header.postingDate,
    currencyCode: header.currencyCode === '' ? LCY_CODE : header.currencyCode,
    lastModifiedDateTime: state.stampModified(header.lastModifiedDateTime),
  };
  computeTotals(state, posted);
  posted.remainingAmount = posted.totalAmountIncludingTax;
  state.update('salesInvoices', posted);
  refreshStatistics(state, String(header.customerId));
}
