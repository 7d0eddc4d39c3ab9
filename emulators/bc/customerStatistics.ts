// Customer statistics (custom API `customerStatistics`, one row per customer, id = customer id), kept the way
// BC's customer FlowFields add up: unposted invoices are "Outstanding Invoices", posted ones make up the
// balance and sales, and open entries past their due date are overdue. The row's lastModifiedDateTime only
// moves when a figure changes, which is what the statistics sync job watches (bc-integration-behaviour 2).
import type { BcState } from './bcState';
import type { JsonRow } from './entityTable';
import { round2 } from './relationLookups';

export function blankStatistics(customer: JsonRow, modifiedAt: string): JsonRow {
  return {
    id: customer.id,
    customerId: customer.id,
    customerNumber: customer.number,
    balance: 0,
    outstandingOrders: 0,
    shippedNotInvoiced: 0,
    outstandingInvoices: 0,
    totalSales: 0,
    overdueAmount: 0,
    lastModifiedDateTime: modifiedAt,
  };
}

/** Figures of one customer computed from its sales invoices. */
export function computeFigures(
  state: BcState,
  customerId: string,
): Pick<JsonRow, 'balance' | 'outstandingInvoices' | 'totalSales' | 'overdueAmount'> {
  const invoices = state.table('salesInvoices');
  const today = state.clock.today();
  let balance = 0;
  let outstandingInvoices = 0;
  let totalSales = 0;
  let overdueAmount = 0;
  for (const id of invoices.idsWhere('customerId', customerId)) {
    const inv = invoices.get(id)?.data;
    if (!inv) continue;
    if (inv.status === 'Draft') {
      outstandingInvoices += Number(inv.totalAmountIncludingTax);
      continue;
    }
    const remaining = Number(inv.remainingAmount);
    balance += remaining;
    totalSales += Number(inv.totalAmountExcludingTax);
    if (remaining !== 0 && String(inv.dueDate) < today) overdueAmount += remaining;
  }
  return {
    balance: round2(balance),
    outstandingInvoices: round2(outstandingInvoices),
    totalSales: round2(totalSales),
    overdueAmount: round2(overdueAmount),
  };
}

/** Recomputes a customer's statistics row and its balanceDue; a no-op when nothing changed. */
export function refreshStatistics(state: BcState, customerId: string): void {
  const customer = state.get('customers', customerId)?.data;
  const current = state.get('customerStatistics', customerId)?.data;
  if (!customer || !current) return;
  const figures = computeFigures(state, customerId);
  const changed =
    Object.entries(figures).some(([k, v]) => current[k] !== v) || current.customerNumber !== customer.number;
  if (changed) {
    state.update('customerStatistics', {
      ...current,
      ...figures,
      customerNumber: customer.number,
      lastModifiedDateTime: state.stampModified(current.lastModifiedDateTime),
    });
  }
  // balanceDue is a FlowField: it changes without touching the customer's ETag or modified time.
  state.patchDerived('customers', customerId, { balanceDue: figures.balance });
}
