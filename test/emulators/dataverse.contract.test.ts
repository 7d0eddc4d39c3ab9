// Contract tests of the Dataverse Web API v9.2 emulator, over HTTP, one per behaviour of apis.md B/C.
// The emulator runs with an injected clock so whole-second timestamps, token expiry and the
// service-protection window are exact, without waiting or timing assertions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startDataverseEmulator, type RunningDataverseEmulator } from '../../emulators/dataverse';

const START = Date.UTC(2025, 5, 2, 12, 0, 0, 250);
let nowMs = START;
let dv: RunningDataverseEmulator;
let token: string;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Reply {
  status: number;
  headers: Headers;
  json: Json;
  text: string;
}

async function getToken(
  emulator: RunningDataverseEmulator,
  secret = emulator.clientSecret,
): Promise<Response> {
  return fetch(emulator.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: emulator.clientId,
      client_secret: secret,
      scope: emulator.scope,
    }),
  });
}

async function call(
  method: string,
  path: string,
  options: {
    body?: unknown;
    headers?: Record<string, string>;
    auth?: string | null;
    emulator?: RunningDataverseEmulator;
  } = {},
): Promise<Reply> {
  const emulator = options.emulator ?? dv;
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'OData-MaxVersion': '4.0',
    'OData-Version': '4.0',
    ...options.headers,
  };
  const auth = options.auth === undefined ? token : options.auth;
  if (auth !== null) headers.Authorization = `Bearer ${auth}`;
  if (options.body !== undefined && typeof options.body !== 'string')
    headers['Content-Type'] = 'application/json';
  const response = await fetch(path.startsWith('http') ? path : `${emulator.apiUrl}/${path}`, {
    method,
    headers,
    body:
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
  });
  const text = await response.text();
  let json: Json = {};
  try {
    json = text ? (JSON.parse(text) as Json) : {};
  } catch {
    // multipart or plain text
  }
  return { status: response.status, headers: response.headers, json, text };
}

const representation = { Prefer: 'return=representation' };

async function freshToken(): Promise<string> {
  const body = (await (await getToken(dv)).json()) as { access_token: string };
  return body.access_token;
}

async function createAccount(body: Json, headers: Record<string, string> = {}): Promise<Json> {
  const reply = await call('POST', 'accounts', { body, headers: { ...representation, ...headers } });
  expect(reply.status).toBe(201);
  return reply.json;
}

async function admin(path: string, init?: { method: string; body?: unknown }): Promise<Json> {
  const response = await fetch(`${dv.url}/_admin/${path}`, {
    method: init?.method ?? 'GET',
    headers: { 'Content-Type': 'application/json' },
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return (await response.json()) as Json;
}

beforeAll(async () => {
  dv = await startDataverseEmulator({ port: 0, seed: 'demo', records: 30, now: () => nowMs });
  token = await freshToken();
});

afterAll(async () => {
  await dv?.stop();
});

beforeEach(async () => {
  await admin('faults', { method: 'PUT', body: {} });
});

describe('authentication (apis.md C: OAuth2 client credentials)', () => {
  it('issues a bearer token at /{tenant}/oauth2/v2.0/token and rejects a bad secret with 401', async () => {
    const good = await getToken(dv);
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({
      token_type: 'Bearer',
      expires_in: expect.any(Number),
      access_token: expect.any(String),
    });
    const bad = await getToken(dv, 'wrong-secret');
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({
      error: 'invalid_client',
      error_description: expect.stringMatching(/^AADSTS7000215/),
    });
  });

  it('answers 401 with a Bearer challenge to API calls without a valid token', async () => {
    const none = await call('GET', 'accounts', { auth: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer authorization_uri=/);
    expect((await call('GET', 'accounts', { auth: 'not.a.token' })).status).toBe(401);
  });

  it('WhoAmI returns the application user of the calling client', async () => {
    const me = await call('GET', 'WhoAmI');
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({
      UserId: dv.integrationUserId,
      BusinessUnitId: dv.businessUnitId,
      OrganizationId: dv.organizationId,
    });
    const user = await call(
      'GET',
      `systemusers(${dv.integrationUserId})?$select=applicationid,isintegrationuser,fullname`,
    );
    expect(user.json).toMatchObject({ applicationid: dv.clientId, isintegrationuser: true });
  });
});

describe('several integration apps', () => {
  it('gives every registered client its own application user, recorded as the writer of its rows', async () => {
    const other = await startDataverseEmulator({
      port: 0,
      seed: 'empty',
      additionalClients: [{ clientId: 'second-app', clientSecret: 'second-secret' }],
    });
    try {
      const response = await fetch(other.tokenUrl, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'second-app',
          client_secret: 'second-secret',
          scope: other.scope,
        }),
      });
      const second = ((await response.json()) as { access_token: string }).access_token;
      const me = await call('GET', 'WhoAmI', { emulator: other, auth: second });
      expect(me.json.UserId).toBe(other.state.applicationUserId('second-app'));
      expect(me.json.UserId).not.toBe(other.integrationUserId);
      const row = await call('POST', 'accounts', {
        emulator: other,
        auth: second,
        body: { name: 'By the second app' },
        headers: representation,
      });
      expect(row.json._modifiedby_value).toBe(me.json.UserId);
    } finally {
      await other.stop();
    }
  });
});

