// The sized seed (`records: N`): the demo's setup data plus N customers (with statistics), N contacts (a
// company contact for half of the customers and one person at each), N items (every tenth with a sales
// price), up to 1,000 resources and N/20 posted invoices with two lines. Rows are built directly and bulk-loaded,
// so 100,000 records seed in seconds; values come from a fixed-seed generator (deterministic).
import { SeededRandom } from '../common/seededRandom';
import type { BcState } from './bcState';
import { computeFigures } from './customerStatistics';
import { BLANK_GUID, blankRow, entityDef, LCY_CODE } from './entityModel';
import type { JsonRow, StoredRow } from './entityTable';
import { applyDateFormula, SALES_TAX_PERCENT } from './invoiceRules';
import { findByCode, round2 } from './relationLookups';
import { seedReferenceData } from './referenceSeed';
import { seedGuid } from './seedIds';
import {
  SIZED_FAMILY as FAMILY,
  SIZED_GIVEN as GIVEN,
  sizedCustomer,
  sizedPerson,
} from '../common/sizedCompanyPair';

const PRODUCTS = ['Chair', 'Desk', 'Lamp', 'Cabinet', 'Shelf', 'Table', 'Stool', 'Bench', 'Sofa', 'Board'];

export function seedSized(state: BcState, records: number): void {
  const rng = new SeededRandom(424242);
  const ref = seedReferenceData(state, rng);
  // Real tables were modified over months, not within one second: the rows get increasing
  // lastModifiedDateTime values spread over the last 30 days (all in the past), so a watermark's overlap
  // window re-reads a handful of rows, as it would against a real company.
  const now = state.clock.now();
  const spreadMs = 30 * 24 * 3600 * 1000;
  const step = spreadMs / (records * 5 + 10_000);
  let seq = 0;
  const make = (set: string, fields: JsonRow): StoredRow => ({
    data: Object.assign(blankRow(entityDef(set)), fields, {
      lastModifiedDateTime: new Date(Math.floor(now - spreadMs + step * seq++)).toISOString(),
    }),
    etag: state.nextEtag(),
  });
  const currencyIds = new Map(
    ref.currencyCodes.map((c) => [c, String(findByCode(state, 'currencies', 'code', c)?.id)]),
  );
  const pcs = findByCode(state, 'unitsOfMeasure', 'code', 'PCS');
  const hour = findByCode(state, 'unitsOfMeasure', 'code', 'HOUR');

  const customers: StoredRow[] = [];
  const statistics: StoredRow[] = [];
  for (let i = 0; i < records; i++) {
    const { city, state: st, zip, name, number, blocked } = sizedCustomer(i);
    const foreign = i % 10 === 9;
    const currency = foreign ? ref.currencyCodes[i % ref.currencyCodes.length] : '';
    const id = seedGuid(rng);
    customers.push(
      make('customers', {
        id,
        number,
        displayName: name,
        type: 'Company',
        addressLine1: `${100 + (i % 900)} Main Street`,
        city,
        state: st,
        country: 'US',
        postalCode: zip,
        phoneNumber: `+1 425 555 ${String(i % 10000).padStart(4, '0')}`,
        email: `contact${i + 1}@customer${i + 1}.example.com`,
        website: `www.customer${i + 1}.example.com`,
        salespersonCode: ref.salespeople[i % ref.salespeople.length],
        creditLimit: (i % 5) * 5000,
        taxLiable: !foreign,
        currencyCode: currency === '' ? LCY_CODE : currency,
        currencyId: currency === '' ? BLANK_GUID : currencyIds.get(currency),
        paymentTermsId: ref.paymentTermIds[i % ref.paymentTermIds.length],
        shipmentMethodId: ref.shipmentMethodIds[i % ref.shipmentMethodIds.length],
        blocked: blocked ? 'All' : ' ',
      }),
    );
    statistics.push(
      make('customerStatistics', {
        id,
        customerId: id,
        customerNumber: number,
        outstandingOrders: (i % 7) * 100,
        shippedNotInvoiced: (i % 3) * 50,
      }),
    );
  }

  const contacts: StoredRow[] = [];
  const companies = Math.ceil(records / 2);
  for (let i = 0; i < companies; i++) {
    const customer = customers[i].data;
    const number = `CT${String(i + 1).padStart(6, '0')}`;
    contacts.push(
      make('contacts', {
        id: seedGuid(rng),
        number,
        type: 'Company',
        displayName: customer.displayName,
        companyNumber: number,
        companyName: customer.displayName,
        contactBusinessRelation: 'Customer',
        customerId: customer.id,
        addressLine1: customer.addressLine1,
        city: customer.city,
        state: customer.state,
        country: customer.country,
        postalCode: customer.postalCode,
        phoneNumber: customer.phoneNumber,
        email: customer.email,
        searchName: String(customer.displayName).toUpperCase(),
      }),
    );
  }
  for (let i = 0; i < records - companies; i++) {
    const company = contacts[i].data;
    const person = sizedPerson(i);
    const name = `${person.first} ${person.last}`;
    contacts.push(
      make('contacts', {
        id: seedGuid(rng),
        number: `CT${String(companies + i + 1).padStart(6, '0')}`,
        type: 'Person',
        displayName: name,
        companyNumber: company.number,
        companyName: company.displayName,
        customerId: company.customerId,
        firstName: person.first,
        surname: person.last,
        addressLine1: company.addressLine1,
        city: company.city,
        state: company.state,
        country: company.country,
        postalCode: company.postalCode,
        phoneNumber: `+1 425 556 ${String(i % 10000).padStart(4, '0')}`,
        email: person.email,
        searchName: name.toUpperCase(),
      }),
    );
  }

  const items: StoredRow[] = [];
  const prices: StoredRow[] = [];
  for (let i = 0; i < records; i++) {
    const unitPrice = round2(10 + ((i * 37) % 2000) + (i % 100) / 100);
    const number = String(1000 + i);
    items.push(
      make('items', {
        id: seedGuid(rng),
        number,
        displayName: `${PRODUCTS[i % PRODUCTS.length]} model ${i + 1}`,
        type: i % 10 === 0 ? 'Service' : 'Inventory',
        unitPrice,
        unitCost: round2(unitPrice * 0.7),
        baseUnitOfMeasureCode: 'PCS',
        baseUnitOfMeasureId: pcs?.id ?? BLANK_GUID,
        inventory: i % 250,
        blocked: i % 100 === 99,
      }),
    );
    if (i % 10 === 0)
      prices.push(
        make('salesPrices', {
          id: seedGuid(rng),
          itemNumber: number,
          salesType: 'All Customers',
          unitOfMeasureCode: 'PCS',
          unitPrice,
        }),
      );
  }

  const resources: StoredRow[] = [];
  for (let i = 0; i < Math.min(records, 1000); i++) {
    resources.push(
      make('resources', {
        id: seedGuid(rng),
        number: `R${String(10 * (i + 1)).padStart(4, '0')}`,
        name: `${GIVEN[i % GIVEN.length]} ${FAMILY[(i * 3) % FAMILY.length]}`,
        type: i % 5 === 4 ? 'Machine' : 'Person',
        baseUnitOfMeasureCode: hour ? 'HOUR' : '',
        unitPrice: 80 + (i % 10) * 5,
        unitCost: 50 + (i % 10) * 3,
        capacity: 160,
      }),
    );
  }

  const invoices: StoredRow[] = [];
  const lines: StoredRow[] = [];
  const paymentTerms = state.table('paymentTerms');
  for (let i = 0; i < Math.floor(records / 20); i++) {
    const customer = customers[(i * 7) % records].data;
    const invoiceId = seedGuid(rng);
    const invoiceDate = `2025-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
    const terms = paymentTerms.get(String(customer.paymentTermsId))?.data;
    const taxPercent = customer.taxLiable === true ? SALES_TAX_PERCENT : 0;
    let excl = 0;
    let tax = 0;
    for (let l = 0; l < 2; l++) {
      const item = items[(i * 2 + l) % items.length].data;
      const quantity = 1 + ((i + l) % 5);
      const amount = round2(quantity * Number(item.unitPrice));
      const lineTax = round2((amount * taxPercent) / 100);
      excl += amount;
      tax += lineTax;
      lines.push(
        make('salesInvoiceLines', {
          id: seedGuid(rng),
          documentId: invoiceId,
          sequence: 10000 * (l + 1),
          itemId: item.id,
          lineType: 'Item',
          lineObjectNumber: item.number,
          description: item.displayName,
          unitOfMeasureId: item.baseUnitOfMeasureId,
          unitOfMeasureCode: 'PCS',
          unitPrice: item.unitPrice,
          quantity,
          discountAppliedBeforeTax: true,
          amountExcludingTax: amount,
          taxCode: taxPercent > 0 ? 'TAXABLE' : 'NONTAXABLE',
          taxPercent,
          totalTaxAmount: lineTax,
          amountIncludingTax: round2(amount + lineTax),
          netAmount: amount,
          netTaxAmount: lineTax,
          netAmountIncludingTax: round2(amount + lineTax),
        }),
      );
    }
    const total = round2(excl + tax);
    invoices.push(
      make('salesInvoices', {
        id: invoiceId,
        number: `PS-INV${103001 + i}`,
        externalDocumentNumber: `PO-${100000 + i}`,
        invoiceDate,
        postingDate: invoiceDate,
        dueDate: applyDateFormula(invoiceDate, String(terms?.dueDateCalculation ?? '')),
        customerId: customer.id,
        customerNumber: customer.number,
        customerName: customer.displayName,
        billToName: customer.displayName,
        billToCustomerId: customer.id,
        billToCustomerNumber: customer.number,
        shipToName: customer.displayName,
        sellToAddressLine1: customer.addressLine1,
        sellToCity: customer.city,
        sellToCountry: customer.country,
        sellToState: customer.state,
        sellToPostCode: customer.postalCode,
        billToAddressLine1: customer.addressLine1,
        billToCity: customer.city,
        billToCountry: customer.country,
        billToState: customer.state,
        billToPostCode: customer.postalCode,
        shipToAddressLine1: customer.addressLine1,
        shipToCity: customer.city,
        shipToCountry: customer.country,
        shipToState: customer.state,
        shipToPostCode: customer.postalCode,
        currencyId: customer.currencyId,
        currencyCode: customer.currencyCode,
        paymentTermsId: customer.paymentTermsId,
        shipmentMethodId: customer.shipmentMethodId,
        salesperson: customer.salespersonCode,
        remainingAmount: total,
        discountAppliedBeforeTax: true,
        totalAmountExcludingTax: round2(excl),
        totalTaxAmount: round2(tax),
        totalAmountIncludingTax: total,
        status: 'Open',
        phoneNumber: customer.phoneNumber,
        email: customer.email,
      }),
    );
  }

  state.table('customers').load(customers);
  state.table('contacts').load(contacts);
  state.table('items').load(items);
  state.table('salesPrices').load(prices);
  state.table('resources').load(resources);
  state.table('salesInvoices').load(invoices);
  state.table('salesInvoiceLines').load(lines);

  // Statistics and balanceDue follow from the posted invoices (no extra ETag or modified time).
  const invoiced = new Set(invoices.map((inv) => String(inv.data.customerId)));
  for (const row of statistics) {
    if (invoiced.has(String(row.data.id)))
      Object.assign(row.data, computeFigures(state, String(row.data.id)));
  }
  state.table('customerStatistics').load(statistics);
  for (const id of invoiced) {
    const balance = state.get('customerStatistics', id)?.data.balance;
    state.patchDerived('customers', id, { balanceDue: balance });
  }

  if (records > 0) {
    state.numberSeries.restore('CUST', String(customers[records - 1].data.number));
    state.numberSeries.restore('CONT', String(contacts[contacts.length - 1].data.number));
    state.numberSeries.restore('ITEM', String(items[records - 1].data.number));
    state.numberSeries.restore('RES', String(resources[resources.length - 1].data.number));
  }
  if (invoices.length > 0)
    state.numberSeries.restore('PS-INV', String(invoices[invoices.length - 1].data.number));
}
