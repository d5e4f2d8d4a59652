/**
 * A real headless browser for the tests that must see pixels: the system chromium (Debian's
 * `chromium` package; `.ci/run` installs it when it can) driven by playwright-core. Tests that
 * need it skip with `BROWSER_SKIP` as the reason when there is none.
 */
import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

/** The system chromium's path, or null when there is none on PATH (or in $CHROMIUM_PATH). */
export function findChromium(): string | null {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const p = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (p) return p;
    } catch {
      // not on PATH
    }
  }
  return null;
}

export const CHROMIUM = findChromium();

/** `it(..., { skip: BROWSER_SKIP })`: false when a browser is there, else the reason it is not. */
export const BROWSER_SKIP: false | string = CHROMIUM ? false : 'chromium not found (apt-get install chromium, or set CHROMIUM_PATH): skipping the browser test';

/** Launches the system chromium headless. The caller closes it. */
export function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error(BROWSER_SKIP as string);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run'],
  });
}
