// Lookups between mapped tables through couplings (section 1 field mappings, e.g. Currency Code ->
// transactioncurrencyid, Salesperson Code -> ownerid, the parent customer of a contact). A page's lookups
// are resolved together before its payloads are built: one BC query per lookup table for the codes, one
// coupling query, results cached for the run, so no per-record query runs in a loop.
import type { JsonRecord, TableClient } from '../connectors/types';
import type { FieldMapping, IntegrationTableMapping } from '../mappings/integrationTableMapping';
import type { BcRecordId, MappingName } from '../../common/ids';
import type { CouplingDoc, CouplingStore } from '../store/couplings';
import { ApiError } from '../connectors/apiError';
import { orFilters } from './odataFilters';
import type { PassDirection } from './types';
import { neededRecord } from './dependencyFirst';
import type { MatchReviewDoc, MatchReviewStore, MatchSide } from '../store/matchReviews';
import { reviewWaitMessage } from './reviewWait';

export type LookupResolution = { id: string | null } | { error: string };

/** Codes per chunk of an `or` filter (and never longer than the URL budget, docs/reading-changes.md). */
const CHUNK = 40;

/**
 * A look-up query the API refused (400, 404, 414, 431 ...): only the records needing one of its values fail,
 * each with this reason (docs/reading-changes.md). Throttling, outages and auth failures still fail the attempt,
 * which Temporal retries: they are not the records' fault and must not make them Skipped.
 */
function refusedQuery(error: unknown): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const { kind, status, code, message } = error.info;
  return kind === 'validation' || kind === 'notFound' ? `HTTP ${status} ${code}: ${message}` : undefined;
}
/**
 * How a lookup `via` a coupled row finds the row it refers to (docs/product-units.md): the rows of
 * `entitySet` whose `matchField` is the coupled row's id, and the reference taken from each.
 */
const VIA_STEPS = {
  baseUnitOfGroup: {
    coupledEntitySet: 'uomschedules',
    entitySet: 'uoms',
    matchField: '_uomscheduleid_value',
    select: ['uomid', '_uomscheduleid_value', 'isschedulebaseuom'],
    target: (u: JsonRecord) => (u.isschedulebaseuom === true ? String(u.uomid) : undefined),
    missing: 'unit group has no base unit',
  },
  defaultUnitOfProduct: {
    coupledEntitySet: 'products',
    entitySet: 'products',
    matchField: 'productid',
    select: ['productid', '_defaultuomid_value'],
    target: (p: JsonRecord) =>
      typeof p._defaultuomid_value === 'string' ? p._defaultuomid_value : undefined,
    missing: 'product has no default unit',
  },
  currencyOfPriceList: {
    coupledEntitySet: 'pricelevels',
    entitySet: 'pricelevels',
    matchField: 'pricelevelid',
    select: ['pricelevelid', '_transactioncurrencyid_value'],
    target: (l: JsonRecord) =>
      typeof l._transactioncurrencyid_value === 'string' ? l._transactioncurrencyid_value : undefined,
    missing: 'price list has no currency',
  },
} as const;

/** Entries kept per lookup table before the cache is cleared (bounded memory). */
const CACHE_LIMIT = 50_000;

interface TargetInfo {
  mapping: IntegrationTableMapping;
  /** Field mapping of the target mapping used for match-based coupling on the same key, if any. */
  matchField?: FieldMapping;
}

export class LookupResolver {
  /** lookup mapping -> normalized value -> resolution. */
  private readonly cache = new Map<string, Map<string, LookupResolution>>();

  constructor(
    private readonly deps: {
      bc: TableClient;
      crm: TableClient;
      couplings: CouplingStore;
      mappings: IntegrationTableMapping[];
      direction: PassDirection;
      /**
       * Read a lookup table's couplings once per pass instead of one query per page: on FerretDB every
       * coupling query scans the whole collection (see couplingIndex.ts), so one scan beats one per page.
       */
      wholeTables?: boolean;
      /** Looked-up records waiting in `bcsync review` (their failure says so: reviewWait.ts). */
      reviews?: Pick<MatchReviewStore, 'find'>;
    },
  ) {}

  /** The open reviews of the uncoupled looked-up records `ids` (their ids on `side`), by id. */
  private async reviewsOf(
    mapping: string,
    side: MatchSide,
    ids: string[],
  ): Promise<Map<string, MatchReviewDoc>> {
    if (!this.deps.reviews || ids.length === 0) return new Map();
    const docs = await this.deps.reviews.find(mapping, side, [...new Set(ids)]);
    return new Map(docs.map((d) => [d.source.id.toLowerCase(), d]));
  }

  private readonly tables = new Map<string, Promise<CouplingDoc[] | undefined>>();

