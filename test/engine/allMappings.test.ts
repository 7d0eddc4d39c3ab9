// Every default mapping end to end on the demo data of both emulators (issue: "All default mappings work
// end to end"): Run Full Synchronization of all mappings in dependency order (section 7), what each one
// produced in Dataverse / BC, the Customer Statistics job, and a second full sync that duplicates nothing.
import { couplingKey } from '../../activities/store/couplings';
import type { MappingRunResult } from '../../activities/engine/types';
import { startEngineStack, type EngineStack } from './engineHarness';
import { byId, prepareReferenceData } from './engineTestData';

let stack: EngineStack;
let first: MappingRunResult[];
beforeAll(async () => {
  stack = await startEngineStack();
  await prepareReferenceData(stack);
  first = await stack.engine.fullSync();
});
afterAll(async () => {
  await stack?.stop();
});

const passOf = (results: MappingRunResult[], mapping: string, direction = 'toCrm') =>
  results.find((r) => r.mapping === mapping)!.passes.find((p) => p.direction === direction)!;
const crmIdOf = async (mapping: string, bcId: string) =>
  (await stack.db.cols.couplings.findOne({ _id: couplingKey(mapping, String(bcId).toLowerCase()) }))?.crmId;

test('full synchronization runs every mapping in dependency order without a failed record', async () => {
  expect(first.map((r) => r.mapping)).toEqual([
    'SALESPEOPLE',
    'CURRENCY',
    'UNIT OF MEASURE',
    'PAYMENT TERMS',
    'SHIPMENT METHOD',
    'SHIPPING AGENT',
    'CUSTOMER',
    'CONTACT',
    'ITEM-PRODUCT',
    'RESOURCE-PRODUCT',
    'CUSTPRCGRP-PRICE',
    'SALESPRC-PRODPRICE',
    'POSTEDSALESINV-INV',
  ]);
  const failures = first.flatMap((r) =>
    r.passes.filter((p) => p.counters.failed > 0).map((p) => `${r.mapping} ${p.direction}: ${p.message}`),
  );
  expect(failures).toEqual([]);
});

test('CURRENCY couples existing currencies by code instead of creating them (match-based coupling)', async () => {
  const currencies = await stack.bcRecords('currencies');
  const crm = byId(await stack.crmRecords('transactioncurrencies'), 'transactioncurrencyid');
  for (const c of currencies) {
    const row = crm.get((await crmIdOf('CURRENCY', String(c.id)))!);
    expect(row).toMatchObject({ isocurrencycode: c.code });
  }
  expect(new Set([...crm.values()].map((r) => r.isocurrencycode)).size).toBe(crm.size);
});

test('UNIT OF MEASURE, ITEM-PRODUCT and RESOURCE-PRODUCT create unit groups and products', async () => {
  const schedules = byId(await stack.crmRecords('uomschedules'), 'uomscheduleid');
  for (const u of await stack.bcRecords('unitsOfMeasure')) {
    expect(schedules.get((await crmIdOf('UNIT OF MEASURE', String(u.id)))!)).toMatchObject({
      baseuomname: u.code,
    });
  }
  const products = byId(await stack.crmRecords('products'), 'productid');
  for (const item of (await stack.bcRecords('items')).filter((i) => i.blocked === false)) {
    const product = products.get((await crmIdOf('ITEM-PRODUCT', String(item.id)))!);
    expect(product).toMatchObject({ productnumber: item.number, price: item.unitPrice, producttypecode: 1 });
    expect(product!._defaultuomscheduleid_value).toBe(
      await crmIdOf(
        'UNIT OF MEASURE',
        String(
          (await stack.bcRecords('unitsOfMeasure')).find((u) => u.code === item.baseUnitOfMeasureCode)!.id,
        ),
      ),
    );
  }
  for (const r of await stack.bcRecords('resources')) {
    expect(products.get((await crmIdOf('RESOURCE-PRODUCT', String(r.id)))!)).toMatchObject({
      productnumber: r.number,
      name: r.name,
      producttypecode: 3,
    });
  }
  // Every product bcsync wrote (items and resources) is published in the unit group of its base unit of
  // measure, with that group's base unit as its default unit, as BC sets it (docs/product-units.md).
  const units = await stack.crmRecords('uoms');
  const unitsOfMeasure = await stack.bcRecords('unitsOfMeasure');
  const sources = [
    ...(await stack.bcRecords('items'))
      .filter((i) => i.blocked === false)
      .map((i) => ({ mapping: 'ITEM-PRODUCT', record: i })),
    ...(await stack.bcRecords('resources')).map((r) => ({ mapping: 'RESOURCE-PRODUCT', record: r })),
  ];
  for (const { mapping, record } of sources) {
    const product = products.get((await crmIdOf(mapping, String(record.id)))!)!;
    const unitOfMeasure = unitsOfMeasure.find((u) => u.code === record.baseUnitOfMeasureCode)!;
    const group = await crmIdOf('UNIT OF MEASURE', String(unitOfMeasure.id));
    const baseUnit = units.find((u) => u._uomscheduleid_value === group && u.isschedulebaseuom);
    expect({
      number: record.number,
      group: product._defaultuomscheduleid_value,
      unit: product._defaultuomid_value,
      state: product.statecode,
    }).toEqual({
      number: record.number,
      group,
      unit: baseUnit!.uomid,
      state: 0,
    });
  }
});

