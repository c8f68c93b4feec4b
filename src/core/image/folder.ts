/** Classify Folder helpers: which files to classify, and the CSV/JSON written next to the folder. */
import { readdirSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';

/** The one list of image extensions ViT Inspector decodes (core/image/decode.ts); package.json's menu `when` regex is checked against it by a unit test. */
export const IMAGE_EXTENSION_LIST = ['png', 'jpg', 'jpeg', 'webp', 'bmp', 'gif', 'tif', 'tiff', 'avif'] as const;
export const IMAGE_EXTENSIONS = new RegExp(`\\.(${IMAGE_EXTENSION_LIST.join('|')})$`, 'i');
/** For messages: "png, jpg, webp, bmp, gif, tiff, avif". */
export const IMAGE_KINDS = 'png, jpg, webp, bmp, gif, tiff, avif';

/** Every image under `dir`, sorted, depth-first; stops at `limit` files. Skips dot-folders and node_modules. */
export function listImages(dir: string, limit = 100_000): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return; // unreadable folder: skip
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (out.length >= limit) return;
      if (e.isDirectory()) {
        if (!e.name.startsWith('.') && e.name !== 'node_modules') walk(join(d, e.name));
      } else if (IMAGE_EXTENSIONS.test(e.name)) out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

export interface FolderResultRow {
  image: string;
  index?: number;
  label?: string;
  prob?: number;
  error?: string;
}

function csvCell(v: string | number | undefined): string {
  const s = v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(folder: string, rows: FolderResultRow[]): string {
  const lines = ['image,class_index,label,probability,error'];
  for (const r of rows) lines.push([relative(folder, r.image), r.index, r.label, r.prob === undefined ? undefined : r.prob.toFixed(6), r.error].map(csvCell).join(','));
  return lines.join('\n') + '\n';
}

/** Results go next to the folder, named after it: photos/ → photos.vit-inspector.csv / .json. */
export function resultPaths(folder: string): { csv: string; json: string } {
  const base = join(dirname(folder), `${basename(folder)}.vit-inspector`);
  return { csv: `${base}.csv`, json: `${base}.json` };
}