  /** All couplings of a (small) lookup mapping, or undefined when it is too large to hold. */
  private table(mapping: string): Promise<CouplingDoc[] | undefined> {
    let t = this.tables.get(mapping);
    if (!t) {
      t = (async () => {
        const docs: CouplingDoc[] = [];
        for await (const d of this.deps.couplings.streamMapping(mapping)) {
          if (docs.length >= CACHE_LIMIT) return undefined;
          docs.push(d);
        }
        return docs;
      })();
      this.tables.set(mapping, t);
    }
    return t;
  }

  private async couplingsByBc(mapping: string, bcIds: string[]): Promise<CouplingDoc[]> {
    if (!this.deps.wholeTables) return this.deps.couplings.loadByBcIds(mapping, bcIds);
    // By `_id`, one document at a time: the only query FerretDB can answer without reading every coupling.
    const found: CouplingDoc[] = [];
    for (const id of bcIds) {
      const doc = await this.deps.couplings.findByBc(mapping as MappingName, id as BcRecordId);
      if (doc) found.push(doc);
    }
    return found;
  }

  private async couplingsByCrm(mapping: string, crmIds: string[]): Promise<CouplingDoc[]> {
    const all = this.deps.wholeTables ? await this.table(mapping) : undefined;
    if (!all) return this.deps.couplings.loadByCrmIds(mapping, crmIds);
    const wanted = new Set(crmIds);
    return all.filter((c) => c.crmId !== undefined && wanted.has(c.crmId));
  }

  private target(f: FieldMapping): TargetInfo {
    const mapping = this.deps.mappings.find((m) => m.name === f.lookup!.mapping);
    if (!mapping) throw new Error(`lookup of ${f.bcCaption} names unknown mapping ${f.lookup!.mapping}`);
    const matchField = mapping.fieldMappings.find(
      (m) => m.useForMatchBasedCoupling && m.bcField === f.lookup!.bcKeyField && m.crmField !== undefined,
    );
    return { mapping, ...(matchField ? { matchField } : {}) };
  }

  private cacheFor(f: FieldMapping): Map<string, LookupResolution> {
    const via = 'via' in f.lookup! ? (f.lookup.via ?? '') : '';
    const key = `${f.lookup!.mapping}|${f.lookup!.bcKeyField}|${via}`;
    let c = this.cache.get(key);
    if (!c || c.size > CACHE_LIMIT) {
      c = new Map();
      this.cache.set(key, c);
    }
    return c;
  }

  /** Cache key of a value: codes and GUIDs alike compare case-insensitively. */
  private static norm(value: unknown): string {
    return String(value).trim().toLowerCase();
  }

  /**
   * Rows of `entity` whose `field` equals one of `values`, one query per URL-sized chunk. A chunk the API
   * refuses records its values in `refused` (value -> reason) instead of failing the page.
   */
  private async readWhere(
    client: TableClient,
    entity: string,
    field: string,
    values: string[],
    options: { guids?: boolean; select?: string[] },
    refused: Map<string, string>,
    onRecord: (r: JsonRecord) => void,
  ): Promise<void> {
    for (const chunk of orFilters(field, values, { guids: options.guids ?? false, maxTerms: CHUNK })) {
      try {
        for await (const page of client.readPages(entity, {
          filter: chunk.filter,
          ...(options.select ? { select: options.select } : {}),
        }))
          for (const r of page.records) onRecord(r);
      } catch (error) {
        const reason = refusedQuery(error);
        if (!reason) throw error;
        if (chunk.values.length > 1) {
          // Ask for each value alone: the refusal is then pinned on the value(s) that cause it.
          for (const v of chunk.values)
            await this.readWhere(client, entity, field, [v], options, refused, onRecord);
        } else refused.set(chunk.values[0]!.toLowerCase(), `${client.system} ${entity}: ${reason}`);
      }
    }
  }

  /** The per-record error of a value whose look-up query was refused. */
  private static refusedError(f: FieldMapping, value: string, reason: string): LookupResolution {
    return { error: `${f.bcCaption} '${value}' could not be looked up (${reason})` };
  }

  /** Resolves every lookup value of a page (call before `resolve`). */
  async prefetch(
    records: JsonRecord[],
    fields: FieldMapping[],
    sourceKeyOf: (f: FieldMapping) => string | undefined,
  ) {
    for (const f of fields) {
      if (!f.lookup) continue;
      const key = sourceKeyOf(f);
      if (key === undefined) continue;
      const cache = this.cacheFor(f);
      const wanted = new Set<string>();
      for (const r of records) {
        const v = r[key];
        if (v === undefined || v === null || v === '' || v === '00000000-0000-0000-0000-000000000000')
          continue;
        const n = LookupResolver.norm(v);
        if (!cache.has(n)) wanted.add(n);
      }
      if (wanted.size === 0) continue;
      const resolved =
        this.deps.direction === 'toCrm'
          ? await this.resolveVia(f, await this.resolveToCrm(f, [...wanted]))
          : await this.resolveFromCrm(f, [...wanted]);
      for (const [k, v] of resolved) cache.set(k, v);
    }
  }

