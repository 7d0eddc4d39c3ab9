// The Customer Statistics job (section 2): BC customer figures (balance, outstanding orders, shipped not
// invoiced, total sales, ...) -> the nav_accountstatistics row of the coupled account. Reads the rows that
// changed since the job's watermark plus those of customers coupled since the last run ("not yet
// uploaded"), writes each with an id derived from the customer (exactly once) and links the account.
// Deliberate difference: BC marks the customer's coupling Skipped when an upload fails, which also stops
// the CUSTOMER sync of that customer; here the failure is logged and retried by this job alone.
import type { JsonRecord, WriteOperation } from '../connectors/types';
import type { IntegrationTableMapping } from '../mappings/integrationTableMapping';
import { zeroCounters, type JobCounters } from '../store/jobLog';
import { JobWatermarkStore } from '../store/mappingStore';
import { retryKey, type RetryDoc } from '../store/retryQueue';
import type { SyncErrorDoc } from '../store/syncErrors';
import { deterministicId, passJobId } from './deterministicId';
import { sameValue } from './fieldMapping';
import { orFilters } from './odataFilters';
import { recordsMatching } from '../connectors/recordsMatching';
import type { PassStores } from './pageItem';
import { errorFingerprint, retryAfterFailure } from './pageOutcome';
import { DEFAULT_PAGE_SIZE, type SyncEngineDeps } from './types';
import { DEFAULT_OVERLAP_MS, nextWatermark, readWindowStart } from './watermarks';

export interface StatisticsResult {
  jobId: string;
  counters: JobCounters;
  message: string;
}

const JOB = 'Customer Statistics';
const CHUNK = 40;

