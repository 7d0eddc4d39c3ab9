// Settings of the wake-up service: command-line options over the BCSYNC_WEBHOOK_* / BCSYNC_CRM_POLL_SECONDS
// settings (read and validated in config/settings.ts; documented in client/wakeups/README.md). A wrong
// option names itself and what to set.
import { z } from 'zod';
import type { WakeupEnvSettings } from '../../config/settings';
import { CliError } from '../output';
import { DEFAULT_BC_POLL_SECONDS } from './bcChangePoller';
import { DEFAULT_NOTIFICATION_PATH } from './webhookReceiver';

export const DEFAULT_WEBHOOK_PORT = 7050;
export const DEFAULT_CRM_POLL_SECONDS = 60;

export interface WakeupSettings {
  host: string;
  port: number;
  /** Undefined: `http://127.0.0.1:<port>/bc/notifications` with the port actually bound. */
  publicUrl?: string;
  crmPollSeconds: number;
  bcPollSeconds: number;
}

/** Options as commander hands them over (strings), any of which may be absent. */
export interface WakeupSettingInput {
  host?: string;
  port?: string | number;
  publicUrl?: string;
  crmPollSeconds?: string | number;
  bcPollSeconds?: string | number;
}

const port = z.coerce.number().int().min(0).max(65535);
const seconds = z.coerce
  .number()
  .int()
  .min(0)
  .max(24 * 3600);
const url = z.url({ protocol: /^https?$/ });

function pick<T>(
  problems: string[],
  name: string,
  hint: string,
  schema: z.ZodType<T>,
  value: string | number | undefined,
  fallback: T,
): T {
  if (value === undefined || value === '') return fallback;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  problems.push(`${name} is invalid (${parsed.error.issues[0]?.message ?? 'invalid'}): set it to ${hint}`);
  return fallback;
}

/** Command-line options win over the settings (environment), the settings over the defaults. */
export function wakeupSettings(input: WakeupSettingInput, fromEnv: WakeupEnvSettings): WakeupSettings {
  const problems: string[] = [];
  const host = input.host ?? fromEnv.host;
  const chosenPort = pick(
    problems,
    '--port',
    `a TCP port 0-65535 (default ${DEFAULT_WEBHOOK_PORT})`,
    port,
    input.port,
    fromEnv.port,
  );
  const publicUrl = pick<string | undefined>(
    problems,
    '--public-url',
    `the http(s) URL Business Central posts notifications to (https for a real tenant; default http://127.0.0.1:<port>${DEFAULT_NOTIFICATION_PATH})`,
    url,
    input.publicUrl,
    fromEnv.publicUrl,
  );
  const crmPollSeconds = pick(
    problems,
    '--crm-poll-seconds',
    `whole seconds between Dataverse change polls, 0 = off (default ${DEFAULT_CRM_POLL_SECONDS})`,
    seconds,
    input.crmPollSeconds,
    fromEnv.crmPollSeconds,
  );
  const bcPollSeconds = pick(
    problems,
    '--bc-poll-seconds',
    `whole seconds between polls of BC entity sets without webhooks, 0 = off (default ${DEFAULT_BC_POLL_SECONDS})`,
    seconds,
    input.bcPollSeconds,
    fromEnv.bcPollSeconds,
  );
  if (problems.length > 0) throw new CliError(`Wake-up settings are invalid:\n- ${problems.join('\n- ')}`, 2);
  return { host, port: chosenPort, publicUrl, crmPollSeconds, bcPollSeconds };
}
