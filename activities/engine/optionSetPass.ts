// One pass of an option mapping (PAYMENT TERMS, SHIPMENT METHOD, SHIPPING AGENT; docs/option-mappings.md):
// a BC table against the options of a Dataverse choice column. Each BC record is coupled to one option
// value (the coupling's crmId is the value), so CUSTOMER's option set columns can be translated through
// the couplings like any lookup.
// - BC -> CRM: a BC record without a coupling is coupled to the uncoupled option whose label is its code
//   (compared uppercased and trimmed, section 1), else InsertOptionValue adds an option labelled with the
//   code and the record is coupled to it.
// - CRM -> BC: an option without a coupling is coupled to the uncoupled BC record whose code is its label
//   (uppercased, cut to the code length), else that record is created, as BC appends missing options to
//   its table ("Handling missing option values").
// The tables are small (tens of rows): every pass compares them whole, no watermark. A crash between the
// write and the coupling is harmless: the next pass finds the option (or record) by its label (code) and
// couples it, so nothing is created twice.
import type { ChoiceOption, JsonRecord } from '../connectors/types';
import type { FieldMapping, IntegrationTableMapping } from '../mappings/integrationTableMapping';
import type { CouplingDoc } from '../store/couplings';
import { zeroCounters, type JobCounters } from '../store/jobLog';
import type { LineageDoc } from '../store/lineage';
import type { SyncErrorDoc } from '../store/syncErrors';
import { bcRecordId, crmRecordId, mappingName } from '../../common/ids';
import { transform } from './fieldMapping';
import { countersOf, jobDirection, summary } from './pageOutcome';
import type { PassStores } from './pageItem';
import type { PassDirection, PassResult, SyncEngineDeps } from './types';

export class OptionMappingError extends Error {
  override name = 'OptionMappingError';
}

export interface OptionSetPassSetup {
  deps: SyncEngineDeps;
  stores: PassStores;
  mapping: IntegrationTableMapping;
  direction: PassDirection;
  jobId: string;
}

const PLAN_KIND_OF_DECISION = {
  Unchanged: 'unchanged',
  Coupled: 'couple',
  Inserted: 'insert',
  Failed: 'failed',
} as const;

/** Labels and codes compare uppercased and trimmed (section 1: code values). */
const norm = (value: unknown): string =>
  String(value ?? '')
    .trim()
    .toUpperCase();

/** The Code row (BC code <-> option label) and the rows that fill a new BC record from the label. */
function labelRows(mapping: IntegrationTableMapping): { code: FieldMapping; fromLabel: FieldMapping[] } {
  const rows = mapping.fieldMappings.filter(
    (f) => f.status === 'Enabled' && f.crmField === 'label' && f.bcField !== undefined,
  );
  const code = rows.find((f) => f.direction === 'Bidirectional' || f.direction === 'ToIntegrationTable');
  if (!code) {
    throw new OptionMappingError(
      `option mapping ${mapping.name} needs an enabled field mapping from a BC code field to 'label'`,
    );
  }
  return { code, fromLabel: rows.filter((f) => f.direction !== 'ToIntegrationTable') };
}

