// The lineage of a page (docs/lineage.md): the fields a write changes, old and new, with the values of
// sensitive field mappings masked; one entry per record and pass.
import { fieldChanges, MASK, PageLineage } from '../../activities/engine/pageLineage';
import { inflateRawSync } from 'node:zlib';
import { lineagePages, pageEntries } from '../../activities/store/lineage';
import type { FieldValue } from '../../activities/engine/fieldMapping';
import type { FieldMapping } from '../../activities/mappings/integrationTableMapping';
import { customerMapping } from './ruleFixtures';

const field = (bcCaption: string, sensitive = false): FieldMapping => ({
  ...customerMapping().fieldMappings.find((f) => f.bcCaption === bcCaption)!,
  sensitive,
});
const value = (f: FieldMapping, key: string, v: unknown): FieldValue => ({
  field: f,
  writeKey: key,
  writeValue: v,
  compareKey: key,
  compareValue: v,
  bidirectional: true,
});

test('a modify records the differing fields only, old and new; sensitive values are masked', () => {
  const payload = [
    value(field('Name'), 'name', 'Adatum Corporation'),
    value(field('Phone No.'), 'telephone1', '+1 425 555 0111'),
    value(field('E-Mail', true), 'emailaddress1', 'new@adatum.example'),
  ];
  const before = {
    name: 'Adatum Corporation',
    telephone1: '+1 425 555 0100',
    emailaddress1: 'old@adatum.example',
  };
  expect(fieldChanges(payload, before)).toEqual([
    { field: 'Phone No.', old: '+1 425 555 0100', new: '+1 425 555 0111' },
    { field: 'E-Mail', old: MASK, new: MASK },
  ]);
});

test('an insert records the values written, not the blank ones; long texts are cut', () => {
  const payload = [
    value(field('Name'), 'name', 'N'.repeat(150)),
    value(field('Phone No.'), 'telephone1', ''),
  ];
  const [name, ...rest] = fieldChanges(payload, undefined);
  expect(name).toEqual({ field: 'Name', old: null, new: `${'N'.repeat(120)}...` });
  expect(rest).toEqual([]);
});

test('one entry per record and pass: a later decision on the page replaces an earlier one', () => {
  const page = new PageLineage({
    mapping: 'CUSTOMER',
    direction: 'fromCrm',
    jobId: 'job-1',
    now: new Date(0),
  });
  page.record('CRM-1', 'BC-1', 'Adatum', 'Coupled');
  page.record('CRM-1', 'BC-1', 'Adatum', 'Modified', { answer: 'update 200' });
  expect(page.list()).toEqual([
    {
      _id: 'job-1|CRM-1',
      mapping: 'CUSTOMER',
      bcId: 'bc-1',
      crmId: 'crm-1',
      label: 'Adatum',
      at: new Date(0),
      jobId: 'job-1',
      direction: 'fromCrm',
      decision: 'Modified',
      answer: 'update 200',
    },
  ]);
});

test('a page is stored as one document, read back entry by entry; a huge one is split, never lost', () => {
  const page = new PageLineage({ mapping: 'CUSTOMER', direction: 'toCrm', jobId: 'job-2', now: new Date(0) });
  page.record('BC-1', 'CRM-1', '10000 Adatum', 'Inserted', {
    changes: [{ field: 'Name', old: null, new: 'Adatum Corporation' }],
    answer: '201 created',
  });
  page.record('BC-2', undefined, '20000 Trey', 'Skipped', { code: 'onlyCoupled', why: 'not coupled' });
  const [doc, ...more] = lineagePages(page.list());
  expect(more).toEqual([]);
  expect(doc).toMatchObject({
    _id: 'job-2|BC-1',
    mapping: 'CUSTOMER',
    jobId: 'job-2',
    direction: 'toCrm',
    ids: ['b:bc-1', 'c:crm-1', 'b:bc-2'],
    labels: '10000 Adatum\n20000 Trey',
  });
  // The entries' JSON text, deflated: a binary value, which FerretDB stores without converting it.
  expect(doc!.entriesZ).toBeInstanceOf(Uint8Array);
  expect(doc!.entries).toBeUndefined();
  expect(pageEntries(doc!)).toEqual(page.list().map((e) => ({ ...e, _id: `job-2|${e.bcId}` })));

  // On FerretDB the ids are one text (it cannot index an array and converts each element).
  const [asText] = lineagePages(page.list(), { idsAsText: true });
  expect(asText!.idText).toBe('|b:bc-1|c:crm-1|b:bc-2|');
  expect(asText!.ids).toBeUndefined();
  expect(pageEntries(asText!)).toEqual(pageEntries(doc!));
  // Pages written before the entries were deflated are read too.
  const { entriesZ, ...plain } = doc!;
  expect(entriesZ).toBeDefined();
  expect(pageEntries({ ...plain, entries: inflateRawSync(entriesZ as Uint8Array).toString() })).toEqual(
    pageEntries(doc!),
  );

  // Entries of several MB (a mapping with many long fields) go to more documents, each under the limit.
  const big = new PageLineage({
    mapping: 'CUSTOMER',
    direction: 'fromCrm',
    jobId: 'job-3',
    now: new Date(0),
  });
  const changes = Array.from({ length: 40 }, (_, i) => ({
    field: `Field ${i}`,
    old: null,
    new: 'x'.repeat(120),
  }));
  for (let i = 0; i < 1500; i++) big.record(`CRM-${i}`, `BC-${i}`, undefined, 'Inserted', { changes });
  const docs = lineagePages(big.list());
  expect(docs.length).toBeGreaterThan(1);
  expect(new Set(docs.map((d) => d._id)).size).toBe(docs.length);
  for (const d of docs) expect(d.entriesZ!.length).toBeLessThan(5 * 1024 * 1024);
  expect(docs.flatMap(pageEntries).map((e) => e.crmId)).toEqual(big.list().map((e) => e.crmId));
});
