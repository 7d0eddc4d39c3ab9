// The operator console in a real headless browser (Debian's Chromium via playwright-core): entries with
// their actions, the job log, errors with Retry / Find for Deleted / Restore / Delete / Remove coupling,
// the record search and lineage view with links into the Temporal UI - on the demo data of both
// emulators, synchronized by an entry workflow on a real worker, with the test run's Temporal and MongoDB.
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { Browser, Page } from 'playwright-core';
import { BC_DEFAULT_LIMITS, DATAVERSE_DEFAULT_LIMITS } from '../../activities/connectors/budgetRules';
import { MongoBudgetStore } from '../../activities/store/apiBudgets';
import { couplingKey } from '../../activities/store/couplings';
import type { EffectiveMappings } from '../../activities/mappings/mappingConfig';
import { loadMappings } from '../../activities/mappings/mappingConfig';
import { startConsole, type RunningConsole } from '../../client/console/consoleServer';
import { emulatorConnectorEnv } from '../../client/emulatorConnection';
import { entryWorkflowId } from '../../common/jobQueue';
import type { EngineStack } from '../engine/engineHarness';
import { launchBrowser } from '../support/browser';
import { startCustomerEntry, type CustomerEntry } from '../support/customerEntry';

// Links point at the test server's UI, which the tests open.
const temporalUiAt = { base: process.env.BCSYNC_TEMPORAL_UI_URL ?? null, namespace: 'default' };

// Entries of this test have their own names, so their workflows never meet another test file's.
const suffix = randomUUID().slice(0, 6);
const entryName = `CUSTOMER-${suffix}`;
const defaults = loadMappings();
const mappings: EffectiveMappings = {
  ...defaults,
  mappings: defaults.mappings.map((m) => ({
    ...m,
    jobQueue: { ...m.jobQueue, entry: `${m.jobQueue.entry}-${suffix}` },
  })),
  statistics: {
    ...defaults.statistics,
    jobQueue: { ...defaults.statistics.jobQueue, entry: `STATISTICS-${suffix}` },
  },
};
const taskQueue = `console-${suffix}`;

let world: CustomerEntry;
let stack: EngineStack;
let entry: WorkflowHandle;
let ui: RunningConsole;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  world = await startCustomerEntry({ entry: entryName, taskQueue, mappings });
  ({ stack, entry } = world);
  ui = await startConsole(
    {
      temporal: world.client,
      database: stack.db,
      mappings,
      connectors: { bc: stack.connectors.bc, crm: stack.connectors.dataverse },
      ui: temporalUiAt,
    },
    { host: '127.0.0.1', port: 0 },
  );
  browser = await launchBrowser();
  page = await browser.newPage();
  await runNow(true);
});
afterAll(async () => {
  await browser?.close();
  await ui?.close();
  await world?.stop();
});

const runNow = (fullSync = false) => world.runNow(fullSync);
const customerNo = async (no: string) => {
  const c = (await stack.bcRecords('customers')).find((x) => x.number === no)!;
  return { bcId: String(c.id).toLowerCase(), crmId: (await couplingOf(String(c.id)))!.crmId! };
};
const couplingOf = (bcId: string) =>
  stack.db.cols.couplings.findOne({ _id: couplingKey('CUSTOMER', bcId.toLowerCase()) });
const statusWithHost = (url: string, host: string) =>
  new Promise<number>((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
async function eventually(fn: () => Promise<void>, attempts = 6): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
    }
  }
}

/** BCSYNC_SCREENSHOT_DIR=docs saves what a person sees (docs/console.md shows them). */
async function screenshot(p: Page, name: string): Promise<void> {
  const dir = process.env.BCSYNC_SCREENSHOT_DIR;
  if (dir) await p.screenshot({ path: join(dir, name), fullPage: true });
}

/** The console's message after an action; the page itself when there is none (a refused form says why). */
const message = async () => {
  try {
    return await page.locator('.msg').innerText({ timeout: 20_000 });
  } catch {
    throw new Error(`no message on ${page.url()}:\n${(await page.content()).slice(0, 3000)}`);
  }
};

