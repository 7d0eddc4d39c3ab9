// Loads the effective mappings: the defaults (section 2) with a user's config file on top.
// A wrong config names the file, the mapping and the field, and says what to do.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { inDependencyOrder } from '../../common/dependencyOrder';
import { defaultMappings, defaultStatisticsJob } from './defaultMappings';
import { BC_CUSTOM_ENTITIES } from '../connectors/bcClient';
import {
  IntegrationTableMapping,
  JobQueueSettings,
  StatisticsJob,
  type IntegrationTableMappingInput,
} from './integrationTableMapping';

export interface EffectiveMappings {
  mappings: IntegrationTableMapping[];
  statistics: StatisticsJob;
  /** Where the overrides came from, if anywhere. */
  source?: string;
}

/**
 * Config file shape: `{ "mappings": [ { "name": "CUSTOMER", ...fields to override } ], "statistics":
 * { "jobQueue": {...} } }`. A mapping whose name is not a default is added whole; for a default one the
 * given top-level fields replace the default's (`fieldMappings` replaces the whole list, `jobQueue` merges).
 */
const ConfigFile = z.strictObject({
  mappings: z.array(z.looseObject({ name: z.string().min(1) })).default([]),
  statistics: z.strictObject({ jobQueue: JobQueueSettings.partial() }).partial().optional(),
});

export class MappingConfigError extends Error {
  override name = 'MappingConfigError';
}

function describeIssues(file: string, mapping: string, error: z.ZodError, fieldMappings?: unknown[]): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String);
      let where = path.join('.') || '(mapping)';
      // Name the field mapping by its captions, not only by its index.
      if (path[0] === 'fieldMappings' && path[1] !== undefined && fieldMappings) {
        const fm = fieldMappings[Number(path[1])] as { bcCaption?: string; crmField?: string } | undefined;
        if (fm)
          where = `field mapping ${path[1]} (${fm.bcCaption ?? '?'} / ${fm.crmField ?? '?'})${path.length > 2 ? '.' + path.slice(2).join('.') : ''}`;
      }
      return `${file}: mapping "${mapping}", ${where}: ${issue.message}`;
    })
    .join('\n');
}

export function parseMapping(input: unknown, file = '(defaults)'): IntegrationTableMapping {
  const name = (input as { name?: unknown })?.name;
  const result = IntegrationTableMapping.safeParse(input);
  if (!result.success) {
    const fms = (input as { fieldMappings?: unknown[] })?.fieldMappings;
    throw new MappingConfigError(describeIssues(file, String(name ?? '?'), result.error, fms));
  }
  return result.data;
}

/** Cross-mapping checks: dependency and lookup names must exist, no dependency cycles. */
export function checkReferences(mappings: IntegrationTableMapping[], file: string): void {
  const names = new Set(mappings.map((m) => m.name));
  const problems: string[] = [];
  for (const m of mappings) {
    for (const dep of m.dependencyFilter) {
      if (!names.has(dep))
        problems.push(
          `${file}: mapping "${m.name}", dependencyFilter: unknown mapping "${dep}"; use one of ${[...names].join(', ')}`,
        );
    }
    m.fieldMappings.forEach((f, i) => {
      if (f.lookup && !names.has(f.lookup.mapping)) {
        problems.push(
          `${file}: mapping "${m.name}", field mapping ${i} (${f.bcCaption}): lookup names unknown mapping "${f.lookup.mapping}"`,
        );
      }
    });
  }
  if (problems.length) throw new MappingConfigError(problems.join('\n'));
  dependencyOrder(mappings); // throws on a cycle
}

/** Mappings ordered so every mapping comes after its Dependency Filter (section 1; full sync, rule 7). */
export function dependencyOrder<T extends { name: string; dependencyFilter: string[] }>(mappings: T[]): T[] {
  const byName = new Map(mappings.map((m) => [m.name, m]));
  try {
    return inDependencyOrder(
      mappings.map((m) => m.name),
      Object.fromEntries(mappings.map((m) => [m.name, m.dependencyFilter])),
    ).map((name) => byName.get(name)!);
  } catch (err) {
    throw new MappingConfigError((err as Error).message);
  }
}

export function loadMappings(configFile?: string): EffectiveMappings {
  const defaults = new Map<string, IntegrationTableMappingInput>(defaultMappings.map((m) => [m.name, m]));
  let statistics: StatisticsJob = defaultStatisticsJob;
  if (configFile) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(configFile, 'utf8'));
    } catch (err) {
      throw new MappingConfigError(
        `${configFile}: cannot read the mapping config (${(err as Error).message}); fix the JSON or unset BCSYNC_MAPPINGS_FILE`,
      );
    }
    const parsed = ConfigFile.safeParse(raw);
    if (!parsed.success) {
      throw new MappingConfigError(
        parsed.error.issues
          .map((i) => `${configFile}: ${i.path.join('.') || '(top level)'}: ${i.message}`)
          .join('\n'),
      );
    }
    for (const override of parsed.data.mappings) {
      const base = defaults.get(override.name);
      const merged = base
        ? {
            ...base,
            ...override,
            jobQueue: { ...base.jobQueue, ...((override.jobQueue as object | undefined) ?? {}) },
          }
        : override;
      defaults.set(override.name, merged as IntegrationTableMappingInput);
    }
    if (parsed.data.statistics?.jobQueue) {
      statistics = StatisticsJob.parse({
        ...statistics,
        jobQueue: { ...statistics.jobQueue, ...parsed.data.statistics.jobQueue },
      });
    }
  }
  const file = configFile ?? '(defaults)';
  const mappings = [...defaults.values()].map((m) => parseMapping(m, file));
  checkReferences(mappings, file);
  return { mappings, statistics, source: configFile };
}

/** Case-insensitive lookup of a mapping or entry name (`customer`, `unitofmeasure`, `"UNIT OF MEASURE"`). */
export function findMapping(
  mappings: IntegrationTableMapping[],
  name: string,
): IntegrationTableMapping | undefined {
  const wanted = name.trim().toUpperCase();
  return mappings.find((m) => m.name.toUpperCase() === wanted || m.jobQueue.entry.toUpperCase() === wanted);
}

/**
 * The BC entity sets the connector reaches through the custom API: the connector's defaults, with each
 * mapping's `bc.api` deciding for its own entity set (a company without the bcsync extension's
 * customer/contact/item pages sets `bc.api: 'v2.0'` on those mappings and loses only their extra fields).
 */
export function customEntitySets(mappings: EffectiveMappings): string[] {
  const sets = new Set<string>(BC_CUSTOM_ENTITIES);
  for (const m of mappings.mappings) {
    if (m.bc.api === 'custom') sets.add(m.bc.entitySet);
    else sets.delete(m.bc.entitySet);
  }
  return [...sets];
}
