// Posted sales invoice lines -> invoice details (section 2, POSTEDSALESINV-INV: "lines -> invoice details,
// no job of their own"). Written after their header in the same pass, each with an id derived from the BC
// line id, so re-sending a page after a crash updates the same lines instead of adding new ones.
//
// Invoice line products (docs/invoice-lines.md): as Business Central does, an item or resource line whose
// item or resource is coupled to a Dataverse product refers to that product, in the product's default
// unit; any other line is a write-in product with the line's number and description. The amounts Dataverse
// computes itself (Amount, Extended Amount: not valid for create) are not sent.
import type { JsonRecord, TableClient, WriteOperation } from '../connectors/types';
import type { IntegrationTableMapping } from '../mappings/integrationTableMapping';
import type { CouplingStore } from '../store/couplings';
import { deterministicId } from './deterministicId';
import { orFilters } from './odataFilters';
import { recordsMatching } from '../connectors/recordsMatching';

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0) || 0);
const BLANK_GUID = '00000000-0000-0000-0000-000000000000';
/** Values per `or` filter (the filters are also cut by URL length). */
const CHUNK = 40;

/** The Dataverse product (and its default unit) an invoice line refers to. */
export interface LineProduct {
  productId: string;
  uomId: string;
}

/** BC line id -> the coupled product it refers to; a line not in the map is a write-in. */
export type LineProducts = Map<string, LineProduct>;

const lineKey = (header: JsonRecord, line: JsonRecord): string =>
  String(line.id ?? `${String(header.id)}-${String(line.sequence)}`);

function linesOf(mapping: IntegrationTableMapping, header: JsonRecord): JsonRecord[] {
  const linesKey = mapping.bc.lines;
  const lines = linesKey && Array.isArray(header[linesKey]) ? (header[linesKey] as JsonRecord[]) : [];
  return lines.filter((l) => l.lineType !== 'Comment');
}

async function readAll(
  client: TableClient,
  entity: string,
  field: string,
  values: string[],
  guids: boolean,
  select: string[],
): Promise<JsonRecord[]> {
  return recordsMatching(client, entity, orFilters(field, values, { guids, maxTerms: CHUNK }), { select });
}

/**
 * Finds the coupled products of a page's invoice lines: items through ITEM-PRODUCT, resources (by number)
 * through RESOURCE-PRODUCT, then each product's default unit. One query per kind for the whole page.
 */
