// Settings for a test, as an entry point reads them (config/settings.ts), from the environment the global
// setup prepared plus what the test changes - without writing to process.env.
import { readSettings, type Env, type Settings } from '../../config/settings';

export function testSettings(extra: Env = {}): Settings {
  return readSettings({ ...process.env, ...extra });
}

/** Settings with another database name (each test file keeps its own database). */
export function withDbName(settings: Settings, dbName: string): Settings {
  return { ...settings, mongo: { ...settings.mongo, dbName } };
}
