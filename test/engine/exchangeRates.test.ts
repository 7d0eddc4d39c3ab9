// CURRENCY with exchange rates (docs/exchange-rates.md) on the demo data: the current rate of BC's Currency
// Exchange Rates reaches transactioncurrency.exchangerate, a new rate reaches it on the next (incremental)
// run, and currencyExchangeRates wakes the CURRENCY entry. The rate is read from the API v2.0
// currencyExchangeRates resource ("currencyExchangeRate resource type"):
// https://learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_currencyexchangerate
import { currentRates, type RateRow } from '../../activities/engine/exchangeRates';
import { loadMappings } from '../../activities/mappings/mappingConfig';
import { wakeRoutesFrom } from '../../client/wakeups/wakeRoutes';
import { enterExchangeRate } from '../../emulators/bc/referenceSeed';
import { startEngineStack, type EngineStack } from './engineHarness';

const row = (currencyCode: string, startingDate: string, amount: number, relational: number, via = '') =>
  ({
    currencyCode,
    startingDate,
    exchangeRateAmount: amount,
    relationalCurrencyCode: via,
    relationalExchangeRateAmount: relational,
    lastModifiedDateTime: '2026-01-02T10:00:00.000Z',
  }) satisfies RateRow;

describe('the current rate', () => {
  it('is the row with the latest starting date not after today, per unit of the local currency', () => {
    const rates = currentRates(
      [
        row('EUR', '2025-01-01', 100, 104.2),
        row('EUR', '2026-01-01', 100, 108.7),
        row('EUR', '2027-01-01', 1, 2),
      ],
      '2026-12-01',
    );
    // 100 EUR = 108.7 USD: 1 USD = 0.9199632015 EUR, as Dataverse's exchangerate says it.
    expect(rates.get('EUR')!.rate).toBe(0.9199632015);
  });

  it('goes through a relational foreign currency, and a rate that starts today counts from today', () => {
    const rates = currentRates(
      [row('EUR', '2026-01-01', 100, 108.7), row('DKK', '2026-12-01', 100, 13.4, 'EUR')],
      '2026-12-01',
    );
    // 100 DKK = 13.4 EUR and 1 USD = 0.92 EUR -> 1 USD = 0.92 / 0.134 DKK.
    expect(rates.get('DKK')!.rate).toBeCloseTo((100 / 108.7) * (100 / 13.4), 8);
    expect(rates.get('DKK')!.changedAt).toBe('2026-12-01T00:00:00.000Z');
    expect(currentRates([row('SEK', '2027-01-01', 100, 9.6)], '2026-12-01').has('SEK')).toBe(false);
  });
});

describe('CURRENCY on the demo data', () => {
  let stack: EngineStack;
  beforeAll(async () => {
    stack = await startEngineStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const crmRate = async (code: string): Promise<number> =>
    Number(
      (await stack.crmRecords('transactioncurrencies')).find((c) => c.isocurrencycode === code)!.exchangerate,
    );

  it('writes the current BC rate to the coupled CRM currency, then a new rate on the next run', async () => {
    // The CRM demo org has EUR at 0.92; BC's current rate is 100 EUR = 108.7 USD.
    expect(await crmRate('EUR')).toBe(0.92);
    const first = await stack.engine.fullSync(['CURRENCY']);
    expect(first[0]!.passes[0]!.counters.failed).toBe(0);
    expect(await crmRate('EUR')).toBe(0.9199632015);
    expect(await crmRate('GBP')).toBe(Number((100 / 126.6).toFixed(10)));

    // The next scheduled run with nothing new changes nothing.
    const idle = await stack.engine.runMapping('CURRENCY');
    expect(idle.passes[0]!.counters.modified).toBe(0);

    // A BC user enters today's rate for EUR.
    enterExchangeRate(stack.emulators.bc.state, {
      currencyCode: 'EUR',
      startingDate: new Date().toISOString().slice(0, 10),
      amount: 100,
      relationalAmount: 112.5,
    });
    const next = await stack.engine.runMapping('CURRENCY');
    expect(next.passes[0]!.counters.modified).toBe(1);
    expect(await crmRate('EUR')).toBe(Number((100 / 112.5).toFixed(10)));
    expect(await crmRate('GBP')).toBe(Number((100 / 126.6).toFixed(10)));
  });

  it('lets a change of currencyExchangeRates wake the CURRENCY entry (polled: BC sends no webhooks for it)', () => {
    const routes = wakeRoutesFrom(loadMappings());
    expect(routes.entriesForBc('currencyExchangeRates')).toEqual(['CURRENCY']);
  });
});