describe('create (apis.md B: create)', () => {
  it('answers 204 with OData-EntityId, or 201 with the row when return=representation', async () => {
    const plain = await call('POST', 'accounts', { body: { name: 'Plain create' } });
    expect(plain.status).toBe(204);
    const entityId = plain.headers.get('odata-entityid')!;
    expect(entityId).toMatch(new RegExp(`^${dv.apiUrl.replace(/[.]/g, '\\.')}/accounts\\([0-9a-f-]{36}\\)$`));
    const read = await call('GET', entityId);
    expect(read.json.name).toBe('Plain create');

    const rich = await call('POST', 'accounts?$select=name,accountid', {
      body: { name: 'Rich create' },
      headers: representation,
    });
    expect(rich.status).toBe(201);
    expect(Object.keys(rich.json).sort()).toEqual(['@odata.context', '@odata.etag', 'accountid', 'name']);
  });

  it('sets createdon/modifiedon (whole seconds), versionnumber, ETag, createdby/modifiedby/owner = the caller', async () => {
    const row = await createAccount({ name: 'Server columns' });
    expect(row.createdon).toBe('2025-06-02T12:00:00Z');
    expect(row.modifiedon).toBe(row.createdon);
    expect(row['@odata.etag']).toBe(`W/"${row.versionnumber}"`);
    expect(row._createdby_value).toBe(dv.integrationUserId);
    expect(row._modifiedby_value).toBe(dv.integrationUserId);
    expect(row._ownerid_value).toBe(dv.integrationUserId);
  });

  it('honours a client-supplied primary id; creating it again fails with 412 0x80040237', async () => {
    const id = randomUUID();
    const first = await call('POST', 'accounts', { body: { accountid: id, name: 'Chosen id' } });
    expect(first.headers.get('odata-entityid')).toBe(`${dv.apiUrl}/accounts(${id})`);
    const again = await call('POST', 'accounts', { body: { accountid: id, name: 'Chosen id again' } });
    expect(again.status).toBe(412);
    expect(again.json).toEqual({
      error: { code: '0x80040237', message: 'A record with matching key values already exists.' },
    });
    expect((await call('GET', `accounts(${id})?$select=name`)).json.name).toBe('Chosen id');
  });
});

describe('server-set columns on update (apis.md C: second precision, versionnumber, ETag)', () => {
  it('gives two writes in the same second the same modifiedon, but new versions and ETags', async () => {
    nowMs = START + 10_000;
    const a = await createAccount({ name: 'Same second A' });
    nowMs += 600; // still the same second
    const b = await createAccount({ name: 'Same second B' });
    expect(a.modifiedon).toBe('2025-06-02T12:00:10Z');
    expect(b.modifiedon).toBe(a.modifiedon);
    expect(b.versionnumber).toBeGreaterThan(a.versionnumber);
    const since = await call('GET', `accounts?$select=name&$filter=modifiedon ge ${a.modifiedon}`);
    expect(since.json.value.map((r: Json) => r.name)).toEqual(
      expect.arrayContaining(['Same second A', 'Same second B']),
    );
  });

  it('bumps versionnumber, ETag and modifiedon on every update and records the writer', async () => {
    nowMs = START + 20_000;
    const row = await createAccount({ name: 'Versioned' });
    nowMs += 3000;
    const updated = await call('PATCH', `accounts(${row.accountid})`, {
      body: { telephone1: '555' },
      headers: representation,
    });
    expect(updated.status).toBe(200);
    expect(updated.json.versionnumber).toBeGreaterThan(row.versionnumber);
    expect(updated.json['@odata.etag']).not.toBe(row['@odata.etag']);
    expect(updated.json.modifiedon).toBe('2025-06-02T12:00:23Z');
    expect(updated.json.createdon).toBe(row.createdon);
    // A salesperson editing the row in the CRM shows up as the modifier (echo detection relies on it).
    const person = dv.state.salespersonId(0);
    const edited = await call('PATCH', `accounts(${row.accountid})`, {
      body: { telephone1: '556' },
      headers: { ...representation, MSCRMCallerID: person },
    });
    expect(edited.json._modifiedby_value).toBe(person);
    expect(edited.json._modifiedonbehalfby_value).toBe(dv.integrationUserId);
  });
});

