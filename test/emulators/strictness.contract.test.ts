// Contract tests of the emulators' strict defaults (docs/strict-apis.md): where the real services refuse or
// behave differently from a lenient reading of OData, the emulators do the same, so a test that passes here
// does not fail against a tenant. Each case cites the Microsoft page it follows.
import { startBcEmulator, type RunningBcEmulator } from '../../emulators/bc';
import { startDataverseEmulator, type RunningDataverseEmulator } from '../../emulators/dataverse';
import { BASE_CURRENCY_ID, PIECES_UNIT_GROUP_ID, PIECES_UNIT_ID } from '../../emulators/dataverse/seed';
import { bcClient, type BcClient } from './bcTestClient';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let bc: RunningBcEmulator;
let api: BcClient;
let dv: RunningDataverseEmulator;
let dvToken: string;

async function token(url: string, clientId: string, secret: string, scope: string): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
      scope,
    }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function dvCall(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${dv.apiUrl}/${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${dvToken}`,
      Accept: 'application/json',
      Prefer: 'return=representation',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Json) : {} };
}

async function dvGet(path: string, auth = dvToken): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${dv.apiUrl}/${path}`, {
    headers: { Authorization: `Bearer ${auth}`, Accept: 'application/json' },
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Json) : {} };
}

/** The demo organization's "PCS" unit group and its base unit, as a product is entered in the Sales app. */
const PIECES = {
  'defaultuomscheduleid@odata.bind': `/uomschedules(${PIECES_UNIT_GROUP_ID})`,
  'defaultuomid@odata.bind': `/uoms(${PIECES_UNIT_ID})`,
};

const bcFilter = (entitySet: string, filter: string) =>
  api.get(`${entitySet}?$filter=${encodeURIComponent(filter)}`);

beforeAll(async () => {
  bc = await startBcEmulator({ port: 0, seed: 'demo', webhookCoalesceMs: 0 });
  api = await bcClient(bc);
  dv = await startDataverseEmulator({ port: 0, seed: 'demo' });
  dvToken = await token(dv.tokenUrl, dv.clientId, dv.clientSecret, dv.scope);
});

afterAll(async () => {
  await bc?.stop();
  await dv?.stop();
});

describe('Business Central $filter', () => {
  // "Using filter expressions in OData URIs": tolower/toupper exist to "disable case sensitivity", i.e.
  // text comparisons are case-sensitive by default.
  // https://learn.microsoft.com/dynamics365/business-central/dev-itpro/webservices/use-filter-expressions-in-odata-uris
  it('compares text case-sensitively; tolower() finds the other spelling', async () => {
    const all = (await api.get('customers?$select=displayName,email')).json.value as Json[];
    const customer = all.find((c) => /[A-Z]/.test(String(c.displayName)))!;
    const name = String(customer.displayName);
    expect((await bcFilter('customers', `displayName eq '${name}'`)).json.value).toHaveLength(1);
    expect((await bcFilter('customers', `displayName eq '${name.toUpperCase()}'`)).json.value).toHaveLength(
      0,
    );
    const folded = await bcFilter('customers', `tolower(displayName) eq '${name.toLowerCase()}'`);
    expect(folded.status).toBe(200);
    expect(folded.json.value.map((c: Json) => c.displayName)).toContain(name);
  });

  // "Known limitations with Business Central OData": an OR across two different fields is refused with
  // "The 'OR' operator is not supported on distinct fields on an OData filter."
  // https://learn.microsoft.com/dynamics365/business-central/dev-itpro/webservices/odata-known-limitations
  it("refuses 'or' across two fields with 400; 'or' on one field works", async () => {
    const mixed = await bcFilter('customers', "city eq 'Atlanta' or country eq 'US'");
    expect(mixed.status).toBe(400);
    expect(mixed.json.error.message).toContain("The 'OR' operator is not supported on distinct fields");
    const same = await bcFilter('customers', "city eq 'Atlanta' or city eq 'Chicago'");
    expect(same.status).toBe(200);
    const nested = await bcFilter('customers', "blocked eq ' ' and (city eq 'Atlanta' or city eq 'Chicago')");
    expect(nested.status).toBe(200);
  });

  // OData literals are typed (Using filter expressions in OData URIs shows unquoted numbers and dates): a
  // quoted value for a decimal or datetime field, or a number for a text field, is a type error.
  it('type-checks literals against the field: quoted number, quoted datetime, number for text -> 400', async () => {
    for (const filter of [
      "creditLimit gt '0'",
      "lastModifiedDateTime gt '2024-01-01T00:00:00Z'",
      'displayName eq 5',
      "id eq '00000000-0000-0000-0000-000000000000'",
    ]) {
      const reply = await bcFilter('customers', filter);
      expect({ filter, status: reply.status }).toEqual({ filter, status: 400 });
    }
    expect((await bcFilter('customers', 'creditLimit gt 0')).status).toBe(200);
    expect((await bcFilter('customers', 'lastModifiedDateTime gt 2024-01-01T00:00:00Z')).status).toBe(200);
  });
});

