// URL paths of the BC API as the real service has them (apis.md A; emulator contract: URL paths):
//   /v2.0/{environment}/api/v2.0/companies[({id})[/{entitySet}[({id})[/{navigation|Microsoft.NAV.action}]]]]
//   /v2.0/{environment}/api/bcsync/integration/v1.0/companies({id})/...   (our custom API)
//   /v2.0/{environment}/api/v2.0/$batch, .../subscriptions[('{id}')]
// The tenant may precede the environment (/v2.0/{tenant}/{environment}/api/...), as in the real service.
import { bcErrors } from './bcErrors';
import { entityDefFor, type ApiRoute, type EntityDef } from './entityModel';

export const CUSTOM_API_PATH = 'bcsync/integration/v1.0';

export interface ApiBase {
  environment: string;
  /** Tenant segment when the URL carried one. */
  tenant?: string;
  api: ApiRoute;
  /** Path up to and including the API version, e.g. `/v2.0/production/api/v2.0`. */
  basePath: string;
}

export type BcRoute =
  | { kind: 'metadata' }
  | { kind: 'companies'; companyId?: string }
  | {
      kind: 'collection';
      def: EntityDef;
      companyId: string;
      parent?: { def: EntityDef; id: string };
      countOnly: boolean;
    }
  | { kind: 'entity'; def: EntityDef; companyId: string; id: string; parent?: { def: EntityDef; id: string } }
  | { kind: 'action'; def: EntityDef; companyId: string; id: string; action: string }
  | { kind: 'batch' }
  | { kind: 'subscriptions'; subscriptionId?: string };

export interface ParsedApiPath {
  base: ApiBase;
  route: BcRoute;
}

const SEGMENT_KEY_RE = /^([A-Za-z.$]+)(?:\((.*)\))?$/;

function splitKey(segment: string): { name: string; key?: string } {
  const match = SEGMENT_KEY_RE.exec(segment);
  if (!match) throw bcErrors.resourceNotFound(segment);
  let key = match[2];
  if (key !== undefined) {
    key = key.replace(/^id=/i, '').replace(/^'(.*)'$/, '$1');
  }
  return { name: match[1], key };
}

/** Splits `/v2.0/...` into the API base and the rest; undefined when the path is not an API path. */
export function parseApiBase(pathname: string): { base: ApiBase; rest: string[] } | undefined {
  const segments = pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
  if (segments[0] !== 'v2.0') return undefined;
  let envIndex: number;
  let tenant: string | undefined;
  if (segments[2] === 'api') envIndex = 1;
  else if (segments[3] === 'api') {
    envIndex = 2;
    tenant = segments[1];
  } else return undefined;
  const environment = segments[envIndex];
  const afterApi = segments.slice(envIndex + 2);
  let api: ApiRoute;
  let restStart: number;
  if (afterApi[0] === 'v2.0') {
    api = 'v2.0';
    restStart = 1;
  } else if (afterApi.slice(0, 3).join('/') === CUSTOM_API_PATH) {
    api = 'bcsync';
    restStart = 3;
  } else {
    throw bcErrors.resourceNotFound(afterApi.join('/') || 'api');
  }
  const basePath = `/${segments.slice(0, envIndex + 2 + restStart).join('/')}`;
  return { base: { environment, tenant, api, basePath }, rest: afterApi.slice(restStart) };
}

export function parseRoute(base: ApiBase, rest: string[]): BcRoute {
  if (rest.length === 0 || rest[0] === '$metadata') return { kind: 'metadata' };
  if (rest[0] === '$batch' && rest.length === 1) return { kind: 'batch' };
  const first = splitKey(rest[0]);
  if (first.name === 'subscriptions' && rest.length === 1)
    return { kind: 'subscriptions', subscriptionId: first.key };
  if (first.name !== 'companies') throw bcErrors.resourceNotFound(first.name);
  if (rest.length === 1) return { kind: 'companies', companyId: first.key };
  if (first.key === undefined) throw bcErrors.resourceNotFound(rest[1]);
  const companyId = first.key;
  const second = splitKey(rest[1]);
  const def = entityDefFor(base.api, second.name);
  if (!def) throw bcErrors.resourceNotFound(second.name);
  if (rest.length === 2) {
    return second.key === undefined
      ? { kind: 'collection', def, companyId, countOnly: false }
      : { kind: 'entity', def, companyId, id: second.key };
  }
  const third = rest[2];
  if (second.key === undefined) {
    if (third === '$count' && rest.length === 3)
      return { kind: 'collection', def, companyId, countOnly: true };
    throw bcErrors.resourceNotFound(third);
  }
  if (third.startsWith('Microsoft.NAV.') && rest.length === 3) {
    return { kind: 'action', def, companyId, id: second.key, action: third.slice('Microsoft.NAV.'.length) };
  }
  const nav = splitKey(third);
  const child = entityDefFor(base.api, nav.name);
  if (!child || child.parentSet !== def.entitySet || rest.length > 4)
    throw bcErrors.resourceNotFound(nav.name);
  const parent = { def, id: second.key };
  if (rest.length === 4) {
    if (rest[3] === '$count' && nav.key === undefined) {
      return { kind: 'collection', def: child, companyId, parent, countOnly: true };
    }
    throw bcErrors.resourceNotFound(rest[3]);
  }
  return nav.key === undefined
    ? { kind: 'collection', def: child, companyId, parent, countOnly: false }
    : { kind: 'entity', def: child, companyId, id: nav.key, parent };
}