describe('upsert / create-only / update-only (apis.md C)', () => {
  it('PATCH without If-Match upserts: creates a missing row, updates an existing one', async () => {
    const id = randomUUID();
    const created = await call('PATCH', `accounts(${id})`, { body: { name: 'Upserted' } });
    expect(created.status).toBe(204);
    expect((await call('GET', `accounts(${id})?$select=name`)).json.name).toBe('Upserted');
    const updated = await call('PATCH', `accounts(${id})`, { body: { name: 'Upserted twice' } });
    expect(updated.status).toBe(204);
    expect((await call('GET', `accounts(${id})?$select=name`)).json.name).toBe('Upserted twice');
  });

  it('If-Match: * only updates (404 when the row is missing)', async () => {
    const missing = randomUUID();
    const reply = await call('PATCH', `accounts(${missing})`, {
      body: { name: 'x' },
      headers: { 'If-Match': '*' },
    });
    expect(reply.status).toBe(404);
    expect(reply.json.error).toEqual({
      code: '0x80040217',
      message: `account With Id = ${missing} Does Not Exist`,
    });
    expect((await call('GET', `accounts(${missing})`)).status).toBe(404);
  });

  it('If-None-Match: * only creates (412 when the row exists)', async () => {
    const row = await createAccount({ name: 'Create only' });
    const reply = await call('PATCH', `accounts(${row.accountid})`, {
      body: { name: 'overwritten?' },
      headers: { 'If-None-Match': '*' },
    });
    expect(reply.status).toBe(412);
    expect(reply.json.error.code).toBe('0x80040237');
    expect((await call('GET', `accounts(${row.accountid})?$select=name`)).json.name).toBe('Create only');
  });

  it('a stale ETag fails with 412; the current ETag succeeds', async () => {
    const row = await createAccount({ name: 'Optimistic' });
    const stale = row['@odata.etag'];
    await call('PATCH', `accounts(${row.accountid})`, { body: { name: 'Changed by someone else' } });
    const conflict = await call('PATCH', `accounts(${row.accountid})`, {
      body: { name: 'Mine' },
      headers: { 'If-Match': stale },
    });
    expect(conflict.status).toBe(412);
    expect(conflict.json.error).toEqual({
      code: '0x80060882',
      message: "The version of the existing record doesn't match the RowVersion property provided.",
    });
    const current = (await call('GET', `accounts(${row.accountid})?$select=name`)).json['@odata.etag'];
    expect(
      (
        await call('PATCH', `accounts(${row.accountid})`, {
          body: { name: 'Mine' },
          headers: { 'If-Match': current },
        })
      ).status,
    ).toBe(204);
    expect(
      (await call('DELETE', `accounts(${row.accountid})`, { headers: { 'If-Match': stale } })).status,
    ).toBe(412);
  });
});

