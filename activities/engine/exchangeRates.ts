// CURRENCY with exchange rates (docs/exchange-rates.md): the BC currencies the CURRENCY mapping reads carry
// `exchangeRate`, the current rate from BC's currencyExchangeRates expressed the way Dataverse's
// transactioncurrency.exchangerate is (units of the currency per one unit of the base currency, which
// must be BC's local currency). A currency counts as modified when its current rate row changed or became
// current (its starting date arrived), so a new rate reaches the CRM currency on the next run.
import type { EntityPage, JsonRecord, ReadQuery, TableClient } from '../connectors/types';

/** The computed field the CURRENCY mapping maps to `exchangerate`. */
export const EXCHANGE_RATE_FIELD = 'exchangeRate';
const RATES = 'currencyExchangeRates';
/** Appended to a currency's ETag: the coupling compares versions, and a new rate is a new version. */
const RATE_VERSION = '|rate:';
/** transactioncurrency.exchangerate keeps 10 decimals. */
const DECIMALS = 10;

export interface RateRow {
  currencyCode: string;
  startingDate: string;
  exchangeRateAmount: number;
  relationalCurrencyCode: string;
  relationalExchangeRateAmount: number;
  lastModifiedDateTime: string;
}

export interface CurrentRate {
  /** Units of the currency per one unit of the local currency. */
  rate: number;
  /** When the rate last changed for the integration: the row's modification or its starting date. */
  changedAt: string;
}

/**
 * The current rate of each currency on `today` (YYYY-MM-DD): its row with the latest starting date not
 * after today. BC's "Exchange Rate Amount" units of the currency equal "Relational Exch. Rate Amount" units
 * of the relational currency (the local currency when blank); a relational foreign currency is converted
 * through its own current rate.
 */
export function currentRates(rows: readonly RateRow[], today: string): Map<string, CurrentRate> {
  const latest = new Map<string, RateRow>();
  for (const row of rows) {
    const code = row.currencyCode.toUpperCase();
    if (row.startingDate > today) continue;
    const known = latest.get(code);
    if (!known || row.startingDate > known.startingDate) latest.set(code, row);
  }
  const out = new Map<string, CurrentRate>();
  const resolve = (code: string, depth: number): CurrentRate | undefined => {
    const done = out.get(code);
    if (done) return done;
    const row = latest.get(code);
    if (!row || depth > 3 || !(row.exchangeRateAmount > 0) || !(row.relationalExchangeRateAmount > 0)) {
      return undefined;
    }
    let rate = row.exchangeRateAmount / row.relationalExchangeRateAmount;
    let changedAt = laterIso(row.lastModifiedDateTime, `${row.startingDate}T00:00:00.000Z`);
    const relational = row.relationalCurrencyCode.toUpperCase();
    if (relational !== '') {
      const via = resolve(relational, depth + 1);
      if (!via) return undefined;
      rate *= via.rate;
      changedAt = laterIso(changedAt, via.changedAt);
    }
    const result = { rate: Number(rate.toFixed(DECIMALS)), changedAt };
    out.set(code, result);
    return result;
  };
  for (const code of latest.keys()) resolve(code, 0);
  return out;
}

function laterIso(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/**
 * The BC client as the CURRENCY mapping sees it: `currencies` rows carry `exchangeRate` and a modified time
 * that includes their rate's. The currency table is small (dozens of rows), so a read with `modifiedSince`
 * reads all of it and keeps the rows modified by either measure; everything else goes to `inner` unchanged.
 */
export function withExchangeRates(inner: TableClient, now: () => Date): TableClient {
  const modified = inner.modifiedField('currencies');
  const loadRates = async (signal?: AbortSignal): Promise<Map<string, CurrentRate>> => {
    const rows: RateRow[] = [];
    for await (const page of inner.readPages(RATES, { signal }))
      rows.push(...(page.records as unknown as RateRow[]));
    return currentRates(rows, now().toISOString().slice(0, 10));
  };
  const enrich = (record: JsonRecord, rates: Map<string, CurrentRate>): JsonRecord => {
    const current = rates.get(String(record.code ?? '').toUpperCase());
    if (!current) return record;
    const etag = record['@odata.etag'];
    return {
      ...record,
      ...(typeof etag === 'string' ? { '@odata.etag': `${etag}${RATE_VERSION}${current.rate}` } : {}),
      [EXCHANGE_RATE_FIELD]: current.rate,
      [modified]: laterIso(String(record[modified]), current.changedAt),
    };
  };
  const withoutRateField = (select?: string[]): string[] | undefined =>
    select?.filter((c) => c !== EXCHANGE_RATE_FIELD);

  return {
    system: inner.system,
    keyField: (entity) => inner.keyField(entity),
    modifiedField: (entity) => inner.modifiedField(entity),
    async *readPages(entity: string, query: ReadQuery): AsyncIterable<EntityPage> {
      if (entity !== 'currencies') {
        yield* inner.readPages(entity, query);
        return;
      }
      const rates = await loadRates(query.signal);
      const select = withoutRateField(query.select);
      if (select && !select.includes('code')) select.push('code');
      if (!query.modifiedSince) {
        for await (const page of inner.readPages(entity, { ...query, select }))
          yield { ...page, records: page.records.map((r) => enrich(r, rates)) };
        return;
      }
      // Whole table, one page: the rows modified themselves or through their rate.
      const since = Date.parse(query.modifiedSince);
      const records: JsonRecord[] = [];
      for await (const page of inner.readPages(entity, {
        ...query,
        select,
        modifiedSince: undefined,
        nextLink: undefined,
      })) {
        for (const r of page.records) {
          const row = enrich(r, rates);
          if (Date.parse(String(row[modified])) >= since) records.push(row);
        }
      }
      yield { records };
    },
    get: (entity, id, select, options) => inner.get(entity, id, select, options),
    create: (entity, body, id, options) => inner.create(entity, body, id, options),
    update: (entity, id, body, etag, options) =>
      inner.update(entity, id, body, etag?.split(RATE_VERSION)[0], options),
    delete: (entity, id, etag, options) => inner.delete(entity, id, etag, options),
    writeBatch: (ops, options) => inner.writeBatch(ops, options),
  };
}
