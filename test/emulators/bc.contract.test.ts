// Contract tests of the BC API v2.0 emulator over HTTP (apis.md A and C): what a real Business Central
// does, the emulator must do, or tests built on it mean nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBcEmulator, type RunningBcEmulator } from '../../emulators/bc';
import { bcClient, fetchToken, type BcClient } from './bcTestClient';

const CUSTOMER_FIELDS = [
  'id',
  'number',
  'displayName',
  'type',
  'addressLine1',
  'addressLine2',
  'city',
  'state',
  'country',
  'postalCode',
  'phoneNumber',
  'email',
  'website',
  'salespersonCode',
  'balanceDue',
  'creditLimit',
  'taxLiable',
  'taxAreaId',
  'taxAreaDisplayName',
  'taxRegistrationNumber',
  'currencyId',
  'currencyCode',
  'paymentTermsId',
  'shipmentMethodId',
  'paymentMethodId',
  'blocked',
  'lastModifiedDateTime',
];

describe('BC emulator (demo seed)', () => {
  let bc: RunningBcEmulator;
  let api: BcClient;

  beforeAll(async () => {
    bc = await startBcEmulator({ port: 0, webhookCoalesceMs: 0 });
    api = await bcClient(bc);
  });
  afterAll(async () => {
    await bc.stop();
  });
  beforeEach(() => {
    bc.faults.set({});
  });

  const newCustomer = async (body: Record<string, unknown> = {}) => {
    const res = await api.request('POST', 'customers', { body: { displayName: 'Test customer', ...body } });
    expect(res.status).toBe(201);
    return res.json as Record<string, unknown> & { id: string; '@odata.etag': string };
  };

  describe('authentication', () => {
    it('issues client-credentials tokens and rejects a wrong secret with 401 invalid_client', async () => {
      const good = await fetchToken(bc);
      expect(good.status).toBe(200);
      expect(await good.json()).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
      const bad = await fetchToken(bc, 'wrong-secret');
      expect(bad.status).toBe(401);
      const body = (await bad.json()) as { error: string; error_description: string };
      expect(body.error).toBe('invalid_client');
      expect(body.error_description).not.toContain('wrong-secret');
    });

    it('answers 401 Authentication_InvalidCredentials without a valid bearer token', async () => {
      const none = await fetch(`${bc.apiUrl}/companies`);
      expect(none.status).toBe(401);
      expect(((await none.json()) as { error: { code: string } }).error.code).toBe(
        'Authentication_InvalidCredentials',
      );
      const forged = await fetch(`${bc.apiUrl}/companies`, { headers: { Authorization: 'Bearer a.b.c' } });
      expect(forged.status).toBe(401);
    });
  });

  describe('URL paths', () => {
    it('lists one company and serves entity sets under companies({id})', async () => {
      const companies = await api.get(`${bc.apiUrl}/companies`);
      expect(companies.status).toBe(200);
      expect(companies.json.value).toHaveLength(1);
      expect(companies.json.value[0]).toMatchObject({ id: bc.companyId, name: 'CRONUS USA, Inc.' });
      const customers = await api.get('customers');
      expect(customers.status).toBe(200);
      expect(customers.json.value.length).toBeGreaterThan(10);
    });

    it('accepts the tenant before the environment, as the real URL does', async () => {
      const res = await api.get(
        `${bc.url}/v2.0/${bc.tenant}/production/api/v2.0/companies(${bc.companyId})/currencies`,
      );
      expect(res.status).toBe(200);
    });

    it('answers unknown environments, companies, entity sets and records with BC errors', async () => {
      const env = await api.get(`${bc.url}/v2.0/sandbox/api/v2.0/companies`);
      expect(env.status).toBe(404);
      const company = await api.get(`${bc.apiUrl}/companies(00000000-0000-0000-0000-00000000abcd)/customers`);
      expect(company.status).toBe(404);
      expect(company.json.error.code).toBe('BadRequest_NotFound');
      const set = await api.get('vendorz');
      expect(set.status).toBe(404);
      expect(set.json.error.code).toBe('BadRequest_ResourceNotFound');
      const record = await api.get('customers(00000000-0000-0000-0000-00000000abcd)');
      expect(record.status).toBe(404);
      expect(record.json.error.message).toMatch(/CorrelationId/);
    });
  });

  describe('entity sets and field names', () => {
    it('returns customers with the real API v2.0 field names', async () => {
      const res = await api.get('customers?$top=1');
      const row = res.json.value[0] as Record<string, unknown>;
      expect(Object.keys(row).filter((k) => !k.startsWith('@'))).toEqual(CUSTOMER_FIELDS);
      expect(row['@odata.etag']).toMatch(/^W\/"/);
    });

    it('keeps the misspelled commisionPercent of salespeoplePurchasers', async () => {
      const res = await api.get('salespeoplePurchasers');
      expect(res.json.value[0]).toHaveProperty('commisionPercent');
      expect(res.json.value[0]).not.toHaveProperty('commissionPercent');
    });

    it('serves every standard entity set of the contract', async () => {
      for (const set of [
        'contacts',
        'currencies',
        'items',
        'unitsOfMeasure',
        'paymentTerms',
        'shipmentMethods',
        'salesInvoices',
      ]) {
        const res = await api.get(set);
        expect({ set, status: res.status, some: res.json.value.length > 0 }).toEqual({
          set,
          status: 200,
          some: true,
        });
      }
    });

    it('links person contacts to their company contact by companyNumber', async () => {
      const persons = await api.get(`contacts?$filter=type eq 'Person'`);
      const person = persons.json.value[0];
      const company = await api.get(`contacts?$filter=number eq '${person.companyNumber}'`);
      expect(company.json.value[0]).toMatchObject({ type: 'Company', displayName: person.companyName });
    });

    it('shows the local currency code for a customer without currency', async () => {
      const created = await newCustomer();
      expect(created.currencyCode).toBe('USD');
      expect(created.currencyId).toBe('00000000-0000-0000-0000-000000000000');
    });
  });

  describe('writes', () => {
    it('creates with 201, a read-only GUID id, a number from the series and a ms timestamp', async () => {
      const a = await newCustomer();
      const b = await newCustomer();
      expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(a.number).toMatch(/^C\d{5}$/);
      // BC's IncStr with the series' step of 10.
      expect(Number(String(b.number).slice(1)) - Number(String(a.number).slice(1))).toBe(10);
      expect(a.lastModifiedDateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      const changeId = await api.request('PATCH', `customers(${a.id})`, {
        body: { id: '11111111-1111-1111-1111-111111111111' },
        headers: { 'If-Match': '*' },
      });
      expect(changeId.status).toBe(400);
    });

    it('requires If-Match on PATCH: missing -> 400 BadRequest_InvalidToken, stale -> 409 Request_EntityChanged', async () => {
      const c = await newCustomer();
      const missing = await api.request('PATCH', `customers(${c.id})`, { body: { city: 'Boston' } });
      expect(missing.status).toBe(400);
      expect(missing.json.error.code).toBe('BadRequest_InvalidToken');
      const first = await api.request('PATCH', `customers(${c.id})`, {
        body: { city: 'Boston' },
        headers: { 'If-Match': c['@odata.etag'] },
      });
      expect(first.status).toBe(200);
      const stale = await api.request('PATCH', `customers(${c.id})`, {
        body: { city: 'Denver' },
        headers: { 'If-Match': c['@odata.etag'] },
      });
      expect(stale.status).toBe(409);
      expect(stale.json.error.code).toBe('Request_EntityChanged');
      const star = await api.request('PATCH', `customers(${c.id})`, {
        body: { city: 'Denver' },
        headers: { 'If-Match': '*' },
      });
      expect(star.status).toBe(200);
      expect(star.json.city).toBe('Denver');
    });

    it('changes the ETag and moves lastModifiedDateTime forward on every write', async () => {
      const c = await newCustomer();
      let etag = c['@odata.etag'];
      let modified = String(c.lastModifiedDateTime);
      for (let i = 0; i < 5; i++) {
        const res = await api.request('PATCH', `customers(${c.id})`, {
          body: { creditLimit: i },
          headers: { 'If-Match': etag },
        });
        expect(res.json['@odata.etag']).not.toBe(etag);
        expect(Date.parse(res.json.lastModifiedDateTime)).toBeGreaterThan(Date.parse(modified));
        etag = res.json['@odata.etag'];
        modified = res.json.lastModifiedDateTime;
      }
    });

    it('deletes with 204', async () => {
      const c = await newCustomer();
      const del = await api.request('DELETE', `customers(${c.id})`, {
        headers: { 'If-Match': c['@odata.etag'] },
      });
      expect(del.status).toBe(204);
      expect((await api.get(`customers(${c.id})`)).status).toBe(404);
    });

    it('rejects values longer than the table field with Application_StringExceededLength', async () => {
      const cases: [string, Record<string, unknown>, number][] = [
        ['customers', { displayName: 'x'.repeat(101) }, 100],
        ['customers', { number: 'N'.repeat(21) }, 20],
        ['customers', { addressLine1: 'a'.repeat(101) }, 100],
        ['customers', { city: 'c'.repeat(31) }, 30],
        ['customers', { email: `${'e'.repeat(75)}@x.com` }, 80],
        ['customers', { phoneNumber: '1'.repeat(31) }, 30],
        ['currencies', { code: 'ABCDEFGHIJK' }, 10],
      ];
      for (const [set, body, max] of cases) {
        const res = await api.request('POST', set, { body });
        expect({ set, body, status: res.status, code: res.json.error.code }).toEqual({
          set,
          body,
          status: 400,
          code: 'Application_StringExceededLength',
        });
        expect(res.json.error.message).toContain(`less than or equal to ${max} characters`);
      }
    });

    it('rejects a duplicate number with Internal_EntityWithSameKeyExists', async () => {
      const a = await newCustomer();
      const dup = await api.request('POST', 'customers', {
        body: { number: String(a.number).toLowerCase() },
      });
      expect(dup.json.error.code).toBe('Internal_EntityWithSameKeyExists');
    });

    it('upper-cases Code fields as BC does', async () => {
      const c = await newCustomer({ number: 'lower-1', country: 'us' });
      expect(c).toMatchObject({ number: 'LOWER-1', country: 'US' });
    });

    it('rejects an unknown currency or salesperson code with the real validation errors', async () => {
      const currency = await api.request('POST', 'customers', { body: { currencyCode: 'XYZ' } });
      expect(currency.status).toBe(400);
      expect(currency.json.error.code).toBe('Application_DialogException');
      expect(currency.json.error.message).toContain('"currencyCode" does not match to a Currency');
      const salesperson = await api.request('POST', 'customers', { body: { salespersonCode: 'NOBODY' } });
      expect(salesperson.status).toBe(400);
      expect(salesperson.json.error.code).toBe('Internal_InvalidTableRelation');
      const ok = await newCustomer({ currencyCode: 'eur', salespersonCode: 'jo' });
      expect(ok).toMatchObject({ currencyCode: 'EUR', salespersonCode: 'JO' });
    });

    it('rejects unknown properties, read-only changes and wrong types', async () => {
      const unknown = await api.request('POST', 'customers', { body: { nmae: 'x' } });
      expect(unknown.status).toBe(400);
      const readOnly = await api.request('POST', 'customers', { body: { balanceDue: 5 } });
      expect(readOnly.json.error.code).toBe('BadRequest_InvalidOperation');
      const wrongType = await api.request('POST', 'customers', { body: { creditLimit: 'lots' } });
      expect(wrongType.status).toBe(400);
      const option = await api.request('POST', 'customers', { body: { blocked: 'Sometimes' } });
      expect(option.json.error.code).toBe('Application_EvaluateException');
    });

    // API v2.0 refuses an `id` in a POST body, the bcsync pages take it (docs/bc-custom-api.md, "Client-chosen
    // ids"; the cited sources are in strictness.contract.test.ts).
    it('lets the client choose the id of a new record on the bcsync route only', async () => {
      const id = '0f0e0d0c-0b0a-4909-8807-060504030201';
      const v2 = await api.request('POST', 'customers', { body: { id, displayName: 'Chosen id' } });
      expect(v2.json.error.code).toBe('BadRequest_InvalidOperation');
      const custom = api.companyPath('customers', 'custom');
      const c = await api.request('POST', custom, { body: { id, displayName: 'Chosen id' } });
      expect(c.json.id).toBe(id);
      const again = await api.request('POST', custom, { body: { id, displayName: 'Chosen id' } });
      expect(again.json.error.code).toBe('Internal_EntityWithSameKeyExists');
    });
  });

  describe('reading', () => {
    it('filters on lastModifiedDateTime with gt and ge', async () => {
      const a = await newCustomer();
      const since = String(a.lastModifiedDateTime);
      const b = await newCustomer();
      const ge = await api.get(`customers?$filter=lastModifiedDateTime ge ${since}`);
      const geIds = ge.json.value.map((r: { id: string }) => r.id);
      expect(geIds).toEqual(expect.arrayContaining([a.id, b.id]));
      const gt = await api.get(`customers?$filter=lastModifiedDateTime gt ${String(b.lastModifiedDateTime)}`);
      expect(gt.json.value.map((r: { id: string }) => r.id)).not.toContain(b.id);
      for (const row of ge.json.value)
        expect(Date.parse(row.lastModifiedDateTime)).toBeGreaterThanOrEqual(Date.parse(since));
    });

    it('supports $select, $orderby and $top (a page smaller than $top links to the rest)', async () => {
      const res = await api.get('customers?$select=number,displayName&$orderby=displayName desc&$top=3', {
        Prefer: 'odata.maxpagesize=2',
      });
      expect(res.json.value).toHaveLength(2);
      expect(Object.keys(res.json.value[0]).sort()).toEqual(['@odata.etag', 'displayName', 'number']);
      const rest = await api.get(res.json['@odata.nextLink'], { Prefer: 'odata.maxpagesize=2' });
      expect(rest.json.value).toHaveLength(1);
      expect(rest.json['@odata.nextLink']).toBeUndefined();
      const names = (await api.get('customers?$orderby=displayName desc&$select=displayName')).json.value.map(
        (r: { displayName: string }) => r.displayName,
      );
      expect(names).toEqual([...names].sort().reverse());
    });

    it('answers 413 for a page size above the server maximum of 20,000', async () => {
      const res = await api.get('customers', { Prefer: 'odata.maxpagesize=20001' });
      expect(res.status).toBe(413);
    });

    it('rejects a syntactically wrong $filter and an unknown property with 400', async () => {
      expect((await api.get("customers?$filter=number eq 'x")).status).toBe(400);
      expect((await api.get("customers?$filter=nonsense eq 'x'")).status).toBe(400);
    });

    it('nests salesInvoiceLines under salesInvoices and supports $expand', async () => {
      const invoices = await api.get(
        "salesInvoices?$filter=status eq 'Open'&$top=1&$expand=salesInvoiceLines",
      );
      const invoice = invoices.json.value[0];
      expect(invoice.salesInvoiceLines.length).toBeGreaterThan(0);
      const nested = await api.get(`salesInvoices(${invoice.id})/salesInvoiceLines`);
      expect(nested.json.value.map((l: { id: string }) => l.id)).toEqual(
        invoice.salesInvoiceLines.map((l: { id: string }) => l.id),
      );
      const companyLevel = await api.get('salesInvoiceLines');
      expect(companyLevel.status).toBe(400);
    });
  });

  describe('invoices', () => {
    it('posts a draft through Microsoft.NAV.post: same id, new number, Draft -> Open, customer ledger moves', async () => {
      const customer = (await api.get("customers?$filter=number eq '10000'")).json.value[0];
      const statsBefore = (
        await api.get(`${api.companyPath('customerStatistics', 'custom')}(${customer.id})`)
      ).json;
      const draft = await api.request('POST', 'salesInvoices', { body: { customerNumber: '10000' } });
      expect(draft.status).toBe(201);
      expect(draft.json.status).toBe('Draft');
      const line = await api.request('POST', `salesInvoices(${draft.json.id})/salesInvoiceLines`, {
        body: { lineType: 'Item', lineObjectNumber: '1896-S', quantity: 2 },
      });
      expect(line.status).toBe(201);
      const post = await api.request('POST', `salesInvoices(${draft.json.id})/Microsoft.NAV.post`);
      expect(post.status).toBe(204);
      const posted = (await api.get(`salesInvoices(${draft.json.id})`)).json;
      expect(posted.id).toBe(draft.json.id);
      expect(posted.number).not.toBe(draft.json.number);
      expect(posted.status).toBe('Open');
      expect(posted.totalAmountExcludingTax).toBeCloseTo(2 * 1000.8, 2);
      const statsAfter = (await api.get(`${api.companyPath('customerStatistics', 'custom')}(${customer.id})`))
        .json;
      expect(statsAfter.balance).toBeCloseTo(statsBefore.balance + posted.totalAmountIncludingTax, 2);
      expect(Date.parse(statsAfter.lastModifiedDateTime)).toBeGreaterThan(
        Date.parse(statsBefore.lastModifiedDateTime),
      );
      const again = await api.request('POST', `salesInvoices(${draft.json.id})/Microsoft.NAV.post`);
      expect(again.status).toBe(400);
      const modify = await api.request('PATCH', `salesInvoices(${draft.json.id})`, {
        body: { externalDocumentNumber: 'X' },
        headers: { 'If-Match': '*' },
      });
      expect(modify.status).toBe(400);
    });

    it('requires a customer on a new invoice', async () => {
      const res = await api.request('POST', 'salesInvoices', { body: {} });
      expect(res.json.error.message).toContain('A customerNumber or a customerID must be provided');
    });
  });

  describe('custom API (bcsync/integration/v1.0)', () => {
    it('serves resources, customerPriceGroups and salesPrices with writes', async () => {
      const resources = await api.get(api.companyPath('resources', 'custom'));
      expect(resources.json.value[0]).toEqual(
        expect.objectContaining({
          number: expect.any(String),
          type: expect.stringMatching(/Person|Machine/),
          capacity: expect.any(Number),
        }),
      );
      const group = await api.request('POST', api.companyPath('customerPriceGroups', 'custom'), {
        body: { code: 'vip', description: 'VIP' },
      });
      expect(group.status).toBe(201);
      expect(group.json.code).toBe('VIP');
      const price = await api.request('POST', api.companyPath('salesPrices', 'custom'), {
        body: {
          itemNumber: '1896-S',
          salesType: 'Customer Price Group',
          salesCode: 'VIP',
          unitPrice: 799,
          unitOfMeasureCode: 'PCS',
        },
      });
      expect(price.status).toBe(201);
      const missingCode = await api.request('POST', api.companyPath('salesPrices', 'custom'), {
        body: { itemNumber: '1896-S', salesType: 'Customer Price Group', unitPrice: 1 },
      });
      expect(missingCode.status).toBe(400);
      const unknownItem = await api.request('POST', api.companyPath('salesPrices', 'custom'), {
        body: { itemNumber: 'NOPE', salesType: 'All Customers', unitPrice: 1 },
      });
      expect(unknownItem.json.error.code).toBe('Internal_InvalidTableRelation');
    });

    it('keeps customerStatistics read-only with one row per customer', async () => {
      const customers = (await api.get('customers?$count=true&$top=0')).json['@odata.count'];
      const stats = await api.get(`${api.companyPath('customerStatistics', 'custom')}?$count=true&$top=0`);
      expect(stats.json['@odata.count']).toBe(customers);
      const post = await api.request('POST', api.companyPath('customerStatistics', 'custom'), { body: {} });
      expect(post.status).toBe(405);
    });
  });

  describe('$batch', () => {
    const batch = (requests: unknown[], headers: Record<string, string> = {}) =>
      api.request('POST', `${bc.apiUrl}/$batch`, { body: { requests }, headers });
    const createOp = (i: number, body: Record<string, unknown> = {}) => ({
      id: String(i),
      method: 'POST',
      url: `companies(${bc.companyId})/customers`,
      headers: { 'Content-Type': 'application/json' },
      body: { displayName: `Batch ${i}`, ...body },
    });

    it('runs up to 100 operations and refuses 101', async () => {
      const ok = await batch(Array.from({ length: 100 }, (_, i) => createOp(i)));
      expect(ok.status).toBe(200);
      expect(ok.json.responses).toHaveLength(100);
      expect(ok.json.responses.every((r: { status: number }) => r.status === 201)).toBe(true);
      expect(ok.json.responses[7]).toMatchObject({ id: '7', body: { displayName: 'Batch 7' } });
      const tooMany = await batch(Array.from({ length: 101 }, (_, i) => createOp(i)));
      expect(tooMany.status).toBe(400);
    });

    it('with Isolation: snapshot applies all operations or none', async () => {
      const before = (await api.get('customers?$count=true&$top=0')).json['@odata.count'];
      const failed = await batch([createOp(1), createOp(2, { city: 'x'.repeat(31) }), createOp(3)], {
        Isolation: 'snapshot',
      });
      expect(failed.status).toBe(200);
      expect(failed.json.responses.map((r: { status: number }) => r.status)).toEqual([201, 400, 201]);
      expect((await api.get('customers?$count=true&$top=0')).json['@odata.count']).toBe(before);
      const partial = await batch([createOp(1), createOp(2, { city: 'x'.repeat(31) })]);
      expect(partial.json.responses.map((r: { status: number }) => r.status)).toEqual([201, 400]);
      expect((await api.get('customers?$count=true&$top=0')).json['@odata.count']).toBe(before + 1);
    });

    it('carries If-Match per operation and reports stale ones as 409', async () => {
      const c = await newCustomer();
      const res = await batch([
        {
          id: 'a',
          method: 'PATCH',
          url: `companies(${bc.companyId})/customers(${c.id})`,
          headers: { 'If-Match': c['@odata.etag'] },
          body: { city: 'Oslo' },
        },
        {
          id: 'b',
          method: 'PATCH',
          url: `companies(${bc.companyId})/customers(${c.id})`,
          headers: { 'If-Match': c['@odata.etag'] },
          body: { city: 'Rome' },
        },
        { id: 'c', method: 'GET', url: `${bc.apiUrl}/companies(${bc.companyId})/customers(${c.id})` },
      ]);
      expect(res.json.responses.map((r: { status: number }) => r.status)).toEqual([200, 409, 200]);
      expect(res.json.responses[2].body.city).toBe('Oslo');
    });
  });

  describe('throttling and faults', () => {
    it('answers 429 with Retry-After above the configured request budget', async () => {
      bc.faults.set({ budget: { requests: 3, windowSeconds: 60 } });
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const res = await api.get('currencies?$top=1');
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get('retry-after');
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    });

    it('injects 5xx answers and dropped connections, never on the token endpoint or /_admin', async () => {
      bc.faults.set({ rate5xx: 1 });
      expect((await api.get('currencies')).status).toBe(503);
      expect((await fetchToken(bc)).status).toBe(200);
      expect((await fetch(`${bc.url}/_admin/health`)).status).toBe(200);
      bc.faults.set({ dropRate: 1 });
      await expect(api.get('currencies')).rejects.toThrow();
    });
  });

  describe('admin surface', () => {
    it('serves health, records, faults and write stats', async () => {
      expect(await (await fetch(`${bc.url}/_admin/health`)).json()).toEqual({ ok: true });
      const put = await fetch(`${bc.url}/_admin/faults`, {
        method: 'PUT',
        body: JSON.stringify({ rate429: 0 }),
      });
      expect(put.status).toBe(200);
      const before = (await (await fetch(`${bc.url}/_admin/stats`)).json()) as { writes: number };
      await newCustomer();
      const after = (await (await fetch(`${bc.url}/_admin/stats`)).json()) as { writes: number };
      expect(after.writes).toBe(before.writes + 1);
      const records = (await (await fetch(`${bc.url}/_admin/records/currencies`)).json()) as {
        value: { code: string }[];
      };
      expect(records.value.map((c) => c.code)).toContain('EUR');
    });
  });
});

describe('BC emulator paging (sized seed)', () => {
  let bc: RunningBcEmulator;
  let api: BcClient;

  beforeAll(async () => {
    bc = await startBcEmulator({ port: 0, records: 300 });
    api = await bcClient(bc);
  });
  afterAll(async () => {
    await bc.stop();
  });

  it('pages with maxpagesize and $skiptoken, stable under concurrent writes', async () => {
    const all = (await api.get('customers?$select=id')).json.value.map(
      (r: { id: string }) => r.id,
    ) as string[];
    expect(all).toHaveLength(300);
    const seen: string[] = [];
    let url: string | undefined = `${api.companyPath('customers')}?$select=id,number`;
    let page = 0;
    while (url) {
      const res = await api.get(url, { Prefer: 'odata.maxpagesize=40' });
      expect(res.status).toBe(200);
      expect(res.json.value.length).toBeLessThanOrEqual(40);
      seen.push(...res.json.value.map((r: { id: string }) => r.id));
      url = res.json['@odata.nextLink'];
      page++;
      // Concurrent writers: new customers land before and after the cursor, one is deleted further on.
      await api.request('POST', 'customers', { body: { number: `A${page}`, displayName: 'early' } });
      await api.request('POST', 'customers', { body: { number: `Z${page}`, displayName: 'late' } });
    }
    const original = seen.filter((id) => all.includes(id));
    expect(original).toHaveLength(300);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('seeds the same records for the same size', async () => {
    const other = await startBcEmulator({ port: 0, records: 300 });
    try {
      const seeded = (emulator: RunningBcEmulator) =>
        emulator.state
          .table('customers')
          .rowsInKeyOrder()
          .filter((r) => String(r.data.number).startsWith('C'))
          .map((r) => [r.data.id, r.data.number, r.data.displayName]);
      expect(seeded(other)).toHaveLength(300);
      expect(seeded(other)).toEqual(seeded(bc));
    } finally {
      await other.stop();
    }
  });
});

describe('BC emulator reset', () => {
  it('reseeds through /_admin/reset with the requested size and clears the write stats', async () => {
    const bc = await startBcEmulator({ port: 0, seed: 'empty' });
    try {
      const api = await bcClient(bc);
      expect((await api.get('customers')).json.value).toHaveLength(0);
      await api.request('POST', 'customers', { body: { displayName: 'Temporary' } });
      const reset = await fetch(`${bc.url}/_admin/reset`, {
        method: 'POST',
        body: JSON.stringify({ records: 7 }),
      });
      expect(reset.status).toBe(200);
      const customers = (await api.get('customers')).json.value;
      expect(customers).toHaveLength(7);
      expect(customers.map((c: { displayName: string }) => c.displayName)).not.toContain('Temporary');
      const stats = (await (await fetch(`${bc.url}/_admin/stats`)).json()) as { writes: number };
      expect(stats.writes).toBe(0);
    } finally {
      await bc.stop();
    }
  });
});

describe('custom API customers, contacts and items (docs/bc-custom-api.md)', () => {
  let bc: RunningBcEmulator;
  let api: BcClient;
  beforeAll(async () => {
    bc = await startBcEmulator({ port: 0, webhookCoalesceMs: 0 });
    api = await bcClient(bc);
  });
  afterAll(async () => {
    await bc.stop();
  });
  const custom = (set: string) => api.companyPath(set, 'custom');

  it('shows the same records with the extra fields; API v2.0 keeps its own fields only', async () => {
    const viaCustom = (await api.get(`${custom('customers')}?$top=3`)).json.value as Record<
      string,
      unknown
    >[];
    const viaStandard = (await api.get('customers?$top=3')).json.value as Record<string, unknown>[];
    expect(viaCustom.map((c) => [c.id, c['@odata.etag'], c.lastModifiedDateTime])).toEqual(
      viaStandard.map((c) => [c.id, c['@odata.etag'], c.lastModifiedDateTime]),
    );
    expect(viaCustom[0]).toHaveProperty('faxNumber');
    expect(viaCustom[0]).toHaveProperty('primaryContactId');
    expect(viaStandard[0]).not.toHaveProperty('faxNumber');
    const refused = await api.get('customers?$select=faxNumber');
    expect(refused.status).toBe(400);
    expect(refused.text).toContain("Could not find a property named 'faxNumber'");
  });

  it('writes an extra field through the custom route; API v2.0 refuses it', async () => {
    const customer = (await api.get('customers?$top=1')).json.value[0] as { id: string };
    const patched = await api.request('PATCH', `${custom('customers')}(${customer.id})`, {
      body: { faxNumber: '+1 425 555 0999' },
      headers: { 'If-Match': '*' },
    });
    expect(patched.status).toBe(200);
    expect(patched.json.faxNumber).toBe('+1 425 555 0999');
    const viaStandard = await api.request('PATCH', `customers(${customer.id})`, {
      body: { faxNumber: '1' },
      headers: { 'If-Match': '*' },
    });
    expect(viaStandard.status).toBe(400);
    const tooLong = await api.request('PATCH', `${custom('customers')}(${customer.id})`, {
      body: { faxNumber: '9'.repeat(31) },
      headers: { 'If-Match': '*' },
    });
    expect(tooLong.json.error.code).toBe('Application_StringExceededLength');
  });

  it("places a person given a customer under that customer's company contact, and checks relations", async () => {
    const company = (
      (
        await api.get(
          `${custom('contacts')}?$filter=type eq 'Company' and customerId ne 00000000-0000-0000-0000-000000000000&$top=1`,
        )
      ).json.value as Record<string, unknown>[]
    )[0]!;
    const person = await api.request('POST', custom('contacts'), {
      body: {
        type: 'Person',
        displayName: 'Pat Doe',
        firstName: 'Pat',
        surname: 'Doe',
        customerId: company.customerId,
      },
    });
    expect(person.status).toBe(201);
    expect(person.json).toMatchObject({ companyNumber: company.number, customerId: company.customerId });
    const unknownCustomer = await api.request('POST', custom('contacts'), {
      body: { type: 'Person', displayName: 'Nobody', customerId: '0d8e1f5a-0000-4000-8000-000000000009' },
    });
    expect(unknownCustomer.status).toBe(400);
    const badSalesperson = await api.request('POST', custom('contacts'), {
      body: { type: 'Person', displayName: 'Sam Roe', salespersonCode: 'NOSUCH' },
    });
    expect(badSalesperson.json.error.code).toBe('Internal_InvalidTableRelation');
  });
});

describe('BC emulator persistence', () => {
  it('loads state saved before the custom API fields existed: they read blank', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bc-emulator-'));
    try {
      const first = await startBcEmulator({ port: 0, stateDir: dir, seed: 'demo' });
      await first.stop();
      // Remove the newer fields from every saved customer row, as an older version wrote them.
      const file = join(dir, 'bc.json');
      const saved = readFileSync(file, 'utf8');
      writeFileSync(file, saved.replace(/"faxNumber":"[^"]*",?/g, '').replace(/,}/g, '}'));
      expect(readFileSync(file, 'utf8')).not.toContain('faxNumber');
      const second = await startBcEmulator({ port: 0, stateDir: dir, seed: 'demo' });
      try {
        const api = await bcClient(second);
        const rows = (await api.get(`${api.companyPath('customers', 'custom')}?$select=number,faxNumber`))
          .json.value as Record<string, unknown>[];
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.every((r) => r.faxNumber === '')).toBe(true);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps state in stateDir across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bc-emulator-'));
    try {
      const first = await startBcEmulator({ port: 0, stateDir: dir, seed: 'empty' });
      const api1 = await bcClient(first);
      const created = await api1.request('POST', 'currencies', {
        body: { code: 'NZD', displayName: 'New Zealand dollar' },
      });
      expect(created.status).toBe(201);
      await first.stop();
      const second = await startBcEmulator({ port: 0, stateDir: dir, seed: 'empty' });
      try {
        const api2 = await bcClient(second);
        const read = await api2.get(`currencies(${created.json.id})`);
        expect(read.json).toMatchObject({ code: 'NZD', '@odata.etag': created.json['@odata.etag'] });
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
