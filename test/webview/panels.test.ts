// Every panel that has a recording (test/webview/recordings/<panel>.json) renders it under the
// strict CSP, in the dark and the high-contrast-free light theme, with no script error, and draws
// something into #app. Panel-specific checks live in <panel>.test.ts; this catches the rest.
import * as assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './browser';
import { browserSuite, bundleExists, openPanel, recording } from './harness';

// Committed: a missing folder fails the load (no panel silently untested).
const recorded = readdirSync(join(root, 'test', 'webview', 'recordings')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();

describe('webview: every recorded panel', function () {
  const env = browserSuite();

  for (const panel of recorded) {
    it(`${panel}: its bundle is built and renders the recording without errors`, async function () {
      this.timeout(60_000);
      assert.ok(bundleExists(panel), `dist/webview/${panel}.js was not built (is webview/${panel}/main.ts there?)`);
      for (const theme of ['dark', 'light'] as const) {
        const p = await openPanel(env.browser, env.server, panel, { theme });
        try {
          await p.send(...recording(panel));
          const drawn = await p.page.evaluate(() => {
            const app = document.getElementById('app')!;
            return { children: app.childElementCount, text: app.innerText.trim().length, canvas: app.querySelectorAll('canvas, svg').length };
          });
          assert.ok(drawn.children > 0 && (drawn.text > 0 || drawn.canvas > 0), `${panel} (${theme}) drew nothing: ${JSON.stringify(drawn)}`);
          assert.deepEqual(await p.cspViolations(), [], `${panel} (${theme}) CSP violations`);
          assert.deepEqual(p.errors, [], `${panel} (${theme}) errors`);
          await p.screenshot(`all-${panel}-${theme}`);
        } finally {
          await p.close();
        }
      }
    });
  }
});
