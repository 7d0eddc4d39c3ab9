// The `demo` seed: a small, realistic company modelled on Microsoft's fictitious CRONUS USA demo company
// (customers with addresses, phones, e-mails, salespeople and currencies; company and person contacts;
// items with units and prices; resources; price groups and sales prices; posted and draft invoices).
// Every id and value comes from a fixed-seed generator, so two seeds are identical apart from timestamps.
// Rows go through the normal write path, so the seed obeys the same rules as API clients.
import { SeededRandom } from '../common/seededRandom';
import type { BcState } from './bcState';
import { entityDef } from './entityModel';
import type { JsonRow } from './entityTable';
import { createEntity } from './entityWriter';
import { postSalesInvoice } from './invoiceRules';
import { seedReferenceData } from './referenceSeed';
import { seedGuid } from './seedIds';

interface DemoCustomer {
  name: string;
  address: string;
  city: string;
  state: string;
  postalCode: string;
  country: string;
  currency?: string;
  contact: [string, string];
}

const CUSTOMERS: readonly DemoCustomer[] = [
  {
    name: 'Adatum Corporation',
    address: '192 Market Square',
    city: 'Atlanta',
    state: 'GA',
    postalCode: '31772',
    country: 'US',
    contact: ['Robert', 'Townes'],
  },
  {
    name: 'Trey Research',
    address: '153 Thomas Drive',
    city: 'Chicago',
    state: 'IL',
    postalCode: '61236',
    country: 'US',
    contact: ['Helen', 'Ray'],
  },
  {
    name: 'School of Fine Art',
    address: '10 High Tower Green',
    city: 'Miami',
    state: 'FL',
    postalCode: '37125',
    country: 'US',
    contact: ['Meagan', 'Bond'],
  },
  {
    name: 'Alpine Ski House',
    address: '10 Deerfield Road',
    city: 'Atlanta',
    state: 'GA',
    postalCode: '31772',
    country: 'US',
    contact: ['Ian', 'Deberry'],
  },
  {
    name: 'Relecloud',
    address: '25 Water Way',
    city: 'Atlanta',
    state: 'GA',
    postalCode: '31772',
    country: 'US',
    contact: ['Jesse', 'Homer'],
  },
  {
    name: 'Coho Winery',
    address: '8 Vineyard Lane',
    city: 'Seattle',
    state: 'WA',
    postalCode: '98101',
    country: 'US',
    contact: ['Jim', 'Glynn'],
  },
  {
    name: 'Fabrikam, Inc.',
    address: '4567 Main Street',
    city: 'Buffalo',
    state: 'NY',
    postalCode: '14201',
    country: 'US',
    contact: ['Lisa', 'Andrews'],
  },
  {
    name: 'Contoso, Ltd.',
    address: '1 Microsoft Way',
    city: 'Redmond',
    state: 'WA',
    postalCode: '98052',
    country: 'US',
    contact: ['Robin', 'Counts'],
  },
  {
    name: 'Litware, Inc.',
    address: '77 Industry Park',
    city: 'Dallas',
    state: 'TX',
    postalCode: '75201',
    country: 'US',
    contact: ['Ben', 'Miller'],
  },
  {
    name: 'Wide World Importers',
    address: '200 Harbor Road',
    city: 'San Francisco',
    state: 'CA',
    postalCode: '94105',
    country: 'US',
    contact: ['Anna', 'Lidman'],
  },
  {
    name: 'Northwind Traders',
    address: '12 Orchestra Terrace',
    city: 'Vancouver',
    state: 'BC',
    postalCode: 'V6B 1A1',
    country: 'CA',
    currency: 'CAD',
    contact: ['Nancy', 'Davolio'],
  },
  {
    name: 'Tailspin Toys',
    address: '31 Airport Road',
    city: 'Toronto',
    state: 'ON',
    postalCode: 'M5H 2N2',
    country: 'CA',
    currency: 'CAD',
    contact: ['Pat', 'Coleman'],
  },
  {
    name: 'Proseware, Inc.',
    address: '5 Kings Road',
    city: 'London',
    state: '',
    postalCode: 'W2 8HG',
    country: 'GB',
    currency: 'GBP',
    contact: ['Ivan', 'Irons'],
  },
  {
    name: 'Woodgrove Bank',
    address: '17 Queens Gate',
    city: 'Manchester',
    state: '',
    postalCode: 'M1 1AA',
    country: 'GB',
    currency: 'GBP',
    contact: ['Olivia', 'Wilson'],
  },
  {
    name: 'Lucerne Publishing',
    address: 'Hauptstrasse 11',
    city: 'Berlin',
    state: '',
    postalCode: '10115',
    country: 'DE',
    currency: 'EUR',
    contact: ['Kai', 'Axford'],
  },
  {
    name: 'Graphic Design Institute',
    address: 'Rue de Rivoli 40',
    city: 'Paris',
    state: '',
    postalCode: '75001',
    country: 'FR',
    currency: 'EUR',
    contact: ['Claire', 'Dubois'],
  },
  {
    name: 'Fourth Coffee',
    address: 'Avenida Reforma 222',
    city: 'Mexico City',
    state: 'CDMX',
    postalCode: '06600',
    country: 'MX',
    currency: 'MXN',
    contact: ['Luis', 'Bonifaz'],
  },
  {
    name: "Margie's Travel",
    address: '9 Ocean Drive',
    city: 'Miami',
    state: 'FL',
    postalCode: '33139',
    country: 'US',
    contact: ['Margie', 'Shoop'],
  },
  {
    name: 'Blue Yonder Airlines',
    address: '400 Runway Blvd',
    city: 'Denver',
    state: 'CO',
    postalCode: '80202',
    country: 'US',
    contact: ['Ty', 'Carlson'],
  },
  {
    name: 'Humongous Insurance',
    address: '1200 Tower Place',
    city: 'Boston',
    state: 'MA',
    postalCode: '02108',
    country: 'US',
    contact: ['Sara', 'Davis'],
  },
];

