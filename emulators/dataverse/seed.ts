// Deterministic seed data (apis.md C "Both": deterministic seed data of any size). `demo` is a small,
// realistic Dynamics 365 Sales organisation: ISO currencies with USD as base currency, licensed
// salespeople, the application (integration) users, a unit group, a price list and a few accounts and
// contacts that exist only in the CRM. `records: N` adds N accounts and N contacts (one per account),
// built directly as rows so 100,000 of each seed in a few seconds.
import { SeededRandom } from '../common/seededRandom';
import { LOOKUP_LOGICAL_NAME, LOOKUP_NAVIGATION } from './recordWriter';
import { ENTITY_MODELS, lookupValueName } from './schema';
import { nameBasedGuid } from '../common/nameBasedGuid';
import { formatSeconds, type DataverseStore, type Row } from './store';

export type SeedKind = 'demo' | 'empty';

export { nameBasedGuid };

export const ORGANIZATION_ID = nameBasedGuid('bcsync:organization');
export const BUSINESS_UNIT_ID = nameBasedGuid('bcsync:businessunit');

export function applicationUserId(clientId: string): string {
  return nameBasedGuid(`bcsync:applicationuser:${clientId}`);
}

type LookupRef = [logicalName: string, id: string, nav?: string];

class SeedBuilder {
  constructor(
    private readonly store: DataverseStore,
    private readonly userId: string,
  ) {}

  add(entitySet: string, id: string, values: Row, lookups: Record<string, LookupRef>, atMs: number): Row {
    const model = ENTITY_MODELS.get(entitySet)!;
    const def = model.def;
    const row: Row = {};
    for (const attribute of def.attributes) {
      if (attribute.defaultValue !== undefined) row[attribute.name] = attribute.defaultValue;
    }
    if (def.states) {
      row.statecode = 0;
      row.statuscode = def.states.defaultStatus[0];
    }
    Object.assign(row, values);
    row[def.primaryId] = id;
    const stamp = formatSeconds(atMs);
    row.createdon = stamp;
    row.modifiedon = stamp;
    row.versionnumber = this.store.nextVersion();
    const all: Record<string, LookupRef> = {
      createdby: ['systemuser', this.userId],
      modifiedby: ['systemuser', this.userId],
      ...lookups,
    };
    if (def.ownership === 'user') {
      const owner = all.ownerid ?? ['systemuser', this.userId];
      all.ownerid = owner;
      all.owninguser = owner;
      row._owningbusinessunit_value = BUSINESS_UNIT_ID;
      row[`_owningbusinessunit_value${LOOKUP_LOGICAL_NAME}`] = 'businessunit';
    }
    for (const [attribute, [logicalName, targetId, nav]] of Object.entries(all)) {
      const name = lookupValueName(attribute);
      row[name] = targetId;
      row[`${name}${LOOKUP_LOGICAL_NAME}`] = logicalName;
      const lookup = model.lookupsByAttribute.get(attribute);
      const navigation =
        nav ?? (lookup ? Object.entries(lookup.targets).find(([t]) => t === logicalName)?.[1] : undefined);
      if (navigation) row[`${name}${LOOKUP_NAVIGATION}`] = navigation;
    }
    if (entitySet === 'contacts' || entitySet === 'systemusers') {
      row.fullname =
        [row.firstname, row.lastname].filter((p) => typeof p === 'string' && p !== '').join(' ') || null;
    }
    this.store.put(entitySet, id, row, { tombstone: false });
    return row;
  }
}

interface CurrencySeed {
  code: string;
  name: string;
  symbol: string;
  rate: number;
  precision: number;
}

/** Payment terms, freight terms and shipping method of the CRM-only demo accounts, in turn. */
const DEMO_ACCOUNT_OPTIONS: Record<string, number>[] = [
  { paymenttermscode: 1, address1_freighttermscode: 1, address1_shippingmethodcode: 3 },
  { paymenttermscode: 3, address1_freighttermscode: 2, address1_shippingmethodcode: 7 },
  { paymenttermscode: 4, address1_shippingmethodcode: 4 },
  {},
];

