/**
 * Class names for a model's outputs. Looked for, in order: the labels-file setting,
 * the `labels` file named by the model's sidecar, a Hugging Face config.json
 * (id2label), labels.txt / <model>.labels.txt beside the model, the model's metadata.
 * config.json and labels files of a model in `onnx/` are also looked for one folder up (core/hub/layout).
 * Otherwise class indices are used, and the panel says so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { UserError } from '../errors';
import { findSidecar } from '../hub/layout';

export interface Labels {
  names: string[] | null;
  source: string;
  warning?: string;
}

function fromText(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l, i, all) => l.length > 0 || i < all.length - 1);
}

function fromId2Label(obj: unknown): string[] | undefined {
  if (!obj || typeof obj !== 'object') return undefined;
  const entries = Object.entries(obj as Record<string, unknown>).filter(([k, v]) => /^\d+$/.test(k) && typeof v === 'string');
  if (entries.length === 0) return undefined;
  const out: string[] = [];
  for (const [k, v] of entries) out[Number(k)] = v as string;
  return Array.from(out, (v, i) => v ?? String(i));
}

function readLabelsFile(path: string): string[] {
  if (!existsSync(path)) throw new UserError(`The labels file ${path} does not exist. Fix the vitInspector.labelsFile setting or remove it.`);
  const text = readFileSync(path, 'utf8');
  if (/\.json$/i.test(path)) {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new UserError(`The labels file ${basename(path)} is not valid JSON: ${(e as Error).message}.`);
    }
    const names = Array.isArray(json) ? json.map(String) : fromId2Label(json.id2label) ?? fromId2Label(json);
    if (!names) throw new UserError(`${basename(path)} has no id2label map or list of class names.`);
    return names;
  }
  return fromText(text);
}

export function resolveLabels(modelPath: string, numClasses: number | null, opts: { labelsFile?: string; metadata?: Record<string, string> } = {}): Labels {
  const dir = dirname(modelPath);
  const stem = basename(modelPath).replace(/\.onnx$/i, '');
  const found = (names: string[], source: string): Labels => {
    if (numClasses !== null && names.length !== numClasses)
      return {
        names: Array.from({ length: numClasses }, (_, i) => names[i] ?? `class ${i}`),
        source,
        warning: `${source} has ${names.length} labels but the model has ${numClasses} outputs.`,
      };
    return { names, source };
  };
  if (opts.labelsFile) {
    const p = isAbsolute(opts.labelsFile) ? opts.labelsFile : join(dir, opts.labelsFile);
    return found(readLabelsFile(p), basename(p));
  }
  const sidecar = join(dir, `${stem}.json`);
  if (existsSync(sidecar)) {
    try {
      const s = JSON.parse(readFileSync(sidecar, 'utf8'));
      if (typeof s.labels === 'string') return found(readLabelsFile(join(dir, s.labels)), s.labels);
      if (Array.isArray(s.labels)) return found(s.labels.map(String), `${stem}.json`);
    } catch (e) {
      if (e instanceof UserError) throw e;
    }
  }
  const config = findSidecar(modelPath, 'config.json');
  if (config) {
    let j;
    try {
      j = JSON.parse(readFileSync(config.path, 'utf8'));
    } catch (e) {
      // A broken config.json would otherwise silently lose the class names.
      throw new UserError(`${config.path} is not valid JSON (${(e as Error).message}); fix or download it again.`);
    }
    // Hugging Face: id2label; timm: label_names (a list in class order).
    const names = j && typeof j === 'object' ? (fromId2Label(j.id2label) ?? (Array.isArray(j.label_names) && j.label_names.length ? j.label_names.map(String) : null)) : null;
    if (names) return found(names, config.source);
  }
  for (const name of [`${stem}.labels.txt`, 'labels.txt']) {
    const f = findSidecar(modelPath, name);
    if (f) return found(fromText(readFileSync(f.path, 'utf8')), f.source);
  }
  const meta = opts.metadata ?? {};
  for (const key of ['id2label', 'labels', 'classes', 'names']) {
    const v = meta[key];
    if (!v) continue;
    try {
      const parsed = JSON.parse(v);
      const names = Array.isArray(parsed) ? parsed.map(String) : fromId2Label(parsed);
      if (names) return found(names, `model metadata "${key}"`);
    } catch {
      if (v.includes(',')) return found(v.split(',').map((s) => s.trim()), `model metadata "${key}"`);
    }
  }
  return { names: null, source: 'none: class indices shown (add labels.txt beside the model or set vitInspector.labelsFile)' };
}

export function labelOf(labels: Labels, index: number): string {
  return labels.names?.[index] ?? `class ${index}`;
}
