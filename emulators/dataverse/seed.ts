// Deterministic seed data (apis.md C "Both": deterministic seed data of any size). `demo` is a small,
// realistic Dynamics 365 Sales organisation: ISO currencies with USD as base currency, licensed
// salespeople, the application (integration) users, a unit group, a price list and a few accounts and
// contacts that exist only in the CRM. `records: N` adds N accounts and N contacts (one per account),
// built directly as rows so 100,000 of each seed in a few seconds.
import { SeededRandom } from '../common/seededRandom';
import { sizedCustomer, sizedPerson, sizedPersonCount } from '../common/sizedCompanyPair';
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
export const PIECES_UNIT_GROUP_ID = nameBasedGuid('bcsync:uomschedule:PCS');
export const PIECES_UNIT_ID = nameBasedGuid('bcsync:uom:PCS');
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

interface DemoAccount {
  number: string;
  name: string;
  city: string;
  country: string;
  postal: string;
  line1: string;
  phone: string;
  currency: string;
  owner: number;
  domain: string;
  contacts: Array<[first: string, last: string, title: string, email: string]>;
}

function account(
  number: string,
  name: string,
  city: string,
  country: string,
  postal: string,
  line1: string,
  phone: string,
  currency: string,
  owner: number,
  contacts: DemoAccount['contacts'],
): DemoAccount {
  const domain = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '')}.example.com`;
  return { number, name, city, country, postal, line1, phone, currency, owner, domain, contacts };
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
        // One user's address was typed with capitals: e-mail matching ignores case.
        internalemailaddress: `${i === 0 ? 'Benjamin.Chiu' : email}@cronus-demosite.example.com`,
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
  // A unit group named after the BC unit code, as BC's own integration creates them: UNIT OF MEASURE
  // couples it by code instead of creating a second one.
  builder.add(
    'uomschedules',
    PIECES_UNIT_GROUP_ID,
    { name: 'PCS', baseuomname: 'PCS', description: 'Pieces' },
    {},
    next(),
  );
  // Every unit group has its base unit (the platform creates it with the group).
  builder.add(
    'uoms',
    PIECES_UNIT_ID,
    { name: 'PCS', quantity: 1, isschedulebaseuom: true },
    { uomscheduleid: ['uomschedule', PIECES_UNIT_GROUP_ID] },
    next(),
  );
  builder.add(
    'pricelevels',
    DEFAULT_PRICE_LIST_ID,
    { name: 'Default Price List', description: 'Standard prices in US dollars', begindate: '2024-01-01' },
    { transactioncurrencyid: ['transactioncurrency', BASE_CURRENCY_ID] },
    next(),
  );

  // The CRM side of a company pair that both hold years of data (emulators/README.md "Demo data"): most
  // accounts are the BC demo's customers entered again by sales staff - same company, small differences
  // (case, extra blanks, punctuation, phone format), some with the BC customer number in `accountnumber`
  // (coupled by an earlier integration); a few exist only here; "Tailspin Toys" in Munich is another
  // company with the same name; "Fabrikam" and "Relecloud" were entered twice (ambiguous pairs).
  const accounts: DemoAccount[] = [
    account(
      '10000',
      'Adatum Corporation',
      'Atlanta',
      'US',
      '31772',
      '192 Market Square',
      '(425) 555-0100',
      'USD',
      0,
      [['Robert', 'Townes', 'Purchasing Agent', 'robert.townes@adatumcorporation.example.com']],
    ),
    account('', 'TREY RESEARCH', 'Chicago', 'US', '61236', '153 Thomas Drive', '425.555.0101', 'USD', 1, [
      ['Helen', 'Ray', 'Buyer', 'Helen.Ray@treyresearch.example.com'],
    ]),
    account(
      '',
      'School of  Fine Art',
      'Miami',
      'US',
      '37125',
      '10 High Tower Green',
      '+1 (425) 555-0102',
      'USD',
      2,
      [],
    ),
    account('', 'Alpine Ski House ', 'atlanta', 'US', '31772', '10 Deerfield Road', '4255550103', 'USD', 3, [
      ['Ian', 'Deberry', 'Owner', 'ian.deberry@alpineskihouse.example.com'],
    ]),
    account('', 'Relecloud', 'Atlanta', 'US', '31772', '25 Water Way', '+1 425 555 0104', 'USD', 4, []),
    account(
      '',
      'RELECLOUD',
      'Atlanta',
      'US',
      '31772',
      '25 Water Way, Suite 4',
      '+1 425 555 0199',
      'USD',
      5,
      [],
    ),
    account(
      '60000',
      'Coho Winery',
      'Seattle',
      'US',
      '98101',
      '8 Vineyard Lane',
      '+1 425 555 0105',
      'USD',
      0,
      [],
    ),
    account(
      '',
      'Fabrikam, Inc.',
      'Buffalo',
      'US',
      '14201',
      '4567 Main Street',
      '+1 425 555 0106',
      'USD',
      1,
      [],
    ),
    account('', 'Fabrikam Inc', 'Buffalo', 'US', '14201', '4567 Main St.', '(425) 555-0106', 'USD', 2, []),
    account('', 'Contoso Ltd', 'Redmond', 'US', '98052', '1 Microsoft Way', '+1 425 555 0107', 'USD', 3, [
      ['Robin', 'Counts', 'CFO', 'ROBIN.COUNTS@contosoltd.example.com'],
    ]),
    account(
      '90000',
      'Litware, Inc.',
      'Dallas',
      'US',
      '75201',
      '77 Industry Park',
      '+1 425 555 0108',
      'USD',
      4,
      [],
    ),
    account(
      '',
      'Wide World Importers',
      'San Francisco',
      'US',
      '94105',
      '200 Harbor Road',
      '+1 425 555 0109',
      'USD',
      5,
      [['Anna', 'Lidman', 'Logistics', 'anna.lidman@wideworldimporters.example.com']],
    ),
    account(
      '110000',
      'Northwind Traders',
      'Vancouver',
      'CA',
      'V6B 1A1',
      '12 Orchestra Terrace',
      '+1 425 555 0110',
      'CAD',
      0,
      [
        ['Nancy', 'Davolio', 'Purchasing Manager', 'Nancy.Davolio@northwindtraders.example.com'],
        ['Andrew', 'Fuller', 'Vice President, Sales', 'andrew.fuller@northwindtraders.example.com'],
      ],
    ),
    account(
      '',
      'tailspin toys',
      'Toronto',
      'CA',
      'M5H 2N2',
      '31 Airport Road',
      '+1 425 555 0111',
      'CAD',
      1,
      [],
    ),
    account('', 'Tailspin Toys', 'München', 'DE', '80331', 'Marienplatz 8', '+49 89 555 0140', 'EUR', 3, [
      ['Jürgen', 'Müller', 'Einkauf', 'juergen.mueller@tailspintoys.example'],
      ['Anja', 'Schäfer', 'Geschäftsführerin', 'anja.schaefer@tailspintoys.example'],
    ]),
    account(
      '',
      'Adventure Works Cycles',
      'Bothell',
      'US',
      '98011',
      '1 Adventure Way',
      '+1 425 555 0120',
      'USD',
      1,
      [
        ['Rob', 'Walters', 'Buyer', 'rob.walters@adventure-works.example'],
        ['Gail', 'Erickson', 'Design Engineer', 'gail.erickson@adventure-works.example'],
      ],
    ),
    account('', 'Wingtip Toys', 'København', 'DK', '1050', 'Kongens Nytorv 13', '+45 33 55 01 50', 'DKK', 4, [
      ['Mette', 'Nielsen', 'Indkøbschef', 'mette.nielsen@wingtiptoys.example'],
    ]),
  ];
  accounts.forEach((a, i) => {
    const accountId = nameBasedGuid(`bcsync:demo:account:${a.name}:${a.city}`);
    const currencyId = nameBasedGuid(`bcsync:currency:${a.currency}`);
    const owner: LookupRef = ['systemuser', salespersonId(a.owner)];
    builder.add(
      'accounts',
      accountId,
      {
        name: a.name,
        ...(a.number ? { accountnumber: a.number } : {}),
        telephone1: a.phone,
        websiteurl: `https://${a.domain}`,
        emailaddress1: `info@${a.domain}`,
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
    a.contacts.forEach(([first, last, title, email]) => {
      builder.add(
        'contacts',
        nameBasedGuid(`bcsync:demo:contact:${email.toLowerCase()}`),
        {
          firstname: first,
          lastname: last,
          jobtitle: title,
          emailaddress1: email,
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
  // Products: three of the BC demo items were entered in the CRM by hand (one product number in lower
  // case), one product is sold only from the CRM.
  for (const [number, name, price] of [
    ['1896-S', 'ATHENS Desk', 1000.8],
    ['1900-s', 'PARIS Guest Chair, black', 192.8],
    ['1928-S', 'AMSTERDAM Lamp', 54.9],
    ['CRM-SVC-01', 'Installation service', 150],
  ] as const) {
    builder.add(
      'products',
      nameBasedGuid(`bcsync:demo:product:${number}`),
      { name, productnumber: number, price, producttypecode: 1, quantitydecimal: 2 },
      // Entered in the Sales app, which requires a unit group and a default unit.
      { defaultuomscheduleid: ['uomschedule', PIECES_UNIT_GROUP_ID], defaultuomid: ['uom', PIECES_UNIT_ID] },
      next(),
    );
  }
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

/** How the sized CRM account `k` that stands for BC customer `k` differs from it (a sales team's typing). */
function sharedName(k: number, name: string): { name: string; city?: string; withNumber: boolean } {
  switch (k % 4) {
    case 0:
      return { name, withNumber: true };
    case 1:
      return { name: name.toUpperCase(), withNumber: false };
    case 2:
      return { name: ` ${name.replace(' ', '  ')} `, withNumber: false };
    default:
      return { name: name.toLowerCase(), withNumber: false };
  }
}

/**
 * N accounts and N contacts (contact i belongs to account i); deterministic for a given N. With an
 * `overlap` share, the first accounts stand for the BC sized seed's customers (emulators/common/
 * sizedCompanyPair.ts) - a quarter with the BC customer number in `accountnumber`, the others with the
 * name in other case or spacing - and their contacts for its persons (same e-mail, other case); every
 * 1,000th shared account was entered twice (an ambiguous pair). Blocked BC customers are never shared.
 */
function seedRecords(
  store: DataverseStore,
  builder: SeedBuilder,
  count: number,
  owners: string[],
  overlap: number,
): void {
  const random = new SeededRandom(20240201);
  const width = Math.max(6, String(count).length);
  const shared = Math.round(count * overlap);
  const persons = sizedPersonCount(count);
  for (let i = 1; i <= count; i++) {
    const n = String(i).padStart(width, '0');
    const [city, country, postal] = random.pick(CITIES);
    const company = `${random.pick(COMPANY_WORDS)} ${random.pick(COMPANY_TRADES)} ${random.pick(COMPANY_FORMS)}`;
    const accountId = random.guid();
    const at = RECORDS_TIME + Math.floor(i / 50) * 1000;
    const owner: LookupRef = ['systemuser', owners[i % owners.length]];
    const domain = `${company.split(' ')[0].toLowerCase()}${n}.example`;
    const k = i - 1;
    const bc = k < shared ? sizedCustomer(k) : undefined;
    const twin = bc && !bc.blocked ? bc : undefined;
    const typed = twin ? sharedName(k, twin.name) : undefined;
    const values: Row = {
      name: typed ? typed.name : `${company} ${n}`,
      accountnumber: twin ? (typed!.withNumber ? twin.number : '') : `CRM${n}`,
      telephone1: twin
        ? `(425) 555-${String(k % 10000).padStart(4, '0')}`
        : `+1 555 ${n.slice(-7).padStart(7, '0')}`,
      emailaddress1: `info@${domain}`,
      websiteurl: `https://${domain}`,
      address1_line1: `${1 + random.int(250)} ${random.pick(COMPANY_WORDS)} Street`,
      address1_city: twin ? (k % 4 === 3 ? twin.city.toUpperCase() : twin.city) : city,
      address1_postalcode: twin ? twin.zip : postal,
      address1_country: twin ? 'US' : country,
      customertypecode: 3,
      creditlimit: 1000 * (1 + random.int(100)),
      exchangerate: 1,
    };
    if (values.accountnumber === '') delete values.accountnumber;
    const lookups: Record<string, LookupRef> = {
      ownerid: owner,
      transactioncurrencyid: ['transactioncurrency', BASE_CURRENCY_ID],
    };
    builder.add('accounts', accountId, values, lookups, at);
    if (twin && k % 1000 === 3) {
      // Entered twice: a match by name and city finds two accounts, so neither may be coupled.
      builder.add(
        'accounts',
        nameBasedGuid(`bcsync:sized:account:twin:${k}`),
        { ...values, name: twin.name.toUpperCase(), telephone1: '' },
        lookups,
        at,
      );
    }
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const jobtitle = random.pick(['Buyer', 'Purchasing Manager', 'CEO', 'Accountant', 'Sales Director']);
    const person = twin && k < persons ? sizedPerson(k) : undefined;
    builder.add(
      'contacts',
      random.guid(),
      {
        firstname: person ? person.first : first,
        lastname: person ? person.last : last,
        emailaddress1: person
          ? person.email.charAt(0).toUpperCase() + person.email.slice(1)
          : `${first}.${last}${n}@${domain}`.toLowerCase(),
        telephone1: `+1 555 ${n.slice(-7).padStart(7, '0')}`,
        jobtitle,
        address1_city: values.address1_city,
        address1_postalcode: values.address1_postalcode,
        address1_country: values.address1_country,
      },
      { ownerid: owner, parentcustomerid: ['account', accountId, 'parentcustomerid_account'] },
      at,
    );
  }
}

/** Replaces the store's content with the chosen seed. */
export function seedStore(
  store: DataverseStore,
  options: { kind: SeedKind; records: number; clientIds: string[]; overlap?: number },
): void {
  store.clear();
  const builder = seedOrganisation(store, options.clientIds, options.kind);
  if (options.kind === 'demo') seedDemo(store, builder);
  if (options.records > 0) {
    const owners =
      options.kind === 'demo'
        ? SALESPEOPLE.map((_, i) => salespersonId(i))
        : [applicationUserId(options.clientIds[0])];
    seedRecords(store, builder, options.records, owners, options.overlap ?? 0);
  }
  store.dirty = true;
}
