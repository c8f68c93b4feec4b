/**
 * The Hugging Face Hub cache, laid out exactly as Python's huggingface_hub lays it out
 * (file_download.py / constants.py), so that one cache serves both:
 *
 *   {root}/models--{org}--{name}/blobs/{etag}              the bytes, named by the Hub's ETag
 *   {root}/models--{org}--{name}/snapshots/{commit}/{path} relative symlinks to ../../blobs/{etag}
 *   {root}/models--{org}--{name}/refs/{revision}           the commit a branch or tag points at
 *   {root}/.locks/models--{org}--{name}/{etag}.lock        held while one blob is downloaded
 *
 * A blob is written as blobs/{etag}.incomplete and renamed when complete and checked, so a
 * half-written file never appears in a snapshot.
 */
import { copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { UserError } from '../errors';

export type Env = Record<string, string | undefined>;

/** The cache root: the setting, else $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function cacheRoot(override?: string, env: Env = process.env): string {
  if (override && override.trim()) return expandHome(override.trim());
  if (env.HF_HUB_CACHE) return expandHome(env.HF_HUB_CACHE);
  return join(hfHome(env), 'hub');
}

/** $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface (constants.py). */
export function hfHome(env: Env = process.env): string {
  if (env.HF_HOME) return expandHome(env.HF_HOME);
  return join(env.XDG_CACHE_HOME ? expandHome(env.XDG_CACHE_HOME) : join(homedir(), '.cache'), 'huggingface');
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
}

/** A repo as the user writes it: `org/name` with an optional `@revision`. */
export interface RepoRef {
  repo: string;
  revision: string;
}

const REPO_RE = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;
export const COMMIT_RE = /^[0-9a-f]{40}$/;

/** Parses `org/name[@rev]` (also with a leading `hf:`). */
export function parseRepoRef(spec: string): RepoRef {
  const s = spec.replace(/^hf:/, '');
  const at = s.indexOf('@');
  const repo = at >= 0 ? s.slice(0, at) : s;
  const revision = at >= 0 ? s.slice(at + 1) : 'main';
  if (!REPO_RE.test(repo) || repo.includes('..') || repo.includes('--'))
    throw new UserError(`"${spec}" is not a Hugging Face model id: write it as org/name or org/name@revision, e.g. google/vit-base-patch16-224.`);
  if (!revision || revision.includes('..') || /[\\\s]/.test(revision)) throw new UserError(`"${revision}" in "${spec}" is not a revision: give a branch, a tag or a 40-hex commit.`);
  return { repo, revision };
}

export const isHfSpec = (s: string): boolean => s.startsWith('hf:');

/** `models--{org}--{name}` (repo_folder_name in file_download.py). */
export const repoFolderName = (repo: string): string => ['models', ...repo.split('/')].join('--');

export function repoFolder(root: string, repo: string): string {
  return join(root, repoFolderName(repo));
}

/** The commit a revision names in the cache: a 40-hex revision itself, else refs/{revision}. */
export function cachedCommit(root: string, ref: RepoRef): string | undefined {
  if (COMMIT_RE.test(ref.revision)) return ref.revision;
  const p = join(repoFolder(root, ref.repo), 'refs', ...ref.revision.split('/'));
  if (!existsSync(p)) return undefined;
  const c = readFileSync(p, 'utf8').trim();
  return COMMIT_RE.test(c) ? c : undefined;
}

/** The snapshot folder of `ref` if the cache has one. */
export function cachedSnapshot(root: string, ref: RepoRef): { commit: string; path: string } | undefined {
  const commit = cachedCommit(root, ref);
  if (!commit) return undefined;
  const path = join(repoFolder(root, ref.repo), 'snapshots', commit);
  return existsSync(path) ? { commit, path } : undefined;
}

/** refs/{revision} ← commit; huggingface_hub writes it only when the revision is not the commit itself. */
export function writeRef(root: string, ref: RepoRef, commit: string): void {
  if (ref.revision === commit) return;
  const p = join(repoFolder(root, ref.repo), 'refs', ...ref.revision.split('/'));
  mkdirSync(dirname(p), { recursive: true });
  if (existsSync(p) && readFileSync(p, 'utf8') === commit) return;
  writeFileSync(p, commit);
}

/** An ETag header as a blob name: quotes and a weak `W/` prefix removed (_normalize_etag). */
export function normalizeEtag(etag: string | undefined | null): string | undefined {
  if (!etag) return undefined;
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '') || undefined;
}

