// The BcSync* search attributes on any Temporal server, before an entry starts (an entry upserting an
// unregistered attribute fails its workflow tasks). `bcsync setup` registers the missing ones through the
// operator service where the caller may; where it may not (a namespace-scoped API key, Temporal Cloud),
// it stops and names the exact command for the administrator.
import { isGrpcServiceError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { searchAttributeDefinitions } from '../common/jobQueue';
import { CliError } from './output';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

// gRPC status codes (grpc.io/docs/guides/status-codes).
const status = { ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, UNIMPLEMENTED: 12, UNAUTHENTICATED: 16 } as const;

const indexedType: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Text: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Double: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

export interface SearchAttributeDefinition {
  name: string;
  /** As the `temporal` CLI spells it: Keyword, Int, Datetime... */
  type: string;
}

/** Temporal Cloud endpoints (namespace endpoints and the regional API-key endpoints). */
export function isTemporalCloud(address: string): boolean {
  return /\.tmprl\.cloud(:\d+)?$|\.api\.temporal\.io(:\d+)?$/.test(address);
}

/** The command an administrator runs to register `missing` on `namespace`. */
export function adminCommand(
  address: string,
  namespace: string,
  missing: SearchAttributeDefinition[],
): string {
  if (isTemporalCloud(address)) {
    return `tcld namespace search-attributes add --namespace ${namespace} ${missing.map((d) => `--sa "${d.name}=${d.type}"`).join(' ')}`;
  }
  return `temporal operator search-attribute create --address ${address} --namespace ${namespace} ${missing.map((d) => `--name ${d.name} --type ${d.type}`).join(' ')}`;
}

async function registered(client: Client, namespace: string): Promise<Map<string, number>> {
  const res = await client.connection.operatorService.listSearchAttributes({ namespace });
  return new Map(Object.entries(res.customAttributes ?? {}).map(([k, v]) => [k, Number(v)]));
}

function denied(err: unknown): boolean {
  return (
    isGrpcServiceError(err) &&
    (err.code === status.PERMISSION_DENIED ||
      err.code === status.UNAUTHENTICATED ||
      err.code === status.UNIMPLEMENTED)
  );
}

/**
 * Registers the missing BcSync* attributes on the client's namespace and waits until the server lists
 * them. Returns the names it registered. Throws a CliError naming the admin command when the server
 * refuses, and one naming the attribute when it exists with another type.
 */
export async function ensureSearchAttributes(
  client: Client,
  opts: { address: string; definitions?: readonly SearchAttributeDefinition[]; timeoutMs?: number },
): Promise<string[]> {
  const namespace = client.options.namespace;
  const definitions = opts.definitions ?? searchAttributeDefinitions;
  const refuse = (missing: SearchAttributeDefinition[], why: string) =>
    new CliError(
      `the search attributes ${missing.map((d) => d.name).join(', ')} are not registered on namespace ${namespace} ` +
        `and this connection may not register them (${why}). Ask an administrator to run:\n  ` +
        `${adminCommand(opts.address, namespace, missing)}\nthen run \`bcsync setup\` again. No entry was started.`,
    );

  let have: Map<string, number>;
  try {
    have = await registered(client, namespace);
  } catch (err) {
    if (denied(err)) throw refuse([...definitions], (err as Error).message);
    throw err;
  }
  for (const d of definitions) {
    const type = have.get(d.name);
    if (type !== undefined && type !== indexedType[d.type])
      throw new CliError(
        `search attribute ${d.name} exists on namespace ${namespace} with type ${IndexedValueType[type] ?? type}, bcsync needs ${d.type}: ` +
          'remove it (`temporal operator search-attribute remove`) or use another namespace',
      );
  }
  const missing = definitions.filter((d) => !have.has(d.name));
  if (missing.length === 0) return [];
  try {
    await client.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((d) => [d.name, indexedType[d.type]!])),
    });
  } catch (err) {
    if (denied(err)) throw refuse(missing, (err as Error).message);
    // Registered meanwhile by another `setup`: fine, the wait below sees them.
    if (!(isGrpcServiceError(err) && err.code === status.ALREADY_EXISTS)) throw err;
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    have = await registered(client, namespace);
    if (missing.every((d) => have.has(d.name))) return missing.map((d) => d.name);
    if (Date.now() > deadline)
      throw new CliError(
        `registered ${missing.map((d) => d.name).join(', ')} on namespace ${namespace}, but the server does not list them yet: run \`bcsync setup\` again in a minute`,
      );
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