describe('Business Central writes', () => {
  // "Delete customers": If-Match is Required.
  // https://learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v2.0/api/dynamics_customer_delete
  it('refuses DELETE without If-Match (400 BadRequest_InvalidToken) and keeps the record', async () => {
    const created = await api.request('POST', 'customers', { body: { displayName: 'Delete me' } });
    const id = String(created.json.id);
    const refused = await api.request('DELETE', `customers(${id})`);
    expect(refused.status).toBe(400);
    expect(refused.json.error.code).toBe('BadRequest_InvalidToken');
    expect((await api.get(`customers(${id})`)).status).toBe(200);
    const done = await api.request('DELETE', `customers(${id})`, {
      headers: { 'If-Match': String(created.json['@odata.etag']) },
    });
    expect(done.status).toBe(204);
  });
});

describe('Business Central client-chosen ids on POST', () => {
  const someId = '5f0b6c1e-8a2d-4e7f-9b3c-1d2e4f6a8b9c';

  // API v2.0's pages declare `field(id; Rec.SystemId) { Editable = false; }` and insert with Rec.Insert(true),
  // which lets the platform assign the SystemId (microsoft/ALAppExtensions, Apps/W1/APIV2/app/src/pages:
  // APIV2Customers, APIV2Contacts, APIV2SalespersonPurchaser, APIV2PaymentTerms, APIV2ShipmentMethods). A body
  // value for a read-only control is refused: "Control '…' is read-only", BadRequest_InvalidOperation
  // (Troubleshooting REST API/OData calls, error table; MicrosoftDocs/dynamics365smb-devitpro-pb #618 shows it
  // on POST customers, and PR #2676 removed `id` from the POST salesOrders example because "id is read-only").
  // Whether BC refuses or silently replaces the id, it is never honoured; refusing is the stricter reading.
  it.each(['customers', 'contacts', 'salespeoplePurchasers', 'paymentTerms', 'shipmentMethods', 'items'])(
    'API v2.0 %s: a POST that gives an id is refused (400 read-only), nothing is created',
    async (entitySet) => {
      const bodies: Record<string, Json> = {
        customers: { displayName: 'Id On Post Ltd' },
        contacts: { displayName: 'Ida Post', type: 'Person' },
        salespeoplePurchasers: { code: 'IDP', displayName: 'Ida Post' },
        paymentTerms: { code: 'IDP', displayName: 'Id on post' },
        shipmentMethods: { code: 'IDP', displayName: 'Id on post' },
        items: { displayName: 'Id on post widget' },
      };
      const path = api.companyPath(entitySet, 'v2.0');
      const refused = await api.request('POST', path, { body: { id: someId, ...bodies[entitySet] } });
      expect(refused.status).toBe(400);
      expect(refused.json.error.code).toBe('BadRequest_InvalidOperation');
      expect(refused.json.error.message).toContain("Control 'id' is read-only.");
      expect((await api.get(`${path}(${someId})`)).status).toBe(404);
      // Without the id, the same body is created and BC assigns the id.
      const created = await api.request('POST', path, { body: bodies[entitySet] });
      expect(created.status).toBe(201);
      expect(created.json.id).not.toBe(someId);
    },
  );

  // The bcsync extension's pages take the id on POST and insert with Rec.Insert(true, InsertWithSystemId)
  // ("Record.Insert(Boolean, Boolean) Method": "the SystemId field of the record is given a value that you
  // explicitly assign"; "System Fields": a SystemId "can't be changed" once set, and has a unique key).
  // https://learn.microsoft.com/dynamics365/business-central/dev-itpro/developer/methods-auto/record/record-insert-boolean-boolean-method
  // https://learn.microsoft.com/dynamics365/business-central/dev-itpro/developer/devenv-table-system-fields
  it('bcsync custom customers: the POSTed id is the record’s id; a second POST with it is 409; a PATCH may repeat it, never change it', async () => {
    const path = api.companyPath('customers', 'custom');
    const id = 'a1b2c3d4-0000-4000-8000-00000000c0de';
    const created = await api.request('POST', path, { body: { id, displayName: 'Client Id Corp' } });
    expect(created.status).toBe(201);
    expect(created.json.id).toBe(id);
    // The same record on the API v2.0 route (one table, one SystemId).
    expect((await api.get(`${api.companyPath('customers', 'v2.0')}(${id})`)).json.displayName).toBe(
      'Client Id Corp',
    );
    const again = await api.request('POST', path, { body: { id, displayName: 'Client Id Corp' } });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('Internal_EntityWithSameKeyExists');
    const same = await api.request('PATCH', `${path}(${id})`, {
      body: { id, city: 'Atlanta' },
      headers: { 'If-Match': '*' },
    });
    expect(same.status).toBe(200);
    const changed = await api.request('PATCH', `${path}(${id})`, {
      body: { id: someId },
      headers: { 'If-Match': '*' },
    });
    expect(changed.status).toBe(400);
    expect(changed.json.error.message).toContain('"id" of a record cannot be changed');
    expect((await api.get(`${path}(${id})`)).json.city).toBe('Atlanta');
  });
});