test('SALESPEOPLE: CRM users reach BC salespeople', async () => {
  const salespeople = byId(await stack.bcRecords('salespeoplePurchasers'));
  const users = await stack.crmRecords('systemusers');
  const coupled = await stack.db.cols.couplings.find({ mapping: 'SALESPEOPLE' }).toArray();
  expect(coupled.length).toBeGreaterThan(0);
  for (const c of coupled) {
    const user = users.find((u) => u.systemuserid === c.crmId)!;
    if (user.isdisabled || !user.islicensed || user.isintegrationuser) continue;
    expect(salespeople.get(c.bcId)).toMatchObject({
      displayName: user.fullname,
      email: user.internalemailaddress ?? '',
    });
  }
});

test('CUSTPRCGRP-PRICE and SALESPRC-PRODPRICE build price lists and their product prices', async () => {
  const levels = byId(await stack.crmRecords('pricelevels'), 'pricelevelid');
  const groups = await stack.bcRecords('customerPriceGroups');
  for (const g of groups)
    expect(levels.get((await crmIdOf('CUSTPRCGRP-PRICE', String(g.id)))!)).toMatchObject({ name: g.code });
  const prices = (await stack.bcRecords('salesPrices')).filter(
    (p) => p.salesType === 'Customer Price Group' && p.salesCode !== '',
  );
  const rows = byId(await stack.crmRecords('productpricelevels'), 'productpricelevelid');
  const products = byId(await stack.crmRecords('products'), 'productid');
  const currencies = byId(await stack.crmRecords('transactioncurrencies'), 'transactioncurrencyid');
  expect(passOf(first, 'SALESPRC-PRODPRICE').counters.inserted).toBe(prices.length);
  for (const p of prices) {
    const row = rows.get((await crmIdOf('SALESPRC-PRODPRICE', String(p.id)))!);
    const group = groups.find((g) => g.code === p.salesCode)!;
    expect(row).toMatchObject({ amount: p.unitPrice, productnumber: p.itemNumber, pricingmethodcode: 1 });
    expect(row!._pricelevelid_value).toBe(await crmIdOf('CUSTPRCGRP-PRICE', String(group.id)));
    // Priced in the product's default unit and in the price list's currency (docs/product-units.md).
    const product = products.get(String(row!._productid_value))!;
    expect(row!._uomid_value).toBe(product._defaultuomid_value);
    expect(row!._transactioncurrencyid_value).toBe(
      levels.get(String(row!._pricelevelid_value))!._transactioncurrencyid_value,
    );
    // The group's price list is in the currency of its prices (EXPORT: euros), else the local currency.
    const currency = currencies.get(String(row!._transactioncurrencyid_value));
    expect([p.itemNumber, currency?.isocurrencycode]).toEqual([p.itemNumber, p.currencyCode || 'USD']);
  }
  expect(prices.some((p) => p.currencyCode === 'EUR')).toBe(true);
});

