// Reads the bcsync Business Central extension's AL source (bc-extension/) into plain data, so tests can
// hold it against the emulator and docs/bc-custom-api.md without an AL compiler. It understands the subset
// of AL the extension uses: object headers, top-level properties, page fields with their source
// expression and properties, table fields with their types, `var` declarations, and permission sets.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AlPageField {
  name: string;
  /** Source expression as written: `Rec."No."`, `Rec.SystemId`, or a page variable. */
  source: string;
  /** The table field the expression names (`No.`, `SystemId`), when it is `Rec.<field>`. */
  tableField?: string;
  properties: Record<string, string>;
  /** The field's triggers: name (`OnValidate`) -> the statements between their `begin` and `end`. */
  triggers: Record<string, string>;
}

export interface AlPage {
  id: number;
  name: string;
  file: string;
  properties: Record<string, string>;
  fields: AlPageField[];
  /** Variables declared anywhere in the page: name -> AL type (`Guid`, `Text`, `Code[10]`). */
  variables: Record<string, string>;
  /** The page's own triggers (`OnInsertRecord`, ...), as for a field. */
  triggers: Record<string, string>;
}

export interface AlTable {
  id: number;
  name: string;
  file: string;
  fields: { id: number; name: string; type: string }[];
}

export interface AlPermission {
  objectType: string;
  objectName: string;
  rights: string;
}

export interface AlExtension {
  appJson: Record<string, unknown>;
  pages: AlPage[];
  tables: AlTable[];
  codeunits: { id: number; name: string }[];
  permissionSets: { id: number; name: string; assignable: boolean; permissions: AlPermission[] }[];
}

/** Removes `//` comments that are not inside a quoted string. */
function stripComments(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      let quote: string | undefined;
      for (let i = 0; i < line.length - 1; i++) {
        const c = line[i]!;
        if (quote) {
          if (c === quote) quote = undefined;
        } else if (c === "'" || c === '"') quote = c;
        else if (c === '/' && line[i + 1] === '/') return line.slice(0, i);
      }
      return line;
    })
    .join('\n');
}

const unquote = (name: string): string => name.trim().replace(/^"(.*)"$/, '$1');

/** `Name = value;` lines of an object's top level (before its first section). */
function topLevelProperties(body: string): Record<string, string> {
  const head = body.split(/\n\s*(?:layout|fields|keys|actions|trigger|var|procedure|local)\b/)[0]!;
  const out: Record<string, string> = {};
  for (const m of head.matchAll(/^\s*(\w+)\s*=\s*([^;]+);/gm)) out[m[1]!] = m[2]!.trim();
  return out;
}

/** `trigger Name(...)` blocks of `text`: name -> the statements between the outer `begin` and `end`. */
function triggers(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/\btrigger\s+(\w+)\s*\(/g)) {
    const start = text.slice(m.index).search(/\bbegin\b/i);
    if (start < 0) continue;
    const from = m.index + start;
    // Blocks nest as begin ... end and case ... end; words inside quotes ("End Date") do not count.
    const code = text.slice(from).replace(/"[^"\n]*"|'[^'\n]*'/g, (q) => ' '.repeat(q.length));
    let depth = 0;
    for (const t of code.matchAll(/\b(begin|case|end)\b/gi)) {
      depth += t[1]!.toLowerCase() === 'end' ? -1 : 1;
      if (depth === 0) {
        out[m[1]!] = text.slice(from + 'begin'.length, from + t.index).trim();
        break;
      }
    }
  }
  return out;
}

const FIELD_RE = /\bfield\((\w+);\s*((?:"[^"]*"|[^)"])+)\)\s*\{([^}]*)\}/g;

function pageFields(body: string): AlPageField[] {
  const fields: AlPageField[] = [];
  for (const m of body.matchAll(FIELD_RE)) {
    const properties: Record<string, string> = {};
    for (const p of m[3]!.matchAll(/^\s*(\w+)\s*=\s*([^;]+);/gm)) properties[p[1]!] = p[2]!.trim();
    const source = m[2]!.trim();
    const rec = /^Rec\.(.+)$/.exec(source);
    fields.push({
      name: m[1]!,
      source,
      ...(rec ? { tableField: unquote(rec[1]!) } : {}),
      properties,
      triggers: triggers(m[3]!),
    });
  }
  return fields;
}

function variables(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const section of body.matchAll(
    /\bvar\b([\s\S]*?)(?=\n\s*(?:begin|local|procedure|trigger|\[)|\n\}|$)/g,
  )) {
    for (const m of section[1]!.matchAll(/^\s*(\w+)\s*:\s*([^;]+);/gm)) out[m[1]!] = m[2]!.trim();
  }
  return out;
}

export function readAlExtension(dir: string): AlExtension {
  const appJson = JSON.parse(readFileSync(join(dir, 'app.json'), 'utf8')) as Record<string, unknown>;
  const ext: AlExtension = { appJson, pages: [], tables: [], codeunits: [], permissionSets: [] };
  const srcDir = join(dir, 'src');
  for (const file of readdirSync(srcDir)
    .filter((f) => f.endsWith('.al'))
    .sort()) {
    const text = stripComments(readFileSync(join(srcDir, file), 'utf8'));
    const header =
      /^\s*(page|table|codeunit|permissionset)\s+(\d+)\s+("[^"]+"|\w+)\s*\{([\s\S]*)\}\s*$/m.exec(text);
    if (!header) throw new Error(`${file}: no AL object header found`);
    const [, kind, idText, rawName, body] = header as unknown as [string, string, string, string, string];
    const id = Number(idText);
    const name = unquote(rawName);
    if (kind === 'page') {
      ext.pages.push({
        id,
        name,
        file,
        properties: topLevelProperties(body),
        fields: pageFields(body),
        variables: variables(body),
        triggers: triggers(body.replace(FIELD_RE, '')),
      });
    } else if (kind === 'table') {
      const fields = [...body.matchAll(/\bfield\((\d+);\s*("[^"]+"|\w+);\s*((?:"[^"]*"|[^)"])+)\)/g)].map(
        (m) => ({
          id: Number(m[1]),
          name: unquote(m[2]!),
          type: m[3]!.trim(),
        }),
      );
      ext.tables.push({ id, name, file, fields });
    } else if (kind === 'codeunit') {
      ext.codeunits.push({ id, name });
    } else {
      const props = topLevelProperties(body);
      const list = /\bPermissions\s*=([\s\S]*?);/.exec(body)?.[1] ?? '';
      const permissions = list
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean)
        .map((entry) => {
          const m = /^(\w+)\s+("[^"]+"|[\w/.]+)\s*=\s*(\w+)$/.exec(entry);
          if (!m) throw new Error(`${file}: cannot read permission '${entry}'`);
          return { objectType: m[1]!, objectName: unquote(m[2]!), rights: m[3]! };
        });
      ext.permissionSets.push({ id, name, assignable: props.Assignable === 'true', permissions });
    }
  }
  return ext;
}

/** `'bcsync'` -> `bcsync`. */
export const alString = (value: string | undefined): string | undefined => value?.replace(/^'(.*)'$/, '$1');