describe('validation with the real column rules and error shape', () => {
  it('rejects a value longer than the column (account name 160) with 0x80044331', async () => {
    const reply = await call('POST', 'accounts', { body: { name: 'x'.repeat(161) } });
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({
      error: {
        code: '0x80044331',
        message:
          "A validation error occurred.  The length of the 'name' attribute of the 'account' entity exceeded the maximum allowed length of '160'.",
      },
    });
    expect((await call('POST', 'accounts', { body: { name: 'x'.repeat(160) } })).status).toBe(204);
    expect(
      (await call('POST', 'contacts', { body: { lastname: 'y'.repeat(51) } })).json.error.message,
    ).toMatch(/'lastname'.*'50'/);
    expect(
      (await call('POST', 'accounts', { body: { name: 'z', address1_postalcode: '1'.repeat(21) } })).status,
    ).toBe(400);
  });

  it('enforces SystemRequired columns (transactioncurrency exchangerate, product productnumber)', async () => {
    const noRate = await call('POST', 'transactioncurrencies', {
      body: { isocurrencycode: 'XTS', currencyname: 'Test currency', currencysymbol: '¤' },
    });
    expect(noRate.status).toBe(400);
    expect(noRate.json.error.code).toMatch(/^0x/);
    expect(noRate.json.error.message).toMatch(/exchangerate/);
    const longCode = await call('POST', 'transactioncurrencies', {
      body: { isocurrencycode: 'ABCDEF', currencyname: 'Too long', currencysymbol: '¤', exchangerate: 1.5 },
    });
    expect(longCode.json.error.message).toMatch(/'isocurrencycode'.*'5'/);
    expect((await call('POST', 'products', { body: { name: 'No number' } })).json.error.message).toMatch(
      /productnumber/,
    );
    // ApplicationRequired ("business required") columns are not enforced by the API: an account without a name is fine.
    expect((await call('POST', 'accounts', { body: { telephone1: '1' } })).status).toBe(204);
  });

  it('rejects unknown columns and wrongly typed values as payload errors', async () => {
    const unknown = await call('POST', 'accounts', { body: { nmae: 'typo' } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.code).toBe('0x80048d19');
    expect(unknown.json.error.message).toMatch(
      /The property 'nmae' does not exist on type 'Microsoft\.Dynamics\.CRM\.account'/,
    );
    const badType = await call('POST', 'accounts', { body: { name: 'n', creditlimit: 'lots' } });
    expect(badType.status).toBe(400);
    expect(badType.json.error.message).toMatch(
      /Cannot convert the literal 'lots' to the expected type 'Edm\.Decimal'/,
    );
  });
});

describe('delete (apis.md B: DELETE 204 / 404)', () => {
  it('deletes with 204 and answers 404 afterwards', async () => {
    const row = await createAccount({ name: 'Short-lived' });
    expect((await call('DELETE', `accounts(${row.accountid})`)).status).toBe(204);
    const again = await call('DELETE', `accounts(${row.accountid})`);
    expect(again.status).toBe(404);
    expect(again.json.error.code).toBe('0x80040217');
  });

  it('cascades to child contacts (parental relationship)', async () => {
    const parent = await createAccount({ name: 'Parent' });
    const child = await call('POST', 'contacts', {
      body: { lastname: 'Child', 'parentcustomerid_account@odata.bind': `/accounts(${parent.accountid})` },
    });
    const childUrl = child.headers.get('odata-entityid')!;
    await call('DELETE', `accounts(${parent.accountid})`);
    expect((await call('GET', childUrl)).status).toBe(404);
  });
});

describe('queries (apis.md B: $select, $filter, $orderby, $top; $skip rejected)', () => {
  it('selects columns, filters and orders', async () => {
    const reply = await call(
      'GET',
      "accounts?$select=name,accountnumber&$filter=startswith(accountnumber,'CRM00001')&$orderby=accountnumber desc",
    );
    expect(reply.status).toBe(200);
    expect(reply.json['@odata.context']).toBe(`${dv.apiUrl}/$metadata#accounts(name,accountnumber)`);
    const numbers = reply.json.value.map((r: Json) => r.accountnumber);
    expect(numbers).toEqual([
      'CRM000019',
      'CRM000018',
      'CRM000017',
      'CRM000016',
      'CRM000015',
      'CRM000014',
      'CRM000013',
      'CRM000012',
      'CRM000011',
      'CRM000010',
    ]);
    expect(Object.keys(reply.json.value[0]).sort()).toEqual([
      '@odata.etag',
      'accountid',
      'accountnumber',
      'name',
    ]);
  });

  it('$top limits rows and gives no next link', async () => {
    const reply = await call('GET', 'accounts?$select=name&$top=3');
    expect(reply.json.value).toHaveLength(3);
    expect(reply.json['@odata.nextLink']).toBeUndefined();
  });

  it('rejects $skip, unknown columns and malformed filters with 400', async () => {
    const skip = await call('GET', 'accounts?$skip=10');
    expect(skip.status).toBe(400);
    expect(skip.json.error).toEqual({
      code: '0x80060888',
      message: 'The query parameter $skip is not supported',
    });
    const unknown = await call('GET', 'accounts?$select=Name');
    expect(unknown.json.error.message).toBe(
      "Could not find a property named 'Name' on type 'Microsoft.Dynamics.CRM.account'.",
    );
    const syntax = await call('GET', "accounts?$filter=name eqq 'x'");
    expect(syntax.status).toBe(400);
    expect(syntax.json.error.message).toMatch(/^Syntax error at position \d+ in 'name eqq 'x''/);
  });

  it('reads lookups as _x_value with lookup annotations on request', async () => {
    const account = await createAccount({ name: 'With lookups' });
    const reply = await call('POST', 'contacts?$select=_parentcustomerid_value', {
      body: { lastname: 'Lookup', 'parentcustomerid_account@odata.bind': `/accounts(${account.accountid})` },
      headers: { Prefer: 'return=representation,odata.include-annotations="*"' },
    });
    expect(reply.json).toMatchObject({
      _parentcustomerid_value: account.accountid,
      '_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname': 'account',
      '_parentcustomerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty':
        'parentcustomerid_account',
      '_parentcustomerid_value@OData.Community.Display.V1.FormattedValue': 'With lookups',
    });
    const expanded = await call(
      'GET',
      `contacts(${reply.json.contactid})?$select=lastname&$expand=parentcustomerid_account($select=name)`,
    );
    expect(expanded.json.parentcustomerid_account).toMatchObject({
      name: 'With lookups',
      accountid: account.accountid,
    });
  });
});

describe('paging (apis.md C: 5,000-row pages and opaque skiptoken)', () => {
  async function readAll(first: string, pageSize: number): Promise<{ pages: Json[][]; applied: string[] }> {
    const pages: Json[][] = [];
    const applied: string[] = [];
    let next: string | undefined = first;
    while (next) {
      const reply = await call('GET', next, { headers: { Prefer: `odata.maxpagesize=${pageSize}` } });
      expect(reply.status).toBe(200);
      applied.push(reply.headers.get('preference-applied') ?? '');
      pages.push(reply.json.value);
      next = reply.json['@odata.nextLink'];
      if (next) expect(next).toMatch(/\$skiptoken=/);
    }
    return { pages, applied };
  }

  it('pages with odata.maxpagesize and @odata.nextLink until every row was read once', async () => {
    const total = dv.state.count('accounts');
    const { pages, applied } = await readAll('accounts?$select=name', 7);
    expect(pages.slice(0, -1).every((p) => p.length === 7)).toBe(true);
    expect(pages.length).toBe(Math.ceil(total / 7));
    const ids = pages.flat().map((r) => r.accountid);
    expect(new Set(ids).size).toBe(total);
    expect(applied.every((a) => a === 'odata.maxpagesize=7')).toBe(true);
  });

  it('caps the page size at 5,000 and ignores $top when a page size is given', async () => {
    const capped = await call('GET', 'accounts?$select=name', {
      headers: { Prefer: 'odata.maxpagesize=10000' },
    });
    expect(capped.headers.get('preference-applied')).toBe('odata.maxpagesize=5000');
    const withTop = await call('GET', 'accounts?$select=name&$top=2', {
      headers: { Prefer: 'odata.maxpagesize=5' },
    });
    expect(withTop.json.value).toHaveLength(5);
    expect(withTop.json['@odata.nextLink']).toBeDefined();
  });

  it('keeps ordered paging stable while rows are inserted between pages (no duplicates, none lost)', async () => {
    const before = new Set(
      (await readAll('accounts?$select=name&$orderby=name', 5000)).pages.flat().map((r) => r.accountid),
    );
    const first = await call('GET', 'accounts?$select=name&$orderby=name', {
      headers: { Prefer: 'odata.maxpagesize=10' },
    });
    const seen: string[] = first.json.value.map((r: Json) => r.accountid);
    // Rows sorting before and after the cursor arrive while the client pages.
    await createAccount({ name: '0000 inserted early' });
    await createAccount({ name: 'zzzz inserted late' });
    const rest = await readAll(first.json['@odata.nextLink'], 10);
    seen.push(...rest.pages.flat().map((r) => r.accountid));
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);
  });

  it('rejects a tampered skip token', async () => {
    const reply = await call('GET', 'accounts?$skiptoken=%3Ccookie%20pagingcookie%3D%22%21%21%22%20%2F%3E');
    expect(reply.status).toBe(400);
  });
});