export const blobPath = (root: string, repo: string, etag: string): string => join(repoFolder(root, repo), 'blobs', etag);
export const snapshotFile = (root: string, repo: string, commit: string, file: string): string => join(repoFolder(root, repo), 'snapshots', commit, ...file.split('/'));

/**
 * Puts `file` in the snapshot as a relative symlink to its blob (_create_symlink). Where the file
 * system cannot make symlinks (Windows without developer mode, some network drives) it does what
 * huggingface_hub does there: a blob this download just fetched is moved into the snapshot (no
 * second copy on disk), one already in blobs/ (shared with another revision) is copied.
 */
export function linkIntoSnapshot(root: string, repo: string, commit: string, file: string, etag: string, newBlob = false): string {
  const blob = blobPath(root, repo, etag);
  const pointer = snapshotFile(root, repo, commit, file);
  mkdirSync(dirname(pointer), { recursive: true });
  // Moved here already (no symlinks: another download of this commit in this cache got here first).
  if (!existsSync(blob) && isPlainFile(pointer)) return pointer;
  rmSync(pointer, { force: true });
  try {
    symlinkSync(relative(dirname(pointer), blob), pointer);
  } catch (e) {
    if (!NO_SYMLINK.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
    if (newBlob) renameSync(blob, pointer);
    else copyFileSync(blob, pointer);
  }
  return pointer;
}

/** What symlink() fails with where a file system or the OS policy has none (EPERM: Windows without the privilege). */
const NO_SYMLINK = new Set(['EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

function isPlainFile(p: string): boolean {
  try {
    return lstatSync(p).isFile();
  } catch {
    return false;
  }
}

/** The snapshot already holds `file` (a symlink to a blob that is there, or a file copied or moved in): huggingface_hub's first check. */
export function inSnapshot(root: string, repo: string, commit: string, file: string): boolean {
  return existsSync(snapshotFile(root, repo, commit, file));
}

/**
 * The lock on one blob: `.locks/{repo folder}/{etag}.lock`, made with O_EXCL so a second
 * download of the same blob (another window, the CLI) waits rather than writing the same
 * `.incomplete` file. A lock left by a dead process (its pid gone) is taken over, and so is
 * the empty file Python's filelock leaves behind (it does not exclude Python's own flock).
 */
export async function withBlobLock<T>(root: string, repo: string, etag: string, fn: () => Promise<T>, opts: { signal?: AbortSignal; pollMs?: number } = {}): Promise<T> {
  const lock = join(root, '.locks', repoFolderName(repo), `${etag}.lock`);
  mkdirSync(dirname(lock), { recursive: true });
  for (;;) {
    try {
      // Written whole, then linked into place (fails with EEXIST when held): a lock made empty and
      // filled after would read as Python's empty lock to a second process and be taken over.
      const tmp = `${lock}.${process.pid}.tmp`;
      writeFileSync(tmp, String(process.pid));
      try {
        linkSync(tmp, lock);
      } finally {
        rmSync(tmp, { force: true });
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (staleLock(lock)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (opts.signal?.aborted) throw new UserError('Download cancelled.');
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
    }
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      /* already gone */
    }
  }
}

function staleLock(lock: string): boolean {
  try {
    const pid = Number(readFileSync(lock, 'utf8'));
    // Python's filelock leaves empty .lock files behind (it locks with flock, not by existence): not ours, not held by us.
    if (!Number.isInteger(pid) || pid <= 0) return true;
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Moves a complete `.incomplete` file to its blob name (atomic on one file system). */
export function commitBlob(incomplete: string, blob: string): void {
  renameSync(incomplete, blob);
}

/** Every file of a snapshot, as repo paths with `/`. */
export function snapshotFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    const p = join(dir, e.name);
    const isDir = e.isDirectory() || (e.isSymbolicLink() && safeStat(p)?.isDirectory());
    if (isDir) out.push(...snapshotFiles(p, rel));
    else out.push(rel);
  }
  return out.map((f) => f.split(sep).join('/'));
}

export function safeStat(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}
