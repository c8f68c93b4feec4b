/**
 * A checkpoint as a standard ONNX file: the built graph with its weights copied out of the
 * safetensors files — inline when the whole model stays under protobuf's 2 GB, else into one
 * `OUT.onnx.data` beside it (ONNX's external-data convention, which any onnxruntime loads) — and
 * the checkpoint's config.json / preprocessor_config.json copied beside it, so labels and
 * preprocessing come with it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import type { OnnxModel, TensorInfo } from '../onnx/model';
import { writeModel } from '../onnx/writer';
import { buildCheckpoint } from './index';

/** protobuf refuses messages of 2 GiB and more; leave room for the graph itself. */
export const INLINE_LIMIT = 2 ** 31 - 64 * 1024 * 1024;

export interface ExportResult {
  model: string;
  /** The external data file, when the weights did not fit inline. */
  data: string | null;
  bytes: number;
  copied: string[];
  architecture: string | null;
}

const SIDE_FILES = ['config.json', 'preprocessor_config.json'];

/** Bytes of an external tensor, read in chunks as the writer asks for them. */
function readsFrom(file: string, start: number, length: number): TensorInfo['data'] {
  return {
    location: 'generated',
    length,
    fill(target: Uint8Array, offset: number): void {
      const fd = fs.openSync(file, 'r');
      try {
        let done = 0;
        while (done < target.length) {
          const got = fs.readSync(fd, target, done, target.length - done, start + offset + done);
          if (got <= 0) throw new UserError(`${path.basename(file)} became shorter while it was exported; open it again.`);
          done += got;
        }
      } finally {
        fs.closeSync(fd);
      }
    },
  };
}

export function exportCheckpoint(checkpoint: string, out: string, opts: { inlineLimit?: number } = {}): ExportResult {
  if (!/\.onnx$/i.test(out)) throw new UserError(`The export's file name ${path.basename(out)} should end in .onnx.`);
  const b = buildCheckpoint(checkpoint);
  const dest = path.resolve(out);
  const destDir = path.dirname(dest);
  if (!fs.existsSync(destDir)) throw new UserError(`The folder ${destDir} does not exist; create it or choose another.`);
  // Refuse to overwrite another model's configs: labels and preprocessing would silently change.
  const copies: [string, string][] = [];
  for (const f of SIDE_FILES) {
    const src = path.join(b.ckpt.dir, f);
    if (!fs.existsSync(src)) continue;
    const to = path.join(destDir, f);
    if (path.resolve(src) === to) continue;
    if (fs.existsSync(to) && !fs.readFileSync(to).equals(fs.readFileSync(src)))
      throw new UserError(`${to} already exists and is another model's ${f}; export into an empty folder (it is copied beside the .onnx file).`);
    copies.push([src, to]);
  }
  const total = b.model.graph.initializers.reduce((s, t) => s + (t.data.location === 'external' ? t.data.length : 0), 0);
  const external = total > (opts.inlineLimit ?? INLINE_LIMIT);
  const dataName = `${path.basename(dest)}.data`;
  const dataPath = path.join(destDir, dataName);
  let dataOffset = 0;
  const pieces: { file: string; offset: number; length: number }[] = [];
  const initializers = b.model.graph.initializers.map((t): TensorInfo => {
    const d = t.data;
    if (d.location !== 'external') return t;
    if (!external) return { ...t, data: readsFrom(d.path, d.offset, d.length) };
    // ONNX's convention: offsets aligned to 4 KiB (what onnx.save_model writes with its default alignment).
    const pad = (4096 - (dataOffset % 4096)) % 4096;
    dataOffset += pad;
    pieces.push({ file: d.path, offset: d.offset, length: d.length });
    const info: TensorInfo = { ...t, data: { location: 'external', file: dataName, path: dataPath, offset: dataOffset, length: d.length, exists: true } };
    dataOffset += d.length;
    return info;
  });
  const model: OnnxModel = { ...b.model, path: null, fileSize: 0, graph: { ...b.model.graph, initializers } };
  if (external) writeData(dataPath, pieces);
  const bytes = writeModel(model, dest);
  for (const [src, to] of copies) fs.copyFileSync(src, to);
  return { model: dest, data: external ? dataPath : null, bytes, copied: copies.map(([, to]) => to), architecture: b.config.architecture };
}

/** Writes the weights one after another at 4 KiB-aligned offsets (the same order as planned). */
function writeData(dataPath: string, pieces: { file: string; offset: number; length: number }[]): void {
  const tmp = `${dataPath}.tmp-${process.pid}`;
  const out = fs.openSync(tmp, 'w');
  const chunk = Buffer.allocUnsafe(4 * 1024 * 1024);
  let pos = 0;
  try {
    for (const p of pieces) {
      pos += (4096 - (pos % 4096)) % 4096;
      const fd = fs.openSync(p.file, 'r');
      try {
        for (let done = 0; done < p.length; ) {
          const n = fs.readSync(fd, chunk, 0, Math.min(chunk.length, p.length - done), p.offset + done);
          if (n <= 0) throw new UserError(`${path.basename(p.file)} became shorter while it was exported; open it again.`);
          fs.writeSync(out, chunk, 0, n, pos + done);
          done += n;
        }
      } finally {
        fs.closeSync(fd);
      }
      pos += p.length;
    }
  } catch (e) {
    fs.closeSync(out);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(out);
  fs.renameSync(tmp, dataPath);
}
