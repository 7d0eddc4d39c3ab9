// The default mappings must match bc-integration-behaviour.md section 2 and mission.md's job queue table.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dependencyOrder, findMapping, loadMappings } from '../../activities/mappings/mappingConfig';

const { mappings, statistics } = loadMappings();
const byName = (n: string) => {
  const m = findMapping(mappings, n);
  if (!m) throw new Error(`no mapping ${n}`);
  return m;
};
const fieldRow = (mapping: string, caption: string, crmField?: string) =>
  byName(mapping).fieldMappings.find(
    (f) => f.bcCaption === caption && (crmField === undefined || f.crmField === crmField),
  );

describe('default integration table mappings', () => {
  test('the ten mappings of section 2 and the three option mappings of newer BC exist, with their job queue entries and timeouts', () => {
    const expected: Record<string, [string, string, number]> = {
      CUSTOMER: ['CUSTOMER', 'Bidirectional', 720],
      CONTACT: ['CONTACT', 'Bidirectional', 720],
      CURRENCY: ['CURRENCY', 'ToIntegrationTable', 720],
      'ITEM-PRODUCT': ['ITEM-PRODUCT', 'ToIntegrationTable', 1440],
      'RESOURCE-PRODUCT': ['RESOURCE-PRODUCT', 'ToIntegrationTable', 720],
      SALESPEOPLE: ['SALESPEOPLE', 'FromIntegrationTable', 1440],
      'UNIT OF MEASURE': ['UNITOFMEASURE', 'ToIntegrationTable', 720],
      'CUSTPRCGRP-PRICE': ['CUSTPRCGRP-PRICE', 'ToIntegrationTable', 1440],
      'SALESPRC-PRODPRICE': ['SALESPRC-PRODUCTPRICE', 'ToIntegrationTable', 1440],
      'POSTEDSALESINV-INV': ['POSTEDSALESINV-INV', 'ToIntegrationTable', 1440],
      // CUSTOMER depends on these in newer BC versions (section 2); docs/option-mappings.md.
      'PAYMENT TERMS': ['PAYMENT TERMS', 'Bidirectional', 1440],
      'SHIPMENT METHOD': ['SHIPMENT METHOD', 'Bidirectional', 1440],
      'SHIPPING AGENT': ['SHIPPING AGENT', 'Bidirectional', 1440],
    };
    expect(mappings.map((m) => m.name).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, [entry, direction, timeout]] of Object.entries(expected)) {
      const m = byName(name);
      expect({
        name,
        entry: m.jobQueue.entry,
        direction: m.direction,
        timeout: m.jobQueue.inactivityTimeoutMinutes,
      }).toEqual({
        name,
        entry,
        direction,
        timeout,
      });
      expect(m.jobQueue).toMatchObject({ minutesBetweenRuns: 30, maxAttempts: 10, rerunDelaySeconds: 30 });
    }
  });

  test('entries are found by mapping or entry name, case-insensitively', () => {
    expect(findMapping(mappings, 'unitofmeasure')?.name).toBe('UNIT OF MEASURE');
    expect(findMapping(mappings, 'unit of measure')?.name).toBe('UNIT OF MEASURE');
    expect(findMapping(mappings, 'salesprc-productprice')?.name).toBe('SALESPRC-PRODPRICE');
    expect(findMapping(mappings, 'nope')).toBeUndefined();
  });

  test('CUSTOMER field mappings: directions, not-null owner, clear-on-failed primary contact, two disabled', () => {
    const c = byName('CUSTOMER');
    expect(c.fieldMappings).toHaveLength(21);
    expect(fieldRow('CUSTOMER', 'Salesperson Code')).toMatchObject({
      crmField: 'ownerid',
      direction: 'ToIntegrationTable',
      notNull: true,
    });
    expect(fieldRow('CUSTOMER', 'Credit Limit (LCY)')).toMatchObject({
      crmField: 'creditlimit',
      direction: 'ToIntegrationTable',
    });
    expect(fieldRow('CUSTOMER', 'Primary Contact No.')).toMatchObject({
      crmField: 'primarycontactid',
      clearValueOnFailedSync: true,
    });
    expect(fieldRow('CUSTOMER', 'Currency Code')).toMatchObject({
      crmField: 'transactioncurrencyid',
      direction: 'Bidirectional',
    });
    expect(
      c.fieldMappings
        .filter((f) => f.status === 'Disabled')
        .map((f) => f.bcCaption)
        .sort(),
    ).toEqual(['Mobile Phone No.', 'No.']);
    expect(c).toMatchObject({
      syncOnlyCoupledRecords: true,
      tableFilter: "blocked eq ' '",
      dependencyFilter: ['SALESPEOPLE', 'CURRENCY', 'PAYMENT TERMS', 'SHIPMENT METHOD', 'SHIPPING AGENT'],
    });
  });

  test('CUSTOMER maps payment terms, shipment method and shipping agent both ways through the option mappings', () => {
    expect(fieldRow('CUSTOMER', 'Payment Terms Code')).toMatchObject({
      bcField: 'paymentTermsId',
      crmField: 'paymenttermscode',
      direction: 'Bidirectional',
      status: 'Enabled',
      lookup: { mapping: 'PAYMENT TERMS', bcKeyField: 'id', crmOptionSet: true },
    });
    expect(fieldRow('CUSTOMER', 'Shipment Method Code')).toMatchObject({
      bcField: 'shipmentMethodId',
      crmField: 'address1_freighttermscode',
      direction: 'Bidirectional',
      lookup: { mapping: 'SHIPMENT METHOD', bcKeyField: 'id', crmOptionSet: true },
    });
    expect(fieldRow('CUSTOMER', 'Shipping Agent Code')).toMatchObject({
      bcField: 'shippingAgentCode',
      crmField: 'address1_shippingmethodcode',
      direction: 'Bidirectional',
      lookup: { mapping: 'SHIPPING AGENT', bcKeyField: 'code', crmOptionSet: true },
    });
    expect(byName('PAYMENT TERMS')).toMatchObject({
      bc: { api: 'v2.0', entitySet: 'paymentTerms' },
      crm: { optionSet: { entity: 'account', attribute: 'paymenttermscode' } },
    });
    expect(byName('SHIPPING AGENT').bc).toEqual({ api: 'custom', entitySet: 'shippingAgents' });
  });

  test('CONTACT carries the constants Type = Person (to BC) and parent type account (to CRM)', () => {
    expect(fieldRow('CONTACT', 'Type')).toMatchObject({
      constant: 'Person',
      direction: 'FromIntegrationTable',
      bcField: 'type',
    });
    expect(fieldRow('CONTACT', 'Parent Customer Type')).toMatchObject({
      constant: 'account',
      direction: 'ToIntegrationTable',
    });
    expect(byName('CONTACT').dependencyFilter).toEqual(['CUSTOMER']);
  });

  test('SALESPRC-PRODPRICE syncs uncoupled records and writes pricing method Currency Amount', () => {
    const m = byName('SALESPRC-PRODPRICE');
    expect(m.syncOnlyCoupledRecords).toBe(false);
    expect(fieldRow('SALESPRC-PRODPRICE', 'Pricing Method')).toMatchObject({
      crmField: 'pricingmethodcode',
      constant: 1,
    });
    expect(m.fieldMappings.map((f) => f.crmField)).toEqual(
      expect.arrayContaining([
        'pricelevelid',
        'productid',
        'productnumber',
        'transactioncurrencyid',
        'amount',
      ]),
    );
  });

  test('dependency order puts SALESPEOPLE, CURRENCY, UNIT OF MEASURE first and the price lists and invoices last', () => {
    const order = dependencyOrder(mappings).map((m) => m.name);
    const before = (a: string, b: string) => expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));
    before('SALESPEOPLE', 'CUSTOMER');
    before('CURRENCY', 'CUSTOMER');
    before('PAYMENT TERMS', 'CUSTOMER');
    before('SHIPMENT METHOD', 'CUSTOMER');
    before('SHIPPING AGENT', 'CUSTOMER');
    before('CUSTOMER', 'CONTACT');
    before('UNIT OF MEASURE', 'ITEM-PRODUCT');
    before('ITEM-PRODUCT', 'CUSTPRCGRP-PRICE');
    before('CUSTPRCGRP-PRICE', 'SALESPRC-PRODPRICE');
    before('RESOURCE-PRODUCT', 'POSTEDSALESINV-INV');
  });

  test('the Customer Statistics job: 30 minutes, created on hold, 2 attempts', () => {
    expect(statistics.jobQueue).toMatchObject({
      minutesBetweenRuns: 30,
      inactivityTimeoutMinutes: 30,
      maxAttempts: 2,
      startOnHold: true,
    });
  });
});