describe('change tracking (apis.md C: track-changes, deltaLink, deleted entries)', () => {
  it('returns rows then a deltaLink; the deltaLink returns changes and $deletedEntity entries', async () => {
    const initial = await call('GET', 'contacts?$select=lastname', {
      headers: { Prefer: 'odata.track-changes' },
    });
    expect(initial.headers.get('preference-applied')).toContain('odata.track-changes');
    const deltaLink: string = initial.json['@odata.deltaLink'];
    expect(deltaLink).toMatch(/\$deltatoken=\d+!\d{2}%2F\d{2}%2F\d{4}%20\d{2}%3A\d{2}%3A\d{2}$/);
    expect(initial.json.value).toHaveLength(dv.state.count('contacts'));

    const created = await call('POST', 'contacts', {
      body: { lastname: 'Tracked' },
      headers: representation,
    });
    const [victim, edited] = initial.json.value as Json[];
    await call('PATCH', `contacts(${edited.contactid})`, { body: { lastname: 'Edited' } });
    await call('DELETE', `contacts(${victim.contactid})`);

    const delta = await call('GET', deltaLink);
    expect(delta.status).toBe(200);
    expect(delta.json['@odata.context']).toBe(`${dv.apiUrl}/$metadata#contacts(lastname)/$delta`);
    const rows = delta.json.value as Json[];
    expect(
      rows
        .filter((r) => r.reason === undefined)
        .map((r) => r.contactid)
        .sort(),
    ).toEqual([created.json.contactid, edited.contactid].sort());
    expect(rows.filter((r) => r.reason !== undefined)).toEqual([
      {
        '@odata.context': `${dv.apiUrl}/$metadata#contacts/$deletedEntity`,
        id: victim.contactid,
        reason: 'deleted',
      },
    ]);
    const next = await call('GET', delta.json['@odata.deltaLink']);
    expect(next.json.value).toEqual([]);
  });

  it('pages a large delta with nextLinks before the deltaLink', async () => {
    const initial = await call('GET', 'accounts?$select=name', {
      headers: { Prefer: 'odata.track-changes,odata.maxpagesize=5000' },
    });
    for (let i = 0; i < 12; i++) await createAccount({ name: `Delta page ${i}` });
    let link: string | undefined = initial.json['@odata.deltaLink'];
    const names: string[] = [];
    let pages = 0;
    while (link) {
      const reply = await call('GET', link, { headers: { Prefer: 'odata.maxpagesize=5' } });
      pages++;
      names.push(...(reply.json.value as Json[]).map((r) => r.name));
      link = reply.json['@odata.nextLink'];
      if (!link) expect(reply.json['@odata.deltaLink']).toBeDefined();
    }
    expect(pages).toBe(3);
    expect(names).toEqual(Array.from({ length: 12 }, (_, i) => `Delta page ${i}`));
  });

  it('rejects $filter/$orderby/$expand/$top with track-changes, and expired or unknown tokens', async () => {
    for (const option of [
      "$filter=lastname eq 'x'",
      '$orderby=lastname',
      '$top=1',
      '$expand=parentcustomerid_account',
    ]) {
      const reply = await call('GET', `contacts?${option}`, { headers: { Prefer: 'odata.track-changes' } });
      expect(reply.status).toBe(400);
      expect(reply.json.error.message).toMatch(
        /query parameter isn't supported when Change Tracking is enabled/,
      );
    }
    const expired = await call(
      'GET',
      `contacts?$deltatoken=${encodeURIComponent('1000001!01/01/2024 00:00:00')}`,
    );
    expect(expired.status).toBe(400);
    expect(expired.json.error.message).toMatch(/expired/);
    expect((await call('GET', 'contacts?$deltatoken=garbage')).status).toBe(400);
  });
});