describe('paging with $top', () => {
  // OData 4.01 Protocol, 11.2.6.3 System Query Option $top and 11.2.6.7 Server-Driven Paging: $top caps the
  // whole result, server-driven paging splits it into pages with a nextLink; Business Central pages with
  // `Prefer: odata.maxpagesize` ("Client-driven paging" in "OData web services").
  // https://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part1-protocol.html#sec_ServerDrivenPaging
  it('Business Central: $top above the page size is served over several pages, ending at $top', async () => {
    const url = 'customers?$select=number&$orderby=number&$top=5';
    const all = (await api.get(url)).json.value.map((r: Json) => r.number);
    expect(all).toHaveLength(5);
    const paged: string[] = [];
    let next: string | undefined = url;
    let pages = 0;
    while (next) {
      const res = await api.get(next, { Prefer: 'odata.maxpagesize=2' });
      expect(res.status).toBe(200);
      paged.push(...res.json.value.map((r: Json) => r.number));
      next = res.json['@odata.nextLink'];
      pages++;
    }
    expect(paged).toEqual(all);
    expect(pages).toBe(3);
  });

  // "Page results using OData": "Don't use $top with the Prefer: odata.maxpagesize request header. If you
  // include both, $top is ignored."
  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results
  it('Dataverse: with odata.maxpagesize, $top is ignored and paging goes on to the end', async () => {
    const total = (await dvGet('accounts?$select=name')).json.value.length as number;
    expect(total).toBeGreaterThan(3);
    let rows = 0;
    let next: string | undefined = `${dv.apiUrl}/accounts?$select=name&$top=1`;
    while (next) {
      const res: Response = await fetch(next, {
        headers: { Authorization: `Bearer ${dvToken}`, Prefer: 'odata.maxpagesize=2' },
      });
      const json = (await res.json()) as Json;
      rows += (json.value as Json[]).length;
      next = json['@odata.nextLink'];
    }
    expect(rows).toBe(total);
  });
});

