// `bcsync companies add|list|remove`: the companies a deployment serves, as data (docs/companies.md).
// The default company (the BCSYNC_* connector settings) needs no registration and is always listed.
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import {
  CompanyDefinition,
  CompanyExistsError,
  CompanyStore,
  companyDatabaseName,
  DEFAULT_COMPANY,
  type CompanyDoc,
} from '../../activities/store/companies';
import { searchAttributeKeys } from '../../common/jobQueue';
import { DEFAULT_BC_API_URL } from '../../activities/connectors/connectorConfig';
import type { CliContext } from '../context';
import { withBaseDatabase } from '../database';
import { withTemporal } from '../temporalClient';
import { CliError, printJson, printTable } from '../output';

interface AddOptions {
  bcApiUrl: string;
  bcTenant: string;
  bcEnvironment: string;
  bcCompanyId?: string;
  bcCompanyName?: string;
  bcClientId: string;
  bcClientSecret: string;
  bcTokenUrl?: string;
  bcScope?: string;
  dataverseUrl: string;
  dataverseTenant?: string;
  dataverseClientId: string;
  dataverseClientSecret: string;
  dataverseTokenUrl?: string;
  dataverseScope?: string;
  json?: boolean;
}

/** Option name of each field, so an error names what the user typed. */
const OPTION_OF: Record<string, string> = {
  name: '<name>',
  'bc.apiUrl': '--bc-api-url',
  'bc.tenant': '--bc-tenant',
  'bc.environment': '--bc-environment',
  'bc.companyId': '--bc-company-id / --bc-company-name',
  'bc.companyName': '--bc-company-name',
  'bc.clientId': '--bc-client-id',
  'bc.clientSecret': '--bc-client-secret',
  'bc.tokenUrl': '--bc-token-url',
  'bc.scope': '--bc-scope',
  'dataverse.url': '--dataverse-url',
  'dataverse.tenant': '--dataverse-tenant',
  'dataverse.clientId': '--dataverse-client-id',
  'dataverse.clientSecret': '--dataverse-client-secret',
  'dataverse.tokenUrl': '--dataverse-token-url',
  'dataverse.scope': '--dataverse-scope',
};

function definitionOf(name: string, o: AddOptions): CompanyDefinition {
  const parsed = CompanyDefinition.safeParse({
    name,
    bc: {
      apiUrl: o.bcApiUrl,
      tenant: o.bcTenant,
      environment: o.bcEnvironment,
      ...(o.bcCompanyId ? { companyId: o.bcCompanyId } : {}),
      ...(o.bcCompanyName ? { companyName: o.bcCompanyName } : {}),
      clientId: o.bcClientId,
      clientSecret: o.bcClientSecret,
      ...(o.bcTokenUrl ? { tokenUrl: o.bcTokenUrl } : {}),
      ...(o.bcScope ? { scope: o.bcScope } : {}),
    },
    dataverse: {
      url: o.dataverseUrl,
      ...(o.dataverseTenant ? { tenant: o.dataverseTenant } : {}),
      clientId: o.dataverseClientId,
      clientSecret: o.dataverseClientSecret,
      ...(o.dataverseTokenUrl ? { tokenUrl: o.dataverseTokenUrl } : {}),
      ...(o.dataverseScope ? { scope: o.dataverseScope } : {}),
    },
  });
  if (!parsed.success) {
    // The zod message only, never the value: a secret may have been typed where a reference belongs.
    const problems = parsed.error.issues.map(
      (i: z.core.$ZodIssue) => `${OPTION_OF[i.path.join('.')] ?? i.path.join('.')}: ${i.message}`,
    );
    throw new CliError(`cannot add company ${name}:\n- ${problems.join('\n- ')}`, 2);
  }
  return parsed.data;
}

function row(doc: CompanyDoc, baseDb: string) {
  return {
    name: doc._id,
    bc: {
      apiUrl: doc.bc.apiUrl,
      tenant: doc.bc.tenant,
      environment: doc.bc.environment,
      company: doc.bc.companyId ?? doc.bc.companyName ?? null,
      clientId: doc.bc.clientId,
      clientSecret: doc.bc.clientSecret,
    },
    dataverse: {
      url: doc.dataverse.url,
      clientId: doc.dataverse.clientId,
      clientSecret: doc.dataverse.clientSecret,
    },
    database: companyDatabaseName(baseDb, doc._id),
    addedAt: doc.addedAt.toISOString(),
  };
}

/** Ends the company's entry workflows (found by their BcSyncCompany search attribute). */
async function terminateEntries(client: Client, company: string): Promise<number> {
  let ended = 0;
  const query = `${searchAttributeKeys.company.name} = '${company}' AND ExecutionStatus = 'Running'`;
  for await (const execution of client.workflow.list({ query })) {
    await client.workflow
      .getHandle(execution.workflowId)
      .terminate(`company ${company} removed`)
      .then(() => ended++)
      .catch(() => undefined);
  }
  return ended;
}

