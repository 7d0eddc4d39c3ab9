// Parsing of entity addresses as they appear in URLs and `@odata.bind` values: `accounts(<guid>)`,
// `accounts(accountnumber='A1')`, `/accounts(<guid>)`, or absolute `https://org/api/data/v9.2/accounts(...)`
// (apis.md B: alternate keys in the URL; lookups via @odata.bind).
import { dvErrors } from './errors';

export type KeyValue = string | number | boolean | null;

export type EntityKey = { kind: 'id'; id: string } | { kind: 'alternate'; values: Record<string, KeyValue> };

export interface EntityAddress {
  entitySet: string;
  key: EntityKey;
  /** Raw text inside the parentheses, for messages. */
  keyText: string;
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const isGuid = (value: string): boolean => GUID.test(value);

const API_PATH = /^\/?api\/data\/v9\.\d\//i;

/** Strips scheme/host and the `/api/data/v9.x/` prefix; returns the path relative to the service root. */
export function relativeResourcePath(url: string): string {
  let path = url.trim();
  const absolute = /^https?:\/\/[^/]+(\/.*)?$/i.exec(path);
  if (absolute) path = absolute[1] ?? '/';
  path = path.replace(API_PATH, '');
  return path.replace(/^\/+/, '');
}

/** Parses the key inside `set(...)`: a GUID, or `name='value'` pairs of an alternate key. */
export function parseKey(text: string, logicalName: string): EntityKey {
  const trimmed = text.trim();
  const bare = trimmed.replace(/^\{|\}$/g, '');
  if (isGuid(bare)) return { kind: 'id', id: bare.toLowerCase() };
  const values: Record<string, KeyValue> = {};
  let i = 0;
  const fail = (): never => {
    throw dvErrors.invalidKey(logicalName, text);
  };
  while (i < trimmed.length) {
    const nameMatch = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*/.exec(trimmed.slice(i));
    if (!nameMatch) fail();
    const name = nameMatch![1];
    i += nameMatch![0].length;
    let value: KeyValue;
    if (trimmed[i] === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= trimmed.length) fail();
        if (trimmed[i] === "'") {
          if (trimmed[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += trimmed[i++];
      }
      value = s;
    } else {
      const literal = /^[^,)]+/.exec(trimmed.slice(i));
      if (!literal) fail();
      const raw = literal![0].trim();
      i += literal![0].length;
      if (raw === 'null') value = null;
      else if (raw === 'true' || raw === 'false') value = raw === 'true';
      else if (isGuid(raw)) value = raw.toLowerCase();
      else if (!Number.isNaN(Number(raw))) value = Number(raw);
      else value = fail();
    }
    values[name] = value;
    const rest = trimmed.slice(i);
    const sep = /^\s*,\s*/.exec(rest);
    if (sep) i += sep[0].length;
    else if (rest.trim() !== '') fail();
  }
  if (Object.keys(values).length === 0) fail();
  return { kind: 'alternate', values };
}

/** Parses `set(key)` (the key must be present). Returns undefined when the text is not of that form. */
export function parseEntityAddress(text: string): { entitySet: string; keyText: string } | undefined {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)\((.*)\)$/.exec(relativeResourcePath(text));
  if (!match) return undefined;
  return { entitySet: match[1], keyText: match[2] };
}