describe('$batch', () => {
  // "Using OData transactional $batch requests": Business Central documents `Isolation: snapshot` for an
  // all-or-nothing JSON batch; OData 4.01's atomicityGroup and dependsOn are not documented, so the
  // emulator answers 501 instead of ignoring them.
  // https://learn.microsoft.com/dynamics365/business-central/dev-itpro/webservices/use-odata-batch
  it('Business Central: atomicityGroup and dependsOn are answered 501 and nothing is written', async () => {
    const before = (await api.get('customers?$count=true&$top=0')).json['@odata.count'];
    for (const extra of [{ atomicityGroup: 'g1' }, { dependsOn: ['1'] }]) {
      const res = await api.request('POST', `${bc.apiUrl}/$batch`, {
        body: {
          requests: [
            {
              id: '1',
              method: 'POST',
              url: `companies(${bc.companyId})/customers`,
              headers: { 'Content-Type': 'application/json' },
              body: { displayName: 'Batch atomicity' },
            },
            {
              id: '2',
              method: 'POST',
              url: `companies(${bc.companyId})/customers`,
              headers: { 'Content-Type': 'application/json' },
              body: { displayName: 'Batch atomicity 2' },
              ...extra,
            },
          ],
        },
      });
      expect(res.status).toBe(501);
      expect(res.json.error.message).toContain(Object.keys(extra)[0]);
    }
    expect((await api.get('customers?$count=true&$top=0')).json['@odata.count']).toBe(before);
  });

  // "Execute batch operations using the Web API": a Dataverse batch is multipart/mixed with change sets;
  // a JSON batch (where atomicityGroup and dependsOn live) is refused with 400.
  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api
  it('Dataverse: a JSON batch with atomicityGroup is refused with 400', async () => {
    const res = await fetch(`${dv.apiUrl}/$batch`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${dvToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        requests: [{ id: '1', method: 'GET', url: 'accounts?$top=1', atomicityGroup: 'g1' }],
      }),
    });
    expect(res.status).toBe(400);
  });
});

describe('Dataverse $filter', () => {
  // "Filter rows using OData": string comparisons ignore case; literals are typed (numbers unquoted,
  // dates unquoted); the page's examples quote a lookup GUID, which is accepted.
  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/filter-rows
  it('ignores case for strings and refuses literals of the wrong type with 400', async () => {
    const accounts = (await dvGet('accounts?$select=name&$top=1')).json.value as Json[];
    const name = String(accounts[0]!.name);
    const folded = await dvGet(`accounts?$filter=${encodeURIComponent(`name eq '${name.toUpperCase()}'`)}`);
    expect(folded.json.value.map((a: Json) => a.name)).toContain(name);
    for (const filter of ['name eq 5', "modifiedon gt '2024-01-01T00:00:00Z'", "creditlimit gt '1'"]) {
      const reply = await dvGet(`accounts?$filter=${encodeURIComponent(filter)}`);
      expect({ filter, status: reply.status }).toEqual({ filter, status: 400 });
    }
    const quotedGuid = await dvGet(
      `accounts?$filter=${encodeURIComponent("_primarycontactid_value eq '00000000-0000-0000-0000-000000000000'")}`,
    );
    expect(quotedGuid.status).toBe(200);
  });

  // "Use FetchXml to query data": FetchXML is a real query route. The emulator does not run it and says
  // so (501) instead of returning the whole table.
  // https://learn.microsoft.com/power-apps/developer/data-platform/fetchxml/overview
  it('answers a FetchXML query with 501, never with the unfiltered table', async () => {
    const fetchXml = '<fetch top="1"><entity name="account"><attribute name="name"/></entity></fetch>';
    const reply = await dvGet(`accounts?fetchXml=${encodeURIComponent(fetchXml)}`);
    expect(reply.status).toBe(501);
    expect(reply.json.error.message).toContain('not implemented');
  });
});