export function registerCompanies(program: Command, ctx: CliContext): void {
  const baseDbName = (): string => ctx.settings().mongo.dbName;
  const companies = program
    .command('companies')
    .description('the companies this deployment syncs (BC company <-> Dataverse organization)');

  companies
    .command('add <name>')
    .description('register a company; secrets are referenced as env:VARIABLE (set on every worker)')
    .requiredOption('--bc-tenant <tenant>', 'Entra ID tenant of Business Central')
    .option('--bc-environment <name>', 'BC environment', 'production')
    .option('--bc-company-id <id>', 'the BC company id (GUID)')
    .option('--bc-company-name <name>', 'the BC company name (instead of the id)')
    .requiredOption('--bc-client-id <id>', 'app registration allowed to call the BC API')
    .requiredOption('--bc-client-secret <ref>', 'env:VARIABLE holding its secret')
    .option('--bc-api-url <url>', 'BC API host', DEFAULT_BC_API_URL)
    .option('--bc-token-url <url>', 'token endpoint (default Entra ID of the tenant)')
    .option('--bc-scope <scope>', 'OAuth2 scope (default BC API)')
    .requiredOption('--dataverse-url <url>', 'organization URL, e.g. https://contoso.crm.dynamics.com')
    .option('--dataverse-tenant <tenant>', 'Entra ID tenant of the organization (default --bc-tenant)')
    .requiredOption('--dataverse-client-id <id>', 'app set up as Dataverse application user')
    .requiredOption('--dataverse-client-secret <ref>', 'env:VARIABLE holding its secret')
    .option('--dataverse-token-url <url>', 'token endpoint (default Entra ID of the tenant)')
    .option('--dataverse-scope <scope>', 'OAuth2 scope (default <url>/.default)')
    .option('--json', 'machine-readable output (see README)')
    .action(async (name: string, opts: AddOptions) => {
      const definition = definitionOf(name, opts);
      const baseDb = baseDbName();
      const doc = await withBaseDatabase(ctx, async (db) => {
        try {
          return await new CompanyStore(db.db).add(definition);
        } catch (err) {
          if (err instanceof CompanyExistsError) throw new CliError(err.message, 1);
          throw err;
        }
      });
      if (opts.json) return printJson(row(doc, baseDb));
      process.stdout.write(
        `Company ${doc._id} added (data in database ${companyDatabaseName(baseDb, doc._id)}). ` +
          `Set ${[doc.bc.clientSecret, doc.dataverse.clientSecret].map((r) => r.slice(4)).join(' and ')} ` +
          `on every worker, then run \`bcsync setup --company ${doc._id}\`.\n`,
      );
    });

  companies
    .command('list')
    .description('the default company and every registered one')
    .option('--json', 'machine-readable output (see README)')
    .action(async (opts: { json?: boolean }) => {
      const baseDb = baseDbName();
      const docs = await withBaseDatabase(ctx, (db) => new CompanyStore(db.db).list());
      const given = ctx.settings().connectors;
      const connectors = given.ok ? given.config : null;
      const defaultRow = {
        name: DEFAULT_COMPANY,
        source: 'BCSYNC_* settings',
        bc: connectors
          ? 'id' in connectors.bc.company
            ? connectors.bc.company.id
            : connectors.bc.company.name
          : null,
        dataverse: connectors?.dataverse.url ?? null,
        database: baseDb,
      };
      if (opts.json) return printJson({ default: defaultRow, companies: docs.map((d) => row(d, baseDb)) });
      printTable(
        ['Company', 'BC company', 'BC environment', 'Dataverse organization', 'Database'],
        [
          [
            `${DEFAULT_COMPANY} (BCSYNC_* settings)`,
            defaultRow.bc ?? '(not set)',
            connectors?.bc.environment ?? '',
            defaultRow.dataverse ?? '(not set)',
            baseDb,
          ],
          ...docs.map((d) => [
            d._id,
            d.bc.companyId ?? d.bc.companyName,
            d.bc.environment,
            d.dataverse.url,
            companyDatabaseName(baseDb, d._id),
          ]),
        ],
      );
    });

  companies
    .command('remove <name>')
    .description(
      'unregister a company and end its entries (its database is kept: drop it to delete the data)',
    )
    .action(async (name: string) => {
      const baseDb = baseDbName();
      if (name === DEFAULT_COMPANY)
        throw new CliError('the default company is not registered: unset the BCSYNC_* connector settings', 2);
      const removed = await withBaseDatabase(ctx, (db) => new CompanyStore(db.db).remove(name));
      if (!removed) throw new CliError(`no company "${name}": see \`bcsync companies list\``, 2);
      const ended = await withTemporal(ctx, (client) => terminateEntries(client, name)).catch(() => null);
      process.stdout.write(
        `Company ${name} removed; ${ended === null ? 'its entries could not be reached (end them in the Temporal UI)' : `${ended} running entries ended`}. ` +
          `Its data stays in database ${companyDatabaseName(baseDb, name)}.\n`,
      );
    });
}
