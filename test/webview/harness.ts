// Loads one webview bundle (dist/webview/<panel>.js) in real Chromium, the way VS Code would:
// a page with <div id="app">, a stub acquireVsCodeApi(), the theme's --vscode-* variables and
// the same strict Content-Security-Policy as src/extension/webviewHtml.ts; then feeds it host
// messages with window.postMessage and reads what it draws and what it posts back.
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { closeBrowser, launchBrowser, root, screenshotTo } from './browser';

export { launchBrowser, closeBrowser } from './browser';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.map': 'application/json',
};

/** A subset of VS Code's theme variables (Dark Modern / Light Modern), enough for colours to show. */
const THEMES = {
  dark: {
    kind: 'vscode-dark',
    vars: {
      'foreground': '#cccccc', 'editor-background': '#1f1f1f', 'editor-foreground': '#cccccc',
      'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', 'font-size': '13px', 'font-weight': 'normal',
      'editor-font-family': '"Droid Sans Mono", monospace', 'editor-font-size': '14px',
      'textLink-foreground': '#4daafc', 'focusBorder': '#0078d4', 'descriptionForeground': '#9d9d9d',
      'panel-border': '#2b2b2b', 'widget-border': '#313131', 'badge-background': '#616161', 'badge-foreground': '#f8f8f8',
      'testing-iconPassed': '#73c991', 'inputValidation-errorBackground': '#5a1d1d', 'inputValidation-errorBorder': '#be1100',
      'errorForeground': '#f85149', 'editorWarning-foreground': '#cca700', 'button-background': '#0078d4', 'button-foreground': '#ffffff', 'button-hoverBackground': '#026ec1',
      'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc', 'button-secondaryHoverBackground': '#3c3c3c',
      'button-border': '#ffffff12', 'input-background': '#313131', 'input-foreground': '#cccccc', 'input-border': '#3c3c3c',
      'dropdown-background': '#313131', 'dropdown-foreground': '#cccccc', 'dropdown-border': '#3c3c3c',
      'settings-dropdownBackground': '#313131', 'settings-dropdownForeground': '#cccccc', 'settings-dropdownBorder': '#3c3c3c', 'settings-dropdownListBorder': '#454545',
      'checkbox-background': '#313131', 'checkbox-foreground': '#cccccc', 'checkbox-border': '#3c3c3c', 'list-activeSelectionForeground': '#ffffff', 'list-focusOutline': '#0078d4', 'widget-shadow': '#0000005c',
      'list-hoverBackground': '#2a2d2e', 'list-activeSelectionBackground': '#04395e', 'charts-red': '#f14c4c',
      'charts-blue': '#3794ff', 'charts-green': '#89d185', 'charts-yellow': '#cca700', 'charts-orange': '#d18616', 'charts-purple': '#b180d7',
    },
  },
  light: {
    kind: 'vscode-light',
    vars: {
      'foreground': '#3b3b3b', 'editor-background': '#ffffff', 'editor-foreground': '#3b3b3b',
      'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', 'font-size': '13px', 'font-weight': 'normal',
      'editor-font-family': '"Droid Sans Mono", monospace', 'editor-font-size': '14px',
      'textLink-foreground': '#005fb8', 'focusBorder': '#005fb8', 'descriptionForeground': '#3b3b3b',
      'panel-border': '#e5e5e5', 'widget-border': '#e5e5e5', 'badge-background': '#cccccc', 'badge-foreground': '#3b3b3b',
      'testing-iconPassed': '#388a34', 'inputValidation-errorBackground': '#f2dede', 'inputValidation-errorBorder': '#be1100',
      'errorForeground': '#f85149', 'editorWarning-foreground': '#bf8803', 'button-background': '#005fb8', 'button-foreground': '#ffffff', 'button-hoverBackground': '#0258a8',
      'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b', 'button-secondaryHoverBackground': '#cccccc',
      'button-border': '#0000001a', 'input-background': '#ffffff', 'input-foreground': '#3b3b3b', 'input-border': '#cecece',
      'dropdown-background': '#ffffff', 'dropdown-foreground': '#3b3b3b', 'dropdown-border': '#cecece',
      'settings-dropdownBackground': '#ffffff', 'settings-dropdownForeground': '#3b3b3b', 'settings-dropdownBorder': '#cecece', 'settings-dropdownListBorder': '#c8c8c8',
      'checkbox-background': '#f8f8f8', 'checkbox-foreground': '#3b3b3b', 'checkbox-border': '#cecece', 'list-activeSelectionForeground': '#000000', 'list-focusOutline': '#005fb8', 'widget-shadow': '#00000029',
      'list-hoverBackground': '#f2f2f2', 'list-activeSelectionBackground': '#e8e8e8', 'charts-red': '#e51400',
      'charts-blue': '#1a85ff', 'charts-green': '#388a34', 'charts-yellow': '#bf8803', 'charts-orange': '#d18616', 'charts-purple': '#652d90',
    },
  },
  // Dark High Contrast: colours with borders, black background (issue 23: every panel in all three kinds).
  hc: {
    kind: 'vscode-high-contrast',
    vars: {
      'foreground': '#ffffff', 'editor-background': '#000000', 'editor-foreground': '#ffffff',
      'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', 'font-size': '13px', 'font-weight': 'normal',
      'editor-font-family': '"Droid Sans Mono", monospace', 'editor-font-size': '14px',
      'textLink-foreground': '#21a6ff', 'focusBorder': '#f38518', 'descriptionForeground': '#ffffff', 'contrastBorder': '#6fc3df',
      'panel-border': '#6fc3df', 'widget-border': '#6fc3df', 'badge-background': '#000000', 'badge-foreground': '#ffffff',
      'testing-iconPassed': '#73c991', 'inputValidation-errorBackground': '#000000', 'inputValidation-errorBorder': '#f48771',
      'errorForeground': '#f48771', 'editorWarning-foreground': '#ffd370', 'button-background': '#000000', 'button-foreground': '#ffffff', 'button-hoverBackground': '#000000',
      'button-secondaryBackground': '#000000', 'button-secondaryForeground': '#ffffff', 'button-secondaryHoverBackground': '#000000',
      'button-border': '#6fc3df', 'input-background': '#000000', 'input-foreground': '#ffffff', 'input-border': '#6fc3df',
      'dropdown-background': '#000000', 'dropdown-foreground': '#ffffff', 'dropdown-border': '#6fc3df',
      'settings-dropdownBackground': '#000000', 'settings-dropdownForeground': '#ffffff', 'settings-dropdownBorder': '#6fc3df', 'settings-dropdownListBorder': '#6fc3df',
      'checkbox-background': '#000000', 'checkbox-foreground': '#ffffff', 'checkbox-border': '#6fc3df', 'list-activeSelectionForeground': '#ffffff', 'list-focusOutline': '#f38518', 'widget-shadow': '#00000000',
      'list-hoverBackground': '#000000', 'list-activeSelectionBackground': '#000000', 'charts-red': '#f48771',
      'charts-blue': '#3794ff', 'charts-green': '#89d185', 'charts-yellow': '#ffd370', 'charts-orange': '#d18616', 'charts-purple': '#b180d7',
    },
  },
} as const;
export type Theme = keyof typeof THEMES;