test('entries: state, next run, last counts, Run now / Hold / Resume / Reactivate, and the workflow in the Temporal UI', async () => {
  await page.goto(ui.url);
  expect(await page.title()).toBe('Entries - bcsync console');
  const row = page.locator(`tr[data-entry="${entryName}"]`);
  await row.getByRole('button', { name: 'Hold' }).click();
  expect(await message()).toBe(`${entryName} is On Hold`);
  expect(await row.locator('td.state').innerText()).toBe('On Hold');

  await row.getByRole('button', { name: 'Run now' }).click();
  expect(await message()).toMatch(
    new RegExp(`^${entryName} ran: inserted 0, modified 0, unchanged \\d+, skipped 0, failed 0$`),
  );
  // The last run's counts are on the row (the full sync before inserted the demo customers).
  expect(await row.locator('td.num').first().innerText()).toBe('0');

  await row.getByRole('button', { name: 'Reactivate' }).click();
  expect(await message()).toBe(`${entryName}: wake-up sent`);
  await row.getByRole('button', { name: 'Resume' }).click();
  expect(await message()).toMatch(
    new RegExp(`^${entryName} is (Ready|In Process|On Hold with Inactivity Timeout)$`),
  );
  await page.locator(`tr[data-entry="${entryName}"]`).getByRole('button', { name: 'Hold' }).click();

  // The entry's workflow opens in the Temporal UI (the test server's), at its current run.
  const href = await page
    .locator(`tr[data-entry="${entryName}"] a`, { hasText: 'workflow' })
    .getAttribute('href');
  const { runId } = await entry.describe();
  expect(href).toBe(
    `${process.env.BCSYNC_TEMPORAL_UI_URL}/namespaces/default/workflows/${encodeURIComponent(entryWorkflowId(entryName))}/${runId}/history`,
  );
  const temporalUi = await browser.newPage();
  await temporalUi.goto(href!);
  await temporalUi.getByText(entryWorkflowId(entryName)).first().waitFor({ timeout: 60_000 });
  await temporalUi.close();
  // Ready-made queries into the Temporal UI's workflow list: "entries on hold" lists this entry (held
  // above) although the list's own Status column says Running for every entry.
  expect(await page.locator('.links a', { hasText: 'entries in Error' }).getAttribute('href')).toContain(
    encodeURIComponent("BcSyncState = 'Error'"),
  );
  const onHold = await page.locator('.links a', { hasText: 'entries on hold' }).getAttribute('href');
  const list = await browser.newPage();
  // Visibility is eventually consistent: the list is loaded again until the held entry is in it.
  await eventually(async () => {
    await list.goto(onHold!);
    await list.getByText(entryWorkflowId(entryName)).first().waitFor({ timeout: 10_000 });
  });
  await list.close();
  await screenshot(page, 'console-entries.png');

  await page.getByRole('link', { name: 'Job log' }).click();
  const first = page.locator('#log tr').nth(1);
  expect(await first.innerText()).toMatch(/CUSTOMER/);
  expect(await first.getByRole('link', { name: 'run' }).getAttribute('href')).toContain(`/${runId}/history`);
});

