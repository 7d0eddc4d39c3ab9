// Posted sales invoice lines -> invoice details (section 2, POSTEDSALESINV-INV: "lines -> invoice details,
// no job of their own"). Written after their header in the same pass, each with an id derived from the BC
// line id, so re-sending a page after a crash updates the same lines instead of adding new ones.
import type { JsonRecord, WriteOperation } from '../connectors/types';
import type { IntegrationTableMapping } from '../mappings/integrationTableMapping';
import { deterministicId } from './deterministicId';

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0) || 0);

export function invoiceLineOperations(
  mapping: IntegrationTableMapping,
  header: JsonRecord,
  crmInvoiceId: string,
): WriteOperation[] {
  const linesKey = mapping.bc.lines;
  const crmLines = mapping.crm.lines;
  if (!linesKey || !crmLines) return [];
  const lines = Array.isArray(header[linesKey]) ? (header[linesKey] as JsonRecord[]) : [];
  return lines
    .filter((l) => l.lineType !== 'Comment')
    .map((line) => ({
      kind: 'upsert' as const,
      entity: crmLines.entitySet,
      id: deterministicId(
        mapping.name,
        'line',
        String(line.id ?? `${String(header.id)}-${String(line.sequence)}`),
      ),
      body: {
        [`${crmLines.parentBind}@odata.bind`]: `/${mapping.crm.entitySet}(${crmInvoiceId})`,
        // Write-in product lines: the BC line's own description and amounts, as posted.
        isproductoverridden: true,
        productdescription: String(line.description || line.lineObjectNumber || '').slice(0, 500),
        quantity: num(line.quantity),
        priceperunit: num(line.unitPrice),
        baseamount: num(line.amountExcludingTax) + num(line.discountAmount),
        manualdiscountamount: num(line.discountAmount),
        tax: num(line.totalTaxAmount),
        extendedamount: num(line.amountIncludingTax),
        lineitemnumber: Math.round(num(line.sequence)),
      },
    }));
}
