#!/usr/bin/env node
// Helper of make_hf_cache_fixture.py (tools only, never used by tests): serves repos with the
// tests' stand-in Hub (test/unit/hub/standin.ts, built into out/ by `node scripts/build.mjs --tests`)
// so that Python's huggingface_hub can download from it.
//   node tools/hub_standin.cjs SPEC.json   SPEC: [{repo, commit, refs?: {name: commit}, files: {repoPath: localPath}}]
// Prints {"endpoint": …} on one line, serves until stdin closes.
const fs = require('fs');
const path = require('path');
const { startStandin } = require(path.join(__dirname, '..', 'out', 'test', 'unit', 'hub', 'standin.js'));

(async () => {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const repos = spec.map((r) => ({ ...r, files: Object.fromEntries(Object.entries(r.files).map(([p, local]) => [p, fs.readFileSync(local)])) }));
  // The CDN under another host name than the Hub's 127.0.0.1: huggingface_hub follows a redirect to the same host name (any port).
  const hub = await startStandin(repos, { cdnHost: 'localhost' });
  process.stdout.write(JSON.stringify({ endpoint: hub.endpoint }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => hub.close().then(() => process.exit(0)));
})();