test('POSTEDSALESINV-INV writes posted invoices with their lines, and CONTACT / CUSTOMER are coupled', async () => {
  const invoices = (await stack.bcRecords('salesInvoices')).filter((i) => i.status !== 'Draft');
  const crmInvoices = byId(await stack.crmRecords('invoices'), 'invoiceid');
  const details = await stack.crmRecords('invoicedetails');
  const bcLines = await stack.bcRecords('salesInvoiceLines');
  const crmInvoiceIdOf = new Map<string, string>();
  for (const inv of invoices) {
    const crmId = (await crmIdOf('POSTEDSALESINV-INV', String(inv.id)))!;
    crmInvoiceIdOf.set(String(inv.id), crmId);
    // The totals are Dataverse's own, computed from the lines and the invoice discount (bcsync does not
    // send them), and they equal BC's posted totals.
    expect(crmInvoices.get(crmId)).toMatchObject({
      invoicenumber: inv.number,
      discountamount: inv.discountAmount,
      totalamountlessfreight: inv.totalAmountExcludingTax,
      totaltax: inv.totalTaxAmount,
      totalamount: inv.totalAmountIncludingTax,
    });
    expect(crmInvoices.get(crmId)!._customerid_value).toBe(await crmIdOf('CUSTOMER', String(inv.customerId)));
    const lines = bcLines.filter((l) => l.documentId === inv.id && l.lineType !== 'Comment');
    expect(details.filter((d) => d._invoiceid_value === crmId)).toHaveLength(lines.length);
  }
  // Invoice line products (docs/invoice-lines.md), as BC does: a line of a coupled item or resource
  // refers to its product in the product's default unit; any other line is a write-in. The amounts are
  // Dataverse's own (Amount and Extended Amount are computed by the server, not valid for create), and
  // they agree with BC's.
  const products = byId(await stack.crmRecords('products'), 'productid');
  const resources = await stack.bcRecords('resources');
  const units = await stack.crmRecords('uoms');
  let linked = 0;
  const postedLines = bcLines.filter(
    (l) => crmInvoiceIdOf.has(String(l.documentId)) && (l.lineType === 'Item' || l.lineType === 'Resource'),
  );
  for (const line of postedLines) {
    const detail = details.find(
      (d) =>
        d.lineitemnumber === line.sequence &&
        d._invoiceid_value === crmInvoiceIdOf.get(String(line.documentId)),
    );
    expect(detail).toBeDefined();
    const bcId =
      line.lineType === 'Item'
        ? String(line.itemId)
        : String(resources.find((r) => r.number === line.lineObjectNumber)?.id);
    const productId = await crmIdOf(line.lineType === 'Item' ? 'ITEM-PRODUCT' : 'RESOURCE-PRODUCT', bcId);
    // Sold in the product's default unit, else in the base unit of its unit group; a product with
    // neither (no unit group) cannot be sold, so its line is a write-in.
    const product = productId ? products.get(productId) : undefined;
    const unit =
      product?._defaultuomid_value ??
      units.find(
        (u) => u._uomscheduleid_value === product?._defaultuomscheduleid_value && u.isschedulebaseuom,
      )?.uomid;
    if (productId && unit) {
      linked++;
      expect(detail).toMatchObject({
        _productid_value: productId,
        _uomid_value: unit,
        isproductoverridden: false,
      });
    } else {
      expect(detail).toMatchObject({ _productid_value: null, isproductoverridden: true });
      expect(String(detail!.productdescription)).toContain(String(line.lineObjectNumber));
    }
    expect(detail!.extendedamount).toBeCloseTo(
      Number(line.amountExcludingTax) + Number(line.netTaxAmount),
      2,
    );
  }
  expect(linked).toBeGreaterThan(0);
  // The demo data hold invoice discounts, line discounts and resource lines: all of them were checked.
  expect(invoices.some((i) => Number(i.discountAmount) > 0)).toBe(true);
  expect(postedLines.some((l) => Number(l.discountAmount) > 0)).toBe(true);
  const resourceLines = postedLines.filter((l) => l.lineType === 'Resource');
  expect(resourceLines.length).toBeGreaterThan(0);
  // Resources have a unit group and a default unit too, so their lines refer to their products.
  for (const line of resourceLines) {
    const detail = details.find(
      (d) =>
        d.lineitemnumber === line.sequence &&
        d._invoiceid_value === crmInvoiceIdOf.get(String(line.documentId)),
    );
    expect(detail).toMatchObject({ isproductoverridden: false });
  }
  expect(passOf(first, 'CONTACT').counters.inserted).toBeGreaterThan(0);
});

