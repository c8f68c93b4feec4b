// Runs inside VS Code's extension host (loaded by @vscode/test-electron through
// --extensionTestsPath): mocha over the *.test.js files beside this one. Writes the counts to
// $VIT_INTEGRATION_RESULTS so scripts/test.mjs can add them to the other suites'.
import Mocha from 'mocha';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  for (const f of readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) mocha.addFile(join(__dirname, f));
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const s = runner.stats;
      const results = process.env.VIT_INTEGRATION_RESULTS;
      if (results) writeFileSync(results, JSON.stringify({ passed: s?.passes ?? 0, failed: s?.failures ?? failures, pending: s?.pending ?? 0 }));
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
  });
}