const CURRENCIES: CurrencySeed[] = [
  { code: 'USD', name: 'US Dollar', symbol: '$', rate: 1, precision: 2 },
  { code: 'EUR', name: 'Euro', symbol: '€', rate: 0.92, precision: 2 },
  { code: 'GBP', name: 'Pound Sterling', symbol: '£', rate: 0.79, precision: 2 },
  { code: 'CAD', name: 'Canadian Dollar', symbol: 'CA$', rate: 1.36, precision: 2 },
  { code: 'DKK', name: 'Danish Krone', symbol: 'kr.', rate: 6.87, precision: 2 },
  { code: 'SEK', name: 'Swedish Krona', symbol: 'kr', rate: 10.42, precision: 2 },
  { code: 'NOK', name: 'Norwegian Krone', symbol: 'kr', rate: 10.61, precision: 2 },
  { code: 'CHF', name: 'Swiss Franc', symbol: 'CHF', rate: 0.88, precision: 2 },
  { code: 'JPY', name: 'Japanese Yen', symbol: '¥', rate: 149.5, precision: 0 },
  { code: 'AUD', name: 'Australian Dollar', symbol: 'A$', rate: 1.52, precision: 2 },
];

export const BASE_CURRENCY_ID = nameBasedGuid('bcsync:currency:USD');
export const DEFAULT_UNIT_GROUP_ID = nameBasedGuid('bcsync:uomschedule:default');
export const DEFAULT_UNIT_ID = nameBasedGuid('bcsync:uom:primary');
export const DEFAULT_PRICE_LIST_ID = nameBasedGuid('bcsync:pricelevel:default');

// The same people as the BC demo's salespeople (emulators/bc/referenceSeed.ts), with the same e-mail, so
// the SALESPEOPLE mapping couples them by e-mail as BC's set-up does; Linda Martin exists only in CRM.
const SALESPEOPLE: Array<{ first: string; last: string; phone: string; title: string }> = [
  { first: 'Benjamin', last: 'Chiu', phone: '+1 425 555 0101', title: 'Sales Manager' },
  { first: 'Helen', last: 'Ray', phone: '+1 425 555 0102', title: 'Account Manager' },
  { first: 'Jim', last: 'Olive', phone: '+1 425 555 0103', title: 'Sales Representative' },
  { first: 'Lina', last: 'Townsend', phone: '+1 425 555 0104', title: 'Sales Representative' },
  { first: 'Otis', last: 'Falls', phone: '+1 425 555 0105', title: 'Key Account Manager' },
  { first: 'Peter', last: 'Saddow', phone: '+1 425 555 0106', title: 'Sales Representative' },
  { first: 'Linda', last: 'Martin', phone: '+1 425 555 0107', title: 'Account Executive' },
];

export const salespersonId = (index: number): string => nameBasedGuid(`bcsync:salesperson:${index}`);

const BASE_TIME = Date.UTC(2024, 0, 15, 9, 0, 0);
const RECORDS_TIME = Date.UTC(2024, 1, 1, 0, 0, 0);

function addApplicationUser(builder: SeedBuilder, clientId: string, atMs: number): void {
  // An application user, like the one an admin creates for the integration app registration.
  builder.add(
    'systemusers',
    applicationUserId(clientId),
    {
      firstname: '#',
      lastname: `bcsync integration (${clientId})`,
      applicationid: clientId,
      azureactivedirectoryobjectid: nameBasedGuid(`bcsync:aadobject:${clientId}`),
      internalemailaddress: `${clientId}@bcsync.invalid`,
      domainname: `${clientId}@bcsync.invalid`,
      isintegrationuser: true,
      islicensed: false,
      isdisabled: false,
      accessmode: 4,
    },
    { businessunitid: ['businessunit', BUSINESS_UNIT_ID] },
    atMs,
  );
}

/** Makes sure a (newly registered) client id has its application user, e.g. after loading saved state. */
export function ensureApplicationUser(store: DataverseStore, clientId: string): string {
  const id = applicationUserId(clientId);
  if (!store.get('systemusers', id)) {
    addApplicationUser(
      new SeedBuilder(store, nameBasedGuid('bcsync:systemuser:SYSTEM')),
      clientId,
      store.now(),
    );
  }
  return id;
}

