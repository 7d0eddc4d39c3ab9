// Setup data every seed needs (currencies, units of measure, payment terms, shipment methods, shipping
// agents, salespeople), modelled on the CRONUS USA demo company, written through the normal write path.
import { nameBasedGuid } from '../common/nameBasedGuid';
import type { SeededRandom } from '../common/seededRandom';
import type { BcState } from './bcState';
import { blankRow, entityDef } from './entityModel';
import type { JsonRow } from './entityTable';
import { createEntity } from './entityWriter';
import { seedGuid } from './seedIds';

export interface ReferenceData {
  salespeople: string[];
  paymentTermIds: string[];
  shipmentMethodIds: string[];
  shippingAgentCodes: string[];
  currencyCodes: string[];
}

const CURRENCIES: readonly [string, string, string][] = [
  ['AUD', 'Australian dollar', '$'],
  ['CAD', 'Canadian dollar', '$'],
  ['CHF', 'Swiss franc', 'CHF'],
  ['DKK', 'Danish krone', 'kr'],
  ['EUR', 'Euro', '€'],
  ['GBP', 'Pound sterling', '£'],
  ['JPY', 'Japanese yen', '¥'],
  ['MXN', 'Mexican peso', '$'],
  ['NOK', 'Norwegian krone', 'kr'],
  ['SEK', 'Swedish krona', 'kr'],
];

/** USD (the local currency) per 100 units of each currency, from 2026-01-01; EUR also has an older rate. */
const EXCHANGE_RATES: readonly [string, string, number][] = [
  ['AUD', '2026-01-01', 65.2],
  ['CAD', '2026-01-01', 72.9],
  ['CHF', '2026-01-01', 113.6],
  ['DKK', '2026-01-01', 14.6],
  ['EUR', '2025-01-01', 104.2],
  ['EUR', '2026-01-01', 108.7],
  ['GBP', '2026-01-01', 126.6],
  ['JPY', '2026-01-01', 0.668],
  ['MXN', '2026-01-01', 5.8],
  ['NOK', '2026-01-01', 9.4],
  ['SEK', '2026-01-01', 9.6],
];

/**
 * A row of Currency Exchange Rates as a BC user enters it on the page (the API is read-only): `amount`
 * units of the currency equal `relationalAmount` units of the relational currency (blank = local).
 */
export function enterExchangeRate(
  state: BcState,
  rate: {
    currencyCode: string;
    startingDate: string;
    amount: number;
    relationalAmount: number;
    relationalCurrencyCode?: string;
  },
): JsonRow {
  const def = entityDef('currencyExchangeRates');
  const table = state.table(def.entitySet);
  const existing = table
    .rowsInKeyOrder()
    .find((r) => r.data.currencyCode === rate.currencyCode && r.data.startingDate === rate.startingDate);
  const data: JsonRow = {
    ...(existing
      ? existing.data
      : {
          ...blankRow(def),
          id: nameBasedGuid(`bc:currencyExchangeRate:${rate.currencyCode}:${rate.startingDate}`),
        }),
    currencyCode: rate.currencyCode,
    startingDate: rate.startingDate,
    exchangeRateAmount: rate.amount,
    relationalCurrencyCode: rate.relationalCurrencyCode ?? '',
    relationalExchangeRateAmount: rate.relationalAmount,
    lastModifiedDateTime: state.stampModified(existing?.data.lastModifiedDateTime),
  };
  return (existing ? state.update(def.entitySet, data) : state.insert(def.entitySet, data)).data;
}

const UNITS: readonly [string, string, string][] = [
  ['BOX', 'Box', 'BX'],
  ['CAN', 'Can', 'CA'],
  ['DAY', 'Day', 'DAY'],
  ['HOUR', 'Hour', 'HUR'],
  ['KG', 'Kilogram', 'KGM'],
  ['PACK', 'Pack', 'PK'],
  ['PCS', 'Piece', 'EA'],
  ['SET', 'Set', 'SET'],
];

