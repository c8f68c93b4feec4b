// Downloads through a proxy (the CLI: HTTP_PROXY / HTTPS_PROXY / NO_PROXY as Python's requests reads
// them) against the stand-in Hub, whose host names only the stand-in proxy can reach.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pull, type HubOptions } from '../../../src/core/hub/client';
import { envProxy } from '../../../src/core/hub/proxy';
import { startProxy, startStandin, type Standin, type StandinProxy } from './standin';

const COMMIT = 'd'.repeat(40);
const weights = randomBytes(300_000);
const files = { 'config.json': Buffer.from(JSON.stringify({ model_type: 'vit' })), 'onnx/model.onnx': weights };

describe('envProxy: the proxy for a URL from the environment, as requests reads it', () => {
  it('the scheme\'s variable (either case), else ALL_PROXY; NO_PROXY by host suffix, IP, port, *', () => {
    const p = (env: Record<string, string>, url: string): string | undefined => envProxy(env)(url);
    assert.equal(p({ HTTPS_PROXY: 'http://proxy:3128' }, 'https://huggingface.co/api'), 'http://proxy:3128');
    assert.equal(p({ https_proxy: 'proxy:3128' }, 'https://huggingface.co/api'), 'http://proxy:3128');
    assert.equal(p({ HTTPS_PROXY: 'http://proxy:3128' }, 'http://mirror.local/api'), undefined);
    assert.equal(p({ HTTP_PROXY: 'http://p1:1', ALL_PROXY: 'http://p2:2' }, 'https://huggingface.co/'), 'http://p2:2');
    assert.equal(p({}, 'https://huggingface.co/'), undefined);
    const env = { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'localhost, .corp.example,hf.co:443,10.0.0.7,[::1]:8443' };
    for (const [url, want] of [
      ['https://huggingface.co/x', 'http://proxy:3128'],
      ['https://localhost/x', undefined],
      ['https://mirror.corp.example/x', undefined],
      ['https://corp.example/x', undefined],
      ['https://notcorp.example/x', 'http://proxy:3128'],
      ['https://cdn.hf.co/x', undefined],
      ['https://hf.co:8443/x', 'http://proxy:3128'],
      ['https://10.0.0.7/x', undefined],
      ['https://[::1]:8443/x', undefined],
      ['https://[::1]/x', 'http://proxy:3128'],
    ] as const) assert.equal(p(env, url), want, url);
    assert.equal(p({ HTTPS_PROXY: 'http://proxy:3128', no_proxy: '*' }, 'https://huggingface.co/'), undefined);
  });
});

describe('Hub downloads through a forwarding proxy (http:// in absolute form)', function () {
  this.timeout(60_000);
  let hub: Standin;
  let proxy: StandinProxy;
  let opts: HubOptions;
  before(async () => {
    hub = await startStandin([{ repo: 'acme/vit-tiny', commit: COMMIT, files }], { cdnHost: 'cdn.invalid' });
    const port = (u: string): number => Number(new URL(u).port);
    proxy = await startProxy({ 'hub.invalid': port(hub.endpoint), 'cdn.invalid': port(hub.cdn) }, { requireAuth: 'alice:s3cr:t' });
  });
  after(async () => {
    await proxy?.close();
    await hub?.close();
  });
  beforeEach(() => {
    hub.log.length = 0;
    proxy.log.length = 0;
    delete hub.faults.token;
    opts = { cacheDir: mkdtempSync(join(tmpdir(), 'vit-proxy-')), endpoint: `http://hub.invalid:${new URL(hub.endpoint).port}`, env: {} };
  });

  it('the API, the resolve route and the CDN after the 302 all go through it, with its credentials; the Hub token still never reaches the CDN', async () => {
    hub.faults.token = 'hf_secret';
    const url = new URL(proxy.url);
    url.username = 'alice';
    url.password = 's3cr:t';
    const r = await pull('acme/vit-tiny', { ...opts, token: 'hf_secret', proxy: envProxy({ HTTP_PROXY: url.toString() }) });
    assert.ok(readFileSync(r.weights).equals(weights));
    const hubPort = new URL(hub.endpoint).port;
    const seen = proxy.log.map((l) => `${l.method} ${l.target.replace(/\?.*$/, '')}`);
    assert.deepEqual(seen, [
      `GET http://hub.invalid:${hubPort}/api/models/acme/vit-tiny/revision/main`,
      `HEAD http://hub.invalid:${hubPort}/acme/vit-tiny/resolve/${COMMIT}/config.json`,
      `HEAD http://hub.invalid:${hubPort}/acme/vit-tiny/resolve/${COMMIT}/onnx/model.onnx`,
      `GET http://hub.invalid:${hubPort}/acme/vit-tiny/resolve/${COMMIT}/config.json`,
      `GET http://cdn.invalid:${new URL(hub.cdn).port}/blob/${hub.log.find((l) => l.server === 'cdn')?.url.replace(/^\/blob\/|\?.*$/g, '')}`,
    ]);
    assert.ok(proxy.log.every((l) => l.proxyAuthorization === `Basic ${Buffer.from('alice:s3cr:t').toString('base64')}`));
    assert.deepEqual(hub.log.filter((l) => l.server === 'cdn').map((l) => l.authorization), [undefined]);
  });

  it('a proxy that asks for credentials (407) and one that cannot be reached are clear messages', async () => {
    await assert.rejects(pull('acme/vit-tiny', { ...opts, proxy: envProxy({ HTTP_PROXY: proxy.url }) }), (e: Error) => e.name === 'UserError' && /proxy asks for credentials \(407\).*http:\/\/user:password@host:port/.test(e.message));
    await assert.rejects(pull('acme/vit-tiny', { ...opts, proxy: envProxy({ HTTP_PROXY: 'http://127.0.0.1:9' }) }), (e: Error) => e.name === 'UserError' && /Cannot reach the Hub .*ECONNREFUSED 127\.0\.0\.1:9/.test(e.message));
    await assert.rejects(pull('acme/vit-tiny', { ...opts, proxy: envProxy({ HTTP_PROXY: 'socks5://127.0.0.1:1080' }) }), (e: Error) => e.name === 'UserError' && /only http:\/\/ proxies are supported/.test(e.message));
  });
});
