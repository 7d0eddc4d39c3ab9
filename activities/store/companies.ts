// The companies a deployment serves, as data: each (BC tenant, environment, company) <-> (Dataverse
// organization) pair registered with `bcsync companies add`, in the `companies` collection of the base
// database. Secrets are referenced (the name of an environment variable each worker has), never stored.
// Each company keeps its entries, couplings, logs, errors and watermarks in a database of its own
// (`companyDatabaseName`), so no query of one company can see another's records; the default company (the
// BCSYNC_* connector variables, zero config) keeps the base database. docs/companies.md.
import type { Collection, Db } from 'mongodb';
import { z } from 'zod';

export const COMPANIES_COLLECTION = 'companies';

/** The company of a deployment that needs no registration: connectors from the BCSYNC_* variables. */
export const DEFAULT_COMPANY = 'default';

/** Lower-case letters, digits and dashes: it is part of workflow ids and of a MongoDB database name. */
export const CompanyName = z
  .string()
  .trim()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,29}$/,
    'use 1-30 lower-case letters, digits and dashes, starting with a letter or digit (e.g. cronus-us)',
  )
  .refine((name) => name !== DEFAULT_COMPANY, `"${DEFAULT_COMPANY}" is the unregistered default company`);
export type CompanyName = z.infer<typeof CompanyName>;

/** A reference to a secret: the name of an environment variable of every worker (`env:NAME`). */
export const SecretRef = z
  .string()
  .regex(/^env:[A-Za-z_][A-Za-z0-9_]*$/, 'reference a secret as env:VARIABLE_NAME, never the secret itself');
export type SecretRef = z.infer<typeof SecretRef>;

const httpUrl = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));

export const CompanyBc = z.strictObject({
  apiUrl: httpUrl,
  tenant: z.string().trim().min(1),
  environment: z.string().trim().min(1),
  companyId: z.guid().optional(),
  companyName: z.string().trim().min(1).optional(),
  clientId: z.string().trim().min(1),
  clientSecret: SecretRef,
  tokenUrl: httpUrl.optional(),
  scope: z.string().trim().min(1).optional(),
  tenantInUrl: z.boolean().optional(),
});

export const CompanyDataverse = z.strictObject({
  url: httpUrl,
  tenant: z.string().trim().min(1).optional(),
  clientId: z.string().trim().min(1),
  clientSecret: SecretRef,
  tokenUrl: httpUrl.optional(),
  scope: z.string().trim().min(1).optional(),
});

export const CompanyDefinition = z
  .strictObject({
    name: CompanyName,
    bc: CompanyBc,
    dataverse: CompanyDataverse,
  })
  .refine((c) => !!c.bc.companyId || !!c.bc.companyName, {
    message: 'name the BC company by id or by name',
    path: ['bc', 'companyId'],
  });
export type CompanyDefinition = z.infer<typeof CompanyDefinition>;

export interface CompanyDoc extends Omit<CompanyDefinition, 'name'> {
  _id: CompanyName;
  addedAt: Date;
}

export class CompanyExistsError extends Error {}

/** The database of a company's data: the base database for the default company. */
export function companyDatabaseName(baseDbName: string, company: string): string {
  return company === DEFAULT_COMPANY ? baseDbName : `${baseDbName}-${company}`;
}

export class CompanyStore {
  private readonly col: Collection<CompanyDoc>;

  constructor(baseDb: Db) {
    this.col = baseDb.collection<CompanyDoc>(COMPANIES_COLLECTION);
  }

  /** Registers a company; a name or a Dataverse organization already registered is refused. */
  async add(definition: CompanyDefinition, now = new Date()): Promise<CompanyDoc> {
    const { name, ...rest } = definition;
    // One organization per company: BC's own multi-company mode in one organization needs company-owned
    // rows (a business unit and owner team per company, docs/companies.md), which bcsync does not do.
    const sameOrg = await this.col.findOne({ 'dataverse.url': rest.dataverse.url });
    if (sameOrg) {
      throw new CompanyExistsError(
        `Dataverse organization ${rest.dataverse.url} already belongs to company ${sameOrg._id}: each company needs its own organization`,
      );
    }
    const doc: CompanyDoc = { _id: name, ...rest, addedAt: now };
    try {
      await this.col.insertOne(doc);
    } catch (err) {
      if ((err as { code?: number }).code === 11000)
        throw new CompanyExistsError(`company ${name} is registered already`);
      throw err;
    }
    return doc;
  }

  get(name: string): Promise<CompanyDoc | null> {
    return this.col.findOne({ _id: name });
  }

  list(): Promise<CompanyDoc[]> {
    return this.col.find({}).sort({ _id: 1 }).toArray();
  }

  /** True when the company was registered. */
  async remove(name: string): Promise<boolean> {
    return (await this.col.deleteOne({ _id: name })).deletedCount === 1;
  }
}
