// What every command needs, read once per process and handed to each command: the settings
// (config/settings.ts), the mappings, and where Temporal and MongoDB are (the environment first, then the
// servers of a running `bcsync servers up`, which the CLI - dev tooling - may know about; a worker does not).
import { loadMappings, type EffectiveMappings } from '../activities/mappings/mappingConfig';
import { DEFAULT_COMPANY } from '../activities/store/companies';
import { readSettings, type Settings } from '../config/settings';
import { readState } from '../devservers/devServers';
import { DEFAULT_TEMPORAL_ADDRESS } from '../temporal/connection';

export interface Connection {
  temporalAddress: string;
  mongodbUri: string;
  temporalUiUrl?: string;
}

export interface CliContext {
  settings(): Settings;
  mappings(): EffectiveMappings;
  connection(): Connection;
  /** The company this invocation works on: `--company`, else the default company (docs/companies.md). */
  company(): string;
}

export const DEFAULT_MONGODB_URI = 'mongodb://127.0.0.1:27027/';

/** Addresses from the settings, else a running `bcsync servers up`, else the local defaults. */
export function connectionOf(settings: Settings): Connection {
  const state = readState(settings.dev.stateDir);
  return {
    temporalAddress: settings.temporal.address ?? state?.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS,
    // A recorded `env` route is the environment's URI, masked (devservers/devServers.ts): not usable.
    mongodbUri:
      settings.mongo.uri ??
      (state?.mongo.route === 'env' ? undefined : state?.mongo.address) ??
      DEFAULT_MONGODB_URI,
    ...(state?.temporal.uiUrl ? { temporalUiUrl: state.temporal.uiUrl } : {}),
  };
}

const once = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
};

/** Each part is read at first use (so `bcsync --help` works whatever the environment holds). */
export function cliContext(read: () => Settings): CliContext {
  const settings = once(read);
  return {
    settings,
    mappings: once(() => loadMappings(settings().mappingsFile)),
    connection: once(() => connectionOf(settings())),
    company: () => DEFAULT_COMPANY,
  };
}

/** A context from fixed settings (npm start, which starts the servers itself). */
export function fixedContext(settings: Settings, connection: Connection): CliContext {
  return {
    settings: () => settings,
    mappings: once(() => loadMappings(settings.mappingsFile)),
    connection: () => connection,
    company: () => DEFAULT_COMPANY,
  };
}

export const contextFromEnvironment = (env: NodeJS.ProcessEnv): CliContext =>
  cliContext(() => readSettings(env));