describe('@odata.bind lookups (apis.md C)', () => {
  it('stores binds and reads them back as _x_value (customer, currency, owner)', async () => {
    const account = await createAccount({ name: 'Bound parent' });
    const eur = (
      await call('GET', "transactioncurrencies?$select=isocurrencycode&$filter=isocurrencycode eq 'EUR'")
    ).json.value[0];
    const owner = dv.state.salespersonId(2);
    const contact = await call('POST', 'contacts', {
      body: {
        lastname: 'Bound',
        'parentcustomerid_account@odata.bind': `/accounts(${account.accountid})`,
        'transactioncurrencyid@odata.bind': `/transactioncurrencies(${eur.transactioncurrencyid})`,
        'ownerid@odata.bind': `/systemusers(${owner})`,
      },
      headers: representation,
    });
    expect(contact.json).toMatchObject({
      _parentcustomerid_value: account.accountid,
      _transactioncurrencyid_value: eur.transactioncurrencyid,
      _ownerid_value: owner,
    });
    const cleared = await call('PATCH', `contacts(${contact.json.contactid})`, {
      body: { 'parentcustomerid_account@odata.bind': null },
      headers: representation,
    });
    expect(cleared.json._parentcustomerid_value).toBeNull();
  });

  it('fails a bind to a missing row with 404 ObjectDoesNotExist, and a bind of the wrong type with 400', async () => {
    const missing = randomUUID();
    const reply = await call('POST', 'contacts', {
      body: { lastname: 'Orphan', 'parentcustomerid_account@odata.bind': `/accounts(${missing})` },
    });
    expect(reply.status).toBe(404);
    expect(reply.json.error).toEqual({
      code: '0x80040217',
      message: `account With Id = ${missing} Does Not Exist`,
    });
    const wrongType = await call('POST', 'contacts', {
      body: { lastname: 'Wrong', 'parentcustomerid_account@odata.bind': `/contacts(${missing})` },
    });
    expect(wrongType.status).toBe(400);
  });
});

describe('alternate keys in URLs, where an admin created them (apis.md B)', () => {
  let keyed: RunningDataverseEmulator;
  let keyedToken: string;
  const on = (extra: Parameters<typeof call>[2] = {}) => ({ ...extra, emulator: keyed, auth: keyedToken });
  beforeAll(async () => {
    keyed = await startDataverseEmulator({
      port: 0,
      seed: 'demo',
      records: 30,
      alternateKeys: ['accountnumber_key', 'productnumber_key', 'isocurrencycode_key'],
    });
    keyedToken = ((await (await getToken(keyed)).json()) as { access_token: string }).access_token;
  });
  afterAll(async () => {
    await keyed?.stop();
  });

  it('reads and upserts accounts by accountnumber and products by productnumber', async () => {
    const byKey = await call('GET', "accounts(accountnumber='CRM000003')?$select=accountnumber", on());
    expect(byKey.status).toBe(200);
    expect(byKey.json.accountnumber).toBe('CRM000003');
    const upsert = await call('PATCH', "accounts(accountnumber='ALT-1')", {
      ...on(),
      body: { name: 'Created by key' },
      headers: representation,
    });
    expect(upsert.status).toBe(201);
    expect(upsert.json).toMatchObject({ accountnumber: 'ALT-1', name: 'Created by key' });
    const again = await call('PATCH', "accounts(accountnumber='ALT-1')", {
      ...on(),
      body: { name: 'Updated by key' },
      headers: representation,
    });
    expect(again.json.accountid).toBe(upsert.json.accountid);
    const product = await call('PATCH', "products(productnumber='1896-S')", {
      ...on(),
      body: { name: 'ATHENS Desk' },
      headers: representation,
    });
    expect(product.json.productnumber).toBe('1896-S');
    expect((await call('GET', "products(productnumber='1896-S')?$select=name", on())).json.name).toBe(
      'ATHENS Desk',
    );
  });

  it('keeps alternate keys unique and rejects keys that are not defined', async () => {
    const duplicate = await call('POST', 'accounts', {
      ...on(),
      body: { name: 'Copy', accountnumber: 'CRM000003' },
    });
    expect(duplicate.status).toBe(412);
    expect(duplicate.json.error.code).toBe('0x80060892');
    expect((await call('GET', "accounts(name='Copy')", on())).status).toBe(400);
    expect((await call('GET', "accounts(accountnumber='NOPE')", on())).status).toBe(404);
  });
});

function batchBody(boundary: string, parts: string[]): string {
  return `${parts.map((p) => `--${boundary}\r\n${p}`).join('\r\n')}\r\n--${boundary}--\r\n`;
}

function requestPart(method: string, url: string, body?: unknown, contentId?: string): string {
  const head = ['Content-Type: application/http', 'Content-Transfer-Encoding: binary'];
  if (contentId) head.push(`Content-ID: ${contentId}`);
  const json = body === undefined ? '' : JSON.stringify(body);
  return `${head.join('\r\n')}\r\n\r\n${method} ${url} HTTP/1.1\r\nContent-Type: application/json; type=entry\r\n\r\n${json}`;
}

function changeset(boundary: string, parts: string[]): string {
  return `Content-Type: multipart/mixed; boundary=${boundary}\r\n\r\n${batchBody(boundary, parts)}`;
}

async function postBatch(
  body: string,
  boundary: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return call('POST', '$batch', {
    body,
    headers: { 'Content-Type': `multipart/mixed; boundary="${boundary}"`, ...headers },
  });
}