  resolve(f: FieldMapping, value: unknown): LookupResolution {
    const n = LookupResolver.norm(value);
    return (
      this.cacheFor(f).get(n) ?? {
        error: `${f.bcCaption} '${String(value)}' could not be resolved (lookups were not prefetched)`,
      }
    );
  }

  /** BC value (code or id) -> coupled CRM id. */
  private async resolveToCrm(f: FieldMapping, values: string[]): Promise<Map<string, LookupResolution>> {
    const { mapping, matchField } = this.target(f);
    const lk = f.lookup!;
    const out = new Map<string, LookupResolution>();
    // 1. BC code -> BC record id.
    const bcIdByValue = new Map<string, string>();
    const refused = new Map<string, string>();
    if (lk.bcKeyField === 'id') for (const v of values) bcIdByValue.set(v, v);
    else {
      await this.readWhere(
        this.deps.bc,
        mapping.bc.entitySet,
        lk.bcKeyField,
        values.map((v) => v.toUpperCase()),
        {},
        refused,
        (r) => {
          const code = String(r[lk.bcKeyField] ?? '').toLowerCase();
          if (typeof r.id === 'string') bcIdByValue.set(code, r.id.toLowerCase());
        },
      );
    }
    // 2. BC id -> coupling.
    const couplings = await this.couplingsByBc(mapping.name, [...new Set(bcIdByValue.values())]);
    const crmByBc = new Map(
      couplings.filter((c) => c.state === 'coupled' && c.crmId).map((c) => [c.bcId, c.crmId!]),
    );
    const unresolved: string[] = [];
    for (const v of values) {
      const bcId = bcIdByValue.get(v);
      const crmId = bcId ? crmByBc.get(bcId) : undefined;
      if (crmId) out.set(v, { id: crmId });
      else unresolved.push(v);
    }
    // 3. A code BC shows but has no record for (e.g. the local currency, which BC API v2.0 shows as
    //    `USD` for a blank Currency Code) resolves through the target mapping's match field on the CRM side.
    const withoutBcRecord = unresolved.filter((v) => !bcIdByValue.has(v) && !refused.has(v));
    if (withoutBcRecord.length > 0 && matchField && lk.bcKeyField !== 'id') {
      const keyField = this.deps.crm.keyField(mapping.crm.entitySet);
      const found = new Map<string, string[]>();
      await this.readWhere(
        this.deps.crm,
        mapping.crm.entitySet,
        matchField.crmField!,
        withoutBcRecord.map((v) => v.toUpperCase()),
        { select: [keyField, matchField.crmField!] },
        refused,
        (r) => {
          const code = String(r[matchField.crmField!] ?? '').toLowerCase();
          found.set(code, [...(found.get(code) ?? []), String(r[keyField]).toLowerCase()]);
        },
      );
      for (const v of withoutBcRecord) {
        const ids = found.get(v);
        if (ids?.length === 1) out.set(v, { id: ids[0]! });
      }
    }
    const reviews = await this.reviewsOf(
      mapping.name,
      'bc',
      values
        .filter((v) => !out.has(v) && !refused.has(v) && bcIdByValue.has(v))
        .map((v) => bcIdByValue.get(v)!),
    );
    for (const v of values) {
      if (out.has(v)) continue;
      const reason = refused.get(v);
      if (reason) {
        out.set(v, LookupResolver.refusedError(f, v.toUpperCase(), reason));
        continue;
      }
      const bcId = bcIdByValue.get(v);
      const review = bcId ? reviews.get(bcId) : undefined;
      if (review) {
        out.set(v, { error: reviewWaitMessage(f.bcCaption, v.toUpperCase(), review) });
        continue;
      }
      const why = bcId
        ? `is not coupled to a ${mapping.integrationTableCaption} row: synchronize mapping ${mapping.name} first ${neededRecord('BC', bcId)} or couple it by hand`
        : `does not exist in BC ${mapping.bc.entitySet}`;
      out.set(v, { error: `${f.bcCaption} '${v.toUpperCase()}' ${why}` });
    }
    return out;
  }

