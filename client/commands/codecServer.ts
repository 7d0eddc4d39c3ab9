// `bcsync codec-server`: lets the Temporal Web UI and CLI show bcsync's encrypted payloads
// (client/codecServer.ts). Keys come from the same settings as the workers'; the token is required.
import type { Command } from 'commander';
import { AesGcmCodec } from '../../temporal/payloadCodec';
import { startCodecServer } from '../codecServer';
import type { CliContext } from '../context';
import { CliError } from '../output';

const DEFAULT_UI_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];

export function registerCodecServer(program: Command, ctx: CliContext): void {
  program
    .command('codec-server')
    .description(
      "decode bcsync's encrypted payloads for the Temporal Web UI and CLI (keys: BCSYNC_CODEC_KEYS / BCSYNC_CODEC_KEYS_FILE; token: BCSYNC_CODEC_SERVER_TOKEN)",
    )
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = a free one)', (v) => Number(v), 8888)
    .option(
      '--ui-origin <origin...>',
      `origin(s) of the Temporal UI allowed to call (default ${DEFAULT_UI_ORIGINS.join(' ')})`,
    )
    .action(async (opts: { host: string; port: number; uiOrigin?: string[] }) => {
      const { keys, serverToken: token } = ctx.settings().codec;
      if (!token)
        throw new CliError(
          'BCSYNC_CODEC_SERVER_TOKEN must be set to a secret of at least 16 characters (e.g. `openssl rand -hex 24`): the codec server decrypts histories for whoever presents it',
        );
      if (keys.length === 0)
        throw new CliError(
          'no payload keys: set BCSYNC_CODEC_KEYS or BCSYNC_CODEC_KEYS_FILE to the keys the workers use',
        );
      if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)
        throw new CliError(`--port: "${opts.port}" is not a port number`, 2);
      const origins = opts.uiOrigin ?? DEFAULT_UI_ORIGINS;
      const server = await startCodecServer({
        codec: new AesGcmCodec(keys),
        token,
        allowedOrigins: origins,
        host: opts.host,
        port: opts.port,
      });
      console.log(
        `bcsync codec-server: listening on ${server.url} (keys ${keys.map((k) => k.id).join(', ')})`,
      );
      console.log(
        `  Temporal UI: codec endpoint ${server.url}/<BCSYNC_CODEC_SERVER_TOKEN> (allowed origins: ${origins.join(', ')})`,
      );
      console.log(
        `  temporal CLI: --codec-endpoint ${server.url} --codec-auth "Bearer $BCSYNC_CODEC_SERVER_TOKEN"`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.stop();
    });
}
