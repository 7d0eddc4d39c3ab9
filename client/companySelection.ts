// The company a CLI invocation works on: `--company <name>`, a global option of every command (before or
// after the command name), else the default company (docs/companies.md). The program's preAction hook
// puts it in the commands' context (client/cli.ts) before any command runs.
import { ConfigError, type ConnectorConfig } from '../activities/connectors/connectorConfig';
import { companyConnectorConfig, registeredCompany } from '../activities/companyScope';
import { CompanyName, DEFAULT_COMPANY } from '../activities/store/companies';
import type { Database } from '../activities/store/database';
import { requireConnectors } from '../config/settings';
import type { CliContext } from './context';
import { CliError } from './output';

/** The company `--company <name>` names (`default`: the default company); undefined when not given. */
export function companyOption(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (name.trim() === DEFAULT_COMPANY) return DEFAULT_COMPANY;
  const parsed = CompanyName.safeParse(name);
  if (!parsed.success)
    throw new CliError(`--company "${name}" is not a company name: ${parsed.error.issues[0]?.message}`, 2);
  return parsed.data;
}

/** The selected company's entries carry it; the default company's entries carry none. */
export const entryCompany = (ctx: CliContext): string | undefined =>
  ctx.company() === DEFAULT_COMPANY ? undefined : ctx.company();

/** Connector settings of the selected company: the BCSYNC_* variables, or its registration + secrets. */
export async function selectedConnectorConfig(ctx: CliContext, base: Database): Promise<ConnectorConfig> {
  const settings = ctx.settings();
  try {
    if (ctx.company() === DEFAULT_COMPANY) return requireConnectors(settings);
    return companyConnectorConfig(await registeredCompany(base, ctx.company()), settings.secrets, settings);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
}
