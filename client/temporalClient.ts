// One Temporal client per CLI invocation, closed when the command ends.
import { Client, Connection } from '@temporalio/client';
import type { CliContext } from './context';
import { CliError } from './output';

export async function withTemporal<T>(ctx: CliContext, fn: (client: Client) => Promise<T>): Promise<T> {
  const { temporalAddress } = ctx.connection();
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: temporalAddress, connectTimeout: '5s' });
  } catch (err) {
    throw new CliError(
      `cannot reach Temporal at ${temporalAddress} (${(err as Error).message}): run \`bcsync servers up\` or set TEMPORAL_ADDRESS`,
    );
  }
  try {
    return await fn(new Client({ connection, namespace: ctx.settings().temporal.namespace }));
  } finally {
    await connection.close();
  }
}