describe('$batch (apis.md C: 1,000-request batches with change sets)', () => {
  it('runs requests in order and answers a multipart batch response', async () => {
    const boundary = `batch_${randomUUID()}`;
    const reply = await postBatch(
      batchBody(boundary, [
        requestPart('POST', '/api/data/v9.2/accounts', { name: 'Batch 1' }),
        requestPart('POST', `${dv.apiUrl}/accounts`, { name: 'Batch 2' }),
        requestPart('GET', "accounts?$select=name&$filter=startswith(name,'Batch ')&$orderby=name"),
      ]),
      boundary,
    );
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^multipart\/mixed; boundary=batchresponse_/);
    expect(reply.text.match(/HTTP\/1\.1 204 No Content/g)).toHaveLength(2);
    expect(reply.text).toMatch(/Location: http:\/\/.+\/accounts\([0-9a-f-]{36}\)/);
    expect(reply.text).toMatch(/"name":"Batch 1".*"name":"Batch 2"/s);
  });

  it('rolls a failing change set back as a whole', async () => {
    const boundary = `batch_${randomUUID()}`;
    const cs = `changeset_${randomUUID()}`;
    const reply = await postBatch(
      batchBody(boundary, [
        changeset(cs, [
          requestPart('POST', 'accounts', { name: 'Atomic 1' }, '1'),
          requestPart(
            'POST',
            'contacts',
            { lastname: 'Atomic child', 'parentcustomerid_account@odata.bind': '$1' },
            '2',
          ),
          requestPart('POST', 'accounts', { name: 'x'.repeat(200) }, '3'),
        ]),
      ]),
      boundary,
    );
    expect(reply.status).toBe(400);
    expect(reply.text).toMatch(/0x80044331/);
    const found = await call('GET', "accounts?$select=name&$filter=name eq 'Atomic 1'");
    expect(found.json.value).toHaveLength(0);
    expect(
      (await call('GET', "contacts?$select=lastname&$filter=lastname eq 'Atomic child'")).json.value,
    ).toHaveLength(0);
  });

  it('resolves Content-ID references in a successful change set', async () => {
    const boundary = `batch_${randomUUID()}`;
    const cs = `changeset_${randomUUID()}`;
    const reply = await postBatch(
      batchBody(boundary, [
        changeset(cs, [
          requestPart('POST', 'accounts', { name: 'Referenced parent' }, '1'),
          requestPart(
            'POST',
            'contacts',
            { lastname: 'Referencing child', 'parentcustomerid_account@odata.bind': '$1' },
            '2',
          ),
          requestPart('PATCH', '$1', { telephone1: '42' }, '3'),
        ]),
      ]),
      boundary,
    );
    expect(reply.status).toBe(200);
    expect(reply.text).toMatch(/boundary=changesetresponse_/);
    const parent = (await call('GET', "accounts?$select=telephone1&$filter=name eq 'Referenced parent'")).json
      .value[0];
    expect(parent.telephone1).toBe('42');
    const child = (
      await call('GET', "contacts?$select=_parentcustomerid_value&$filter=lastname eq 'Referencing child'")
    ).json.value[0];
    expect(child._parentcustomerid_value).toBe(parent.accountid);
  });

  it('stops at the first error unless Prefer: odata.continue-on-error', async () => {
    const parts = (tag: string): string[] => [
      requestPart('POST', 'accounts', { name: `${tag} before` }),
      requestPart('POST', 'accounts', { bogus: true }),
      requestPart('POST', 'accounts', { name: `${tag} after` }),
    ];
    const b1 = `batch_${randomUUID()}`;
    const stopped = await postBatch(batchBody(b1, parts('Stop')), b1);
    expect(stopped.status).toBe(400);
    const names = async (tag: string): Promise<string[]> =>
      (await call('GET', `accounts?$select=name&$filter=startswith(name,'${tag} ')`)).json.value
        .map((r: Json) => r.name)
        .sort();
    expect(await names('Stop')).toEqual(['Stop before']);

    const b2 = `batch_${randomUUID()}`;
    const continued = await postBatch(batchBody(b2, parts('Go')), b2, { Prefer: 'odata.continue-on-error' });
    expect(continued.status).toBe(200);
    expect(continued.text).toMatch(/HTTP\/1\.1 400 Bad Request/);
    expect(await names('Go')).toEqual(['Go after', 'Go before']);
  });

  it('accepts 1,000 requests and rejects 1,001', async () => {
    const b = `batch_${randomUUID()}`;
    const make = (n: number): string[] =>
      Array.from({ length: n }, (_, i) => requestPart('POST', 'accounts', { name: `Bulk ${i}` }));
    const before = dv.state.count('accounts');
    const ok = await postBatch(batchBody(b, make(1000)), b);
    expect(ok.status).toBe(200);
    expect(dv.state.count('accounts')).toBe(before + 1000);
    const tooMany = await postBatch(batchBody(b, make(1001)), b);
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.error.message).toMatch(/1000/);
    expect(dv.state.count('accounts')).toBe(before + 1000);
  });
});