const ITEMS: readonly [string, string, number, number][] = [
  ['1896-S', 'ATHENS Desk', 1000.8, 780.7],
  ['1900-S', 'PARIS Guest Chair, black', 192.8, 150.4],
  ['1906-S', 'ATHENS Mobile Pedestal', 281.4, 219.5],
  ['1908-S', 'LONDON Swivel Chair, blue', 190.1, 148.3],
  ['1920-S', 'ANTWERP Conference Table', 649.4, 506.6],
  ['1928-S', 'AMSTERDAM Lamp', 54.9, 42.8],
  ['1936-S', 'BERLIN Guest Chair, yellow', 192.8, 150.4],
  ['1960-S', 'ROME Guest Chair, green', 192.8, 150.4],
  ['1964-S', 'TOKYO Guest Chair, blue', 192.8, 150.4],
  ['1968-S', 'MEXICO Swivel Chair, black', 190.1, 148.3],
  ['1972-S', 'MUNICH Swivel Chair, yellow', 190.1, 148.3],
  ['1980-S', 'MOSCOW Swivel Chair, red', 190.1, 148.3],
  ['1988-S', 'SEOUL Guest Chair, red', 192.8, 150.4],
  ['1996-S', 'ATLANTA Whiteboard, base', 1397.3, 1090.0],
  ['2000-S', 'SYDNEY Swivel Chair, green', 190.1, 148.3],
];

const RESOURCES: readonly [string, string, 'Person' | 'Machine', number, number][] = [
  ['KATHERINE', 'Katherine Hull', 'Person', 80, 55],
  ['LINA', 'Lina Townsend', 'Person', 95, 65],
  ['MARTY', 'Marty Horst', 'Person', 90, 60],
  ['TERRY', 'Terry Dodds', 'Person', 85, 57],
  ['LIFT', 'Forklift', 'Machine', 120, 70],
  ['VAN', 'Delivery Van', 'Machine', 140, 85],
];

const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '');