describe('mapping config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bcsync-mapcfg-'));
  const write = (name: string, body: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
    return file;
  };

  test('overrides a default mapping and adds a new one', () => {
    const file = write('ok.json', {
      mappings: [
        {
          name: 'CUSTOMER',
          updateConflictResolution: 'Get Update from Integration',
          jobQueue: { minutesBetweenRuns: 5 },
        },
        {
          name: 'EMPLOYEE',
          tableCaption: 'Employee',
          integrationTableCaption: 'contact',
          bc: { api: 'v2.0', entitySet: 'employees' },
          crm: { entitySet: 'contacts', key: 'contactid' },
          direction: 'ToIntegrationTable',
          fieldMappings: [
            {
              bcCaption: 'E-Mail',
              bcField: 'email',
              crmField: 'emailaddress1',
              direction: 'ToIntegrationTable',
            },
          ],
          jobQueue: { entry: 'EMPLOYEE', inactivityTimeoutMinutes: 720 },
        },
      ],
    });
    const loaded = loadMappings(file);
    const customer = findMapping(loaded.mappings, 'CUSTOMER')!;
    expect(customer.updateConflictResolution).toBe('Get Update from Integration');
    expect(customer.jobQueue).toMatchObject({
      minutesBetweenRuns: 5,
      inactivityTimeoutMinutes: 720,
      entry: 'CUSTOMER',
    });
    expect(findMapping(loaded.mappings, 'EMPLOYEE')?.jobQueue.minutesBetweenRuns).toBe(30);
  });

  test('a wrong field names the file, the mapping and the field mapping', () => {
    const file = write('bad.json', {
      mappings: [
        {
          name: 'CURRENCY',
          fieldMappings: [
            { bcCaption: 'Code', bcField: 'code', crmField: 'isocurrencycode', direction: 'Sideways' },
          ],
        },
      ],
    });
    expect(() => loadMappings(file)).toThrow(
      new RegExp(
        `${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: mapping "CURRENCY", field mapping 0 \\(Code / isocurrencycode\\)\\.direction`,
      ),
    );
  });

  test('an unknown dependency and invalid JSON are reported with the file name', () => {
    const dep = write('dep.json', { mappings: [{ name: 'CONTACT', dependencyFilter: ['CUSTOMERS'] }] });
    expect(() => loadMappings(dep)).toThrow(
      /mapping "CONTACT", dependencyFilter: unknown mapping "CUSTOMERS"/,
    );
    const broken = write('broken.json', '{ "mappings": [');
    expect(() => loadMappings(broken)).toThrow(/broken\.json: cannot read the mapping config/);
  });

  test('a dependency cycle is refused', () => {
    const file = write('cycle.json', { mappings: [{ name: 'SALESPEOPLE', dependencyFilter: ['CUSTOMER'] }] });
    expect(() => loadMappings(file)).toThrow(
      /cycle: (SALESPEOPLE -> CUSTOMER -> SALESPEOPLE|CUSTOMER -> SALESPEOPLE -> CUSTOMER)/,
    );
  });
});