describe('Dataverse keys and products', () => {
  // "Use an alternate key to reference a record": keys exist only where an admin defined them; a stock
  // organization has none on accountnumber, productnumber or isocurrencycode, so duplicates are stored.
  // https://learn.microsoft.com/power-apps/developer/data-platform/use-alternate-key-reference-record
  it('has no alternate keys by default: duplicates are stored and key URLs are refused', async () => {
    const first = await dvCall('POST', 'accounts', { name: 'Dup A', accountnumber: 'DUP-1' });
    const second = await dvCall('POST', 'accounts', { name: 'Dup B', accountnumber: 'DUP-1' });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect((await dvGet("accounts(accountnumber='DUP-1')")).status).toBe(400);
    const currencies = [
      await dvCall('POST', 'transactioncurrencies', {
        isocurrencycode: 'XTS',
        currencyname: 'Test 1',
        currencysymbol: 'T',
        exchangerate: 1,
      }),
      await dvCall('POST', 'transactioncurrencies', {
        isocurrencycode: 'XTS',
        currencyname: 'Test 2',
        currencysymbol: 'T',
        exchangerate: 1,
      }),
    ];
    expect(currencies.map((c) => c.status)).toEqual([201, 201]);
  });

  // "Publish, revise, revert, retire, and activate products": a new product is Draft on a fresh Sales
  // organization and is published by setting its state to Active; only then can it be sold.
  // https://learn.microsoft.com/dynamics365/sales/developer/publish-revise-revert-retire-activate-products
  it('creates products in Draft whatever the body says; an invoice line needs a published product', async () => {
    const product = await dvCall('POST', 'products', {
      name: 'Draft chair',
      productnumber: 'DRAFT-1',
      statecode: 0,
      ...PIECES,
    });
    expect(product.status).toBe(201);
    expect(product.json).toMatchObject({ statecode: 2, statuscode: 0 });
    const account = await dvCall('POST', 'accounts', { name: 'Buyer' });
    const currency = (await dvGet('transactioncurrencies?$select=transactioncurrencyid&$top=1')).json
      .value[0];
    const priceList = await dvCall('POST', 'pricelevels', {
      name: 'Draft test prices',
      'transactioncurrencyid@odata.bind': `/transactioncurrencies(${currency.transactioncurrencyid})`,
    });
    const invoice = await dvCall('POST', 'invoices', {
      name: 'INV draft',
      'customerid_account@odata.bind': `/accounts(${account.json.accountid})`,
      'pricelevelid@odata.bind': `/pricelevels(${priceList.json.pricelevelid})`,
    });
    expect(invoice.status).toBe(201);
    const line = {
      'invoiceid@odata.bind': `/invoices(${invoice.json.invoiceid})`,
      'productid@odata.bind': `/products(${product.json.productid})`,
      'uomid@odata.bind': `/uoms(${PIECES_UNIT_ID})`,
      quantity: 1,
    };
    const refused = await dvCall('POST', 'invoicedetails', line);
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toContain('DRAFT-1');

    const published = await dvCall(
      'PATCH',
      `products(${product.json.productid})`,
      { statecode: 0, statuscode: 1 },
      { 'If-Match': '*' },
    );
    expect(published.json).toMatchObject({ statecode: 0, statuscode: 1 });
    expect((await dvCall('POST', 'invoicedetails', line)).status).toBe(201);
  });

  // Invoice Product (InvoiceDetail) reference: Amount (baseamount) and Extended Amount (extendedamount)
  // are "IsValidForCreate False"; the server computes them from price, quantity, discounts and tax.
  // https://learn.microsoft.com/dynamics365/sales/developer/entities/invoicedetail
  it('computes an invoice line amount and extended amount itself, whatever the body says', async () => {
    const account = await dvCall('POST', 'accounts', { name: 'Amount buyer' });
    const invoice = await dvCall('POST', 'invoices', {
      name: 'INV amounts',
      'customerid_account@odata.bind': `/accounts(${account.json.accountid})`,
    });
    const line = await dvCall('POST', 'invoicedetails', {
      'invoiceid@odata.bind': `/invoices(${invoice.json.invoiceid})`,
      isproductoverridden: true,
      productdescription: 'Write-in chair',
      quantity: 3,
      priceperunit: 10,
      manualdiscountamount: 5,
      tax: 2.5,
      baseamount: 999,
      extendedamount: 999,
    });
    expect(line.status).toBe(201);
    expect(line.json).toMatchObject({ baseamount: 30, extendedamount: 27.5 });
  });
});

