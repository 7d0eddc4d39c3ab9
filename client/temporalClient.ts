// One Temporal client per CLI invocation, closed when the command ends.
import { Client } from '@temporalio/client';
import {
  clientOptions,
  connectClient,
  temporalConnection,
  type TemporalConnection,
} from '../temporal/connection';
import type { CliContext } from './context';
import { CliError } from './output';

/** This process's connection: the settings, at the address of `ctx.connection()` (or a running `servers up`). */
export function temporalOf(ctx: CliContext): TemporalConnection {
  return temporalConnection(ctx.settings(), ctx.connection().temporalAddress);
}

/** A connected client of `ctx` and its connection; a CliError names what was tried when it fails. */
export async function connectTemporal(
  ctx: CliContext,
  opts: { connectTimeout?: '5s' | '10s' } = {},
): Promise<{ client: Client; temporal: TemporalConnection; close(): Promise<void> }> {
  const temporal = temporalOf(ctx);
  const connection = await connectClient(temporal, opts).catch((err: Error) => {
    throw new CliError(err.message);
  });
  return {
    client: new Client({ connection, ...clientOptions(temporal) }),
    temporal,
    close: () => connection.close(),
  };
}

export async function withTemporal<T>(
  ctx: CliContext,
  fn: (client: Client, temporal: TemporalConnection) => Promise<T>,
): Promise<T> {
  const { client, temporal, close } = await connectTemporal(ctx, { connectTimeout: '5s' });
  try {
    return await fn(client, temporal);
  } finally {
    await close();
  }
}
