// Business rules of the Dynamics 365 Sales product catalog and invoices that a stock organization enforces
// on the rows bcsync writes (docs/product-units.md, docs/invoice-lines.md):
// - a product's default unit belongs to its unit group, and a product is published only with both
//   (Product table reference: DefaultUoMScheduleId and DefaultUoMId are ApplicationRequired,
//   https://learn.microsoft.com/dynamics365/sales/developer/entities/product; product lifecycle:
//   https://learn.microsoft.com/dynamics365/sales/developer/publish-revise-revert-retire-activate-products);
// - a price list item has a unit of its product's unit group, and the currency of its price list
//   (ProductPriceLevel reference: UoMId ApplicationRequired, TransactionCurrencyId not valid for create,
//   https://learn.microsoft.com/dynamics365/sales/developer/entities/productpricelevel);
// - an invoice's totals are computed by the server from its lines (listed as writable in the Invoice
//   reference, but recalculated by system pricing, Organization.OOBPriceCalculationEnabled:
//   https://learn.microsoft.com/dynamics365/sales/developer/use-custom-pricing-products).
import { dvErrors } from './errors';
import type { DataverseStore, Row } from './store';

const ACTIVE = 0;

const money = (v: unknown): number => (typeof v === 'number' ? v : 0);
const round2 = (n: number): number => Math.round(n * 100) / 100;
const ref = (row: Row | undefined, attribute: string): string | undefined => {
  const v = row?.[`_${attribute}_value`];
  return typeof v === 'string' ? v : undefined;
};

/** The invoice totals the server computes; a value written to one of them is ignored. */
export const COMPUTED_INVOICE_TOTALS = [
  'totallineitemamount',
  'totallineitemdiscountamount',
  'totaldiscountamount',
  'totalamountlessfreight',
  'totaltax',
  'totalamount',
] as const;

/**
 * A product's default unit must be a unit of its unit group; publishing (statecode Active) needs both.
 * `before` is the stored row (undefined on create).
 */
export function checkProductUnits(store: DataverseStore, row: Row, before: Row | undefined): void {
  const number = String(row.productnumber ?? row.productid);
  const groupId = ref(row, 'defaultuomscheduleid');
  const unitId = ref(row, 'defaultuomid');
  if (unitId !== undefined) {
    const unit = store.get('uoms', unitId);
    if (groupId === undefined || ref(unit, 'uomscheduleid') !== groupId) {
      throw dvErrors.badRequest(
        `The default unit ${String(unit?.name ?? unitId)} of product ${number} does not belong to its unit group` +
          `${groupId === undefined ? ' (the product has no unit group)' : ''}: set defaultuomscheduleid to the unit's group and defaultuomid to one of its units.`,
      );
    }
  }
  // Publishing is an update from Draft; an organization that creates products Active
  // (CreateProductsWithoutParentInActiveState) does not check the ApplicationRequired columns on create.
  const publishing = before !== undefined && row.statecode === ACTIVE && before.statecode !== ACTIVE;
  if (publishing && (groupId === undefined || unitId === undefined)) {
    throw dvErrors.badRequest(
      `Product ${number} cannot be published without a unit group and a default unit: set defaultuomscheduleid and defaultuomid first.`,
    );
  }
}

/**
 * A price list item: its unit must be one of its product's unit group (the group is copied onto the item),
 * and a new item has its price list's currency.
 */
export function applyPriceListItemRules(store: DataverseStore, row: Row, creating: boolean): void {
  const product = store.get('products', ref(row, 'productid') ?? '');
  const priceList = store.get('pricelevels', ref(row, 'pricelevelid') ?? '');
  const number = String(product?.productnumber ?? ref(row, 'productid'));
  // UoMId is ApplicationRequired (the Sales app asks for it; the API does not), but a unit that is given
  // must be one of the product's unit group.
  const unitId = ref(row, 'uomid');
  const groupId = ref(product, 'defaultuomscheduleid');
  const unit = unitId === undefined ? undefined : store.get('uoms', unitId);
  if (unitId !== undefined && (groupId === undefined || ref(unit, 'uomscheduleid') !== groupId)) {
    throw dvErrors.badRequest(
      `The unit ${String(unit?.name ?? unitId)} of the price list item for product ${number} is not a unit of the product's unit group: use the product's default unit (defaultuomid).`,
    );
  }
  if (groupId !== undefined) {
    row._uomscheduleid_value = groupId;
    row['_uomscheduleid_value@Microsoft.Dynamics.CRM.lookuplogicalname'] = 'uomschedule';
  }
  // TransactionCurrencyId is not valid for create: a new item takes its price list's currency, whatever
  // the body says (an amount sent in another currency is then read in the price list's).
  const listCurrency = ref(priceList, 'transactioncurrencyid');
  if (!creating || listCurrency === undefined) return;
  row._transactioncurrencyid_value = listCurrency;
  row['_transactioncurrencyid_value@Microsoft.Dynamics.CRM.lookuplogicalname'] = 'transactioncurrency';
}

/**
 * Recomputes an invoice's totals from its lines, as system pricing does: Detail Amount = lines' amounts
 * after their discounts; Pre-Freight Amount = Detail Amount - invoice discount; Total Amount =
 * Pre-Freight Amount + freight + the lines' tax.
 */
export function invoiceTotals(store: DataverseStore, invoice: Row): Record<string, number> {
  const id = String(invoice.invoiceid);
  const lines = store
    .referencesTo(id)
    .filter((r) => r.entitySet === 'invoicedetails' && r.attribute === 'invoiceid')
    .map((r) => store.get('invoicedetails', r.id))
    .filter((l): l is Row => l !== undefined);
  const detail = round2(lines.reduce((s, l) => s + money(l.baseamount) - money(l.manualdiscountamount), 0));
  const lineDiscounts = round2(lines.reduce((s, l) => s + money(l.manualdiscountamount), 0));
  const tax = round2(lines.reduce((s, l) => s + money(l.tax), 0));
  const discount = round2(money(invoice.discountamount) + (detail * money(invoice.discountpercentage)) / 100);
  const preFreight = round2(detail - discount);
  return {
    totallineitemamount: detail,
    totallineitemdiscountamount: lineDiscounts,
    totaldiscountamount: discount,
    totalamountlessfreight: preFreight,
    totaltax: tax,
    totalamount: round2(preFreight + money(invoice.freightamount) + tax),
  };
}
