// A first synchronization of two populated systems (issue 9): the demo seeds share most customers,
// contacts, products, currencies and salespeople, with the differences a sales team types in (case,
// blanks, punctuation), a same-name company in another city and two ambiguous pairs. Match-based
// coupling must couple every shared pair and create nothing twice; a dry run must predict the run and
// write nothing (the emulators' write counters, docs/dry-run.md).
import type { JsonRecord } from '../../activities/connectors/types';
import { normalizeMatchValue } from '../../activities/engine/matchCoupling';
import type { RunResult } from '../../common/jobQueue';
import type { MappingPlan } from '../../common/runPlan';
import { startEngineStack, type EngineStack } from './engineHarness';

let stack: EngineStack;
beforeAll(async () => {
  stack = await startEngineStack({ seed: 'demo' });
});
afterAll(async () => {
  await stack?.stop();
});

async function writes(): Promise<{ bc: number; crm: number }> {
  const get = async (url: string) =>
    ((await (await fetch(`${url}/_admin/stats`)).json()) as { writes: number }).writes;
  return { bc: await get(stack.emulators.bc.url), crm: await get(stack.emulators.dataverse.url) };
}

const key = (name: unknown, city: unknown) => `${normalizeMatchValue(name)}|${normalizeMatchValue(city)}`;
const all = ['SALESPEOPLE', 'CURRENCY', 'UNIT OF MEASURE', 'CUSTOMER', 'CONTACT', 'ITEM-PRODUCT'];
const entry = (fullSync: boolean, extra: object = {}) => ({
  entry: 'FULL SYNC',
  mappings: all,
  kind: 'synchronization' as const,
  fullSync,
  ...extra,
});

let plan: MappingPlan[];
let real: RunResult;

test('a dry run of the first full sync writes nothing to either system or to MongoDB', async () => {
  const before = await writes();
  const result = await stack.engine.runEntry(entry(true, { dryRun: true }));
  plan = result.plan!;
  expect(await writes()).toEqual(before);
  expect(await stack.db.cols.couplings.countDocuments({})).toBe(0);
  expect(await stack.db.cols.jobLog.countDocuments({})).toBe(0);
  expect(await stack.db.cols.matchReviews.countDocuments({})).toBe(0);
  const customers = plan.find((p) => p.mapping === 'CUSTOMER' && p.direction === 'toCrm')!;
  // Shared customers are coupled, not inserted; the ambiguous ones are named with their candidates.
  expect(customers.counts.couple).toBeGreaterThanOrEqual(9);
  expect(customers.counts.ambiguous).toBe(2);
  expect(customers.samples.ambiguous!.map((s) => s.label).sort()).toEqual(['50000', '70000']);
});

test('the real first full sync does what the dry run said, and couples every shared pair once', async () => {
  real = await stack.engine.runEntry(entry(true));
  const jobs = await stack.db.cols.jobLog.find({}).toArray();
  for (const p of plan) {
    const job = jobs.find(
      (j) =>
        j.mapping === p.mapping &&
        j.direction === (p.direction === 'toCrm' ? 'ToIntegrationTable' : 'FromIntegrationTable'),
    )!;
    expect({
      m: p.mapping,
      d: p.direction,
      couple: job.coupled,
      insert: job.inserted,
      modify: job.modified,
    }).toEqual({
      m: p.mapping,
      d: p.direction,
      couple: p.counts.couple,
      insert: p.counts.insert,
      modify: p.counts.modify,
    });
  }
  expect(real.coupled).toBeGreaterThan(0);

  const accounts = await stack.crmRecords('accounts');
  const customers = (await stack.bcRecords('customers')).filter((c) => c.blocked === ' ');
  const couplings = await stack.db.cols.couplings.find({ mapping: 'CUSTOMER' }).toArray();
  const crmOf = new Map(couplings.map((c) => [c.bcId, c.crmId]));
  const ambiguous = new Set([key('Fabrikam, Inc.', 'Buffalo'), key('Relecloud', 'Atlanta')]);
  for (const c of customers) {
    const k = key(c.displayName, c.city);
    const same = accounts.filter((a) => key(a.name, a.address1_city) === k);
    if (ambiguous.has(k)) {
      // The two accounts the CRM held already; neither coupled, no third one created.
      expect(same).toHaveLength(2);
      expect(crmOf.has(String(c.id))).toBe(false);
    } else {
      expect(`${String(c.displayName)}: ${same.length}`).toBe(`${String(c.displayName)}: 1`);
      expect(crmOf.get(String(c.id))).toBe(String(same[0]!.accountid));
    }
  }
  // The same name in another city is another company: not coupled to BC's Tailspin Toys.
  const munich = accounts.find((a) => a.address1_city === 'München')!;
  const toronto = customers.find((c) => c.displayName === 'Tailspin Toys')!;
  expect(crmOf.get(String(toronto.id))).not.toBe(munich.accountid);
  // A CRM-only account became a BC customer (full sync copies the rest), once.
  const copies = (await stack.bcRecords('customers')).filter((c) => c.city === 'München');
  expect(copies).toHaveLength(1);
  // Account number = customer number couples even where the name differs.
  const adatum = customers.find((c) => c.number === '10000')!;
  expect(crmOf.get(String(adatum.id))).toBe(
    String(accounts.find((a) => a.accountnumber === '10000')!.accountid),
  );

  // Contacts by e-mail (case differs), products by number (case differs), units by code.
  const contacts = await stack.crmRecords('contacts');
  const byMail = (mail: string) =>
    contacts.filter((c: JsonRecord) => String(c.emailaddress1 ?? '').toLowerCase() === mail);
  expect(byMail('nancy.davolio@northwindtraders.example.com')).toHaveLength(1);
  expect(byMail('helen.ray@treyresearch.example.com')).toHaveLength(1);
  const products = await stack.crmRecords('products');
  for (const n of ['1896-S', '1900-S', '1928-S'])
    expect(products.filter((p) => String(p.productnumber).toUpperCase() === n)).toHaveLength(1);
  const pcs = (await stack.crmRecords('uomschedules')).filter((u) => String(u.name).toUpperCase() === 'PCS');
  expect(pcs).toHaveLength(1);
  const users = await stack.bcRecords('salespeoplePurchasers');
  expect(users.filter((u) => String(u.email).toLowerCase().startsWith('benjamin.chiu@'))).toHaveLength(1);

  // The ambiguous pairs wait for a person, with both candidates.
  const reviews = await stack.db.cols.matchReviews.find({ mapping: 'CUSTOMER' }).toArray();
  const labels = reviews.map((r) => r.source.label).sort();
  expect(labels).toEqual(expect.arrayContaining(['50000', '70000']));
  for (const r of reviews.filter((x) => x.source.side === 'bc')) expect(r.candidates).toHaveLength(2);
});

test('a second full sync changes nothing and creates no duplicate', async () => {
  const accounts = (await stack.crmRecords('accounts')).length;
  const second = await stack.engine.runEntry(entry(true));
  expect(second.inserted).toBe(0);
  expect((await stack.crmRecords('accounts')).length).toBe(accounts);
});
