/**
 * A local stand-in for the Hugging Face Hub (127.0.0.1 only): the API route, the resolve
 * route with the Hub's headers, a 302 for LFS files to a second port playing the CDN, Range
 * requests there, and faults on demand. Tests never reach the internet.
 */
import { createHash } from 'node:crypto';
import { createServer, request, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface RepoSpec {
  repo: string;
  commit: string;
  /** Branches and tags → commit (main → commit by default). */
  refs?: Record<string, string>;
  files: Record<string, Buffer>;
}

export interface Faults {
  /** Every Hub request (API and resolve) answers this status. */
  status?: { code: number; headers?: Record<string, string> };
  /** Required bearer token; without it 401 (GatedRepo), with another 401 too. */
  token?: string;
  /** The CDN sends this many bytes of the file, then drops the connection, `times` times. */
  drop?: { path: string; after: number; times: number };
  /** The CDN serves the file with one byte changed. */
  corrupt?: string;
  /** The CDN answers this status (with these headers) `times` times, then serves again. */
  cdnStatus?: { code: number; headers?: Record<string, string>; times: number };
  /** The CDN waits this long between 64 KiB chunks (for cancel tests). */
  slowMs?: number;
}

export interface Logged {
  server: 'hub' | 'cdn';
  method: string;
  url: string;
  authorization?: string;
  range?: string;
  /** When the request arrived (Date.now()). */
  at: number;
}

/** Digests hashed once per body, as the Hub keeps them: a 100 MB hash per request (the sha1 ETag of every resolve call took ~85 ms) was charged to the download bench's pull(). */
const memo = (f: (b: Buffer) => string): ((b: Buffer) => string) => {
  const seen = new WeakMap<Buffer, string>();
  return (b) => {
    let d = seen.get(b);
    if (d === undefined) seen.set(b, (d = f(b)));
    return d;
  };
};
const sha256 = memo((b) => createHash('sha256').update(b).digest('hex'));
/** The git blob id the Hub gives as ETag of a regular (non-LFS) file. */
const gitSha1 = memo((b) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex'));
/** Weights go through LFS, as on the Hub; configs are regular files. */
export const isLfs = (path: string): boolean => /\.(onnx|onnx_data|safetensors|bin)$/.test(path);

export interface Standin {
  endpoint: string;
  cdn: string;
  faults: Faults;
  log: Logged[];
  close(): Promise<void>;
}

export interface StandinOptions {
  /** Serve both hosts over TLS with this certificate (test/fixtures/tls). */
  tls?: { key: Buffer; cert: Buffer };
  /** The host name the 302 sends downloads to (reached through a stand-in proxy) instead of 127.0.0.1. */
  cdnHost?: string;
}

export async function startStandin(repos: RepoSpec[], opts: StandinOptions = {}): Promise<Standin> {
  const log: Logged[] = [];
  const faults: Faults = {};
  const byRepo = new Map(repos.map((r) => [r.repo, r]));
  const blobs = new Map<string, { repo: RepoSpec; path: string }>();
  for (const r of repos) for (const [p, b] of Object.entries(r.files)) if (isLfs(p)) blobs.set(sha256(b), { repo: r, path: p });
  const record = (server: Logged['server'], req: IncomingMessage): void =>
    void log.push({ server, method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, range: req.headers.range, at: Date.now() });

  const serve = (handler: RequestListener): Server => (opts.tls ? createTlsServer(opts.tls, handler) : createServer(handler));
  const cdnServer = serve((req, res) => {
    record('cdn', req);
    const m = /^\/blob\/([0-9a-f]{64})$/.exec((req.url ?? '').replace(/\?.*$/, ''));
    const hit = m && blobs.get(m[1]);
    if (!hit) return void res.writeHead(404).end();
    const st = faults.cdnStatus;
    if (st && st.times > 0) {
      st.times--;
      return void res.writeHead(st.code, st.headers ?? {}).end();
    }
    let body = hit.repo.files[hit.path];
    if (faults.corrupt === hit.path) {
      body = Buffer.from(body);
      body[body.length >> 1] ^= 0xff;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) start = Number(range[1]);
    res.writeHead(range ? 206 : 200, { 'content-length': String(body.length - start), 'accept-ranges': 'bytes', ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
    const part = body.subarray(start);
    const drop = faults.drop;
    if (drop && drop.path === hit.path && drop.times > 0 && part.length > drop.after) {
      drop.times--;
      res.write(part.subarray(0, drop.after), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if (faults.slowMs) return void slowly(res, part, faults.slowMs);
    res.end(part);
  });

  const hubServer = serve((req, res) => {
    record('hub', req);
    const url = new URL(req.url ?? '/', 'http://x');
    if (faults.status) return void res.writeHead(faults.status.code, faults.status.headers ?? {}).end();
    if (faults.token !== undefined && req.headers.authorization !== `Bearer ${faults.token}`)
      return void res.writeHead(401, { 'x-error-code': 'GatedRepo', 'x-error-message': 'Access to this repo is restricted.' }).end();
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repo = byRepo.get((api ?? resolve)?.[1] ?? '');
    if (!repo) return void res.writeHead(404, { 'x-error-code': 'RepoNotFound' }).end();
    const rev = decodeURIComponent((api ?? resolve)![2]);
    const refs: Record<string, string> = { main: repo.commit, ...repo.refs };
    const commit = Object.values(refs).includes(rev) ? rev : refs[rev];
    if (!commit) return void res.writeHead(404, { 'x-error-code': 'RevisionNotFound' }).end();
    if (api) {
      const siblings = Object.entries(repo.files).map(([p, b]) => ({ rfilename: p, size: b.length, ...(isLfs(p) ? { lfs: { sha256: sha256(b), size: b.length } } : {}) }));
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: repo.repo, sha: commit, siblings }));
    }
    const path = decodeURIComponent(resolve![3]);
    const body = repo.files[path];
    if (!body) return void res.writeHead(404, { 'x-error-code': 'EntryNotFound', 'x-repo-commit': commit }).end();
    if (isLfs(path)) {
      const sha = sha256(body);
      return void res
        .writeHead(302, { location: `${cdnOrigin}/blob/${sha}?signed=1`, 'x-repo-commit': commit, etag: `"${gitSha1(body)}"`, 'x-linked-etag': `"${sha}"`, 'x-linked-size': String(body.length), 'content-length': '0' })
        .end();
    }
    res.writeHead(200, { 'x-repo-commit': commit, etag: `"${gitSha1(body)}"`, 'content-length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });

  const scheme = opts.tls ? 'https' : 'http';
  const listen = (s: Server): Promise<string> => new Promise((r) => s.listen(0, '127.0.0.1', () => r(`${scheme}://127.0.0.1:${(s.address() as AddressInfo).port}`)));
  const cdn = await listen(cdnServer);
  const cdnOrigin = opts.cdnHost ? `${scheme}://${opts.cdnHost}:${new URL(cdn).port}` : cdn;
  const endpoint = await listen(hubServer);
  const close = async (): Promise<void> => {
    for (const s of [hubServer, cdnServer]) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  };
  return { endpoint, cdn, faults, log, close };
}

function slowly(res: ServerResponse, body: Buffer, ms: number): void {
  let at = 0;
  const next = (): void => {
    if (res.destroyed) return;
    const chunk = body.subarray(at, at + 65536);
    at += chunk.length;
    if (at >= body.length) return void res.end(chunk);
    res.write(chunk);
    setTimeout(next, ms);
  };
  next();
}

export interface ProxyLogged {
  /** "CONNECT" for a tunnel, else the method of a request in absolute form. */
  method: string;
  /** host:port for CONNECT, the absolute URL otherwise. */
  target: string;
  proxyAuthorization?: string;
}

export interface StandinProxy {
  url: string;
  log: ProxyLogged[];
  close(): Promise<void>;
}

/**
 * A forwarding proxy on 127.0.0.1 as corporate networks have: requests in absolute form
 * (http://) and CONNECT tunnels (https://). `routes` maps host names only it can reach to
 * 127.0.0.1 ports, so a download that does not go through it fails; other hosts are refused.
 */
export async function startProxy(routes: Record<string, number>, opts: { requireAuth?: string } = {}): Promise<StandinProxy> {
  const log: ProxyLogged[] = [];
  const sockets = new Set<Socket>();
  const route = (host: string): number | undefined => routes[host.toLowerCase()];
  const denied = (auth: string | undefined): boolean => opts.requireAuth !== undefined && auth !== `Basic ${Buffer.from(opts.requireAuth).toString('base64')}`;
  const server = createServer((req, res) => {
    const auth = req.headers['proxy-authorization'];
    log.push({ method: req.method ?? '', target: req.url ?? '', proxyAuthorization: auth });
    if (denied(auth)) return void res.writeHead(407, { 'proxy-authenticate': 'Basic realm="standin"' }).end();
    let u: URL;
    try {
      u = new URL(req.url ?? '');
    } catch {
      return void res.writeHead(400).end('absolute-form requests only');
    }
    const port = route(u.hostname);
    if (port === undefined) return void res.writeHead(502).end(`no route to ${u.hostname}`);
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const up = request({ host: '127.0.0.1', port, method: req.method, path: `${u.pathname}${u.search}`, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
      r.on('aborted', () => res.destroy());
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const auth = req.headers['proxy-authorization'];
    log.push({ method: 'CONNECT', target: req.url ?? '', proxyAuthorization: auth });
    sockets.add(client);
    if (denied(auth)) return void client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="standin"\r\n\r\n');
    const port = route((req.url ?? '').replace(/:\d+$/, ''));
    if (port === undefined) return void client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    const up = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up);
    const end = (): void => {
      up.destroy();
      client.destroy();
    };
    up.on('error', end);
    client.on('error', end);
    up.on('close', end);
    client.on('close', end);
  });
  const url = await new Promise<string>((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return { url, log, close };
}

export { sha256, gitSha1 };
