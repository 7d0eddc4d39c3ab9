// The CLI as a user runs it: the compiled `bcsync` binary in a child process (npm test builds first).
import { assertBuilt, bcsync } from './bcsyncBinary';

beforeAll(assertBuilt);

test('`bcsync mappings --json` prints the 13 mappings and the statistics job with their field mappings', async () => {
  const { code, stdout } = await bcsync(['mappings', '--json']);
  expect(code).toBe(0);
  const out = JSON.parse(stdout) as {
    mappings: { name: string; fieldMappings: unknown[] }[];
    statistics: { name: string };
  };
  expect(out.mappings).toHaveLength(13);
  expect(out.mappings.every((m) => m.fieldMappings.length > 0)).toBe(true);
  expect(out.statistics.name).toBe('Customer Statistics');
});

test('`bcsync mappings` prints a table a person can read', async () => {
  const { code, stdout } = await bcsync(['mappings']);
  expect(code).toBe(0);
  expect(stdout).toMatch(/UNIT OF MEASURE\s*│\s*UNITOFMEASURE/);
  expect(stdout).toMatch(/SALESPEOPLE\s*│\s*SALESPEOPLE\s*│\s*salespeoplePurchasers\s*│\s*<-/);
  expect(stdout).toMatch(
    /PAYMENT TERMS\s*│\s*PAYMENT TERMS\s*│\s*paymentTerms\s*│\s*<->\s*│\s*account\.paymenttermscode/,
  );
});

test('a broken mapping config file is named in the error and exits 1', async () => {
  const { code, stderr } = await bcsync(['mappings'], { BCSYNC_MAPPINGS_FILE: '/nonexistent/bcsync.json' });
  expect(code).toBe(1);
  expect(stderr).toMatch(/\/nonexistent\/bcsync\.json: cannot read the mapping config/);
});

test('an unknown entry is a usage error that lists the valid names', async () => {
  const { code, stderr } = await bcsync(['status', 'CUSTOMERS']);
  expect(code).toBe(2);
  expect(stderr).toMatch(/no job queue entry "CUSTOMERS": use one of .*CUSTOMER.*statistics/);
});

test('an unknown command exits 2 with help', async () => {
  const { code, stderr } = await bcsync(['frobnicate']);
  expect(code).toBe(2);
  expect(stderr).toMatch(/unknown command/);
});
