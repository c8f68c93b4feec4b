/**
 * The download client: lists a repo at a revision through the Hub API, fetches only the files
 * the model needs through the resolve route into the cache (core/hub/cache.ts), and says what
 * went wrong in the user's terms. Every LFS file's sha256 is checked against X-Linked-Etag
 * before it enters the snapshot; a dropped connection is resumed with a Range request.
 */
import { createWriteStream, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { UserError } from '../errors';
import { blobPath, cachedSnapshot, cacheRoot, commitBlob, hfHome, inSnapshot, linkIntoSnapshot, normalizeEtag, parseRepoRef, snapshotFiles, withBlobLock, writeRef, COMMIT_RE, type Env, type RepoRef } from './cache';
import { batchBuffer, hashFile, type FileHash } from './hasher';
import { AbortError, readBody, send } from './http';
import type { ProxyFor } from './proxy';
import { selectFiles, type RepoFile, type Selection } from './variants';

export interface Progress {
  file: string;
  /** Bytes of the files being fetched that are on disk now, of `total`. */
  bytes: number;
  total: number;
  /** Bytes per second since the start of this pull. */
  rate: number;
  /** Seconds left at that rate, or null before a rate is known. */
  etaSeconds: number | null;
}

export interface HubOptions {
  /** Overrides $HF_HUB_CACHE / $HF_HOME/hub (the vitInspector.hfCache setting). */
  cacheDir?: string;
  endpoint?: string;
  /** A token that wins over every other (tests, callers that asked for one). */
  token?: string;
  /** The token kept in VS Code's SecretStorage: used when neither $HF_TOKEN nor the token file gives one. */
  storedToken?: string;
  offline?: boolean;
  env?: Env;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** The proxy for each URL (the CLI: envProxy(), HTTPS_PROXY …); none in VS Code, whose own patch of http/https applies http.proxy. */
  proxy?: ProxyFor;
  /** Attempts per file after a dropped connection (default 5). */
  retries?: number;
  /** An ONNX variant (fp32, fp16, quantized, int8, uint8, q4, …) or "safetensors". */
  variant?: string;
}

export interface PulledFile {
  path: string;
  size: number;
  sha256?: string;
}

export interface PullResult {
  repo: string;
  revision: string;
  commit: string;
  /** The snapshot folder. */
  path: string;
  /** The file a model path should point at in the snapshot. */
  weights: string;
  format: Selection['format'];
  variant?: string;
  files: PulledFile[];
  /** The network could not be reached and the cache had everything: said here, not thrown. */
  warning?: string;
}

export interface RepoListing {
  commit: string;
  files: (RepoFile & { sha256?: string })[];
}

export const endpointOf = (o: HubOptions): string => (o.endpoint ?? (o.env ?? process.env).HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');

export function isOffline(o: HubOptions): boolean {
  if (o.offline !== undefined) return o.offline;
  return /^(1|on|yes|true)$/i.test((o.env ?? process.env).HF_HUB_OFFLINE ?? '');
}

/**
 * The token and where it came from, in huggingface_hub's order — $HF_TOKEN, else the file
 * `huggingface-cli login` writes ($HF_TOKEN_PATH or $HF_HOME/token) — then the one kept by
 * "Hugging Face: Set Access Token" (VS Code's SecretStorage), so what Python uses wins in VS Code too.
 */
export function tokenSource(o: HubOptions): { value: string; from: string } | undefined {
  const env = o.env ?? process.env;
  if (o.token) return { value: o.token, from: 'the token given' };
  if (env.HF_TOKEN?.trim()) return { value: env.HF_TOKEN.trim(), from: 'HF_TOKEN' };
  const file = env.HF_TOKEN_PATH ?? join(hfHome(env), 'token');
  try {
    const t = readFileSync(file, 'utf8').trim();
    if (t) return { value: t, from: file };
  } catch {
    /* no token file */
  }
  if (o.storedToken?.trim()) return { value: o.storedToken.trim(), from: 'the token saved by "Hugging Face: Set Access Token"' };
  return undefined;
}

export const tokenOf = (o: HubOptions): string | undefined => tokenSource(o)?.value;

const TOKEN_HOWTO = 'Set HF_TOKEN, run `huggingface-cli login` (it writes $HF_HOME/token), or in VS Code run "Hugging Face: Set Access Token"';

/** A non-2xx answer from the Hub as a UserError the user can act on. */
/** `tokenFrom`: where the token sent came from (tokenSource), undefined when none was sent. */
export function hubError(res: IncomingMessage, what: string, repo: string, endpoint: string, tokenFrom: string | undefined, revision = what): UserError {
  const hadToken = tokenFrom !== undefined;
  const status = res.statusCode ?? 0;
  const code = String(res.headers['x-error-code'] ?? '');
  const detail = String(res.headers['x-error-message'] ?? '');
  if (status === 404 || code === 'RepoNotFound' || code === 'EntryNotFound' || code === 'RevisionNotFound') {
    if (code === 'EntryNotFound') return new UserError(`${what} is not in ${repo} on ${endpoint}.`, detail);
    if (code === 'RevisionNotFound') return new UserError(`${repo} has no such revision: ${revision}. Give a branch, a tag or a commit that exists.`, detail);
    if (status === 404 && code !== 'RepoNotFound') return new UserError(`${what} was not found in ${repo} on ${endpoint} (404).`, detail);
    return new UserError(`The repo ${repo} was not found on ${endpoint}. Check the id (org/name)${hadToken ? '' : `; if it is private, ${TOKEN_HOWTO}`}.`, detail);
  }
  if (status === 401)
    return new UserError(hadToken ? `The Hub refused the access token for ${repo} (401; the token from ${tokenFrom}): it is invalid or expired. Make a new one at ${endpoint}/settings/tokens. ${TOKEN_HOWTO}.` : `${repo} needs an access token (401: gated or private). ${TOKEN_HOWTO}.`, detail);
  if (status === 407)
    return new UserError(`The proxy asks for credentials (407) while fetching ${what} of ${repo}: put them in the proxy URL (http://user:password@host:port) in HTTPS_PROXY / HTTP_PROXY, or in VS Code set http.proxyAuthorization.`, detail);
  if (status === 403)
    return new UserError(`Access to ${repo} is forbidden (403): the repo is gated and your account has not been granted access, or the token lacks read permission. Accept its conditions at ${endpoint}/${repo}, then try again.`, detail);
  if (status === 429) {
    return new UserError(`The Hub is rate-limiting requests (429). Try again ${retryWhen(res)}${hadToken ? '' : `; a token raises the limit (${TOKEN_HOWTO})`}.`, detail);
  }
  if (status >= 500) return new UserError(`The Hub at ${endpoint} failed (${status}) while fetching ${what}. It is a problem on the server side: try again later.`, detail);
  return new UserError(`The Hub answered ${status} for ${what} of ${repo}.`, detail);
}

/** "in 30 s (after 12:34:56 UTC)" from Retry-After (seconds or an HTTP date), else "in a few minutes". */
function retryWhen(res: IncomingMessage): string {
  const after = retryAfter(res.headers['retry-after']);
  return after === null ? 'in a few minutes' : `in ${after} s (after ${new Date(Date.now() + after * 1000).toISOString().slice(11, 19)} UTC)`;
}

function retryAfter(v: string | string[] | undefined): number | null {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return null;
  if (/^\d+$/.test(s.trim())) return Number(s.trim());
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : Math.max(0, Math.round((t - Date.now()) / 1000));
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);
const isNetworkError = (e: unknown): boolean => !!e && NETWORK_CODES.has((e as NodeJS.ErrnoException).code ?? '');

function unreachable(endpoint: string, e: unknown, cached: boolean): UserError {
  return new UserError(`Cannot reach the Hub at ${endpoint} (${(e as Error).message})${cached ? '' : ' and the model is not in the Hugging Face cache'}. Check the network or HF_ENDPOINT; to work from the cache only, set HF_HUB_OFFLINE=1.`);
}

/** Node's codes for a certificate it cannot verify (a proxy that inspects HTTPS presents its own). */
const isTlsError = (e: unknown): boolean => /^(?:CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|ERR_TLS_CERT_ALTNAME_INVALID)/.test((e as NodeJS.ErrnoException)?.code ?? '');

const untrusted = (e: unknown): UserError =>
  new UserError(`The Hub's TLS certificate could not be verified (${(e as Error).message}). A proxy that inspects HTTPS presents its own certificate: give its CA to Node with NODE_EXTRA_CA_CERTS=/path/to/ca.pem (in VS Code, http.systemCertificates uses the system's store).`);

/** The repo's files and sizes at a revision (`/api/models/{repo}/revision/{rev}`), and the commit it is at. */
export async function listRepo(ref: RepoRef, o: HubOptions = {}): Promise<RepoListing> {
  const endpoint = endpointOf(o);
  const src = tokenSource(o);
  const token = src?.value;
  const url = `${endpoint}/api/models/${ref.repo}/revision/${encodeURIComponent(ref.revision)}?blobs=true`;
  const { res } = await send(url, { token, signal: o.signal, proxy: o.proxy });
  if (res.statusCode !== 200) {
    res.resume();
    throw hubError(res, ref.revision, ref.repo, endpoint, src?.from);
  }
  const info = JSON.parse(await readBody(res)) as { sha?: string; siblings?: { rfilename: string; size?: number; lfs?: { sha256?: string; size?: number } }[] };
  if (!info.sha || !COMMIT_RE.test(info.sha) || !Array.isArray(info.siblings)) throw new UserError(`${endpoint} did not answer like the Hugging Face Hub for ${ref.repo} (no commit or file list). Check HF_ENDPOINT.`);
  return { commit: info.sha, files: info.siblings.map((s) => ({ path: s.rfilename, size: s.lfs?.size ?? s.size, sha256: s.lfs?.sha256 })) };
}

/** listRepo for someone about to choose what to download (Download Model…): offline, unreachable and cancelled as UserErrors. */
export async function listForDownload(ref: RepoRef, o: HubOptions = {}): Promise<RepoListing> {
  if (isOffline(o)) throw offlineNoDownload();
  try {
    return await listRepo(ref, o);
  } catch (e) {
    if (o.signal?.aborted || e instanceof AbortError) throw new UserError('Download cancelled.');
    if (isNetworkError(e)) throw unreachable(endpointOf(o), e, true);
    if (isTlsError(e)) throw untrusted(e);
    throw e;
  }
}

export const offlineNoDownload = (): UserError =>
  new UserError('HF_HUB_OFFLINE is set, so nothing is downloaded: the models already in the Hugging Face cache are listed in Select Model. Unset HF_HUB_OFFLINE to download.');

/** What the resolve route says about one file (get_hf_file_metadata). */
interface FileMeta {
  commit: string;
  etag: string;
  size: number;
  /** The URL the bytes come from: the CDN's for LFS files. */
  location: string;
  lfs: boolean;
  /** The bytes come from the Hub's own host, so the token goes with them (never to a CDN). */
  onHub: boolean;
}

async function fileMeta(ref: RepoRef, file: string, o: HubOptions): Promise<FileMeta> {
  const endpoint = endpointOf(o);
  const src = tokenSource(o);
  const token = src?.value;
  const url = `${endpoint}/${ref.repo}/resolve/${encodeURIComponent(ref.revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
  // Redirects on the Hub's own host (a renamed repo) are followed; the one to the CDN is not: its Location is where to download.
  let cur = url;
  for (let hop = 0; ; hop++) {
    const { res } = await send(cur, { method: 'HEAD', token, signal: o.signal, follow: false, proxy: o.proxy });
    res.resume();
    const loc = res.headers.location;
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && loc && new URL(loc, cur).host === new URL(cur).host && !res.headers['x-linked-etag'] && hop < 5) {
      cur = new URL(loc, cur).toString();
      continue;
    }
    if (status >= 400) throw hubError(res, file, ref.repo, endpoint, src?.from, ref.revision);
    const h = res.headers;
    const commit = String(h['x-repo-commit'] ?? '');
    const linked = normalizeEtag(h['x-linked-etag'] as string | undefined);
    const etag = linked ?? normalizeEtag(h.etag as string | undefined);
    const size = Number(h['x-linked-size'] ?? h['content-length']);
    if (!COMMIT_RE.test(commit) || !etag || !Number.isFinite(size))
      throw new UserError(`${endpoint} gave no X-Repo-Commit / ETag / size for ${file} of ${ref.repo}: it does not behave like the Hugging Face Hub. Check HF_ENDPOINT.`);
    const location = loc ? new URL(loc, cur).toString() : cur;
    return { commit, etag, size, location, lfs: !!linked, onHub: new URL(location).host === new URL(endpoint).host };
  }
}

/**
 * Pulls `spec` (org/name[@revision]) into the cache: configs and the chosen weights only.
 * HF_HUB_OFFLINE=1 answers from the cache alone.
 */
export async function pull(spec: string, o: HubOptions = {}): Promise<PullResult> {
  const ref = parseRepoRef(spec);
  const root = cacheRoot(o.cacheDir, o.env);
  const endpoint = endpointOf(o);
  if (isOffline(o)) return fromCache(root, ref, o, `HF_HUB_OFFLINE is set, so the Hub is not asked`);
  let listing: RepoListing;
  try {
    listing = await listRepo(ref, o);
  } catch (e) {
    if (o.signal?.aborted || e instanceof AbortError) throw cancelled();
    if (isTlsError(e)) throw untrusted(e);
    if (!isNetworkError(e)) throw e;
    const cached = tryFromCache(root, ref, o);
    if (cached) return { ...cached, warning: `${unreachable(endpoint, e, true).message} Using the cached snapshot.` };
    throw unreachable(endpoint, e, false);
  }
  const sel = selectFiles(ref.repo, listing.files, o.variant);
  // The API's commit pins every resolve call, so a push during the download cannot mix revisions.
  const pinned: RepoRef = { repo: ref.repo, revision: listing.commit };
  const metas: FileMeta[] = [];
  for (const f of sel.files) metas.push(await fileMeta(pinned, f.path, o).catch((e) => rethrow(e, endpoint, o)));
  const total = metas.reduce((s, m) => s + m.size, 0);
  const started = Date.now();
  let done = 0;
  let reported = 0;
  const out: PulledFile[] = [];
  const fetched: boolean[] = [];
  for (let i = 0; i < sel.files.length; i++) {
    const file = sel.files[i].path;
    const m = metas[i];
    const base = done;
    // At most ~10 a second (a notification or a terminal line each), and always at the end of a file.
    const report = (have: number, last = false): void => {
      if (!o.onProgress) return;
      const now = Date.now();
      if (!last && now - reported < 100) return;
      reported = now;
      const bytes = base + have;
      const secs = (now - started) / 1000;
      const rate = secs > 0 ? bytes / secs : 0;
      o.onProgress({ file, bytes, total, rate, etaSeconds: rate > 0 ? (total - bytes) / rate : null });
    };
    // In the snapshot already (huggingface_hub's first check): also what a cache without symlinks holds, its blob moved there.
    if (!inSnapshot(root, ref.repo, listing.commit, file)) fetched[i] = await fetchBlob(root, ref.repo, file, m, o, report).catch((e) => rethrow(e, endpoint, o));
    report(m.size, true);
    done += m.size;
    out.push({ path: file, size: m.size, ...(m.lfs ? { sha256: m.etag } : {}) });
  }
  // Linked only once every blob is in: a cancel or a fault leaves no snapshot with configs but no weights.
  for (let i = 0; i < sel.files.length; i++) if (!inSnapshot(root, ref.repo, listing.commit, sel.files[i].path)) linkIntoSnapshot(root, ref.repo, listing.commit, sel.files[i].path, metas[i].etag, fetched[i]);
  writeRef(root, ref, listing.commit);
  const path = join(root, `models--${ref.repo.replace('/', '--')}`, 'snapshots', listing.commit);
  return { repo: ref.repo, revision: ref.revision, commit: listing.commit, path, weights: join(path, ...sel.weights.split('/')), format: sel.format, variant: sel.variant, files: out };
}

const cancelled = (): UserError => new UserError('Download cancelled. Nothing was added to the snapshot; the part already fetched is kept and resumed next time.');

function rethrow(e: unknown, endpoint: string, o: HubOptions): never {
  if (o.signal?.aborted || e instanceof AbortError) throw cancelled();
  if (isNetworkError(e)) throw unreachable(endpoint, e, false);
  if (isTlsError(e)) throw untrusted(e);
  throw e;
}

/** The cached snapshot of `ref`, with the weights the options ask for, or a UserError saying why not. */
export function fromCache(root: string, ref: RepoRef, o: HubOptions, why: string): PullResult {
  const r = tryFromCache(root, ref, o);
  if (r) return r;
  const snap = cachedSnapshot(root, ref);
  throw new UserError(
    snap
      ? `${ref.repo}@${ref.revision} is in the Hugging Face cache (${snap.path}) but without ${o.variant ? `the "${o.variant}" variant` : 'an ONNX model or safetensors checkpoint'}, and ${why}. Unset HF_HUB_OFFLINE to download it.`
      : `${ref.repo}@${ref.revision} is not in the Hugging Face cache (${root}), and ${why}. Unset HF_HUB_OFFLINE (and check the network) to download it, or pull it with \`vit-inspect pull ${ref.repo}\`.`,
  );
}

export function tryFromCache(root: string, ref: RepoRef, o: HubOptions): PullResult | undefined {
  const snap = cachedSnapshot(root, ref);
  if (!snap) return undefined;
  const files = snapshotFiles(snap.path).filter((f) => existsSync(join(snap.path, f)));
  let sel: Selection;
  try {
    sel = selectFiles(ref.repo, files.map((path) => ({ path })), o.variant);
  } catch {
    return undefined;
  }
  if (!sel.files.every((f) => existsSync(join(snap.path, f.path)))) return undefined;
  return {
    repo: ref.repo,
    revision: ref.revision,
    commit: snap.commit,
    path: snap.path,
    weights: join(snap.path, ...sel.weights.split('/')),
    format: sel.format,
    variant: sel.variant,
    files: sel.files.map((f) => ({ path: f.path, size: statSync(join(snap.path, f.path)).size })),
  };
}

/**
 * One blob into blobs/{etag}: skipped when present; else under its lock into
 * blobs/{etag}.incomplete (resumed from what is there), checked, renamed. True when this call
 * fetched it (a cache without symlinks then moves it into the snapshot).
 */
async function fetchBlob(root: string, repo: string, file: string, m: FileMeta, o: HubOptions, report: (have: number) => void): Promise<boolean> {
  const blob = blobPath(root, repo, m.etag);
  if (existsSync(blob)) return false;
  await mkdir(dirname(blob), { recursive: true });
  return withBlobLock(root, repo, m.etag, async () => {
    if (existsSync(blob)) return false; // another process fetched it while we waited
    const part = `${blob}.incomplete`;
    const retries = o.retries ?? 5;
    // The sha256 is computed on a worker as the bytes land (core/hub/hasher.ts); a resumed part is hashed from disk first.
    const hash = m.lfs ? hashFile(part) : undefined;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await download(m, part, tokenOf(o), o.signal, o.proxy, report, hash);
          break;
        } catch (e) {
          if (o.signal?.aborted || e instanceof AbortError) throw e;
          if (isNoSpace(e)) {
            rmSync(part, { force: true });
            throw new UserError(`The disk is full: ${file} (${m.size.toLocaleString('en-US')} bytes) does not fit in ${root}. The partial file was removed. Free some space, or point vitInspector.hfCache / HF_HUB_CACHE at a larger disk.`);
          }
          if (!(e instanceof Dropped) || attempt >= retries) throw e instanceof Dropped ? new UserError(`The download of ${file} kept failing (${attempt + 1} attempts; last: ${e.message}). Try again later; the part fetched is kept and resumed.`) : e;
          await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
        }
      }
      const have = statSync(part).size;
      if (have !== m.size) {
        rmSync(part, { force: true });
        throw new UserError(`${file} arrived with ${have} bytes, the Hub said ${m.size}: the file was deleted and nothing entered the snapshot. Try again.`);
      }
      if (hash) {
        const sha = await hash.digest(have);
        if (sha !== m.etag) {
          rmSync(part, { force: true });
          throw new UserError(`${file} of ${repo} failed its checksum: sha256 ${sha}, the Hub's X-Linked-Etag says ${m.etag}. The file was deleted and nothing entered the snapshot. Try again; if it persists, the mirror (HF_ENDPOINT) or a proxy is altering downloads.`);
        }
      }
    } finally {
      hash?.close();
    }
    commitBlob(part, blob);
    return true;
  }, { signal: o.signal });
}