export function seedDemo(state: BcState): void {
  const rng = new SeededRandom(20240101);
  const ref = seedReferenceData(state, rng);
  const post = (set: string, body: JsonRow, parentId?: string): JsonRow =>
    createEntity(state, entityDef(set), body, parentId, seedGuid(rng)).data;

  const customers = CUSTOMERS.map((c, i) =>
    post('customers', {
      number: String(10000 * (i + 1)),
      displayName: c.name,
      type: 'Company',
      addressLine1: c.address,
      city: c.city,
      state: c.state,
      country: c.country,
      postalCode: c.postalCode,
      phoneNumber: `+1 425 555 01${String(i).padStart(2, '0')}`,
      email: `${c.contact[0].toLowerCase()}.${c.contact[1].toLowerCase()}@${slug(c.name)}.example.com`,
      website: `www.${slug(c.name)}.example.com`,
      salespersonCode: ref.salespeople[i % ref.salespeople.length],
      creditLimit: [0, 10000, 25000, 50000][i % 4],
      taxLiable: c.country === 'US',
      currencyCode: c.currency ?? '',
      paymentTermsId: ref.paymentTermIds[i % ref.paymentTermIds.length],
      shipmentMethodId: ref.shipmentMethodIds[i % ref.shipmentMethodIds.length],
      // Every third customer without a shipping agent (a blank code is a value too).
      shippingAgentCode: i % 3 === 2 ? '' : ref.shippingAgentCodes[i % ref.shippingAgentCodes.length],
      // One blocked customer: the CUSTOMER mapping's table filter (Blocked = ' ') must leave it out.
      blocked: i === CUSTOMERS.length - 1 ? 'All' : ' ',
    }),
  );

  CUSTOMERS.forEach((c, i) => {
    const company = post('contacts', {
      type: 'Company',
      displayName: c.name,
      addressLine1: c.address,
      city: c.city,
      state: c.state,
      country: c.country,
      postalCode: c.postalCode,
      phoneNumber: String(customers[i].phoneNumber),
      email: `info@${slug(c.name)}.example.com`,
      website: String(customers[i].website),
      // The blocked customer's company is a plain contact (no business relation): its person is not
      // synchronized (the CONTACT mapping takes contacts of customers only).
      ...(customers[i].blocked === ' ' ? { customerId: customers[i].id } : {}),
    });
    if (customers[i].blocked === ' ')
      state.patchDerived('contacts', String(company.id), { contactBusinessRelation: 'Customer' });
    const person = post('contacts', {
      type: 'Person',
      displayName: `${c.contact[0]} ${c.contact[1]}`,
      firstName: c.contact[0],
      surname: c.contact[1],
      companyNumber: company.number,
      addressLine1: c.address,
      city: c.city,
      state: c.state,
      country: c.country,
      postalCode: c.postalCode,
      phoneNumber: `+1 425 555 02${String(i).padStart(2, '0')}`,
      mobilePhoneNumber: `+1 425 555 03${String(i).padStart(2, '0')}`,
      email: String(customers[i].email),
    });
    // The custom API's fields of the customer: its primary contact, and a fax number on every other one.
    state.patchDerived('customers', String(customers[i].id), {
      primaryContactId: person.id,
      contactName: person.displayName,
      faxNumber: i % 2 === 0 ? `+1 425 555 04${String(i).padStart(2, '0')}` : '',
    });
  });

  const items = ITEMS.map(([number, name, price, cost], i) =>
    post('items', {
      number,
      displayName: name,
      type: 'Inventory',
      unitPrice: price,
      unitCost: cost,
      baseUnitOfMeasureCode: 'PCS',
      itemCategoryCode: i < 8 ? 'CHAIR' : 'FURNITURE',
      gtin: `0${String(7300000000000 + i * 17)}`.slice(0, 14),
      grossWeight: 5 + i,
      unitVolume: Math.round((0.1 + i / 20) * 100) / 100,
      vendorItemNumber: `V-${number}`,
    }),
  );
  for (const item of items) state.patchDerived('items', String(item.id), { inventory: 20 + rng.int(200) });

  for (const [number, name, type, price, cost] of RESOURCES) {
    const res = post('resources', {
      number,
      name,
      type,
      baseUnitOfMeasureCode: 'HOUR',
      unitPrice: price,
      unitCost: cost,
    });
    state.patchDerived('resources', String(res.id), { capacity: type === 'Person' ? 160 : 200 });
  }

  for (const [code, description] of [
    ['RETAIL', 'Retail customers'],
    ['WHOLESALE', 'Wholesale customers'],
    ['EXPORT', 'Export customers'],
  ]) {
    post('customerPriceGroups', { code, description });
  }

  items.forEach((item, i) => {
    const price = Number(item.unitPrice);
    post('salesPrices', {
      itemNumber: item.number,
      salesType: 'All Customers',
      unitPrice: price,
      unitOfMeasureCode: 'PCS',
    });
    post('salesPrices', {
      itemNumber: item.number,
      salesType: 'Customer Price Group',
      salesCode: 'WHOLESALE',
      unitPrice: Math.round(price * 85) / 100,
      minimumQuantity: 10,
      unitOfMeasureCode: 'PCS',
    });
    post('salesPrices', {
      itemNumber: item.number,
      salesType: 'Customer Price Group',
      salesCode: 'RETAIL',
      unitPrice: Math.round(price * 98) / 100,
      startingDate: '2025-01-01',
      unitOfMeasureCode: 'PCS',
    });
    if (i % 3 === 0) {
      post('salesPrices', {
        itemNumber: item.number,
        salesType: 'Customer Price Group',
        salesCode: 'EXPORT',
        currencyCode: 'EUR',
        unitPrice: Math.round(price * 92) / 100,
        unitOfMeasureCode: 'PCS',
      });
    }
  });
  post('salesPrices', {
    itemNumber: items[0].number,
    salesType: 'Customer',
    salesCode: customers[0].number,
    unitPrice: 900,
    unitOfMeasureCode: 'PCS',
  });

  // Invoices: posted ones (ledger, statistics) for the first twelve customers, drafts for a few.
  customers.slice(0, 12).forEach((customer, i) => {
    const count = 1 + (i % 3);
    for (let n = 0; n < count; n++) {
      const day = String(1 + ((i * 3 + n * 7) % 27)).padStart(2, '0');
      const month = String(1 + ((i + n) % 9)).padStart(2, '0');
      // Some customers get an invoice discount (spread over the lines with rounding) and line discounts.
      const discounted = n === 0 && i % 4 === 2;
      const invoice = post('salesInvoices', {
        customerNumber: customer.number,
        invoiceDate: `2025-${month}-${day}`,
        externalDocumentNumber: `PO-${4711 + i * 10 + n}`,
        ...(discounted ? { discountAmount: 25 } : {}),
      });
      const lineCount = discounted ? 3 : 1 + ((i + n) % 4);
      for (let l = 0; l < lineCount; l++) {
        const item = items[(i * 5 + n * 3 + l) % items.length];
        post(
          'salesInvoiceLines',
          {
            lineType: 'Item',
            lineObjectNumber: item.number,
            quantity: 1 + ((i + l) % 6),
            ...(discounted && l === 1 ? { discountPercent: 7.5 } : {}),
          },
          String(invoice.id),
        );
      }
      if (n === 0 && i % 4 === 1) {
        post(
          'salesInvoiceLines',
          { lineType: 'Resource', lineObjectNumber: 'MARTY', quantity: 4 },
          String(invoice.id),
        );
      }
      postSalesInvoice(state, String(invoice.id));
    }
  });
  customers.slice(12, 16).forEach((customer, i) => {
    const draft = post('salesInvoices', {
      customerNumber: customer.number,
      externalDocumentNumber: `PO-DRAFT-${i + 1}`,
    });
    post(
      'salesInvoiceLines',
      { lineType: 'Item', lineObjectNumber: items[i].number, quantity: 2 + i },
      String(draft.id),
    );
  });

  // Figures the emulator has no documents for (orders, shipments) vary per customer.
  for (const customer of customers) {
    const stats = state.get('customerStatistics', String(customer.id));
    if (!stats) continue;
    state.patchDerived('customerStatistics', String(customer.id), {
      outstandingOrders: rng.int(8) * 125.5,
      shippedNotInvoiced: rng.int(4) * 310.25,
    });
  }
}
