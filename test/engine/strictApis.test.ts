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
