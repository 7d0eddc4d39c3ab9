// Which version of a record the engine last synced, and whether a record changed since (section 3:
// "Modified since last sync"; rule 4.4, echo suppression). Each side keeps a version that changes on every
// write (BC ETag, Dataverse versionnumber) besides the modified time, so the engine's own write is told
// apart from a real change exactly, even within one Dataverse second.
import type { JsonRecord, TableClient } from '../connectors/types';
import type { CouplingDoc } from '../store/couplings';

export type SideName = 'bc' | 'crm';

/** One side of a pass: which system, entity set and fields. */
export interface Side {
  name: SideName;
  client: TableClient;
  entity: string;
  keyField: string;
  modifiedField: string;
}

/** A side without its client: what the pure rules need to read a record. */
export type SideShape = Omit<Side, 'client'>;

/** Section 3: "current modified time later than the stored one (10 ms tolerance)". */
export const MODIFIED_TOLERANCE_MS = 10;

export function recordId(side: SideShape, rec: JsonRecord): string {
  const id = rec[side.keyField];
  return typeof id === 'string' ? id.toLowerCase() : '';
}

export function recordModified(side: SideShape, rec: JsonRecord): Date | undefined {
  const v = rec[side.modifiedField];
  if (typeof v !== 'string' || v === '') return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** BC: the ETag; Dataverse: versionnumber (increases on every write), else the ETag. */
export function recordVersion(side: SideShape, rec: JsonRecord): string | undefined {
  if (side.name === 'crm' && rec.versionnumber !== undefined && rec.versionnumber !== null)
    return String(rec.versionnumber);
  const etag = rec['@odata.etag'];
  return typeof etag === 'string' ? etag : undefined;
}

export function storedVersion(side: SideName, c: CouplingDoc): string | undefined {
  return side === 'bc' ? c.bcVersion : c.crmVersion;
}

export function storedModified(side: SideName, c: CouplingDoc): Date | undefined {
  return side === 'bc' ? c.toCrm.lastSyncModifiedOn : c.fromCrm.lastSyncModifiedOn;
}

/**
 * Has this record changed since the coupling's last sync? With a stored version: any other version is a
 * change. Without one (a coupling made by hand or by match): BC compares the modified time with 10 ms
 * tolerance; Dataverse (whole seconds) treats an equal second as a change unless the integration user
 * made it - the CRM echo rule of rule 4.4, made exact for the same-second case.
 */
export function changedSinceSync(
  side: SideShape,
  rec: JsonRecord,
  coupling: CouplingDoc,
  integrationUserId: string,
): boolean {
  const stored = storedVersion(side.name, coupling);
  const current = recordVersion(side, rec);
  if (stored !== undefined && current !== undefined) return stored !== current;
  const storedAt = storedModified(side.name, coupling);
  const modified = recordModified(side, rec);
  if (!storedAt || !modified) return true;
  if (side.name === 'bc') return modified.getTime() > storedAt.getTime() + MODIFIED_TOLERANCE_MS;
  if (modified.getTime() > storedAt.getTime()) return true;
  if (modified.getTime() < storedAt.getTime()) return false;
  const by = rec._modifiedby_value;
  return typeof by !== 'string' || by.toLowerCase() !== integrationUserId.toLowerCase();
}

/** The later of two dates (section 3: "both stored timestamps become the maximum of old and new"). */
export function laterOf(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.getTime() >= b.getTime() ? a : b;
}