export async function runOptionSetPass(s: OptionSetPassSetup): Promise<PassResult> {
  const { deps, stores, mapping, direction, jobId } = s;
  const optionSet = mapping.crm.optionSet!;
  const name = mappingName(mapping.name);
  const existing = await stores.jobLog.get(jobId);
  if (existing?.finishedAt) {
    return { jobId, direction, counters: countersOf(existing), message: existing.message };
  }
  if (!existing) {
    await stores.jobLog.start({
      _id: jobId,
      mapping: mapping.name,
      direction: jobDirection(direction),
      type: 'Synchronization',
    });
  }
  const crm = deps.crm;
  if (!crm.readOptions || !crm.insertOption) {
    throw new OptionMappingError(`the CRM connector cannot read or add options (mapping ${mapping.name})`);
  }
  const { code: codeRow, fromLabel } = labelRows(mapping);
  const codeField = codeRow.bcField!;
  const codeLength = codeRow.maxLength?.bc;

  const options = await crm.readOptions(optionSet.entity, optionSet.attribute);
  const records: JsonRecord[] = [];
  for await (const page of deps.bc.readPages(mapping.bc.entitySet, {
    ...(mapping.tableFilter ? { filter: mapping.tableFilter } : {}),
  })) {
    records.push(...page.records);
  }
  const byBc = new Map<string, CouplingDoc>();
  const byCrm = new Map<string, CouplingDoc>();
  for await (const c of stores.couplings.streamMapping(mapping.name)) {
    if (c.state !== 'coupled' || c.crmId === undefined) continue;
    byBc.set(c.bcId, c);
    byCrm.set(c.crmId, c);
  }
  const counters: JobCounters = zeroCounters();
  const errors: Omit<SyncErrorDoc, '_id'>[] = [];
  const column = `${optionSet.entity}.${optionSet.attribute}`;
  // "What happened to this record, and why?" (docs/lineage.md): one entry per record or option looked at.
  // The pass's entries share one time: stored as one lineage document (activities/store/lineage.ts).
  const lineage: LineageDoc[] = [];
  const lineageAt = new Date();
  // The dry-run report and the blast-radius guard are told the same decisions (docs/dry-run.md).
  const trace = (
    sourceId: string,
    entry: Pick<LineageDoc, 'decision' | 'bcId' | 'crmId' | 'label' | 'why' | 'answer' | 'code'> & {
      decision: keyof typeof PLAN_KIND_OF_DECISION;
    },
  ) => {
    lineage.push({
      _id: `${jobId}|${sourceId}`,
      mapping: mapping.name,
      jobId,
      direction,
      at: lineageAt,
      ...entry,
    });
    const destId = direction === 'toCrm' ? entry.crmId : entry.bcId;
    deps.onOutcome?.({
      mapping: mapping.name,
      direction,
      kind: PLAN_KIND_OF_DECISION[entry.decision],
      sourceId,
      ...(destId ? { destId } : {}),
      label: entry.label ?? '',
      ...(entry.decision === 'Failed' && entry.why ? { message: entry.why } : {}),
    });
  };

  const couple = async (bcId: string, value: number) => {
    const old = byBc.get(bcId);
    if (old) {
      byCrm.delete(old.crmId!);
      await stores.couplings.uncouple(name, { bcId: bcRecordId(bcId) });
    }
    const doc = await stores.couplings.couple(name, bcRecordId(bcId), crmRecordId(String(value)));
    byBc.set(bcId, doc);
    byCrm.set(String(value), doc);
  };
  const fail = (err: unknown, source: SyncErrorDoc['source'], destination?: SyncErrorDoc['destination']) => {
    counters.failed++;
    trace(source.id!, {
      decision: 'Failed',
      ...(source.system === 'bc' ? { bcId: source.id } : { crmId: source.id }),
      ...(source.label ? { label: source.label } : {}),
      code: 'destinationRefused',
      why: (err as Error).message,
    });
    errors.push({
      jobId,
      mapping: mapping.name,
      direction: jobDirection(direction),
      source,
      ...(destination ? { destination } : {}),
      message: (err as Error).message,
      at: new Date(),
    });
  };

  if (direction === 'toCrm') {
    const optionValues = new Set(options.map((o) => o.value));
    for (const rec of records) {
      const bcId = String(rec.id).toLowerCase();
      const code = norm(rec[codeField]);
      const label = { system: 'bc' as const, entity: mapping.bc.entitySet, id: bcId, label: code };
      try {
        const coupled = byBc.get(bcId);
        if (coupled && optionValues.has(Number(coupled.crmId))) {
          counters.unchanged++;
          trace(bcId, { decision: 'Unchanged', bcId, crmId: coupled.crmId!, label: code });
          continue;
        }
        if (code === '') throw new OptionMappingError(`${mapping.tableCaption} ${bcId} has a blank code`);
        // Uncoupled, or coupled to an option that was deleted in Dataverse: match by label, else add it.
        const match = options.find((o) => norm(o.label) === code && !byCrm.has(String(o.value)));
        let value: number;
        if (match) {
          value = match.value;
          counters.coupled++;
        } else {
          value = await crm.insertOption(
            optionSet.entity,
            optionSet.attribute,
            String(rec[codeField]).trim(),
          );
          options.push({ value, label: String(rec[codeField]).trim() });
          optionValues.add(value);
          counters.inserted++;
        }
        await couple(bcId, value);
        trace(bcId, {
          decision: match ? 'Coupled' : 'Inserted',
          bcId,
          crmId: String(value),
          label: code,
          why: match
            ? `coupled to the option '${match.label}' of ${column}`
            : `no option labelled ${code}: added option ${value} to ${column} (InsertOptionValue)`,
        });
      } catch (err) {
        fail(err, label, { system: 'crm', entity: column });
      }
    }
  } else {
    const bcById = new Map(records.map((r) => [String(r.id).toLowerCase(), r]));
    const bcByCode = new Map(records.map((r) => [norm(r[codeField]), r]));
    for (const option of options) {
      const source = {
        system: 'crm' as const,
        entity: column,
        id: String(option.value),
        label: option.label,
      };
      try {
        const coupled = byCrm.get(String(option.value));
        if (coupled && bcById.has(coupled.bcId)) {
          counters.unchanged++;
          trace(String(option.value), {
            decision: 'Unchanged',
            bcId: coupled.bcId,
            crmId: String(option.value),
            label: option.label,
          });
          continue;
        }
        const code = codeFor(option, codeLength);
        if (code === '')
          throw new OptionMappingError(`option ${option.value} of ${column} has a blank label`);
        const sameCode = bcByCode.get(code);
        if (sameCode) {
          const bcId = String(sameCode.id).toLowerCase();
          const other = byBc.get(bcId);
          if (
            other &&
            other.crmId !== String(option.value) &&
            options.some((o) => String(o.value) === other.crmId)
          ) {
            throw new OptionMappingError(
              `option ${option.value} '${option.label}' of ${column} would be BC ${mapping.tableCaption} ${code}, which is coupled to option ${other.crmId}; rename one of the labels`,
            );
          }
          await couple(bcId, option.value);
          counters.coupled++;
          trace(String(option.value), {
            decision: 'Coupled',
            bcId,
            crmId: String(option.value),
            label: option.label,
            why: `coupled to BC ${mapping.tableCaption} ${code}`,
          });
          continue;
        }
        const body: JsonRecord = { [codeField]: code };
        for (const f of fromLabel) {
          if (f === codeRow) continue;
          const max = f.maxLength?.bc;
          const value = String(transform(option.label, f));
          body[f.bcField!] = max !== undefined ? value.slice(0, max) : value;
        }
        const created = await deps.bc.create(mapping.bc.entitySet, body);
        const bcId = String(created.id).toLowerCase();
        bcById.set(bcId, created);
        bcByCode.set(code, created);
        await couple(bcId, option.value);
        counters.inserted++;
        trace(String(option.value), {
          decision: 'Inserted',
          bcId,
          crmId: String(option.value),
          label: option.label,
          why: `no BC ${mapping.tableCaption} ${code}: created it`,
        });
      } catch (err) {
        fail(err, source, { system: 'bc', entity: mapping.bc.entitySet });
      }
    }
  }
  await stores.errors.add(errors);
  await stores.lineage?.add(lineage);
  const message = summary(counters);
  await stores.jobLog.finish(jobId, counters, message);
  deps.logger?.info({ mapping: mapping.name, direction, ...counters }, 'option mapping pass finished');
  return { jobId, direction, counters, message };
}

/** The BC code an option label becomes: uppercased, trimmed, cut to the code field's length. */
function codeFor(option: ChoiceOption, length: number | undefined): string {
  const code = norm(option.label);
  return length !== undefined ? code.slice(0, length).trim() : code;
}