class Dropped extends Error {}

const isNoSpace = (e: unknown): boolean => ['ENOSPC', 'EDQUOT'].includes((e as NodeJS.ErrnoException)?.code ?? '');

/** Received bytes go to the hasher in batches of this size (each a message to its worker). */
const HASH_BATCH = 4 << 20;

/** GETs the bytes into `part`, from where it stops (Range); the CDN gets no Authorization header. */
async function download(m: FileMeta, part: string, token: string | undefined, signal: AbortSignal | undefined, proxy: ProxyFor | undefined, report: (have: number) => void, hash: FileHash | undefined): Promise<void> {
  let have = existsSync(part) ? statSync(part).size : 0;
  if (have > m.size) {
    rmSync(part);
    have = 0;
    hash?.reset();
  }
  // What the hash was given must be the file's start: after a failed write it may be more, so it starts over.
  if (hash && hash.fed > have) hash.reset();
  hash?.upTo(have);
  if (have === m.size) return;
  let res: IncomingMessage;
  try {
    ({ res } = await send(m.location, { token: m.onHub ? token : undefined, signal, proxy, headers: have > 0 ? { range: `bytes=${have}-` } : {} }));
  } catch (e) {
    if (signal?.aborted) throw new AbortError('aborted');
    if ((e as NodeJS.ErrnoException).code === 'ECONNRESET') throw new Dropped('the connection was reset');
    throw e;
  }
  if (res.statusCode === 200) {
    // No Range asked, or the server ignored it: start over.
    if (have > 0) {
      have = 0;
      hash?.reset();
    }
  }
  else if (res.statusCode !== 206) {
    res.resume();
    const status = res.statusCode ?? 0;
    if (status >= 500) throw new Dropped(`the download server answered ${status}`);
    const host = new URL(m.location).host;
    if (status === 429) throw new UserError(`The download server ${host} is rate-limiting (429). Try again ${retryWhen(res)}; the part fetched is kept and resumed.`);
    // A signed CDN link that expired or was refused: a new download asks the Hub for a fresh one.
    if (status === 401 || status === 403) throw new UserError(`The download server ${host} refused the file (${status}): its signed link expired or was refused. Try again; the part fetched is kept and resumed.`);
    throw new UserError(`Downloading failed: the server answered ${status} for ${m.location.replace(/\?.*$/, '')}.`);
  }
  // Received bytes are copied into 4 MB batches moved to the hasher's worker (a copy costs ~10 ms per 100 MB here;
  // reading them back from the file competed with the transfer for the two cores).
  let batch: Buffer | undefined;
  let fill = 0;
  const flush = (): void => {
    if (hash && batch && fill > 0) hash.feed(batch.subarray(0, fill));
    batch = undefined;
    fill = 0;
  };
  // A deeper write queue than the default 16 KB: fewer pauses of the socket while the file catches up (4-16 MB ran
  // bimodal beside the hashing worker on two cores: some runs 2-3× slower).
  const out = createWriteStream(part, { flags: have > 0 ? 'a' : 'w', highWaterMark: 2 << 20 });
  const written = new Promise<void>((resolve, reject) => (out.on('finish', resolve), out.on('error', reject)));
  try {
    await new Promise<void>((resolve, reject) => {
      res.on('data', (c: Buffer) => {
        have += c.length;
        if (!out.write(c)) {
          res.pause();
          out.once('drain', () => res.resume());
        }
        if (hash) {
          for (let at = 0; at < c.length; ) {
            batch ??= batchBuffer(HASH_BATCH);
            const k = c.copy(batch, fill, at);
            at += k;
            fill += k;
            if (fill === batch.length) flush();
          }
        }
        report(have);
      });
      res.on('end', () => (res.complete ? resolve() : reject(new Dropped('the connection closed before the end'))));
      res.on('aborted', () => reject(signal?.aborted ? new AbortError('aborted') : new Dropped('the connection dropped')));
      res.on('error', (e) => reject(signal?.aborted ? new AbortError('aborted') : new Dropped(e.message)));
      out.on('error', reject);
    });
  } finally {
    out.end();
    await written.catch((e) => {
      if (isNoSpace(e)) throw e;
    });
    flush();
  }
}

