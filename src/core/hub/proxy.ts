/**
 * The proxy a download goes through, for the CLI: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY and NO_PROXY,
 * read as Python's requests (which huggingface_hub uses) reads them. In VS Code nothing here is
 * used: the extension host's http/https are VS Code's, patched to apply `http.proxy`,
 * `http.noProxy` and `http.proxySupport` to every request.
 */
import type { Env } from './cache';

/** Which proxy to use for one URL, or undefined for a direct connection. */
export type ProxyFor = (url: string) => string | undefined;

const pick = (env: Env, name: string): string | undefined => (env[name.toLowerCase()] ?? env[name.toUpperCase()])?.trim() || undefined;

/** requests' get_environ_proxies: the scheme's own variable, else ALL_PROXY; NO_PROXY hosts go direct. */
export function envProxy(env: Env = process.env): ProxyFor {
  return (url: string) => {
    const u = new URL(url);
    const proxy = pick(env, `${u.protocol.slice(0, -1)}_proxy`) ?? pick(env, 'all_proxy');
    if (!proxy || bypassed(u, pick(env, 'no_proxy'))) return undefined;
    // "proxy:3128" without a scheme means http://, as in requests.
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
  };
}

/** NO_PROXY: `*`, or a comma list of host names (a suffix match: `example.com` and `.example.com` cover sub.example.com), IPs, each with an optional :port. */
function bypassed(u: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return noProxy.split(/[,\s]+/).some((raw) => {
    const entry = raw.trim().toLowerCase();
    if (!entry) return false;
    if (entry === '*') return true;
    let name = entry;
    let p: string | undefined;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) [name, p] = [bracketed[1], bracketed[2]];
    else if (entry.split(':').length === 2) [name, p] = entry.split(':') as [string, string];
    name = name.replace(/^\*?\./, '');
    if (p && p !== port) return false;
    return host === name || host.endsWith(`.${name}`);
  });
}
