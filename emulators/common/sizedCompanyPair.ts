// The records of the sized seed (`records: N`) that both emulators know: the BC emulator creates these
// customers and persons, and the Dataverse emulator, asked for an overlap share, enters the same companies
// and people again as a sales team would (other case, extra blanks, another phone format), so a first
// synchronization meets a populated pair instead of two disjoint sets.
const FIRST = [
  'Alder',
  'Birch',
  'Cedar',
  'Delta',
  'Ember',
  'Falcon',
  'Granite',
  'Harbor',
  'Iris',
  'Juniper',
  'Kestrel',
  'Lumen',
];
const SECOND = [
  'Supply',
  'Works',
  'Trading',
  'Systems',
  'Foods',
  'Logistics',
  'Design',
  'Motors',
  'Labs',
  'Outfitters',
];
const SUFFIX = ['Inc.', 'LLC', 'Corp.', 'Ltd.', 'Group', 'Co.'];
export const SIZED_CITIES: readonly [city: string, state: string, zip: string][] = [
  ['Atlanta', 'GA', '31772'],
  ['Chicago', 'IL', '61236'],
  ['Miami', 'FL', '37125'],
  ['Seattle', 'WA', '98101'],
  ['Denver', 'CO', '80202'],
  ['Boston', 'MA', '02108'],
  ['Dallas', 'TX', '75201'],
  ['Phoenix', 'AZ', '85001'],
];
export const SIZED_GIVEN = [
  'Alex',
  'Sam',
  'Jordan',
  'Taylor',
  'Morgan',
  'Casey',
  'Riley',
  'Jamie',
  'Avery',
  'Quinn',
];
export const SIZED_FAMILY = [
  'Smith',
  'Garcia',
  'Chen',
  'Novak',
  'Okafor',
  'Larsen',
  'Silva',
  'Khan',
  'Murphy',
  'Rossi',
];

export interface SizedCustomer {
  number: string;
  name: string;
  city: string;
  state: string;
  zip: string;
  /** BC blocks every 50th customer (outside the CUSTOMER table filter). */
  blocked: boolean;
}

/** Customer `i` (0-based) of the BC sized seed. */
export function sizedCustomer(i: number): SizedCustomer {
  const [city, state, zip] = SIZED_CITIES[i % SIZED_CITIES.length];
  return {
    number: `C${String(10 * (i + 1)).padStart(5, '0')}`,
    name: `${FIRST[i % FIRST.length]} ${SECOND[Math.floor(i / FIRST.length) % SECOND.length]} ${SUFFIX[i % SUFFIX.length]} ${i + 1}`,
    city,
    state,
    zip,
    blocked: i % 50 === 49,
  };
}

/** Person `i` (0-based) of the BC sized seed: works for customer `i`; there are N - ceil(N/2) of them. */
export function sizedPerson(i: number): { first: string; last: string; email: string } {
  return {
    first: SIZED_GIVEN[i % SIZED_GIVEN.length],
    last: SIZED_FAMILY[Math.floor(i / SIZED_GIVEN.length) % SIZED_FAMILY.length],
    email: `person${i + 1}@customer${i + 1}.example.com`,
  };
}

/** How many BC persons a sized seed of N records has. */
export const sizedPersonCount = (records: number): number => records - Math.ceil(records / 2);
