/**
 * A labelled folder, read the two ways users keep one: ImageFolder (one subfolder per class, as
 * torchvision's `ImageFolder` reads it) or a CSV of `file,label`. Class names are matched to the
 * model's labels ignoring case, spaces, "_", "-" and "/" ("ankle_boot" = "Ankle boot",
 * "tshirttop" = "T-shirt/top"), or are class indices ("0", "7").
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors';
import { IMAGE_EXTENSIONS, listImages } from '../image/folder';

export interface LabelledImage {
  path: string;
  /** The class index in the model's labels. */
  truth: number;
}

export interface LabelledFolder {
  images: LabelledImage[];
  /** Folder names (or CSV labels) that match no class. */
  unmatched: string[];
  /** Classes whose folder holds no image. */
  empty: string[];
  /** Why index-only matching was used, when the model has no labels. */
  note?: string;
}

/** The form names are compared in: lower case, without spaces, "_", "-" and "/". */
export function normaliseClassName(name: string): string {
  return name.toLowerCase().replace(/[\s_\-/]+/g, '');
}

/**
 * The class a folder name (or CSV label) means: a label matched ignoring case and separators, else a
 * class index in range; null when neither. `labels` null: the model has none, only indices match.
 */
export function matchClass(name: string, labels: readonly string[] | null, numClasses: number): number | null {
  if (labels) {
    const n = normaliseClassName(name);
    const i = labels.findIndex((l) => normaliseClassName(l) === n);
    if (i >= 0) return i;
  }
  if (/^\d+$/.test(name.trim()) && +name < numClasses) return +name;
  return null;
}

const noLabelsNote = (n: number) => `The model has no labels, so only folders named by class index (0 to ${n - 1}) are matched; give a labels file to match names.`;

/** ImageFolder: each subfolder of `dir` is a class; its images (at any depth) are that class's. */
export function readImageFolder(dir: string, labels: readonly string[] | null, numClasses: number): LabelledFolder {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir} is not a folder.`);
  const subfolders = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b));
  const images: LabelledImage[] = [];
  const unmatched: string[] = [];
  const empty: string[] = [];
  for (const name of subfolders) {
    const truth = matchClass(name, labels, numClasses);
    if (truth === null) {
      unmatched.push(name);
      continue;
    }
    const files = listImages(join(dir, name));
    if (files.length === 0) empty.push(name);
    for (const path of files) images.push({ path, truth });
  }
  if (subfolders.length === 0) {
    const loose = readdirSync(dir).filter((f) => IMAGE_EXTENSIONS.test(f)).length;
    throw new UserError(`${dir} has no class subfolders${loose ? ` (it holds ${loose} images directly)` : ''}: put each class's images in a folder named after the class, or give a CSV of file,label.`);
  }
  if (images.length === 0)
    throw new UserError(`No images in a class folder of ${dir}: ${unmatched.length ? `the folders ${unmatched.join(', ')} match none of the model's classes` : 'the class folders are empty'}.${labels ? '' : ' ' + noLabelsNote(numClasses)}`);
  return { images, unmatched, empty, note: labels ? undefined : noLabelsNote(numClasses) };
}

/** Splits one CSV line (quotes as RFC 4180 writes them). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    }
    else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

/** A CSV of `file,label` (a header line `file,label` is optional); files relative to `dir`, else to the CSV. */
export function readLabelsCsv(csv: string, dir: string | undefined, labels: readonly string[] | null, numClasses: number): LabelledFolder {
  if (!existsSync(csv)) throw new UserError(`The labels CSV ${csv} does not exist.`);
  const base = dir ?? dirname(csv);
  const lines = readFileSync(csv, 'utf8').split(/\r?\n/).filter((l) => l.trim());
  if (lines.length && /^\s*"?(file|image|path|filename)"?\s*,/i.test(lines[0])) lines.shift();
  const images: LabelledImage[] = [];
  const unmatched = new Set<string>();
  lines.forEach((line, i) => {
    const f = csvFields(line);
    if (f.length < 2 || !f[0]) throw new UserError(`${csv}, line ${i + 1}: expected file,label, got "${line}".`);
    const truth = matchClass(f[1], labels, numClasses);
    if (truth === null) unmatched.add(f[1]);
    else images.push({ path: isAbsolute(f[0]) ? f[0] : resolve(base, f[0]), truth });
  });
  if (images.length === 0) throw new UserError(`No line of ${csv} names a class of the model${unmatched.size ? ` (labels seen: ${[...unmatched].slice(0, 5).join(', ')})` : ''}.${labels ? '' : ' ' + noLabelsNote(numClasses)}`);
  // A CSV names only the classes it uses: no class folder can be empty.
  return { images, unmatched: [...unmatched], empty: [], note: labels ? undefined : noLabelsNote(numClasses) };
}

const CSV_HEADER = /^\s*"?(file|image|path|filename)"?\s*,\s*"?(label|class)"?\s*$/i;

/**
 * What Evaluate Model on Folder was pointed at: a `.csv` itself (its folder is the base of its
 * paths), or a folder — with the one CSV in it whose first line is a `file,label` header, else its
 * class subfolders. The header is asked of a CSV found by looking, so an unrelated CSV beside the
 * images is not mistaken for labels.
 */
export function evaluateSource(target: string): { dir: string; csv: string | undefined } {
  if (/\.csv$/i.test(target) && existsSync(target) && statSync(target).isFile()) return { dir: dirname(target), csv: target };
  const found = readdirSync(target, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.csv$/i.test(e.name))
    .map((e) => join(target, e.name))
    .filter((f) => CSV_HEADER.test(readFileSync(f, 'utf8').split(/\r?\n/, 1)[0] ?? ''))
    .sort();
  if (found.length > 1) throw new UserError(`${target} holds ${found.length} labels CSVs (${found.map((f) => f.slice(target.length + 1)).join(', ')}): right-click the one to use → Evaluate Model on Folder.`);
  return { dir: target, csv: found[0] };
}