test('Customer Statistics uploads the figures of coupled customers and links the accounts', async () => {
  const result = await stack.engine.runStatistics();
  expect(result.counters).toMatchObject({ failed: 0 });
  const stats = byId(await stack.crmRecords('nav_accountstatisticses'), 'nav_accountstatisticsid');
  const accounts = byId(await stack.crmRecords('accounts'), 'accountid');
  for (const s of await stack.bcRecords('customerStatistics')) {
    const accountId = await crmIdOf('CUSTOMER', String(s.customerId));
    if (!accountId) continue;
    const row = stats.get(String(accounts.get(accountId)!._nav_accountstatisticsid_value));
    expect(row).toMatchObject({
      nav_customerno: s.customerNumber,
      nav_balance: s.balance,
      nav_totalsales: s.totalSales,
    });
  }
  const again = await stack.engine.runStatistics();
  expect(again.counters.modified).toBe(0);
});

test('re-running the full synchronization duplicates nothing: coupled records are updated, not created', async () => {
  const counts = async () => ({
    accounts: (await stack.crmRecords('accounts')).length,
    products: (await stack.crmRecords('products')).length,
    invoices: (await stack.crmRecords('invoices')).length,
    customers: (await stack.bcRecords('customers')).length,
  });
  const before = await counts();
  const again = await stack.engine.fullSync();
  for (const r of again)
    for (const p of r.passes) expect(p.counters).toMatchObject({ inserted: 0, failed: 0 });
  expect(await counts()).toEqual(before);
});

test('the custom API fields reach CRM: a contact gets its parent account, a customer its fax, a product its vendor item no.', async () => {
  const accounts = new Map((await stack.crmRecords('accounts')).map((a) => [String(a.accountid), a]));
  const crmContacts = new Map((await stack.crmRecords('contacts')).map((c) => [String(c.contactid), c]));
  const persons = (await stack.bcRecords('contacts')).filter(
    (c) => c.type === 'Person' && c.customerId !== '00000000-0000-0000-0000-000000000000',
  );
  expect(persons.length).toBeGreaterThan(0);
  for (const person of persons) {
    const contact = crmContacts.get(String(await crmIdOf('CONTACT', String(person.id))));
    expect(contact).toBeDefined();
    // The parent account is the account coupled to the person's customer.
    expect(contact!._parentcustomerid_value).toBe(await crmIdOf('CUSTOMER', String(person.customerId)));
    expect([contact!.firstname, contact!.lastname]).toEqual([person.firstName, person.surname]);
  }
  const withFax = (await stack.bcRecords('customers')).filter((c) => c.faxNumber !== '' && c.blocked === ' ');
  expect(withFax.length).toBeGreaterThan(0);
  for (const customer of withFax) {
    expect(accounts.get(String(await crmIdOf('CUSTOMER', String(customer.id))))?.fax).toBe(
      customer.faxNumber,
    );
  }
  const products = new Map((await stack.crmRecords('products')).map((p) => [String(p.productid), p]));
  for (const item of (await stack.bcRecords('items')).filter((i) => i.blocked === false)) {
    const product = products.get(String(await crmIdOf('ITEM-PRODUCT', String(item.id))));
    expect(product).toMatchObject({ vendorpartnumber: item.vendorItemNumber, stockweight: item.grossWeight });
  }
});
