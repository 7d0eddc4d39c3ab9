// Settings of the wake-up service from command-line options and the environment (documented in
// client/wakeups/README.md), validated once here so a wrong value names the variable and what to set.
import { z } from 'zod';
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

type Env = Record<string, string | undefined>;

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

/** Command-line options win over the environment, the environment over the defaults. */
export function wakeupSettings(input: WakeupSettingInput = {}, env: Env = process.env): WakeupSettings {
  const problems: string[] = [];
  const host = input.host ?? env.BCSYNC_WEBHOOK_HOST ?? '127.0.0.1';
  const chosenPort = pick(
    problems,
    input.port !== undefined ? '--port' : 'BCSYNC_WEBHOOK_PORT',
    `a TCP port 0-65535 (default ${DEFAULT_WEBHOOK_PORT})`,
    port,
    input.port ?? env.BCSYNC_WEBHOOK_PORT,
    DEFAULT_WEBHOOK_PORT,
  );
  const publicUrl = pick<string | undefined>(
    problems,
    input.publicUrl !== undefined ? '--public-url' : 'BCSYNC_WEBHOOK_PUBLIC_URL',
    `the http(s) URL Business Central posts notifications to (https for a real tenant; default http://127.0.0.1:<port>${DEFAULT_NOTIFICATION_PATH})`,
    url,
    input.publicUrl ?? env.BCSYNC_WEBHOOK_PUBLIC_URL,
    undefined,
  );
  const crmPollSeconds = pick(
    problems,
    input.crmPollSeconds !== undefined ? '--crm-poll-seconds' : 'BCSYNC_CRM_POLL_SECONDS',
    `whole seconds between Dataverse change polls, 0 = off (default ${DEFAULT_CRM_POLL_SECONDS})`,
    seconds,
    input.crmPollSeconds ?? env.BCSYNC_CRM_POLL_SECONDS,
    DEFAULT_CRM_POLL_SECONDS,
  );
  const bcPollSeconds = pick(
    problems,
    input.bcPollSeconds !== undefined ? '--bc-poll-seconds' : 'BCSYNC_BC_POLL_SECONDS',
    `whole seconds between polls of BC entity sets without webhooks, 0 = off (default ${DEFAULT_BC_POLL_SECONDS})`,
    seconds,
    input.bcPollSeconds ?? env.BCSYNC_BC_POLL_SECONDS,
    DEFAULT_BC_POLL_SECONDS,
  );
  if (problems.length > 0) throw new CliError(`Wake-up settings are invalid:\n- ${problems.join('\n- ')}`, 2);
  return { host, port: chosenPort, publicUrl, crmPollSeconds, bcPollSeconds };
}
