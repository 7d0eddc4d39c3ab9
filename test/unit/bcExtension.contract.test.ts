// The bcsync Business Central extension (bc-extension/), the contract it implements (docs/bc-custom-api.md)
// and the BC emulator's custom API (emulators/bc/entityModel.ts) must describe the same API: no AL compiler
// runs here, so this test reads the AL source and holds the three against each other - every entity set,
// field name, BC field, type, length, read-only field and key - plus the connector's list of custom entity
// sets, webhook support and the integration user's permission set. Page settings follow Microsoft's own
// API v2.0 pages (microsoft/ALAppExtensions, Apps/W1/APIV2, e.g. APIV2Customers.Page.al: PageType = API,
// APIVersion, EntityName, EntitySetName, ODataKeyFields = SystemId, DelayedInsert = true) and "Developing a
// custom API" (https://learn.microsoft.com/dynamics365/business-central/dev-itpro/developer/devenv-develop-custom-api).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BC_CUSTOM_ENTITIES } from '../../activities/connectors/bcClient';
import { DEFAULT_CUSTOM_API_PATH } from '../../activities/connectors/connectorConfig';
import { bcWebhookSupported } from '../../common/bcWebhookSupport';
import { CUSTOM_API_PATH } from '../../emulators/bc/bcRoutes';
import { ENTITY_DEFS, type EntityDef, type FieldDef } from '../../emulators/bc/entityModel';
import { alString, readAlExtension, type AlPage } from '../support/alSource';

const root = join(__dirname, '..', '..');
const ext = readAlExtension(join(root, 'bc-extension'));
const emulatorSets = ENTITY_DEFS.filter((d) => d.api === 'bcsync');
const pageFor = (entitySet: string): AlPage => {
  const page = ext.pages.find((p) => alString(p.properties.EntitySetName) === entitySet);
  if (!page) throw new Error(`no AL page has EntitySetName = '${entitySet}'`);
  return page;
};

interface DocField {
  entitySet: string;
  field: string;
  type: string;
  length?: number;
  readOnly?: boolean;
  bcField?: string;
}

