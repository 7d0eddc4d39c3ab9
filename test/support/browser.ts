// A real headless browser for the console and Temporal UI tests: the system's Chromium (Debian package
// `chromium`, installed by `npm test` and `npm run dev-servers:install`), driven by playwright-core, which downloads no
// browser of its own. BCSYNC_CHROMIUM_PATH names another binary.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { readSettings } from '../../config/settings';
import { chromiumBinary } from '../../devservers/install';

export function chromiumPath(): string {
  const found = chromiumBinary(readSettings(process.env).dev);
  if (!found || !existsSync(found))
    throw new Error(
      "no Chromium for the browser tests: `npm run dev-servers:install` installs Debian's chromium, or set BCSYNC_CHROMIUM_PATH",
    );
  return found;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox'] });
}