describe('service protection and fault injection (apis.md C)', () => {
  it('answers 429 with Retry-After and 0x80072322 above the request budget; a batch counts once', async () => {
    await admin('faults', { method: 'PUT', body: { budget: { requests: 3, windowSeconds: 300 } } });
    const b = `batch_${randomUUID()}`;
    const batch = await postBatch(
      batchBody(
        b,
        Array.from({ length: 5 }, (_, i) => requestPart('POST', 'accounts', { name: `Budget ${i}` })),
      ),
      b,
    );
    expect(batch.status).toBe(200);
    expect((await call('GET', 'accounts?$top=1')).status).toBe(200);
    expect((await call('GET', 'accounts?$top=1')).status).toBe(200);
    const throttled = await call('GET', 'accounts?$top=1');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('300');
    expect(throttled.json.error).toEqual({
      code: '0x80072322',
      message: 'Number of requests exceeded the limit of 3 over time window of 300 seconds.',
    });
    nowMs += 301_000;
    expect((await call('GET', 'accounts?$top=1')).status).toBe(200);
    token = await freshToken();
  });

  it('injects 5xx, 429 and dropped connections, never on the token endpoint or /_admin', async () => {
    await admin('faults', { method: 'PUT', body: { rate5xx: 1 } });
    expect((await call('GET', 'WhoAmI')).status).toBe(503);
    expect((await getToken(dv)).status).toBe(200);
    expect(await admin('health')).toEqual({ ok: true });
    await admin('faults', { method: 'PUT', body: { rate429: 1, retryAfterSeconds: 7 } });
    const throttled = await call('GET', 'WhoAmI');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    await admin('faults', { method: 'PUT', body: { dropRate: 1 } });
    await expect(call('GET', 'WhoAmI')).rejects.toThrow();
    expect(await admin('faults')).toMatchObject({ dropRate: 1, rate429: 0 });
  });
});

describe('admin surface and seed data', () => {
  it('counts successful writes only, so tests can prove nothing was written twice', async () => {
    const before = (await admin('stats')).writes;
    await call('POST', 'accounts', { body: { name: 'Counted' } });
    await call('POST', 'accounts', { body: { name: 'x'.repeat(500) } });
    const after = await admin('stats');
    expect(after.writes).toBe(before + 1);
    expect(after.byStatus['400']).toBeGreaterThan(0);
  });

  it('seeds a realistic demo organisation: USD base currency, salespeople, unit group, price list', async () => {
    const currencies = (await admin('records/transactioncurrencies')).value as Json[];
    expect(currencies.find((c) => c.isocurrencycode === 'USD')).toMatchObject({
      exchangerate: 1,
      currencysymbol: '$',
    });
    expect(currencies.map((c) => c.isocurrencycode)).toEqual(expect.arrayContaining(['EUR', 'GBP', 'DKK']));
    const users = (await admin('records/systemusers')).value as Json[];
    const sales = users.filter((u) => u.islicensed && !u.isdisabled && !u.isintegrationuser);
    expect(sales.length).toBeGreaterThanOrEqual(5);
    expect(sales.every((u) => typeof u.internalemailaddress === 'string' && u.fullname)).toBe(true);
    expect((await admin('records/uomschedules')).value[0]).toMatchObject({
      name: 'Default Unit',
      baseuomname: 'Primary Unit',
    });
    expect((await admin('records/pricelevels')).value[0]).toMatchObject({ name: 'Default Price List' });
  });

  it('creates the base unit when a unit group is created', async () => {
    const group = await call('POST', 'uomschedules', {
      body: { name: 'PCS', baseuomname: 'PCS' },
      headers: representation,
    });
    const units = await call(
      'GET',
      `uoms?$select=name,isschedulebaseuom&$filter=_uomscheduleid_value eq ${group.json.uomscheduleid}`,
    );
    expect(units.json.value).toEqual([expect.objectContaining({ name: 'PCS', isschedulebaseuom: true })]);
  });

  it('seeds N accounts and N contacts deterministically, and resets through /_admin/reset', async () => {
    const other = await startDataverseEmulator({ port: 0, seed: 'empty', records: 25, now: () => START });
    try {
      const mine = (await fetch(`${other.url}/_admin/records/accounts`).then((r) => r.json())) as {
        value: Json[];
      };
      expect(mine.value).toHaveLength(25);
      expect(other.state.count('contacts')).toBe(25);
      expect(other.state.count('transactioncurrencies')).toBe(1);
      const third = await startDataverseEmulator({ port: 0, seed: 'empty', records: 25, now: () => START });
      try {
        expect(third.state.list('accounts').map((r) => r.accountid)).toEqual(
          mine.value.map((r) => r.accountid),
        );
      } finally {
        await third.stop();
      }
      await fetch(`${other.url}/_admin/reset`, {
        method: 'POST',
        body: JSON.stringify({ seed: 'empty', records: 3 }),
      });
      expect(other.state.count('accounts')).toBe(3);
    } finally {
      await other.stop();
    }
  });

  it('keeps its data across restarts when given a state folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dv-emulator-'));
    try {
      const first = await startDataverseEmulator({ port: 0, seed: 'empty', stateDir: dir });
      const row = first.state.create('accounts', { name: 'Persisted' });
      await first.stop();
      const second = await startDataverseEmulator({ port: 0, seed: 'empty', stateDir: dir });
      try {
        expect(second.state.get('accounts', String(row.accountid))).toMatchObject({
          name: 'Persisted',
          versionnumber: row.versionnumber,
        });
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