describe('Dataverse product catalog and invoice totals', () => {
  const publish = (productId: string) =>
    dvCall('PATCH', `products(${productId})`, { statecode: 0, statuscode: 1 }, { 'If-Match': '*' });
  const newGroup = async (name: string) => {
    const group = await dvCall('POST', 'uomschedules', { name, baseuomname: name });
    const base = (
      await dvGet(
        `uoms?$filter=_uomscheduleid_value eq ${group.json.uomscheduleid} and isschedulebaseuom eq true`,
      )
    ).json.value[0];
    return { groupId: String(group.json.uomscheduleid), unitId: String(base.uomid) };
  };

  // Product table reference: DefaultUoMScheduleId (Unit Group) and DefaultUoMId (Default Unit) are
  // ApplicationRequired - the Web API accepts a product without them (apis.md findings), but the default
  // unit is chosen among the units of the product's unit group, and a product is sold (published) in them.
  // https://learn.microsoft.com/dynamics365/sales/developer/entities/product
  // https://learn.microsoft.com/dynamics365/sales/developer/publish-revise-revert-retire-activate-products
  it('keeps a Draft product without units, publishes only one with a unit group and its default unit', async () => {
    const bare = await dvCall('POST', 'products', { name: 'Unitless', productnumber: 'UNITLESS-1' });
    expect(bare.status).toBe(201);
    const refused = await publish(bare.json.productid);
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toContain('UNITLESS-1');
    expect(refused.json.error.message).toContain('defaultuomid');

    const hours = await newGroup('HOURS-TEST');
    const mismatched = await dvCall('POST', 'products', {
      name: 'Mismatched unit',
      productnumber: 'MISMATCH-1',
      'defaultuomscheduleid@odata.bind': `/uomschedules(${PIECES_UNIT_GROUP_ID})`,
      'defaultuomid@odata.bind': `/uoms(${hours.unitId})`,
    });
    expect(mismatched.status).toBe(400);
    expect(mismatched.json.error.message).toContain('does not belong to its unit group');

    const good = await dvCall(
      'PATCH',
      `products(${bare.json.productid})`,
      {
        'defaultuomscheduleid@odata.bind': `/uomschedules(${hours.groupId})`,
        'defaultuomid@odata.bind': `/uoms(${hours.unitId})`,
      },
      { 'If-Match': '*' },
    );
    expect(good.status).toBe(200);
    expect((await publish(bare.json.productid)).json).toMatchObject({ statecode: 0 });
  });

  // ProductPriceLevel (price list item) reference: UoMId (Unit) is ApplicationRequired - the API takes an
  // item without it - and a unit of the product's unit group (UoMScheduleId is the product's);
  // TransactionCurrencyId is "IsValidForCreate: False": a new item has its price list's currency, whatever
  // the body says. https://learn.microsoft.com/dynamics365/sales/developer/entities/productpricelevel
  it("prices a product only in a unit of its group, and always in the price list's currency", async () => {
    const product = await dvCall('POST', 'products', {
      name: 'Priced chair',
      productnumber: 'PRICED-1',
      ...PIECES,
    });
    const priceList = await dvCall('POST', 'pricelevels', {
      name: 'Contract prices',
      'transactioncurrencyid@odata.bind': `/transactioncurrencies(${BASE_CURRENCY_ID})`,
    });
    const euro = await dvCall('POST', 'transactioncurrencies', {
      isocurrencycode: 'EUR',
      currencyname: 'Euro',
      currencysymbol: '€',
      exchangerate: 0.9,
    });
    const item = (extra: Json) => ({
      'pricelevelid@odata.bind': `/pricelevels(${priceList.json.pricelevelid})`,
      'productid@odata.bind': `/products(${product.json.productid})`,
      amount: 120,
      ...extra,
    });
    const otherGroup = await newGroup('BOX-TEST');
    const wrongUnit = await dvCall(
      'POST',
      'productpricelevels',
      item({ 'uomid@odata.bind': `/uoms(${otherGroup.unitId})` }),
    );
    expect(wrongUnit.status).toBe(400);
    expect(wrongUnit.json.error.message).toContain("not a unit of the product's unit group");

    const inEuros = await dvCall(
      'POST',
      'productpricelevels',
      item({
        'uomid@odata.bind': `/uoms(${PIECES_UNIT_ID})`,
        'transactioncurrencyid@odata.bind': `/transactioncurrencies(${euro.json.transactioncurrencyid})`,
      }),
    );
    expect(inEuros.status).toBe(201);
    expect(inEuros.json).toMatchObject({
      _transactioncurrencyid_value: BASE_CURRENCY_ID,
      _uomscheduleid_value: PIECES_UNIT_GROUP_ID,
      amount: 120,
    });
    expect((await dvCall('POST', 'productpricelevels', item({}))).status).toBe(201);
  });

  // Invoice reference: the totals (Detail Amount totallineitemamount, Pre-Freight Amount
  // totalamountlessfreight, Total Tax, Total Amount ...) are listed as writable, but with system pricing
  // on (Organization.OOBPriceCalculationEnabled, the default) the pricing engine calculates them every time
  // the invoice or its products are created or changed: from the products, the invoice discount
  // (DiscountPercentage "applied to the Detail Amount field, for use in calculating the Pre-Freight Amount
  // and Total Amount") and freight. A value sent for them does not stay.
  // https://learn.microsoft.com/dynamics365/sales/developer/entities/invoice
  // https://learn.microsoft.com/dynamics365/sales/developer/use-custom-pricing-products
  it('computes the invoice totals from its lines and ignores totals sent in the body', async () => {
    const account = await dvCall('POST', 'accounts', { name: 'Totals buyer' });
    const invoice = await dvCall('POST', 'invoices', {
      name: 'INV totals',
      'customerid_account@odata.bind': `/accounts(${account.json.accountid})`,
      discountamount: 10,
      totalamount: 5000,
      totallineitemamount: 5000,
    });
    expect(invoice.status).toBe(201);
    expect(invoice.json.totallineitemamount).toBe(0);
    expect(invoice.json.totalamount).not.toBe(5000);
    const writeIn = (description: string, quantity: number, price: number, discount: number, tax: number) =>
      dvCall('POST', 'invoicedetails', {
        'invoiceid@odata.bind': `/invoices(${invoice.json.invoiceid})`,
        isproductoverridden: true,
        productdescription: description,
        quantity,
        priceperunit: price,
        manualdiscountamount: discount,
        tax,
      });
    expect((await writeIn('Chairs', 4, 25, 5, 17.1)).status).toBe(201);
    const desk = await writeIn('Desk', 1, 300, 0, 57);
    expect(desk.status).toBe(201);
    const totals = (await dvGet(`invoices(${invoice.json.invoiceid})`)).json;
    expect(totals).toMatchObject({
      totallineitemamount: 395,
      totallineitemdiscountamount: 5,
      totaldiscountamount: 10,
      totalamountlessfreight: 385,
      totaltax: 74.1,
      totalamount: 459.1,
    });
    const patched = await dvCall(
      'PATCH',
      `invoices(${invoice.json.invoiceid})`,
      { totalamount: 1, freightamount: 20 },
      { 'If-Match': '*' },
    );
    expect(patched.json.totalamount).toBe(479.1);
    await dvCall('DELETE', `invoicedetails(${desk.json.invoicedetailid})`, undefined, { 'If-Match': '*' });
    expect((await dvGet(`invoices(${invoice.json.invoiceid})`)).json.totalamount).toBe(122.1);
  });
});