export async function lineProducts(
  deps: { bc: TableClient; crm: TableClient; couplings: CouplingStore },
  mapping: IntegrationTableMapping,
  headers: JsonRecord[],
): Promise<LineProducts> {
  const lines = headers.flatMap((h) => linesOf(mapping, h).map((l) => ({ key: lineKey(h, l), line: l })));
  const itemIds = [
    ...new Set(
      lines
        .filter(({ line }) => line.lineType === 'Item' && typeof line.itemId === 'string')
        .map(({ line }) => String(line.itemId).toLowerCase())
        .filter((id) => id !== BLANK_GUID),
    ),
  ];
  const resourceNumbers = [
    ...new Set(
      lines
        .filter(({ line }) => line.lineType === 'Resource' && line.lineObjectNumber)
        .map(({ line }) => String(line.lineObjectNumber)),
    ),
  ];
  if (itemIds.length === 0 && resourceNumbers.length === 0) return new Map();

  const productOfItem = new Map(
    (await deps.couplings.loadByBcIds('ITEM-PRODUCT', itemIds))
      .filter((c) => c.state === 'coupled' && c.crmId)
      .map((c) => [c.bcId, c.crmId!]),
  );
  const resourceIdByNumber = new Map(
    (resourceNumbers.length
      ? await readAll(deps.bc, 'resources', 'number', resourceNumbers, false, ['id', 'number'])
      : []
    ).map((r) => [String(r.number), String(r.id).toLowerCase()]),
  );
  const productOfResource = new Map(
    (await deps.couplings.loadByBcIds('RESOURCE-PRODUCT', [...resourceIdByNumber.values()]))
      .filter((c) => c.state === 'coupled' && c.crmId)
      .map((c) => [c.bcId, c.crmId!]),
  );
  const productIds = [...new Set([...productOfItem.values(), ...productOfResource.values()])];
  // A product that is not Active (Draft, Retired) cannot be sold: its lines are write-ins. A product
  // without a default unit is sold in the base unit of its unit group.
  const sellable = (
    productIds.length
      ? await readAll(deps.crm, 'products', 'productid', productIds, true, [
          'productid',
          '_defaultuomid_value',
          '_defaultuomscheduleid_value',
          'statecode',
        ])
      : []
  ).filter((p) => p.statecode === 0);
  const groups = [
    ...new Set(
      sellable
        .filter((p) => typeof p._defaultuomid_value !== 'string')
        .map((p) => p._defaultuomscheduleid_value)
        .filter((g): g is string => typeof g === 'string'),
    ),
  ];
  const baseUnitOfGroup = new Map(
    (groups.length
      ? await readAll(deps.crm, 'uoms', '_uomscheduleid_value', groups, true, [
          'uomid',
          '_uomscheduleid_value',
          'isschedulebaseuom',
        ])
      : []
    )
      .filter((u) => u.isschedulebaseuom === true)
      .map((u) => [String(u._uomscheduleid_value), String(u.uomid)]),
  );
  const unitOfProduct = new Map<string, string>();
  for (const p of sellable) {
    const unit =
      typeof p._defaultuomid_value === 'string'
        ? p._defaultuomid_value
        : baseUnitOfGroup.get(String(p._defaultuomscheduleid_value));
    if (unit) unitOfProduct.set(String(p.productid).toLowerCase(), unit);
  }
  const out: LineProducts = new Map();
  for (const { key, line } of lines) {
    const productId =
      line.lineType === 'Item'
        ? productOfItem.get(String(line.itemId).toLowerCase())
        : line.lineType === 'Resource'
          ? productOfResource.get(resourceIdByNumber.get(String(line.lineObjectNumber)) ?? '')
          : undefined;
    const uomId = productId ? unitOfProduct.get(productId) : undefined;
    if (productId && uomId) out.set(key, { productId, uomId });
  }
  return out;
}

export function invoiceLineOperations(
  mapping: IntegrationTableMapping,
  header: JsonRecord,
  crmInvoiceId: string,
  products: LineProducts = new Map(),
): WriteOperation[] {
  const crmLines = mapping.crm.lines;
  if (!mapping.bc.lines || !crmLines) return [];
  return linesOf(mapping, header).map((line) => {
    const key = lineKey(header, line);
    const product = products.get(key);
    return {
      kind: 'upsert' as const,
      entity: crmLines.entitySet,
      id: deterministicId(mapping.name, 'line', key),
      body: {
        [`${crmLines.parentBind}@odata.bind`]: `/${mapping.crm.entitySet}(${crmInvoiceId})`,
        ...(product
          ? {
              'productid@odata.bind': `/products(${product.productId})`,
              'uomid@odata.bind': `/uoms(${product.uomId})`,
              isproductoverridden: false,
              productdescription: null,
            }
          : {
              // A write-in product: the BC line's number and description, as BC writes it.
              isproductoverridden: true,
              productdescription: writeInDescription(line),
            }),
        // The posted price is the price: no price list decides it.
        ispriceoverridden: true,
        quantity: num(line.quantity),
        priceperunit: num(line.unitPrice),
        manualdiscountamount: num(line.discountAmount),
        // The tax after the invoice discount: Dataverse adds the lines' tax to the invoice total.
        tax: num(line.netTaxAmount ?? line.totalTaxAmount),
        lineitemnumber: Math.round(num(line.sequence)),
      },
    };
  });
}

function writeInDescription(line: JsonRecord): string {
  const text = [line.lineObjectNumber, line.description]
    .map((v) => String(v ?? '').trim())
    .filter((v) => v !== '')
    .join(' ');
  return text.slice(0, 500);
}