/** Rows every organisation has, whatever the seed: application users and the base currency. */
function seedOrganisation(store: DataverseStore, clientIds: string[], kind: SeedKind): SeedBuilder {
  const systemUserId = nameBasedGuid('bcsync:systemuser:SYSTEM');
  const builder = new SeedBuilder(store, systemUserId);
  let t = BASE_TIME - 3600_000;
  const bu: Record<string, LookupRef> = { businessunitid: ['businessunit', BUSINESS_UNIT_ID] };
  builder.add(
    'systemusers',
    systemUserId,
    { firstname: '', lastname: 'SYSTEM', accessmode: 0, islicensed: false },
    bu,
    t,
  );
  builder.add(
    'systemusers',
    nameBasedGuid('bcsync:systemuser:INTEGRATION'),
    { firstname: '', lastname: 'INTEGRATION', accessmode: 0, islicensed: false },
    bu,
    (t += 1000),
  );
  for (const clientId of clientIds) addApplicationUser(builder, clientId, (t += 1000));
  const base = CURRENCIES[0];
  const currencies = kind === 'demo' ? CURRENCIES : [base];
  for (const c of currencies) {
    builder.add(
      'transactioncurrencies',
      nameBasedGuid(`bcsync:currency:${c.code}`),
      {
        isocurrencycode: c.code,
        currencyname: c.name,
        currencysymbol: c.symbol,
        exchangerate: c.rate,
        currencyprecision: c.precision,
        currencytype: 0,
      },
      {},
      (t += 1000),
    );
  }
  return builder;
}

