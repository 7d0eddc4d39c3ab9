// The engine on the emulators' strict defaults (docs/strict-apis.md): what had to change in bcsync so it
// works against services that compare BC text case-sensitively.
import { startEngineStack, type EngineStack } from './engineHarness';

let stack: EngineStack;
beforeAll(async () => {
  stack = await startEngineStack();
});
afterAll(async () => {
  await stack?.stop();
});

test('SALESPEOPLE couples a CRM user to the BC salesperson whose e-mail differs only in case', async () => {
  const users = (await stack.crmRecords('systemusers')).filter(
    (u) => !u.isdisabled && u.islicensed && !u.isintegrationuser && u.internalemailaddress,
  );
  const user = users[0]!;
  const email = String(user.internalemailaddress);
  const salespeople = await stack.bcRecords('salespeoplePurchasers');
  const target =
    salespeople.find((s) => String(s.email).toLowerCase() === email.toLowerCase()) ?? salespeople[0]!;
  // BC keeps the e-mail as typed; its $filter compares text case-sensitively.
  await stack.connectors.bc.update(
    'salespeoplePurchasers',
    String(target.id),
    { email: email.toUpperCase() },
    '*',
  );
  const before = salespeople.length;

  // Full synchronization: SALESPEOPLE syncs only coupled records otherwise (section 7).
  const [result] = await stack.engine.fullSync(['SALESPEOPLE']);

  const coupling = await stack.db.cols.couplings.findOne({
    mapping: 'SALESPEOPLE',
    crmId: String(user.systemuserid),
  });
  expect(coupling?.bcId).toBe(String(target.id).toLowerCase());
  const after = await stack.bcRecords('salespeoplePurchasers');
  expect(after.filter((s) => String(s.email).toLowerCase() === email.toLowerCase())).toHaveLength(1);
  expect(after.length - before).toBe(result!.passes.reduce((n, p) => n + p.counters.inserted, 0));
});

test('ITEM-PRODUCT and RESOURCE-PRODUCT publish the products they create (Draft on a Sales organization)', async () => {
  const results = await stack.engine.fullSync(['UNIT OF MEASURE', 'ITEM-PRODUCT', 'RESOURCE-PRODUCT']);
  const failed = results.flatMap((r) => r.passes.filter((p) => p.counters.failed > 0).map((p) => p.message));
  expect(failed).toEqual([]);
  const couplings = await stack.db.cols.couplings
    .find({ mapping: { $in: ['ITEM-PRODUCT', 'RESOURCE-PRODUCT'] } })
    .toArray();
  expect(couplings.length).toBeGreaterThan(0);
  const products = new Map((await stack.crmRecords('products')).map((p) => [String(p.productid), p]));
  for (const c of couplings) {
    expect({ product: c.crmId, statecode: products.get(String(c.crmId))?.statecode }).toEqual({
      product: c.crmId,
      statecode: 0,
    });
  }
});

// docs/product-units.md: a price list has one currency and Dataverse gives each new item that currency
// whatever is sent (TransactionCurrencyId is not valid for create), so a euro price written into a dollar
// price list would silently read as dollars. A customer price group whose prices mix currencies gets a
// price list in the local currency; bcsync fails its foreign-currency price alone, naming both values, and
// writes the group's other prices.
test('a price in another currency than its price list fails alone, naming both currencies', async () => {
  const items = await stack.bcRecords('items');
  const item = items.find((i) => i.blocked === false)!;
  await stack.connectors.bc.create('salesPrices', {
    itemNumber: item.number,
    salesType: 'Customer Price Group',
    salesCode: 'RETAIL',
    currencyCode: 'EUR',
    unitPrice: 99.5,
    unitOfMeasureCode: item.baseUnitOfMeasureCode,
  });
  const results = await stack.engine.fullSync([
    'CURRENCY',
    'UNIT OF MEASURE',
    'ITEM-PRODUCT',
    'CUSTPRCGRP-PRICE',
    'SALESPRC-PRODPRICE',
  ]);
  const prices = results.find((r) => r.mapping === 'SALESPRC-PRODPRICE')!.passes[0]!;
  const retail = (await stack.bcRecords('salesPrices')).filter(
    (p) => p.salesType === 'Customer Price Group' && p.salesCode === 'RETAIL',
  );
  expect(retail.length).toBeGreaterThan(1);
  expect(prices.counters.failed).toBe(1);
  const failures = await stack.db.cols.syncErrors.find({ mapping: 'SALESPRC-PRODPRICE' }).toArray();
  expect(failures).toHaveLength(1);
  expect(failures[0]!.message).toContain(
    "Currency Code 'EUR' and Sales Code 'RETAIL' give transactioncurrencyid different values",
  );
  expect((await stack.crmRecords('productpricelevels')).some((r) => r.amount === 99.5)).toBe(false);
  // The group's local-currency prices reached its price list.
  const couplings = await stack.db.cols.couplings.find({ mapping: 'SALESPRC-PRODPRICE' }).toArray();
  const coupled = new Set(couplings.filter((c) => c.state === 'coupled').map((c) => c.bcId));
  expect(retail.filter((p) => p.currencyCode === '' && !coupled.has(String(p.id)))).toEqual([]);
});