  /**
   * For a lookup `via` a coupled row (a unit group's base unit, a product's default unit): replaces each
   * resolved coupled row id by the row found from it, one query per page (docs/product-units.md).
   */
  private async resolveVia(
    f: FieldMapping,
    resolved: Map<string, LookupResolution>,
  ): Promise<Map<string, LookupResolution>> {
    const via = 'via' in f.lookup! ? f.lookup.via : undefined;
    if (!via) return resolved;
    const ids = [
      ...new Set(
        [...resolved.values()].flatMap((r) => ('id' in r && r.id !== null ? [r.id.toLowerCase()] : [])),
      ),
    ];
    const step = VIA_STEPS[via];
    const found = new Map<string, string>();
    const refused = new Map<string, string>();
    if (ids.length > 0) {
      await this.readWhere(
        this.deps.crm,
        step.entitySet,
        step.matchField,
        ids,
        { guids: true, select: [...step.select] },
        refused,
        (row) => {
          const target = step.target(row);
          if (target) found.set(String(row[step.matchField]).toLowerCase(), target.toLowerCase());
        },
      );
    }
    const out = new Map<string, LookupResolution>();
    for (const [value, r] of resolved) {
      if (!('id' in r) || r.id === null) {
        out.set(value, r);
        continue;
      }
      const id = found.get(r.id.toLowerCase());
      const reason = refused.get(r.id.toLowerCase());
      // A row a dry run would have created cannot be read back, nor what the server would have made with
      // it (a unit group's base unit): the dry run leaves the reference blank; it sends nothing anyway.
      if (!id && this.deps.crm.wouldHaveWritten?.(step.coupledEntitySet, r.id)) out.set(value, { id: null });
      else if (id) out.set(value, { id });
      else if (reason) out.set(value, LookupResolver.refusedError(f, value.toUpperCase(), reason));
      else
        out.set(value, {
          error: `${f.bcCaption} '${value.toUpperCase()}': the coupled ${step.missing} (${r.id}); set it in Dataverse or synchronize mapping ${f.lookup!.mapping} again`,
        });
    }
    return out;
  }

  /** CRM id -> coupled BC value (code or id). */
  private async resolveFromCrm(f: FieldMapping, values: string[]): Promise<Map<string, LookupResolution>> {
    const { mapping, matchField } = this.target(f);
    const lk = f.lookup!;
    const out = new Map<string, LookupResolution>();
    const couplings = await this.couplingsByCrm(mapping.name, values);
    const bcByCrm = new Map(couplings.filter((c) => c.state === 'coupled').map((c) => [c.crmId!, c.bcId]));
    const needCode: string[] = [];
    for (const v of values) {
      const bcId = bcByCrm.get(v);
      if (!bcId) continue;
      if (lk.bcKeyField === 'id') out.set(v, { id: bcId });
      else needCode.push(bcId);
    }
    const refused = new Map<string, string>();
    if (needCode.length > 0) {
      const codeByBc = new Map<string, string>();
      const refusedBc = new Map<string, string>();
      await this.readWhere(
        this.deps.bc,
        mapping.bc.entitySet,
        'id',
        needCode,
        { guids: true },
        refusedBc,
        (r) => codeByBc.set(String(r.id).toLowerCase(), String(r[lk.bcKeyField] ?? '')),
      );
      for (const v of values) {
        const bcId = bcByCrm.get(v);
        const code = bcId ? codeByBc.get(bcId) : undefined;
        if (code !== undefined) out.set(v, { id: code });
        const reason = bcId ? refusedBc.get(bcId) : undefined;
        if (reason) refused.set(v, reason);
      }
    }
    // Uncoupled rows that carry the match key (the local currency): use the CRM row's own code.
    const rest = values.filter((v) => !out.has(v) && !refused.has(v));
    if (rest.length > 0 && matchField && lk.bcKeyField !== 'id') {
      const keyField = this.deps.crm.keyField(mapping.crm.entitySet);
      await this.readWhere(
        this.deps.crm,
        mapping.crm.entitySet,
        keyField,
        rest,
        { guids: true, select: [keyField, matchField.crmField!] },
        refused,
        (r) => {
          const code = r[matchField.crmField!];
          if (typeof code === 'string' && code !== '')
            out.set(String(r[keyField]).toLowerCase(), { id: code.toUpperCase() });
        },
      );
    }
    const reviews = await this.reviewsOf(
      mapping.name,
      'crm',
      values.filter((v) => !out.has(v) && !refused.has(v)),
    );
    for (const v of values) {
      const reason = refused.get(v);
      if (reason && !out.has(v)) out.set(v, LookupResolver.refusedError(f, v, reason));
      const review = reviews.get(v);
      if (review && !out.has(v)) out.set(v, { error: reviewWaitMessage(f.crmField!, v, review) });
      if (!out.has(v)) {
        out.set(v, {
          error: `${f.crmField} ${v} is not coupled to a BC ${mapping.bc.entitySet} record: synchronize mapping ${mapping.name} first ${neededRecord('CRM', v)} or couple it by hand`,
        });
      }
    }
    return out;
  }
}