function seedDemo(store: DataverseStore, builder: SeedBuilder): void {
  let t = BASE_TIME;
  const next = (): number => (t += 60_000);
  const bu: Record<string, LookupRef> = { businessunitid: ['businessunit', BUSINESS_UNIT_ID] };
  SALESPEOPLE.forEach((p, i) => {
    const email = `${p.first}.${p.last}`.toLowerCase();
    builder.add(
      'systemusers',
      salespersonId(i),
      {
        firstname: p.first,
        lastname: p.last,
        title: p.title,
        jobtitle: p.title,
        internalemailaddress: `${email}@cronus-demosite.example.com`,
        domainname: `${email}@cronus-demosite.example.com`,
        mobilephone: p.phone,
        azureactivedirectoryobjectid: nameBasedGuid(`bcsync:aadobject:salesperson:${i}`),
        islicensed: true,
        isdisabled: false,
        isintegrationuser: false,
        accessmode: 0,
        caltype: 0,
      },
      bu,
      next(),
    );
  });
  builder.add(
    'systemusers',
    nameBasedGuid('bcsync:systemuser:former'),
    {
      firstname: 'Alan',
      lastname: 'Steiner',
      title: 'Account Executive (left the company)',
      internalemailaddress: 'alan.steiner@contoso.example',
      domainname: 'alan.steiner@contoso.example',
      islicensed: false,
      isdisabled: true,
      accessmode: 0,
    },
    bu,
    next(),
  );

  builder.add(
    'uomschedules',
    DEFAULT_UNIT_GROUP_ID,
    { name: 'Default Unit', baseuomname: 'Primary Unit', description: 'Default unit group' },
    {},
    next(),
  );
  builder.add(
    'uoms',
    DEFAULT_UNIT_ID,
    { name: 'Primary Unit', quantity: 1, isschedulebaseuom: true },
    { uomscheduleid: ['uomschedule', DEFAULT_UNIT_GROUP_ID] },
    next(),
  );
  builder.add(
    'pricelevels',
    DEFAULT_PRICE_LIST_ID,
    { name: 'Default Price List', description: 'Standard prices in US dollars', begindate: '2024-01-01' },
    { transactioncurrencyid: ['transactioncurrency', BASE_CURRENCY_ID] },
    next(),
  );

  // Accounts that exist only in the CRM (never synced): the sync must leave them alone unless coupled.
  const accounts: Array<{
    name: string;
    city: string;
    country: string;
    postal: string;
    line1: string;
    phone: string;
    web: string;
    currency: string;
    owner: number;
    contacts: Array<[string, string, string]>;
  }> = [
    {
      name: 'Northwind Traders',
      city: 'Seattle',
      country: 'US',
      postal: '98101',
      line1: '500 Pine Street',
      phone: '+1 206 555 0110',
      web: 'https://northwind.example',
      currency: 'USD',
      owner: 0,
      contacts: [
        ['Nancy', 'Davolio', 'Purchasing Manager'],
        ['Andrew', 'Fuller', 'Vice President, Sales'],
      ],
    },
    {
      name: 'Adventure Works Cycles',
      city: 'Bothell',
      country: 'US',
      postal: '98011',
      line1: '1 Adventure Way',
      phone: '+1 425 555 0120',
      web: 'https://adventure-works.example',
      currency: 'USD',
      owner: 1,
      contacts: [
        ['Rob', 'Walters', 'Buyer'],
        ['Gail', 'Erickson', 'Design Engineer'],
      ],
    },
    {
      name: 'Litware, Inc.',
      city: 'London',
      country: 'GB',
      postal: 'EC1A 1BB',
      line1: '12 Aldersgate Street',
      phone: '+44 20 7946 0130',
      web: 'https://litware.example',
      currency: 'GBP',
      owner: 2,
      contacts: [['Sophie', 'Turner', 'Office Manager']],
    },
    {
      name: 'Tailspin Toys',
      city: 'München',
      country: 'DE',
      postal: '80331',
      line1: 'Marienplatz 8',
      phone: '+49 89 555 0140',
      web: 'https://tailspintoys.example',
      currency: 'EUR',
      owner: 3,
      contacts: [
        ['Jürgen', 'Müller', 'Einkauf'],
        ['Anja', 'Schäfer', 'Geschäftsführerin'],
      ],
    },
    {
      name: 'Wide World Importers',
      city: 'København',
      country: 'DK',
      postal: '1050',
      line1: 'Kongens Nytorv 13',
      phone: '+45 33 55 01 50',
      web: 'https://wideworldimporters.example',
      currency: 'DKK',
      owner: 4,
      contacts: [['Mette', 'Nielsen', 'Indkøbschef']],
    },
  ];
  accounts.forEach((a, i) => {
    const accountId = nameBasedGuid(`bcsync:demo:account:${i}`);
    const currencyId = nameBasedGuid(`bcsync:currency:${a.currency}`);
    const owner: LookupRef = ['systemuser', salespersonId(a.owner)];
    builder.add(
      'accounts',
      accountId,
      {
        name: a.name,
        telephone1: a.phone,
        websiteurl: a.web,
        emailaddress1: `info@${new URL(a.web).hostname}`,
        address1_line1: a.line1,
        address1_city: a.city,
        address1_postalcode: a.postal,
        address1_country: a.country,
        customertypecode: 3,
        creditlimit: 50000 + i * 10000,
        exchangerate: CURRENCIES.find((c) => c.code === a.currency)!.rate,
        // Stock options (Net 30 / Net 45 / Net 60, FOB / No Charge, FedEx / Will Call / UPS); one without.
        ...DEMO_ACCOUNT_OPTIONS[i % DEMO_ACCOUNT_OPTIONS.length],
      },
      { ownerid: owner, transactioncurrencyid: ['transactioncurrency', currencyId] },
      next(),
    );
    a.contacts.forEach(([first, last, title], j) => {
      builder.add(
        'contacts',
        nameBasedGuid(`bcsync:demo:contact:${i}:${j}`),
        {
          firstname: first,
          lastname: last,
          jobtitle: title,
          emailaddress1:
            `${first}.${last}`
              .toLowerCase()
              .normalize('NFD')
              .replace(/[\u0300-\u036f]/g, '') + `@${new URL(a.web).hostname}`,
          telephone1: a.phone,
          address1_line1: a.line1,
          address1_city: a.city,
          address1_postalcode: a.postal,
          address1_country: a.country,
        },
        { ownerid: owner, parentcustomerid: ['account', accountId, 'parentcustomerid_account'] },
        next(),
      );
    });
  });
  // A contact without a parent account (outside the CONTACT mapping's integration table filter).
  builder.add(
    'contacts',
    nameBasedGuid('bcsync:demo:contact:orphan'),
    {
      firstname: 'Chris',
      lastname: 'Preston',
      emailaddress1: 'chris.preston@example.com',
      jobtitle: 'Freelance consultant',
    },
    { ownerid: ['systemuser', salespersonId(1)] },
    next(),
  );
}

