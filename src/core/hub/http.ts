/**
 * The few HTTP calls the Hub client makes, on Node's own http/https (in the extension host
 * VS Code patches these modules, so its proxy settings apply). Redirects are followed by
 * hand so that the Authorization header goes to the Hub only, never to the CDN host a
 * download is redirected to.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { IncomingMessage } from 'node:http';

export interface Req {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  token?: string;
  signal?: AbortSignal;
  /** Follow redirects (HEAD on the resolve route does not: the Location is the download URL). */
  follow?: boolean;
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

function once(url: string, req: Req): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (req.signal?.aborted) return reject(new AbortError('aborted'));
    const u = new URL(url);
    const mod = u.protocol === 'http:' ? http : https;
    const headers: Record<string, string> = { 'user-agent': 'vit-inspector', 'accept-encoding': 'identity', ...req.headers };
    if (req.token) headers.authorization = `Bearer ${req.token}`;
    const r = mod.request(u, { method: req.method ?? 'GET', headers, signal: req.signal }, resolve);
    r.on('error', (e) => reject(req.signal?.aborted ? new AbortError('aborted') : e));
    r.end();
  });
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
