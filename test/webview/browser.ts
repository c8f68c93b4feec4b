// Shared by the webview and end-to-end tests: where things are, and Debian's Chromium
// launched through playwright-core (never a browser a test tool downloads).
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The repository root (the folder whose package.json is vit-inspector's), found from here or from cwd. */
export const root: string = (() => {
  for (const start of [__dirname, process.cwd()]) {
    let d = resolve(start);
    for (;;) {
      const pj = join(d, 'package.json');
      if (existsSync(pj) && existsSync(join(d, 'scripts', 'test.mjs'))) return d;
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  return process.cwd();
})();

export const resultsDir = (sub: string): string => {
  const d = join(root, 'test-results', sub);
  mkdirSync(d, { recursive: true });
  return d;
};

export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('Chromium not found: run `node scripts/setup-test-env.mjs` (installs Debian\'s chromium) or set CHROMIUM_PATH.');
  }
}

/** Flags that keep Chromium quiet on a machine without internet access. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--disable-default-apps',
  '--disable-dev-shm-usage',
];

export async function launchBrowser(): Promise<Browser> {
  // A fresh, temporary profile each launch: playwright-core's launch() uses one.
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** Closes the browser, never waiting more than `ms`. */
export async function closeBrowser(browser: Browser | undefined, ms = 15_000): Promise<void> {
  if (!browser) return;
  await Promise.race([browser.close().catch(() => undefined), new Promise((r) => setTimeout(r, ms))]);
}

export async function screenshotTo(page: Page, sub: string, name: string): Promise<string> {
  const file = join(resultsDir(sub), `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
