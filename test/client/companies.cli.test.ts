// `bcsync companies add|list|remove` and `--company` through the real binary, errors and exit codes
// included (docs/companies.md). Registration stores references, so no emulator is needed here; the
// two-company sync itself is test/companies/twoCompanies.test.ts.
import type { Database } from '../../activities/store/database';
import { testDatabase } from '../support/database';
import { assertBuilt, bcsync } from './bcsyncBinary';

let base: Database;
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  base = await testDatabase('companies_cli');
  env = { BCSYNC_DB_NAME: base.db.databaseName };
});
afterAll(async () => {
  await base?.client
    .db(`${base.db.databaseName}-contoso-de`)
    .dropDatabase()
    .catch(() => undefined);
  await base?.close();
});

const add = (name: string, dataverseUrl: string, extra: string[] = []) => [
  'companies',
  'add',
  name,
  '--bc-tenant',
  'contoso.onmicrosoft.com',
  '--bc-environment',
  'production',
  '--bc-company-name',
  'CONTOSO GmbH',
  '--bc-client-id',
  '7d3c1f52-0000-4000-8000-000000000001',
  '--bc-client-secret',
  'env:CONTOSO_DE_BC_SECRET',
  '--dataverse-url',
  dataverseUrl,
  '--dataverse-client-id',
  '7d3c1f52-0000-4000-8000-000000000002',
  '--dataverse-client-secret',
  'env:CONTOSO_DE_DV_SECRET',
  ...extra,
];

test('a company name that cannot be one is a usage error, before or after the command', async () => {
  for (const args of [
    ['--company', 'Contoso DE', 'log'],
    ['log', '--company', 'Contoso DE'],
  ]) {
    const r = await bcsync(args, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--company "Contoso DE" is not a company name: use 1-30 lower-case letters/);
  }
});

test('add, list, --company, remove: the registry holds references, and a removed company is gone', async () => {
  const notRegistered = await bcsync(['log', '--company', 'contoso-de'], env);
  expect(notRegistered.code).toBe(2);
  expect(notRegistered.stderr).toMatch(/no company "contoso-de": see `bcsync companies list`/);

  // A bad URL is named by its option; nothing is stored.
  const badUrl = await bcsync(add('contoso-de', 'contoso.crm4.dynamics.com'), env);
  expect(badUrl.code).toBe(2);
  expect(badUrl.stderr).toMatch(/--dataverse-url: /);

  const added = await bcsync(add('contoso-de', 'https://contoso-de.crm4.dynamics.com'), env);
  expect(added.stderr).toBe('');
  expect(added.code).toBe(0);
  expect(added.stdout).toMatch(/Set CONTOSO_DE_BC_SECRET and CONTOSO_DE_DV_SECRET on every worker/);
  const again = await bcsync(add('contoso-de', 'https://contoso-de-2.crm4.dynamics.com'), env);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/company contoso-de is registered already/);

  const table = await bcsync(['companies', 'list'], env);
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/default \(BCSYNC_\* settings\)/);
  expect(table.stdout).toMatch(/contoso-de\s*│\s*CONTOSO GmbH\s*│\s*production\s*│\s*https:\/\/contoso-de/);
  const list = await bcsync(['companies', 'list', '--json'], env);
  expect(JSON.parse(list.stdout)).toMatchObject({
    default: { name: 'default', database: base.db.databaseName },
    companies: [
      {
        name: 'contoso-de',
        bc: { clientSecret: 'env:CONTOSO_DE_BC_SECRET' },
        database: `${base.db.databaseName}-contoso-de`,
      },
    ],
  });

  // Its own (empty) job log. Its wake-ups need its secrets: without them `webhooks` names the variable.
  const log = await bcsync(['log', '--company', 'contoso-de', '--json'], env);
  expect(log.code).toBe(0);
  expect(JSON.parse(log.stdout)).toEqual([]);
  const webhooks = await bcsync(['webhooks', '--company', 'contoso-de', '--port', '0'], env);
  expect(webhooks.code).toBe(1);
  expect(webhooks.stderr).toMatch(
    /company contoso-de: bc.clientSecret references CONTOSO_DE_BC_SECRET, which is not set/,
  );

  const removeDefault = await bcsync(['companies', 'remove', 'default'], env);
  expect(removeDefault.code).toBe(2);
  const removed = await bcsync(['companies', 'remove', 'contoso-de'], env);
  expect(removed.code).toBe(0);
  expect(removed.stdout).toMatch(/Company contoso-de removed; .*Its data stays in database/);
  const gone = await bcsync(['log', '--company', 'contoso-de'], env);
  expect(gone.code).toBe(2);
  const removeAgain = await bcsync(['companies', 'remove', 'contoso-de'], env);
  expect(removeAgain.code).toBe(2);
  expect(removeAgain.stderr).toMatch(/no company "contoso-de"/);
});