function pageHtml(panel: string, theme: Theme): string {
  const nonce = randomBytes(16).toString('base64');
  const t = THEMES[theme];
  const vars = Object.entries(t.vars).map(([k, v]) => `--vscode-${k}: ${v};`).join(' ');
  const styles = [`/dist/webview/${panel}.css`, '/media/webview.css'].filter((u) => existsSync(join(root, u)));
  // The CSP of src/extension/webviewHtml.ts, with 'self' standing for webview.cspSource.
  const csp = ["default-src 'none'", "img-src 'self' data: blob:", `style-src 'self' 'nonce-${nonce}'`, "font-src 'self'", `script-src 'nonce-${nonce}'`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<style nonce="${nonce}">html { ${vars} }</style>
${styles.map((s) => `<link rel="stylesheet" href="${s}" nonce="${nonce}">`).join('\n')}
<script nonce="${nonce}">
  window.__posted = [];
  window.__csp = [];
  window.__state = undefined;
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || '')));
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => { window.__posted.push(JSON.parse(JSON.stringify(m))); },
    getState: () => window.__state,
    setState: (s) => { window.__state = s; return s; },
  });
</script>
<title>${panel}</title>
</head>
<body class="${t.kind}" data-vscode-theme-kind="${t.kind}">
<div id="app" data-panel="${panel}"></div>
<script nonce="${nonce}" src="/dist/webview/${panel}.js"></script>
</body>
</html>`;
}

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the panel page at /<panel>.html?theme=dark and files under dist/ and media/, on 127.0.0.1. */
export async function startServer(): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const page = /^\/([a-z0-9-]+)\.html$/.exec(url.pathname);
    if (page) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(pageHtml(page[1], (url.searchParams.get('theme') as Theme) || 'dark'));
      return;
    }
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '');
    const file = join(root, rel);
    // samples/ stands for the user's images that a panel may show (VS Code allows the image's folder).
    const allowed = ['dist', 'media', 'samples'].some((d) => file.startsWith(join(root, d) + sep));
    if (!allowed || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

/** The recorded host → webview messages of a panel: test/webview/recordings/<panel>.json. */
export function recording(panel: string): Array<Record<string, unknown>> {
  return JSON.parse(readFileSync(join(root, 'test', 'webview', 'recordings', `${panel}.json`), 'utf8'));
}

export function bundleExists(panel: string): boolean {
  return existsSync(join(root, 'dist', 'webview', `${panel}.js`));
}

export interface PanelPage {
  page: Page;
  /** Uncaught exceptions and console errors of the page. */
  errors: string[];
  /** Delivers host messages as VS Code does (a 'message' event whose data is the message). */
  send(...messages: unknown[]): Promise<void>;
  /** What the webview posted to the host so far. */
  posted(): Promise<Array<Record<string, unknown>>>;
  /** Content-Security-Policy violations so far. */
  cspViolations(): Promise<string[]>;
  screenshot(name?: string): Promise<string>;
  close(): Promise<void>;
}

export async function openPanel(browser: Browser, server: StaticServer, panel: string, opts: { theme?: Theme; width?: number; height?: number } = {}): Promise<PanelPage> {
  if (!bundleExists(panel)) throw new Error(`dist/webview/${panel}.js is missing: run \`node scripts/build.mjs\` first`);
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1000, height: opts.height ?? 700 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A failed load is reported below with its address.
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) errors.push(`console.error: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  await page.goto(`${server.url}/${panel}.html?theme=${opts.theme ?? 'dark'}`, { waitUntil: 'load' });
  return {
    page,
    errors,
    async send(...messages) {
      for (const m of messages) await page.evaluate((msg) => window.postMessage(msg, '*'), m);
      // Let the message events run and the DOM settle.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
    },
    posted: () => page.evaluate(() => (window as unknown as { __posted: Array<Record<string, unknown>> }).__posted),
    cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
    screenshot: (name = panel) => screenshotTo(page, 'webview', name),
    close: () => context.close(),
  };
}

/** Opens a page of `panel`, hands it to `use` and closes it, however `use` ends. */
export async function withPanel<T>(env: { browser: Browser; server: StaticServer }, panel: string, opts: { theme?: Theme; width?: number; height?: number }, use: (p: PanelPage) => Promise<T>): Promise<T> {
  const p = await openPanel(env.browser, env.server, panel, opts);
  try {
    return await use(p);
  } finally {
    await p.close();
  }
}

/** One Chromium and one static server per `describe` (registers its mocha hooks). */
export function browserSuite(): { readonly browser: Browser; readonly server: StaticServer } {
  let browser: Browser;
  let server: StaticServer;
  before(async function () {
    this.timeout(90_000);
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async function () {
    this.timeout(30_000);
    await closeBrowser(browser);
    await server?.close();
  });
  return {
    get browser() {
      return browser;
    },
    get server() {
      return server;
    },
  };
}

/** The usual suite: browserSuite plus a fresh page of `panel` per test (closed after it). Read `suite.panel` inside tests. */
export function panelSuite(panel: string, opts: { theme?: Theme; width?: number; height?: number } = {}, env = browserSuite()): { readonly panel: PanelPage } {
  let current: PanelPage | undefined;
  beforeEach(async () => (current = await openPanel(env.browser, env.server, panel, opts)));
  afterEach(async () => current?.close());
  return {
    get panel() {
      return current!;
    },
  };
}
