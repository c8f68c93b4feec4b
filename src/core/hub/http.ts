/**
 * The few HTTP calls the Hub client makes, on Node's own http/https (in the extension host
 * VS Code patches these modules, so its proxy settings apply). Redirects are followed by
 * hand so that the Authorization header goes to the Hub only, never to the CDN host a
 * download is redirected to. Where a proxy is given (the CLI: HTTPS_PROXY …), http:// URLs
 * are asked of it in absolute form and https:// ones tunnelled through it with CONNECT.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { UserError } from '../errors';
import type { ProxyFor } from './proxy';

export interface Req {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  token?: string;
  signal?: AbortSignal;
  /** Follow redirects (HEAD on the resolve route does not: the Location is the download URL). */
  follow?: boolean;
  /** The proxy for a URL (each redirect is looked up again: the CDN may be on the proxy's NO_PROXY list). */
  proxy?: ProxyFor;
}

export class AbortError extends Error {
  override readonly name = 'AbortError';
}

/** Sends one request; the Authorization header only to `url`'s own host (and to redirects staying on it). */
export async function send(url: string, req: Req = {}, hops = 0): Promise<{ res: IncomingMessage; url: string }> {
  const res = await once(url, req);
  const loc = res.headers.location;
  if (req.follow !== false && loc && res.statusCode && res.statusCode >= 300 && res.statusCode < 400) {
    res.resume();
    if (hops >= 10) throw new Error(`too many redirects from ${url}`);
    const next = new URL(loc, url);
    const sameHost = next.host === new URL(url).host;
    return send(next.toString(), { ...req, token: sameHost ? req.token : undefined }, hops + 1);
  }
  return { res, url };
}

// With a proxy, https:// requests get no agent (a createConnection instead): an agent, even agent: false, would connect directly.
function once(url: string, req: Req): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (req.signal?.aborted) return reject(new AbortError('aborted'));
    const u = new URL(url);
    const headers: Record<string, string> = { 'user-agent': 'vit-inspector', 'accept-encoding': 'identity', ...req.headers };
    if (req.token) headers.authorization = `Bearer ${req.token}`;
    const proxy = req.proxy?.(url);
    const opts = { method: req.method ?? 'GET', headers, signal: req.signal };
    let r: http.ClientRequest;
    if (!proxy) r = (u.protocol === 'http:' ? http : https).request(u, opts, resolve);
    else {
      const p = proxyUrl(proxy);
      const auth = proxyAuth(p);
      if (u.protocol === 'http:') r = http.request({ host: p.hostname, port: p.port || 80, path: u.href, ...opts, headers: { ...headers, host: u.host, ...auth } }, resolve);
      else r = https.request(u, { ...opts, createConnection: (_: unknown, done: (e: Error | null, s: Duplex) => void) => tunnel(p, u, auth, req.signal, done) }, resolve);
    }
    r.on('error', (e) => reject(req.signal?.aborted ? new AbortError('aborted') : e));
    r.end();
  });
}

function proxyUrl(proxy: string): URL {
  let p: URL;
  try {
    p = new URL(proxy);
  } catch {
    throw new UserError(`The proxy "${proxy}" is not a URL: write it as http://host:port (HTTPS_PROXY, HTTP_PROXY).`);
  }
  if (p.protocol !== 'http:') throw new UserError(`The proxy ${p.protocol}//${p.host} is not an http:// proxy; only http:// proxies are supported (HTTPS_PROXY, HTTP_PROXY). SOCKS and https:// proxies are not.`);
  return p;
}

function proxyAuth(p: URL): Record<string, string> {
  if (!p.username && !p.password) return {};
  return { 'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`).toString('base64')}` };
}

/** A TLS connection to `target` through the proxy's CONNECT tunnel (as requests/urllib3 make one). */
function tunnel(p: URL, target: URL, auth: Record<string, string>, signal: AbortSignal | undefined, done: (e: Error | null, s: Duplex) => void): undefined {
  const authority = `${target.hostname}:${target.port || 443}`;
  const c = http.request({ host: p.hostname, port: p.port || 80, method: 'CONNECT', path: authority, headers: { host: authority, ...auth }, signal });
  c.once('connect', (res: IncomingMessage, socket: Socket) => {
    if (res.statusCode !== 200) {
      socket.destroy();
      return done(new UserError(`The proxy ${p.host} refused to connect to ${target.host} (${res.statusCode}${res.statusCode === 407 ? ': it asks for credentials; put them in the proxy URL, http://user:password@host:port' : ''}).`), socket);
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    done(null, tls.connect({ socket, host, ...(isIP(host) ? {} : { servername: host }) }));
  });
  c.once('error', (e) => done(e, c.socket as Duplex));
  c.end();
  return undefined;
}

export async function readBody(res: IncomingMessage, limit = 8 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    n += (c as Buffer).length;
    if (n > limit) throw new Error('response too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
