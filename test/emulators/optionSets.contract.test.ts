// Contract of the Dataverse emulator's choice (option set) columns: the options a stock organization has,
// the metadata query that reads them, InsertOptionValue, and the refusal of a value the option set lacks.
// Each case cites the Microsoft page it follows.
import { startDataverseEmulator, type RunningDataverseEmulator } from '../../emulators/dataverse';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let dv: RunningDataverseEmulator;
let dvToken: string;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${dv.apiUrl}/${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${dvToken}`,
      Accept: 'application/json',
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Json) : {} };
}

const picklist = (entity: string, attribute: string) =>
  `EntityDefinitions(LogicalName='${entity}')/Attributes(LogicalName='${attribute}')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options)`;

const labels = (json: Json) =>
  (json.OptionSet.Options as Json[]).map((o) => [o.Value, o.Label.UserLocalizedLabel?.Label]);

beforeAll(async () => {
  dv = await startDataverseEmulator({ port: 0, seed: 'demo' });
  const response = await fetch(dv.tokenUrl, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: dv.clientId,
      client_secret: dv.clientSecret,
      scope: dv.scope,
    }),
  });
  dvToken = ((await response.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  await dv?.stop();
});

// "Query schema definitions using the Web API": a picklist's options are read through the
// PicklistAttributeMetadata cast with $expand=OptionSet($select=Options); the stock options are those of
// the Dataverse table reference (account: PaymentTermsCode, Address1_FreightTermsCode, ...ShippingMethodCode).
// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api
// https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/account
test('the stock options of the account columns bcsync maps are served as option set metadata', async () => {
  const terms = await call('GET', picklist('account', 'paymenttermscode'));
  expect(terms.status).toBe(200);
  expect(terms.json.LogicalName).toBe('paymenttermscode');
  expect(labels(terms.json)).toEqual([
    [1, 'Net 30'],
    [2, '2% 10, Net 30'],
    [3, 'Net 45'],
    [4, 'Net 60'],
  ]);
  expect(labels((await call('GET', picklist('account', 'address1_freighttermscode'))).json)).toEqual([
    [1, 'FOB'],
    [2, 'No Charge'],
  ]);
  const shipping = await call('GET', picklist('account', 'address1_shippingmethodcode'));
  expect(labels(shipping.json).map(([, l]) => l)).toEqual([
    'Airborne',
    'DHL',
    'FedEx',
    'UPS',
    'Postal Mail',
    'Full Load',
    'Will Call',
  ]);
});

// Same page: OptionSet is a navigation property of PicklistAttributeMetadata, not of AttributeMetadata.
test('OptionSet without the PicklistAttributeMetadata cast, an unknown attribute or a cast on a text column are errors', async () => {
  const uncast = await call(
    'GET',
    "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='paymenttermscode')?$expand=OptionSet",
  );
  expect(uncast.status).toBe(400);
  expect(uncast.json.error.message).toContain("Could not find a property named 'OptionSet'");
  expect((await call('GET', picklist('account', 'nosuchcolumn'))).status).toBe(404);
  expect((await call('GET', picklist('account', 'name'))).status).toBe(404);
});

// "A validation error occurred. The value ... is outside the valid range." for an option the set lacks
// (Web API "Create a table row": the value must be one of the column's options); InsertOptionValue adds
// one, with a system-assigned value from the publisher's option value prefix when no Value is given.
// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/insertoptionvalue
// https://learn.microsoft.com/power-apps/developer/data-platform/org-service/samples/work-with-option-sets
test('a value the option set lacks is refused until InsertOptionValue adds it', async () => {
  const refused = await call('POST', 'accounts', { name: 'Option test', paymenttermscode: 100000000 });
  expect(refused.status).toBe(400);
  expect(refused.json.error.message).toContain("The value 100000000 of 'paymenttermscode'");
  expect(refused.json.error.message).toContain('outside the valid range');

  const inserted = await call('POST', 'InsertOptionValue', {
    EntityLogicalName: 'account',
    AttributeLogicalName: 'paymenttermscode',
    Label: { LocalizedLabels: [{ Label: '30 DAYS', LanguageCode: 1033 }] },
  });
  expect(inserted.status).toBe(200);
  expect(inserted.json.NewOptionValue).toBe(100000000);
  const second = await call('POST', 'InsertOptionValue', {
    EntityLogicalName: 'account',
    AttributeLogicalName: 'paymenttermscode',
    Label: { LocalizedLabels: [{ Label: 'COD', LanguageCode: 1033 }] },
  });
  expect(second.json.NewOptionValue).toBe(100000001);
  expect(labels((await call('GET', picklist('account', 'paymenttermscode'))).json)).toContainEqual([
    100000000,
    '30 DAYS',
  ]);

  const created = await call('POST', 'accounts', { name: 'Option test', paymenttermscode: 100000000 });
  expect(created.status).toBe(204);
});

test('InsertOptionValue refuses a missing label, a taken value and a column that is not a local option set', async () => {
  const base = { EntityLogicalName: 'account', AttributeLogicalName: 'address1_freighttermscode' };
  expect((await call('POST', 'InsertOptionValue', base)).status).toBe(400);
  const taken = await call('POST', 'InsertOptionValue', {
    ...base,
    Value: 1,
    Label: { LocalizedLabels: [{ Label: 'Again', LanguageCode: 1033 }] },
  });
  expect(taken.status).toBe(400);
  expect(taken.json.error.message).toContain('already exists');
  const noAttribute = await call('POST', 'InsertOptionValue', {
    EntityLogicalName: 'account',
    AttributeLogicalName: 'nosuchcolumn',
    Label: { LocalizedLabels: [{ Label: 'X', LanguageCode: 1033 }] },
  });
  expect(noAttribute.status).toBe(404);
  expect((await call('GET', 'InsertOptionValue')).status).toBe(405);
});