const FIRST_NAMES = [
  'Anna',
  'Ben',
  'Carla',
  'David',
  'Elena',
  'Farid',
  'Greta',
  'Hiro',
  'Ines',
  'Jonas',
  'Kara',
  'Lars',
  'Maya',
  'Nils',
  'Olga',
  'Pavel',
  'Rosa',
  'Sven',
  'Tara',
  'Umar',
];
const LAST_NAMES = [
  'Andersen',
  'Brown',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Hansen',
  'Ito',
  'Jensen',
  'Kowalski',
  'Larsen',
  'Meyer',
  'Novak',
  'Olsen',
  'Petersen',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Weber',
];
const COMPANY_WORDS = [
  'Alpine',
  'Blue',
  'Coastal',
  'Delta',
  'Evergreen',
  'Fjord',
  'Granite',
  'Harbor',
  'Iron',
  'Juniper',
  'Keystone',
  'Lakeside',
  'Meridian',
  'Northern',
  'Oak',
  'Pioneer',
  'Quartz',
  'River',
  'Summit',
  'Timber',
];
const COMPANY_TRADES = [
  'Trading',
  'Logistics',
  'Bikes',
  'Furniture',
  'Foods',
  'Outfitters',
  'Electronics',
  'Supplies',
  'Textiles',
  'Tools',
];
const COMPANY_FORMS = ['Inc.', 'Ltd.', 'GmbH', 'A/S', 'AB', 'S.A.', 'LLC', 'Co.'];
const CITIES: Array<[string, string, string]> = [
  ['Seattle', 'US', '98101'],
  ['Chicago', 'US', '60601'],
  ['Toronto', 'CA', 'M5H 2N2'],
  ['London', 'GB', 'EC1A 1BB'],
  ['Aarhus', 'DK', '8000'],
  ['Hamburg', 'DE', '20095'],
  ['Lyon', 'FR', '69001'],
  ['Stockholm', 'SE', '111 52'],
  ['Oslo', 'NO', '0150'],
  ['Zürich', 'CH', '8001'],
];

/** N accounts and N contacts (contact i belongs to account i); deterministic for a given N. */
function seedRecords(store: DataverseStore, builder: SeedBuilder, count: number, owners: string[]): void {
  const random = new SeededRandom(20240201);
  const width = Math.max(6, String(count).length);
  for (let i = 1; i <= count; i++) {
    const n = String(i).padStart(width, '0');
    const [city, country, postal] = random.pick(CITIES);
    const company = `${random.pick(COMPANY_WORDS)} ${random.pick(COMPANY_TRADES)} ${random.pick(COMPANY_FORMS)}`;
    const accountId = random.guid();
    const at = RECORDS_TIME + Math.floor(i / 50) * 1000;
    const owner: LookupRef = ['systemuser', owners[i % owners.length]];
    const domain = `${company.split(' ')[0].toLowerCase()}${n}.example`;
    builder.add(
      'accounts',
      accountId,
      {
        name: `${company} ${n}`,
        accountnumber: `CRM${n}`,
        telephone1: `+1 555 ${n.slice(-7).padStart(7, '0')}`,
        emailaddress1: `info@${domain}`,
        websiteurl: `https://${domain}`,
        address1_line1: `${1 + random.int(250)} ${random.pick(COMPANY_WORDS)} Street`,
        address1_city: city,
        address1_postalcode: postal,
        address1_country: country,
        customertypecode: 3,
        creditlimit: 1000 * (1 + random.int(100)),
        exchangerate: 1,
      },
      { ownerid: owner, transactioncurrencyid: ['transactioncurrency', BASE_CURRENCY_ID] },
      at,
    );
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    builder.add(
      'contacts',
      random.guid(),
      {
        firstname: first,
        lastname: last,
        emailaddress1: `${first}.${last}${n}@${domain}`.toLowerCase(),
        telephone1: `+1 555 ${n.slice(-7).padStart(7, '0')}`,
        jobtitle: random.pick(['Buyer', 'Purchasing Manager', 'CEO', 'Accountant', 'Sales Director']),
        address1_city: city,
        address1_postalcode: postal,
        address1_country: country,
      },
      { ownerid: owner, parentcustomerid: ['account', accountId, 'parentcustomerid_account'] },
      at,
    );
  }
}

/** Replaces the store's content with the chosen seed. */
export function seedStore(
  store: DataverseStore,
  options: { kind: SeedKind; records: number; clientIds: string[] },
): void {
  store.clear();
  const builder = seedOrganisation(store, options.clientIds, options.kind);
  if (options.kind === 'demo') seedDemo(store, builder);
  if (options.records > 0) {
    const owners =
      options.kind === 'demo'
        ? SALESPEOPLE.map((_, i) => salespersonId(i))
        : [applicationUserId(options.clientIds[0])];
    seedRecords(store, builder, options.records, owners);
  }
  store.dirty = true;
}
