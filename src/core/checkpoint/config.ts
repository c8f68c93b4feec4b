/**
 * A checkpoint's config.json and the builder interface. Hugging Face writes `model_type` and
 * `architectures`; timm writes `architecture` with `pretrained_cfg` and `model_args`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import type { OnnxModel } from '../onnx/model';
import type { Checkpoint } from './safetensors';

export interface CheckpointConfig {
  /** Path of the config.json read, or null when there is none beside the checkpoint. */
  file: string | null;
  /** 'hf': transformers' config; 'timm': timm's (architecture + pretrained_cfg); 'none': no config. */
  kind: 'hf' | 'timm' | 'none';
  /** HF: architectures[0] (else model_type); timm: architecture. */
  architecture: string | null;
  json: Record<string, unknown>;
}

export interface CheckpointBuilder {
  /** What it builds, for the list of supported architectures ("Hugging Face ViTForImageClassification, …"). */
  supports: string[];
  matches(config: CheckpointConfig, ckpt: Checkpoint): boolean;
  /** The graph a torch export gives; weights as external data in the checkpoint's files. UserError for anything wrong. */
  build(ckpt: Checkpoint, config: CheckpointConfig): OnnxModel;
}

export function readConfig(ckpt: Checkpoint): CheckpointConfig {
  const file = path.join(ckpt.dir, 'config.json');
  if (!fs.existsSync(file)) return { file: null, kind: 'none', architecture: null, json: {} };
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`config.json beside ${path.basename(ckpt.path)} is not valid JSON (${(e as Error).message}); fix or download it again.`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new UserError(`config.json beside ${path.basename(ckpt.path)} is not a JSON object.`);
  const j = json as Record<string, unknown>;
  if (typeof j.architecture === 'string') return { file, kind: 'timm', architecture: j.architecture, json: j };
  const archs = Array.isArray(j.architectures) ? j.architectures.filter((a): a is string => typeof a === 'string') : [];
  if (archs.length || typeof j.model_type === 'string') return { file, kind: 'hf', architecture: archs[0] ?? (j.model_type as string), json: j };
  return { file, kind: 'none', architecture: null, json: j };
}

/** Reads config fields exactly: a wrong type is the user's error naming the field. */
export class ConfigReader {
  constructor(
    private readonly cfg: CheckpointConfig,
    private readonly obj: Record<string, unknown> = cfg.json,
    private readonly prefix = '',
  ) {}

  private where(field: string): string {
    return `config.json field "${this.prefix}${field}"`;
  }

  has(field: string): boolean {
    return this.obj[field] !== undefined && this.obj[field] !== null;
  }

  int(field: string, def?: number): number {
    const v = this.obj[field] ?? def;
    if (v === undefined) throw new UserError(`${this.where(field)} is missing; the checkpoint cannot be built without it.`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new UserError(`${this.where(field)} is ${JSON.stringify(v)}, not a whole number.`);
    return v;
  }

  num(field: string, def?: number): number {
    const v = this.obj[field] ?? def;
    if (v === undefined) throw new UserError(`${this.where(field)} is missing; the checkpoint cannot be built without it.`);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new UserError(`${this.where(field)} is ${JSON.stringify(v)}, not a number.`);
    return v;
  }

  bool(field: string, def: boolean): boolean {
    const v = this.obj[field] ?? def;
    if (typeof v !== 'boolean') throw new UserError(`${this.where(field)} is ${JSON.stringify(v)}, not true or false.`);
    return v;
  }

  str(field: string, def?: string): string {
    const v = this.obj[field] ?? def;
    if (v === undefined) throw new UserError(`${this.where(field)} is missing.`);
    if (typeof v !== 'string') throw new UserError(`${this.where(field)} is ${JSON.stringify(v)}, not a string.`);
    return v;
  }

  /** An int, or the first of a [h, w] pair when both agree (image_size may be either). */
  size(field: string, def?: number): number {
    const v = this.obj[field];
    if (Array.isArray(v)) {
      if (v.length !== 2 || v[0] !== v[1] || typeof v[0] !== 'number') throw new UserError(`${this.where(field)} is ${JSON.stringify(v)}: only square sizes are supported.`);
      return v[0];
    }
    return this.int(field, def);
  }

  sub(field: string): ConfigReader {
    const v = this.obj[field];
    if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) throw new UserError(`${this.where(field)} is not an object.`);
    return new ConfigReader(this.cfg, (v as Record<string, unknown>) ?? {}, `${this.prefix}${field}.`);
  }
}