export async function runStatistics(
  ctx: { deps: SyncEngineDeps; stores: PassStores; mappings: IntegrationTableMapping[] },
  runKey: string,
): Promise<StatisticsResult> {
  const { deps, stores } = ctx;
  const job = deps.mappings.statistics;
  const customerMapping = ctx.mappings.find((m) => m.name === 'CUSTOMER');
  const jobId = passJobId(runKey, JOB, 'toCrm');
  const existing = await stores.jobLog.get(jobId);
  if (existing?.finishedAt)
    return { jobId, counters: { ...zeroCounters(), ...existing }, message: existing.message ?? '' };
  const now = deps.now?.() ?? new Date();
  if (!existing) {
    await stores.jobLog.start({
      _id: jobId,
      mapping: JOB,
      direction: 'ToIntegrationTable',
      type: 'Statistics',
      startedAt: now,
      runStartedAt: now,
    });
  }
  const started = (await stores.jobLog.get(jobId))?.runStartedAt ?? now;
  const watermarks = new JobWatermarkStore(deps.db.db);
  const watermark = await watermarks.get(JOB);
  const lastRun = (await stores.jobLog.list({ mapping: JOB, limit: 2 })).find(
    (j) => j._id !== jobId && j.finishedAt,
  )?.startedAt;
  const counters = zeroCounters();
  if (!customerMapping) return finish();

  const retries = new Map((await stores.retries.load(JOB, 'toCrm')).map((r) => [r.sourceId, r]));
  let maxSeen: Date | undefined;
  // The BC server's time at the first page read (rule 4.5's cap on its own clock, docs/reading-changes.md).
  let readStartedAt: Date | undefined;
  const handled = new Set<string>();

  const processRows = async (rows: JsonRecord[]) => {
    const fresh = rows.filter(
      (r) => typeof r.customerId === 'string' && !handled.has(String(r.customerId).toLowerCase()),
    );
    for (const r of fresh) handled.add(String(r.customerId).toLowerCase());
    if (fresh.length === 0) return;
    const couplings = await stores.couplings.loadByBcIds(
      'CUSTOMER',
      fresh.map((r) => String(r.customerId).toLowerCase()),
    );
    const byBc = new Map(
      couplings.filter((c) => c.state === 'coupled' && !c.skipped && c.crmId).map((c) => [c.bcId, c]),
    );
    const work = fresh
      .map((r) => ({ row: r, coupling: byBc.get(String(r.customerId).toLowerCase()) }))
      .filter((w) => w.coupling && !retries.get(w.coupling.bcId)?.skipped);
    counters.skipped += fresh.filter((r) => retries.get(String(r.customerId).toLowerCase())?.skipped).length;
    if (work.length === 0) return;
    // Which accounts already point at their statistics row (link only the others: no needless account write).
    const linked = new Map<string, string | null>();
    const accountIds = work.map((w) => w.coupling!.crmId!);
    for (const a of await recordsMatching(
      deps.crm,
      customerMapping.crm.entitySet,
      orFilters(customerMapping.crm.key, accountIds, { guids: true, maxTerms: CHUNK }),
      { select: [customerMapping.crm.key, '_nav_accountstatisticsid_value'] },
    ))
      linked.set(
        String(a[customerMapping.crm.key]).toLowerCase(),
        (a._nav_accountstatisticsid_value as string | null) ?? null,
      );
    // Rows already holding these figures are Unchanged (an overlap re-read writes nothing).
    const current = new Map<string, JsonRecord>();
    const statsIds = work.map((w) => deterministicId(JOB, w.coupling!.bcId));
    for (const r of await recordsMatching(
      deps.crm,
      job.crm.entitySet,
      orFilters(job.crm.key, statsIds, { guids: true, maxTerms: CHUNK }),
    ))
      current.set(String(r[job.crm.key]).toLowerCase(), r);
    const ops: WriteOperation[] = [];
    const owners: string[] = [];
    const unchanged = new Set<string>();
    for (const w of work) {
      const bcId = w.coupling!.bcId;
      const statsId = deterministicId(JOB, bcId);
      const body: JsonRecord = { nav_name: String(w.row.customerNumber ?? '') };
      for (const f of job.fields) body[f.crmField] = w.row[f.bcField];
      const existingRow = current.get(statsId);
      if (
        existingRow &&
        Object.entries(body).every(([k, v]) => sameValue(v, existingRow[k])) &&
        linked.get(w.coupling!.crmId!) === statsId
      ) {
        unchanged.add(bcId);
        continue;
      }
      ops.push({ kind: 'upsert', entity: job.crm.entitySet, id: statsId, body });
      owners.push(bcId);
      if (linked.get(w.coupling!.crmId!) !== statsId) {
        ops.push({
          kind: 'update',
          entity: customerMapping.crm.entitySet,
          id: w.coupling!.crmId!,
          body: { 'nav_accountstatisticsid@odata.bind': `/${job.crm.entitySet}(${statsId})` },
        });
        owners.push(bcId);
      }
    }
    const results = ops.length ? await deps.crm.writeBatch(ops, { signal: deps.signal }) : [];
    const failed = new Map<string, string>();
    results.forEach((r, i) => {
      if (!r.ok && !failed.has(owners[i]!)) failed.set(owners[i]!, r.error.message);
    });
    const errors: SyncErrorDoc[] = [];
    const put: RetryDoc[] = [];
    const remove: string[] = [];
    for (const w of work) {
      const bcId = w.coupling!.bcId;
      const message = failed.get(bcId);
      if (message) {
        counters.failed++;
        // Section 3's Skipped rule, as the sync passes apply it (pageOutcome.ts).
        const doc = retryAfterFailure({
          prev: retries.get(bcId),
          mapping: JOB,
          direction: 'toCrm',
          sourceId: bcId,
          fingerprint: errorFingerprint(message),
          jobId,
          at: now,
        });
        put.push(doc);
        errors.push({
          _id: `${jobId}|${bcId}`,
          jobId,
          mapping: JOB,
          direction: 'ToIntegrationTable',
          source: {
            system: 'bc',
            entity: job.bc.entitySet,
            id: bcId,
            label: String(w.row.customerNumber ?? ''),
          },
          destination: { system: 'crm', entity: job.crm.entitySet, id: deterministicId(JOB, bcId) },
          message,
          at: now,
        });
      } else if (unchanged.has(bcId)) {
        counters.unchanged++;
        if (retries.has(bcId)) remove.push(retryKey(JOB, 'toCrm', bcId));
      } else {
        counters.modified++;
        if (retries.has(bcId)) remove.push(retryKey(JOB, 'toCrm', bcId));
      }
    }
    await stores.errors.addOnce(errors);
    await stores.retries.applyPage(put, remove);
  };

  // Changed since the last run (the watermark), overlapped as for the mappings.
  const from = readWindowStart(watermark, deps.watermarkOverlapMs ?? DEFAULT_OVERLAP_MS);
  for await (const page of deps.bc.readPages(job.bc.entitySet, {
    modifiedSince: from?.toISOString(),
    pageSize: deps.pageSize ?? DEFAULT_PAGE_SIZE,
  })) {
    readStartedAt ??= page.servedAt;
    for (const r of page.records) {
      const m = typeof r.lastModifiedDateTime === 'string' ? new Date(r.lastModifiedDateTime) : undefined;
      if (m && (!maxSeen || m > maxSeen)) maxSeen = m;
    }
    await processRows(page.records);
  }
  // Not yet uploaded: customers coupled since the last run, and earlier failures.
  const pendingIds = new Set<string>([...retries.values()].filter((r) => !r.skipped).map((r) => r.sourceId));
  if (lastRun && watermark) {
    const recent = await deps.db.cols.couplings
      .find({ mapping: 'CUSTOMER', createdAt: { $gte: lastRun } })
      .toArray();
    for (const c of recent) pendingIds.add(c.bcId);
  }
  const ids = [...pendingIds].filter((id) => !handled.has(id));
  for (const chunk of orFilters('customerId', ids, { guids: true, maxTerms: CHUNK })) {
    for await (const page of deps.bc.readPages(job.bc.entitySet, {
      filter: chunk.filter,
    })) {
      await processRows(page.records);
    }
  }
  const to = nextWatermark(maxSeen, readStartedAt ?? started);
  if (to) await watermarks.advance(JOB, to);
  return finish();

  async function finish(): Promise<StatisticsResult> {
    const message = `Uploaded ${counters.modified}, Unchanged ${counters.unchanged}, Failed ${counters.failed}, Skipped ${counters.skipped}`;
    await stores.jobLog.finish(jobId, counters, message);
    return { jobId, counters, message };
  }
}