/** The field tables of docs/bc-custom-api.md, one row per field, keyed by the section's entity set. */
function docFields(): DocField[] {
  const text = readFileSync(join(root, 'docs', 'bc-custom-api.md'), 'utf8');
  const out: DocField[] = [];
  for (const section of text.split(/\n## /).slice(1)) {
    const sets = [...section.split('\n')[0]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!);
    const rows = section
      .split('\n')
      .filter((l) => l.startsWith('|'))
      .map((l) =>
        l
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim().replace(/`/g, '')),
      );
    if (rows.length < 3 || sets.length === 0) continue;
    const [header, , ...body] = rows as [string[], string[], ...string[][]];
    const col = (name: string) => header.indexOf(name);
    if (col('Field') < 0 || col('Type') < 0) continue;
    for (const r of body) {
      const entitySet = col('Entity') >= 0 ? r[col('Entity')]! : sets[0]!;
      // `Code[20]` in a Type column carries its length.
      const typed = /^(\w+)\[(\d+)\]$/.exec(r[col('Type')]!);
      const length = typed
        ? Number(typed[2])
        : col('Length') >= 0
          ? Number(r[col('Length')]) || undefined
          : undefined;
      out.push({
        entitySet,
        field: r[col('Field')]!,
        type: typed ? typed[1]! : r[col('Type')]!,
        ...(length ? { length } : {}),
        ...(col('Read-only') >= 0 ? { readOnly: r[col('Read-only')] === 'yes' } : {}),
        ...(col('BC field') >= 0 ? { bcField: r[col('BC field')]!.replace(/ \(SystemId\)$/, '') } : {}),
      });
    }
  }
  return out;
}

/** Contract types (docs) and AL types, in the emulator's words. */
const DOC_TYPES: Record<string, FieldDef['type']> = {
  GUID: 'guid',
  Code: 'code',
  Text: 'text',
  Decimal: 'decimal',
  Boolean: 'boolean',
  Date: 'date',
  DateTime: 'datetime',
  enum: 'option',
};
function alType(type: string): { type: FieldDef['type']; length?: number } {
  const m = /^(\w+)(?:\[(\d+)\])?$/.exec(type.trim());
  const base = m?.[1]?.toLowerCase();
  const map: Record<string, FieldDef['type']> = {
    guid: 'guid',
    code: 'code',
    text: 'text',
    decimal: 'decimal',
    boolean: 'boolean',
    date: 'date',
    datetime: 'datetime',
    integer: 'integer',
    option: 'option',
    enum: 'option',
  };
  if (!base || !map[base]) throw new Error(`unknown AL type ${type}`);
  return { type: map[base]!, ...(m?.[2] ? { length: Number(m[2]) } : {}) };
}

describe('app.json and objects', () => {
  test('the app is a cloud per-tenant extension whose objects lie in its id range, each id once', () => {
    expect(ext.appJson.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(ext.appJson.target).toBe('Cloud');
    const ranges = ext.appJson.idRanges as { from: number; to: number }[];
    const objects = [
      ...ext.pages.map((o) => ['page', o.id] as const),
      ...ext.tables.map((o) => ['table', o.id] as const),
      ...ext.codeunits.map((o) => ['codeunit', o.id] as const),
      ...ext.permissionSets.map((o) => ['permissionset', o.id] as const),
    ];
    for (const [, id] of objects) expect(ranges.some((r) => id >= r.from && id <= r.to)).toBe(true);
    const keys = objects.map(([kind, id]) => `${kind} ${id}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('pages against the emulator', () => {
  test('the extension has exactly one API page per entity set the emulator serves on the custom route', () => {
    const pageSets = ext.pages.map((p) => alString(p.properties.EntitySetName)).sort();
    expect(pageSets).toEqual(emulatorSets.map((d) => d.entitySet).sort());
    // ... and the connector reaches exactly those through the custom API by default.
    expect([...BC_CUSTOM_ENTITIES].sort()).toEqual(pageSets);
  });

  test.each(emulatorSets.map((d) => [d.entitySet, d] as const))(
    '%s: API page settings as in API v2.0, on the route the connector and emulator use',
    (entitySet, def: EntityDef) => {
      const p = pageFor(entitySet).properties;
      const route = `${alString(p.APIPublisher)}/${alString(p.APIGroup)}/${alString(p.APIVersion)}`;
      expect(route).toBe(CUSTOM_API_PATH);
      expect(route).toBe(DEFAULT_CUSTOM_API_PATH);
      expect(p.PageType).toBe('API');
      expect(alString(p.EntityName)).toBe(def.entityType);
      // The API key is the record's SystemId, as the emulator's `id`.
      expect(p.ODataKeyFields).toBe('SystemId');
      expect(p.DelayedInsert).toBe('true');
      // Webhooks need a real source table (no SourceTableTemporary); the connector's list must agree.
      expect(bcWebhookSupported('custom', entitySet)).toBe(p.SourceTableTemporary !== 'true');
      // A read-only entity refuses POST/PATCH/DELETE (405), a writable one allows them.
      const writable = ['InsertAllowed', 'ModifyAllowed', 'DeleteAllowed'].map((k) => p[k] !== 'false');
      expect(writable).toEqual(def.readOnlyEntity ? [false, false, false] : [true, true, true]);
    },
  );

  test.each(emulatorSets.map((d) => [d.entitySet, d] as const))(
    '%s: the same field names, id = SystemId, lastModifiedDateTime = SystemModifiedAt, the same read-only fields',
    (entitySet, def: EntityDef) => {
      const page = pageFor(entitySet);
      expect(page.fields.map((f) => f.name).sort()).toEqual(Object.keys(def.fields).sort());
      const byName = new Map(page.fields.map((f) => [f.name, f]));
      expect(byName.get('id')?.source).toBe('Rec.SystemId');
      if (def.hasModifiedAt) expect(byName.get('lastModifiedDateTime')?.source).toBe('Rec.SystemModifiedAt');
      const pageReadOnly = page.properties.Editable === 'false';
      const readOnlyOnPage = page.fields
        .filter((f) => pageReadOnly || f.properties.Editable === 'false')
        .map((f) => f.name)
        .sort();
      const readOnlyInEmulator = Object.entries(def.fields)
        .filter(([, f]) => f.readOnly || def.readOnlyEntity)
        .map(([name]) => name)
        .sort();
      expect(readOnlyOnPage).toEqual(readOnlyInEmulator);
    },
  );

  // Client-chosen ids (docs/bc-custom-api.md): BC gives a record the SystemId AL assigned before
  // Record.Insert(RunTrigger, InsertWithSystemId = true), and a SystemId "can't be changed" once set
  // (https://learn.microsoft.com/dynamics365/business-central/dev-itpro/developer/methods-auto/record/record-insert-boolean-boolean-method,
  // https://learn.microsoft.com/dynamics365/business-central/dev-itpro/developer/devenv-table-system-fields).
  // API v2.0's pages declare `id` Editable = false and insert with Insert(true) (microsoft/ALAppExtensions,
  // Apps/W1/APIV2/app/src/pages/APIV2Customers.Page.al), so they never take one.
  test.each(emulatorSets.map((d) => [d.entitySet, d] as const))(
    '%s: `id` as the emulator treats it - taken on POST with Insert(true, InsertWithSystemId), never changed by PATCH',
    (entitySet, def: EntityDef) => {
      const page = pageFor(entitySet);
      const id = page.fields.find((f) => f.name === 'id')!;
      if (def.readOnlyEntity) {
        expect(def.fields.id!.insertOnly).toBeFalsy();
        expect(id.properties.Editable === 'false' || page.properties.Editable === 'false').toBe(true);
        return;
      }
      expect(def.fields.id).toMatchObject({ insertOnly: true });
      expect(def.fields.id!.readOnly).toBeFalsy();
      expect(id.properties.Editable).toBeUndefined();
      // A PATCH body's id is held against the id of the record as read.
      expect(id.triggers.OnValidate).toBe('ClientId.CheckUnchanged(IdOnRead, Rec.SystemId);');
      expect(page.triggers.OnAfterGetRecord).toContain('IdOnRead := Rec.SystemId;');
      // No SystemId left over from an earlier record may reach Insert(true, true).
      expect(page.triggers.OnNewRecord).toMatch(/Clear\(Rec\.SystemId\);\s+Clear\(IdOnRead\);/);
      expect(page.variables).toMatchObject({ ClientId: 'Codeunit "BCSync Client Id"', IdOnRead: 'Guid' });
      // The one insert of the page keeps the id the body gave (a blank one lets BC assign it).
      const inserts = page.triggers.OnInsertRecord!.match(/\bRec\.Insert\(.*\);/g);
      expect(inserts).toEqual(['Rec.Insert(true, not IsNullGuid(Rec.SystemId));']);
    },
  );

  test('the client-id check refuses a changed id and lets a new record (blank id on read) take any', () => {
    const text = readFileSync(join(root, 'bc-extension', 'src', 'BCSyncClientId.Codeunit.al'), 'utf8');
    expect(ext.codeunits).toContainEqual({ id: 50102, name: 'BCSync Client Id' });
    expect(text).toMatch(/procedure CheckUnchanged\(IdOnRead: Guid; Id: Guid\)/);
    expect(text).toMatch(/if IsNullGuid\(IdOnRead\) or \(Id = IdOnRead\) then\s+exit;\s+Error\(IdChangedErr/);
  });

  test('fields of the extension’s own table have the emulator’s types and lengths', () => {
    for (const page of ext.pages) {
      const table = ext.tables.find((t) => t.name === page.properties.SourceTable?.replace(/^"(.*)"$/, '$1'));
      if (!table) continue;
      const def = emulatorSets.find((d) => d.entitySet === alString(page.properties.EntitySetName))!;
      for (const f of page.fields.filter((x) => x.tableField && !x.tableField.startsWith('System'))) {
        const column = table.fields.find((c) => c.name === f.tableField);
        expect({ field: f.name, column: column?.name }).toEqual({ field: f.name, column: f.tableField });
        const { type, length } = alType(column!.type);
        expect({ field: f.name, type, length }).toEqual({
          field: f.name,
          type: def.fields[f.name]!.type,
          length: def.fields[f.name]!.maxLength,
        });
      }
    }
  });
});

describe('pages against the contract document', () => {
  const doc = docFields();

  test('the document describes every entity set of the emulator’s custom API', () => {
    const documented = new Set(doc.map((d) => d.entitySet));
    for (const d of emulatorSets)
      expect([d.entitySet, documented.has(d.entitySet)]).toEqual([d.entitySet, true]);
  });

  test.each(doc.map((d) => [`${d.entitySet}.${d.field}`, d] as const))(
    '%s: type and length as documented, in the emulator and on the page',
    (_label, d: DocField) => {
      const def = emulatorSets.find((e) => e.entitySet === d.entitySet)!;
      const field = def.fields[d.field];
      expect(field).toBeDefined();
      expect({ type: field!.type, length: field!.maxLength }).toEqual({
        type: DOC_TYPES[d.type],
        length: d.length,
      });
      if (d.readOnly !== undefined) expect(Boolean(field!.readOnly || def.readOnlyEntity)).toBe(d.readOnly);
      const onPage = pageFor(d.entitySet).fields.find((f) => f.name === d.field)!;
      if (onPage.tableField !== undefined) {
        // The BC field the page reads is the one the contract names.
        if (d.bcField !== undefined) expect(onPage.tableField).toBe(d.bcField);
      } else {
        // A computed field (e.g. primaryContactId from "Primary Contact No."): its variable has the type.
        const declared = pageFor(d.entitySet).variables[onPage.source];
        expect(declared).toBeDefined();
        expect(alType(declared!).type).toBe(DOC_TYPES[d.type]);
      }
    },
  );
});

describe('permission set of the integration user', () => {
  const set = ext.permissionSets.find((s) => s.assignable);
  const rights = (objectType: string, name: string) =>
    set?.permissions.find((p) => p.objectType === objectType && p.objectName === name)?.rights ?? '';

  test('it runs every page and reads (and, for writable pages, writes) each page’s source table', () => {
    expect(set).toBeDefined();
    for (const page of ext.pages) {
      expect([page.name, rights('page', page.name)]).toEqual([page.name, 'X']);
      const table = page.properties.SourceTable!.replace(/^"(.*)"$/, '$1');
      const want = page.properties.InsertAllowed === 'false' ? 'R' : 'RIMD';
      expect([table, rights('tabledata', table)]).toEqual([table, want]);
    }
  });
});