test('errors: a skipped record shows its detail, Retry frees it, and the record view tells the story', async () => {
  const { bcId, crmId } = await customerNo('40000');
  // Both sides change the phone number: an update conflict (rule 4.6), twice in a row -> Skipped.
  await stack.connectors.bc.update('customers', bcId, { phoneNumber: '+1 425 555 0111' }, '*');
  await stack.salesCrm.update('accounts', crmId, { telephone1: '+1 425 555 0199' });
  await runNow();
  await runNow();

  await page.goto(`${ui.url}/errors`);
  await screenshot(page, 'console-errors.png');
  const row = page.locator(`#errors tr[data-record="${bcId}"]`);
  expect(await row.innerText()).toMatch(
    /yes\s+Cannot update the record because one or both values have changed/,
  );
  await row.getByRole('button', { name: 'Retry' }).click();
  expect(await message()).toBe('CUSTOMER: 1 record(s) will be tried again at the next run');
  expect(await couplingOf(bcId)).toMatchObject({ skipped: false });

  // The person makes CRM agree, the next run finds both sides equal; the record view tells it all.
  await stack.salesCrm.update('accounts', crmId, { telephone1: '+1 425 555 0111' });
  await runNow();
  await page.getByRole('link', { name: 'Records' }).click();
  await page.locator('#search select').selectOption('CUSTOMER');
  await page.locator('#search input[name=q]').fill('40000');
  await page.getByRole('button', { name: 'Search' }).click();
  expect(page.url()).toBe(`${ui.url}/records/CUSTOMER?bc=${bcId}`);
  expect(await page.locator('#verdict').innerText()).toMatch(/^in sync since \d{4}-\d{2}-\d{2}T/);
  const history = await page.locator('#history').innerText();
  expect(history).toMatch(/Failed \(conflict\)/);
  expect(history).toMatch(/Failed \(sameErrorTwice\)/);
  expect(history).toMatch(/by console/);
  await screenshot(page, 'console-record.png');
  const { runId } = await entry.describe();
  const links = await page.locator('#history a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  expect(links.length).toBeGreaterThan(3);
  for (const l of links)
    expect(l).toContain(`/workflows/${encodeURIComponent(entryWorkflowId(entryName))}/${runId}/history`);
});

test('Find for deleted, then Restore, Delete and Remove coupling, each from the console', async () => {
  const restore = await customerNo('10000');
  const remove = await customerNo('20000');
  const del = await customerNo('30000');
  for (const c of [restore, remove, del]) await stack.salesCrm.delete('accounts', c.crmId);

  await page.goto(`${ui.url}/errors`);
  await page
    .locator('#mappings tr', { hasText: /^CUSTOMER/ })
    .getByRole('button', { name: 'Find for deleted' })
    .click();
  expect(page.url()).toBe(`${ui.url}/deleted?mapping=CUSTOMER`);
  for (const c of [restore, remove, del])
    expect(await page.locator(`#deleted tr[data-bc="${c.bcId}"]`).innerText()).toMatch(/CRM record/);

  await page
    .locator(`#deleted tr[data-bc="${restore.bcId}"]`)
    .getByRole('button', { name: 'Restore' })
    .click();
  expect(await message()).toBe('CUSTOMER: 1 record(s) will be created again at the next run');
  await runNow();
  const restored = await couplingOf(restore.bcId);
  const accounts = await stack.crmRecords('accounts');
  expect(accounts.some((a) => String(a.accountid) === restored?.crmId)).toBe(true);

  await page.goto(`${ui.url}/deleted?mapping=CUSTOMER`);
  await page.locator(`#deleted tr[data-bc="${del.bcId}"]`).getByRole('button', { name: 'Delete' }).click();
  expect(await message()).toBe('CUSTOMER: 1 record(s) deleted and uncoupled.');
  expect((await stack.bcRecords('customers')).some((c) => String(c.id).toLowerCase() === del.bcId)).toBe(
    false,
  );

  await page.goto(`${ui.url}/deleted?mapping=CUSTOMER`);
  await page
    .locator(`#deleted tr[data-bc="${remove.bcId}"]`)
    .getByRole('button', { name: 'Remove coupling' })
    .click();
  expect(await message()).toMatch(
    new RegExp(`^CUSTOMER: BC ${remove.bcId} and CRM ${remove.crmId} are no longer coupled$`),
  );
  expect(await couplingOf(remove.bcId)).toBeNull();
  expect((await stack.bcRecords('customers')).some((c) => String(c.id).toLowerCase() === remove.bcId)).toBe(
    true,
  );
  await page.goto(`${ui.url}/deleted?mapping=CUSTOMER`);
  expect(await page.locator('main').innerText()).toMatch(/still exists on both sides/);
});

test('what records say is shown as text, and no secret is on any page', async () => {
  const { bcId } = await customerNo('50000');
  const name = '<img src=x onerror="document.title=\'pwned\'">Tailspin <b>Toys</b>';
  await stack.connectors.bc.update('customers', bcId, { displayName: name }, '*');
  await runNow();
  await page.goto(`${ui.url}/records/CUSTOMER?bc=${bcId}`);
  // The value as written, quotes escaped the way lineage shows every value (JSON).
  expect(await page.locator('#history').innerText()).toContain(`-> ${JSON.stringify(name)}`);
  expect(await page.locator('#history img, #history b').count()).toBe(0);
  expect(await page.title()).not.toBe('pwned');

  const secrets = Object.entries(emulatorConnectorEnv(stack.emulators))
    .filter(([k]) => /SECRET|PASSWORD|TOKEN|KEY/.test(k))
    .map(([, v]) => v)
    .filter((v) => v.length >= 8);
  expect(secrets.length).toBeGreaterThan(0);
  for (const path of [
    '/',
    '/log',
    '/errors',
    '/records?q=50000',
    `/records/CUSTOMER?bc=${bcId}`,
    '/deleted?mapping=CUSTOMER',
    '/budgets',
  ]) {
    await page.goto(`${ui.url}${path}`);
    const html = await page.content();
    for (const s of secrets) expect(html).not.toContain(s);
  }
});

test('budgets: each API identity with what it grants now, its requests in flight and a Retry-After pause', async () => {
  // This test's worker uses the stack's own connectors; a worker of a deployment writes its budgets
  // here, as these two stores do (docs/throttling.md).
  const bcIdentity =
    'bc|https://api.businesscentral.dynamics.com|contoso.onmicrosoft.com|7d3c1f52-0000-4000-8000-000000000001';
  const worker = randomUUID();
  const bc = new MongoBudgetStore(stack.db.db, bcIdentity, BC_DEFAULT_LIMITS);
  await bc.apply(
    [{ kind: 'acquire', req: { holder: `${worker}:1`, company: 'cronus-us', leaseMs: 120_000 } }],
    Date.now(),
  );
  await bc.pauseUntil(Date.now() + 60_000);
  const dv = new MongoBudgetStore(
    stack.db.db,
    'dataverse|https://contoso.crm4.dynamics.com|7d3c1f52-0000-4000-8000-000000000002',
    DATAVERSE_DEFAULT_LIMITS,
  );
  await dv.apply(
    [{ kind: 'acquire', req: { holder: `${worker}:2`, company: 'cronus-us', leaseMs: 120_000 } }],
    Date.now(),
  );

  await page.goto(`${ui.url}/budgets`);
  expect(await page.title()).toBe('Budgets - bcsync console');
  const row = page.locator(`#budgets tr[data-identity="${bcIdentity}"]`);
  const text = await row.innerText();
  expect(text).toContain('Business Central https://api.businesscentral.dynamics.com');
  // 300 in the bucket, one taken and refilled at 18.6 per second since.
  expect(text).toMatch(/(29\d|300) of 300\s+\+18\.6\/s \(6000 per 300 s\)/);
  expect(text).toContain(`1 of 5\ncronus-us 1 (worker ${worker.slice(0, 8)})`);
  expect(text).toMatch(/paused until \d\d:\d\d:\d\d \([56]\d\.\d s more\)/);
  expect(await page.locator('#budgets tr[data-identity^="dataverse|"]').innerText()).toContain('1 of 52');
  await screenshot(page, 'console-budgets.png');
});

test('access: loopback by Host only, forms from other sites refused, a token when bound beyond loopback', async () => {
  // A page on another name resolving to 127.0.0.1 (DNS rebinding) gets nothing.
  expect(await statusWithHost(ui.url, 'attacker.example')).toBe(421);
  expect(await statusWithHost(ui.url, `localhost:${new URL(ui.url).port}`)).toBe(200);
  const foreign = await fetch(`${ui.url}/entries/${entryName}/hold`, {
    method: 'POST',
    headers: { origin: 'http://attacker.example', 'content-type': 'application/x-www-form-urlencoded' },
    body: '',
  });
  expect(foreign.status).toBe(403);

  const token = `test-token-${randomUUID()}`;
  const open = await startConsole(
    { temporal: world.client, database: stack.db, mappings, ui: temporalUiAt },
    { host: '0.0.0.0', port: 0, token },
  );
  try {
    const port = new URL(open.url).port;
    const at = `http://127.0.0.1:${port}`;
    expect(open.openUrl).toBe(`${open.url}/?token=${encodeURIComponent(token)}`);
    expect((await fetch(`${at}/log`)).status).toBe(401);
    expect((await fetch(`${at}/log?token=wrong`)).status).toBe(401);
    const admitted = await fetch(`${at}/log?token=${encodeURIComponent(token)}`, { redirect: 'manual' });
    expect(admitted.status).toBe(303);
    expect(admitted.headers.get('location')).toBe('/log');
    const cookie = admitted.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly; SameSite=Strict/);
    const logPage = await fetch(`${at}/log`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(logPage.status).toBe(200);
    const html = await logPage.text();
    expect(html).toContain('Synchronization job log');
    expect(html).not.toContain(token);
  } finally {
    await open.close();
  }
});