const PAYMENT_TERMS: readonly [string, string, string, string, number][] = [
  ['10 DAYS', 'Net 10 days', '10D', '', 0],
  ['14 DAYS', 'Net 14 days', '14D', '', 0],
  ['1M(8D)', '1 Month/2% 8 days', '1M', '8D', 2],
  ['21 DAYS', 'Net 21 days', '21D', '', 0],
  ['30 DAYS', 'Net 30 days', '30D', '', 0],
  ['7 DAYS', 'Net 7 days', '7D', '', 0],
  ['CM', 'Current month', 'CM', '', 0],
  ['COD', 'Cash on delivery', '0D', '', 0],
];

const SHIPMENT_METHODS: readonly [string, string][] = [
  ['CIF', 'Cost Insurance and Freight'],
  ['DDP', 'Delivered Duty Paid'],
  ['EXW', 'Ex Warehouse'],
  ['FCA', 'Free Carrier'],
  ['FOB', 'Free on Board'],
  ['PICKUP', 'Pickup at Location'],
];

// CRONUS's shipping agents; DHL, FEDEX and UPS are also options of Dataverse's account shipping method.
const SHIPPING_AGENTS: readonly [string, string, string][] = [
  ['DHL', 'DHL Systems, Inc.', 'www.dhl.com'],
  ['FEDEX', 'Federal Express Corporation', 'www.fedex.com'],
  ['OWN LOG.', 'Own Logistics', ''],
  ['UPS', 'UPS Parcel Service', 'www.ups.com'],
];

const SALESPEOPLE: readonly [string, string, string][] = [
  ['BC', 'Benjamin Chiu', 'Sales Manager'],
  ['HR', 'Helen Ray', 'Account Manager'],
  ['JO', 'Jim Olive', 'Sales Representative'],
  ['LT', 'Lina Townsend', 'Sales Representative'],
  ['OF', 'Otis Falls', 'Key Account Manager'],
  ['PS', 'Peter Saddow', 'Sales Representative'],
];

export function seedReferenceData(state: BcState, rng: SeededRandom): ReferenceData {
  const post = (set: string, body: JsonRow): JsonRow =>
    createEntity(state, entityDef(set), body, undefined, seedGuid(rng)).data;
  for (const [code, displayName, symbol] of CURRENCIES) {
    post('currencies', {
      code,
      displayName,
      symbol,
      amountDecimalPlaces: code === 'JPY' ? '0:0' : '2:2',
      amountRoundingPrecision: code === 'JPY' ? 1 : 0.01,
    });
  }
  for (const [currencyCode, startingDate, usdPer100] of EXCHANGE_RATES) {
    enterExchangeRate(state, {
      currencyCode,
      startingDate,
      amount: 100,
      relationalAmount: usdPer100,
    });
  }
  for (const [code, displayName, internationalStandardCode] of UNITS) {
    post('unitsOfMeasure', {
      code,
      displayName,
      internationalStandardCode,
      symbol: code === 'KG' ? 'kg' : '',
    });
  }
  const paymentTermIds = PAYMENT_TERMS.map(
    ([code, displayName, dueDateCalculation, discountDateCalculation, discountPercent]) =>
      String(
        post('paymentTerms', {
          code,
          displayName,
          dueDateCalculation,
          discountDateCalculation,
          discountPercent,
        }).id,
      ),
  );
  const shipmentMethodIds = SHIPMENT_METHODS.map(([code, displayName]) =>
    String(post('shipmentMethods', { code, displayName }).id),
  );
  for (const [code, name, internetAddress] of SHIPPING_AGENTS)
    post('shippingAgents', { code, name, internetAddress });
  for (const [code, displayName, jobTitle] of SALESPEOPLE) {
    const [first, last] = displayName.toLowerCase().split(' ');
    post('salespeoplePurchasers', {
      code,
      displayName,
      jobTitle,
      email: `${first}.${last}@cronus-demosite.example.com`,
      phoneNo: `+1 425 555 09${String(SALESPEOPLE.findIndex((s) => s[0] === code)).padStart(2, '0')}`,
      commisionPercent: 2.5 + SALESPEOPLE.findIndex((s) => s[0] === code) * 0.5,
    });
  }
  return {
    salespeople: SALESPEOPLE.map((s) => s[0]),
    paymentTermIds,
    shipmentMethodIds,
    shippingAgentCodes: SHIPPING_AGENTS.map((a) => a[0]),
    currencyCodes: CURRENCIES.map((c) => c[0]),
  };
}
