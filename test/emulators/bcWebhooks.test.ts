// Webhook lifecycle of the BC emulator (apis.md A: Webhooks; apis.md C): handshake, coalescing, collection
// above the threshold, retries only on 408/429/5xx, deletion on any other failure, 3-day expiry, renewal.
import { startBcEmulator, type RunningBcEmulator } from '../../emulators/bc';
import { bcClient, startWebhookReceiver, type BcClient, type WebhookReceiver } from './bcTestClient';

const THREE_DAYS_MS = 3 * 24 * 60 * 60 * 1000;

describe('BC emulator webhooks', () => {
  let bc: RunningBcEmulator;
  let api: BcClient;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    // A long window: notifications go out only when a test flushes, so each test sees exactly its own.
    bc = await startBcEmulator({
      port: 0,
      webhookCoalesceMs: 60_000,
      webhookCollectionThreshold: 5,
      webhookRetryBaseMs: 20,
    });
    api = await bcClient(bc);
  });
  afterAll(async () => {
    await bc.stop();
  });
  beforeEach(async () => {
    receiver = await startWebhookReceiver();
    for (const s of bc.webhooks.subscriptions.all()) bc.webhooks.subscriptions.drop(s.subscriptionId);
  });
  afterEach(async () => {
    await receiver.close();
  });

  const subscribe = (
    resource = `/api/v2.0/companies(${bc.companyId})/customers`,
    clientState = 'secret-state',
  ) =>
    api.request('POST', `${bc.apiUrl}/subscriptions`, {
      body: { notificationUrl: receiver.url, resource, clientState },
    });
  const flush = async () => {
    const res = await fetch(`${bc.url}/_admin/webhooks/flush`, { method: 'POST' });
    expect(res.status).toBe(200);
  };
  const newCustomer = async (displayName = 'Webhook customer') => {
    const res = await api.request('POST', 'customers', { body: { displayName } });
    expect(res.status).toBe(201);
    return res.json as { id: string; '@odata.etag': string };
  };

  it('registers a subscription only after the validation handshake succeeds', async () => {
    const ok = await subscribe();
    expect(ok.status).toBe(201);
    expect(receiver.validations).toBe(1);
    expect(ok.json).toMatchObject({
      notificationUrl: receiver.url,
      clientState: 'secret-state',
      subscriptionId: expect.any(String),
    });
    expect(Date.parse(ok.json.expirationDateTime) - bc.clock.now()).toBeGreaterThan(THREE_DAYS_MS - 60_000);

    receiver.handshake = 'wrong-token';
    const wrong = await subscribe();
    expect(wrong.status).toBe(400);
    receiver.handshake = 'status-500';
    const failing = await subscribe();
    expect(failing.status).toBe(400);
    const list = await api.get(`${bc.apiUrl}/subscriptions`);
    expect(list.json.value).toHaveLength(1);
  });

  it('refuses resources that cannot be subscribed to', async () => {
    const lines = await subscribe(`/api/v2.0/companies(${bc.companyId})/salesInvoiceLines`);
    expect(lines.status).toBe(400);
    const unknown = await subscribe(`/api/v2.0/companies(${bc.companyId})/nonsense`);
    expect(unknown.status).toBe(400);
    expect(receiver.validations).toBe(0);
  });

  it('coalesces the changes of a window into one notification with one entry per entity', async () => {
    const sub = (await subscribe()).json;
    const a = await newCustomer('First');
    let etag = a['@odata.etag'];
    for (const city of ['Oslo', 'Rome', 'Lima']) {
      const res = await api.request('PATCH', `customers(${a.id})`, {
        body: { city },
        headers: { 'If-Match': etag },
      });
      etag = res.json['@odata.etag'];
    }
    const b = await newCustomer('Second');
    expect(receiver.notifications).toHaveLength(0);
    await flush();
    expect(receiver.notifications).toHaveLength(1);
    const entries = receiver.notifications[0].value;
    expect(entries).toHaveLength(2);
    const byResource = Object.fromEntries(entries.map((e) => [e.resource, e]));
    expect(byResource[`api/v2.0/companies(${bc.companyId})/customers(${a.id})`]).toMatchObject({
      subscriptionId: sub.subscriptionId,
      clientState: 'secret-state',
      expirationDateTime: sub.expirationDateTime,
      changeType: 'created',
    });
    expect(byResource[`api/v2.0/companies(${bc.companyId})/customers(${b.id})`].changeType).toBe('created');
    const current = (await api.get(`customers(${a.id})`)).json;
    expect(byResource[`api/v2.0/companies(${bc.companyId})/customers(${a.id})`].lastModifiedDateTime).toBe(
      current.lastModifiedDateTime,
    );
  });

  it('sends updated and deleted entries, and only to subscriptions of the changed entity set', async () => {
    const c = await newCustomer();
    await subscribe();
    await subscribe(`/api/v2.0/companies(${bc.companyId})/items`);
    await api.request('PATCH', `customers(${c.id})`, {
      body: { city: 'Kyiv' },
      headers: { 'If-Match': '*' },
    });
    const d = await newCustomer();
    await flush();
    await api.request('DELETE', `customers(${d.id})`, { headers: { 'If-Match': '*' } });
    await flush();
    expect(receiver.notifications.map((n) => n.value.map((e) => e.changeType))).toEqual([
      ['updated', 'created'],
      ['deleted'],
    ]);
    expect(
      receiver.notifications.flatMap((n) => n.value).every((e) => e.resource.includes('/customers(')),
    ).toBe(true);
  });

  it('notifies the invoice when one of its lines changes', async () => {
    await subscribe(`/api/v2.0/companies(${bc.companyId})/salesInvoices`);
    const invoice = await api.request('POST', 'salesInvoices', { body: { customerNumber: '20000' } });
    await flush();
    await api.request('POST', `salesInvoices(${invoice.json.id})/salesInvoiceLines`, {
      body: { lineType: 'Item', lineObjectNumber: '1900-S', quantity: 1 },
    });
    await flush();
    expect(receiver.notifications[1].value).toEqual([
      expect.objectContaining({
        resource: `api/v2.0/companies(${bc.companyId})/salesInvoices(${invoice.json.id})`,
        changeType: 'updated',
      }),
    ]);
  });

  it('sends one collection notification when more changes than the threshold fall in a window', async () => {
    await subscribe();
    const created = [];
    for (let i = 0; i < 6; i++) created.push(await newCustomer(`Bulk ${i}`));
    await flush();
    expect(receiver.notifications).toHaveLength(1);
    const [entry] = receiver.notifications[0].value;
    expect(receiver.notifications[0].value).toHaveLength(1);
    expect(entry.changeType).toBe('collection');
    expect(entry.resource).toMatch(
      new RegExp(`^/api/v2\\.0/companies\\(${bc.companyId}\\)/customers\\?\\$filter=lastModifiedDateTime`),
    );
    // The collection resource is a query the subscriber can run to fetch every changed entity.
    const changed = await api.get(
      `${bc.url}/v2.0/production${decodeURIComponent(entry.resource).replace(/ /g, '%20')}`,
    );
    expect(changed.status).toBe(200);
    const ids = changed.json.value.map((r: { id: string }) => r.id);
    expect(ids).toEqual(expect.arrayContaining(created.map((c) => c.id)));
  });

  it('retries a notification answered 503 and delivers it when the receiver recovers', async () => {
    await subscribe();
    receiver.notificationStatus = (n) => (n === 0 ? 503 : 200);
    const c = await newCustomer();
    await flush();
    await receiver.waitForNotifications(2);
    expect(receiver.notifications[1].value).toEqual(receiver.notifications[0].value);
    expect(receiver.notifications[1].value[0].resource).toContain(c.id);
    await flush();
    expect((await api.get(`${bc.apiUrl}/subscriptions`)).json.value).toHaveLength(1);
  });

  it('retries 408 and 429 too, but deletes the subscription on any other failure (e.g. 400)', async () => {
    const sub = (await subscribe()).json;
    receiver.notificationStatus = (n) => [408, 429, 400][n] ?? 200;
    await newCustomer();
    await flush();
    await receiver.waitForNotifications(3);
    await flush();
    expect(receiver.notifications).toHaveLength(3);
    const gone = await api.get(`${bc.apiUrl}/subscriptions('${sub.subscriptionId}')`);
    expect(gone.status).toBe(404);
    await newCustomer();
    await flush();
    expect(receiver.notifications).toHaveLength(3);
  });

  it('expires a subscription after three days unless it is renewed with PATCH and If-Match', async () => {
    const sub = (await subscribe()).json;
    const path = `${bc.apiUrl}/subscriptions('${sub.subscriptionId}')`;
    const missing = await api.request('PATCH', path, { body: {} });
    expect(missing.status).toBe(400);
    expect(missing.json.error.code).toBe('BadRequest_InvalidToken');

    bc.clock.advance(THREE_DAYS_MS - 60 * 60 * 1000);
    const renewed = await api.request('PATCH', path, {
      body: { clientState: 'renewed' },
      headers: { 'If-Match': sub['@odata.etag'] },
    });
    expect(renewed.status).toBe(200);
    expect(receiver.validations).toBe(2);
    expect(Date.parse(renewed.json.expirationDateTime)).toBeGreaterThan(Date.parse(sub.expirationDateTime));
    const stale = await api.request('PATCH', path, { body: {}, headers: { 'If-Match': sub['@odata.etag'] } });
    expect(stale.status).toBe(409);

    const clock = await fetch(`${bc.url}/_admin/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceMs: THREE_DAYS_MS + 1000 }),
    });
    expect(clock.status).toBe(200);
    expect((await api.get(path)).status).toBe(404);
    await newCustomer();
    await flush();
    expect(receiver.notifications).toHaveLength(0);
  });

  it('deletes a subscription with DELETE and serves the custom API subscriptions endpoint', async () => {
    const sub = (await subscribe()).json;
    expect((await api.request('DELETE', `${bc.apiUrl}/subscriptions('${sub.subscriptionId}')`)).status).toBe(
      204,
    );
    expect((await api.get(`${bc.apiUrl}/subscriptions`)).json.value).toHaveLength(0);

    const custom = await api.request('POST', `${bc.customApiUrl}/subscriptions`, {
      body: {
        notificationUrl: receiver.url,
        resource: `/api/bcsync/integration/v1.0/companies(${bc.companyId})/resources`,
        clientState: 'c',
      },
    });
    expect(custom.status).toBe(201);
    const resource = (await api.get(`${api.companyPath('resources', 'custom')}?$top=1`)).json.value[0];
    await api.request('PATCH', `${api.companyPath('resources', 'custom')}(${resource.id})`, {
      body: { unitPrice: 99 },
      headers: { 'If-Match': resource['@odata.etag'] },
    });
    await flush();
    expect(receiver.notifications[0].value[0].resource).toBe(
      `api/bcsync/integration/v1.0/companies(${bc.companyId})/resources(${resource.id})`,
    );
  });

  it('refuses more than 200 subscriptions', async () => {
    for (let i = 0; i < 200; i++) expect((await subscribe()).status).toBe(201);
    const extra = await subscribe();
    expect(extra.status).toBe(400);
    expect(extra.json.error.message).toContain('200');
  });
});
