/**
 * Which files of a repo a model needs: its configs and one set of weights, never the whole
 * repo. ONNX repos in the Transformers.js layout keep one file per precision in `onnx/`
 * (model.onnx = fp32, model_fp16.onnx, model_quantized.onnx, …); safetensors repos keep
 * model.safetensors or an index and its shards.
 */
import { UserError } from '../errors';

export interface RepoFile {
  path: string;
  size?: number;
}

/** Transformers.js's dtype names → the file suffix it uses (`model${suffix}.onnx`). */
export const ONNX_VARIANTS: Record<string, string> = {
  fp32: '',
  fp16: '_fp16',
  quantized: '_quantized',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

/** Configs and labels: small, always fetched when present. */
const SIDECARS = /^(?:onnx\/)?(?:config\.json|preprocessor_config\.json|labels\.txt|[^/]*\.labels\.txt)$/;

export type Format = 'onnx' | 'safetensors';

export interface Selection {
  format: Format;
  variant?: string;
  /** The file a model path points at (an .onnx file, model.safetensors or the index). */
  weights: string;
  files: RepoFile[];
}

/** The variant an ONNX file name stands for (`onnx/model_fp16.onnx` → fp16), if it is one. */
export function variantOf(path: string): string | undefined {
  const m = /(?:^|\/)model(_[a-z0-9]+)?\.onnx$/.exec(path);
  if (!m) return undefined;
  const suffix = m[1] ?? '';
  return Object.entries(ONNX_VARIANTS).find(([, s]) => s === suffix)?.[0] ?? suffix.slice(1);
}

function onnxCandidates(files: RepoFile[]): Map<string, RepoFile> {
  const out = new Map<string, RepoFile>();
  for (const f of files) {
    if (!/^(?:onnx\/)?[^/]+\.onnx$/.test(f.path)) continue;
    const v = variantOf(f.path);
    if (v && (!out.has(v) || f.path.startsWith('onnx/'))) out.set(v, f);
  }
  return out;
}

/** The ONNX variants a repo offers, with the size of each (its external data included). */
export function onnxVariants(files: RepoFile[]): { variant: string; path: string; size?: number }[] {
  return [...onnxCandidates(files)].map(([variant, f]) => {
    const data = externalData(files, f.path);
    const size = f.size === undefined ? undefined : data.reduce((s, d) => s + (d.size ?? 0), f.size);
    return { variant, path: f.path, size };
  });
}

function externalData(files: RepoFile[], onnx: string): RepoFile[] {
  return files.filter((f) => f.path === `${onnx}_data` || f.path === `${onnx}.data` || f.path.startsWith(`${onnx}_data_`));
}

/** The files to fetch for `variant` (an ONNX dtype name, or "safetensors"); default fp32, else the first variant, else safetensors. */
export function selectFiles(repo: string, files: RepoFile[], variant?: string): Selection {
  const sidecars = files.filter((f) => SIDECARS.test(f.path));
  const onnx = onnxCandidates(files);
  const st = safetensorsFiles(files);
  if (variant && variant !== 'safetensors' && !onnx.has(variant)) {
    const offered = [...onnx.keys(), ...(st ? ['safetensors'] : [])];
    throw new UserError(`${repo} has no "${variant}" variant. ${offered.length ? `It offers: ${offered.join(', ')}.` : 'It has no ONNX file and no safetensors checkpoint.'}`);
  }
  if (variant === 'safetensors' || (!variant && onnx.size === 0)) {
    if (!st) throw new UserError(`${repo} has neither an ONNX model (onnx/model*.onnx) nor a safetensors checkpoint (model.safetensors): it is not a model ViT Inspector can open.`);
    return { format: 'safetensors', weights: st[0].path, files: [...sidecars, ...st] };
  }
  const chosen = variant ?? (onnx.has('fp32') ? 'fp32' : [...onnx.keys()][0]);
  const f = onnx.get(chosen)!;
  return { format: 'onnx', variant: chosen, weights: f.path, files: [...sidecars, f, ...externalData(files, f.path)] };
}

function safetensorsFiles(files: RepoFile[]): RepoFile[] | undefined {
  const single = files.find((f) => f.path === 'model.safetensors');
  if (single) return [single];
  const index = files.find((f) => f.path === 'model.safetensors.index.json');
  if (!index) return undefined;
  return [index, ...files.filter((f) => /^model-\d+-of-\d+\.safetensors$/.test(f.path))];
}