describe('token audience', () => {
  // Microsoft identity platform access tokens: a resource accepts only tokens whose `aud` is itself; the
  // scope `{resource}/.default` decides the audience.
  // https://learn.microsoft.com/entra/identity-platform/access-tokens
  it('refuses a token issued for the other service with 401 on both sides', async () => {
    const bcTokenForDataverse = await token(bc.tokenUrl, bc.clientId, bc.clientSecret, dv.scope);
    const bcReply = await fetch(`${bc.apiUrl}/companies`, {
      headers: { Authorization: `Bearer ${bcTokenForDataverse}` },
    });
    expect(bcReply.status).toBe(401);

    const dvTokenForBc = await token(
      dv.tokenUrl,
      dv.clientId,
      dv.clientSecret,
      'https://api.businesscentral.dynamics.com/.default',
    );
    expect((await dvGet('accounts?$top=1', dvTokenForBc)).status).toBe(401);
    // The right audience works on both.
    expect((await api.get('customers?$top=1')).status).toBe(200);
    expect((await dvGet('accounts?$top=1')).status).toBe(200);
  });
});

describe('URL length', () => {
  const nameFilter = (length: number): string => {
    const terms: string[] = [];
    let filter = '';
    for (let n = 0; encodeURIComponent(filter).length < length; n++) {
      terms.push(`name eq 'Ελληνική εταιρεία ${n}'`);
      filter = terms.join(' or ');
    }
    return filter;
  };
  // As fetch sends it (its URL parser also encodes `'`).
  const dvUrl = (filter: string) =>
    new URL(`${dv.apiUrl}/accounts?$select=name&$filter=${encodeURIComponent(filter)}`).href;

  // "The maximum length of URL accepted is 32 KB (32768 characters) ... inside the body of a $batch request
  // ... up to 64 KB". https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors#maximum-url-length
  it('Dataverse answers a URL of up to 32,768 characters and refuses a longer one with 414', async () => {
    let accepted = nameFilter(32_000);
    while (dvUrl(accepted).length > 32_768) accepted = accepted.slice(0, accepted.lastIndexOf(' or '));
    expect(dvUrl(accepted).length).toBeGreaterThan(31_000);
    const ok = await dvGet(dvUrl(accepted).slice(dv.apiUrl.length + 1));
    expect(ok.status).toBe(200);
    const long = await fetch(dvUrl(nameFilter(33_000)), {
      headers: { Authorization: `Bearer ${dvToken}`, Accept: 'application/json' },
    });
    expect(long.status).toBe(414);
  });

  // Business Central publishes no URL limit (api-reference/v2.0/dynamics-current-limits lists none); the
  // emulator keeps the request-head limit of its HTTP server (16 KB), as the issue's HTTP 431 showed.
  it('Business Central refuses a 31 KB URL (431)', async () => {
    const long = await bcFilter('customers', nameFilter(31_000).replace(/name eq/g, 'displayName eq'));
    expect(long.status).toBe(431);
  });
});
