import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium (installed by .ci/run and test/servers/ensure-packages.mjs); playwright-core downloads no browser. */
export const chromiumPath = process.env['CRM_BRIDGE_CHROMIUM'] ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`The e2e tests need Chromium at ${chromiumPath}: apt-get install chromium (or set CRM_BRIDGE_CHROMIUM)`);
  }
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'] });
}
