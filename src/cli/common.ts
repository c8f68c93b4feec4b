/** What every command module shares: the command shape, printing, the embedded model and the inference process. */
import { join, resolve } from 'node:path';
import { inspectModel, type InspectResult } from '../core/arch/inspect';
import { UserError } from '../core/errors';
import { DEFAULT_PROVIDER_ORDER } from '../core/session/providers';
import { RuntimeClient } from '../runtime/client';
import { int, str, type Args } from './args';

export type Command = { summary: string; usage: string; booleans?: string[]; run(args: Args, json: boolean): Promise<void> };

export const print = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : s + '\n');
export const printJson = (v: unknown): void => print(JSON.stringify(v, null, 2));

/** The embedded default model, shipped in media/models/ beside dist/. */
export function embeddedModel(name = 'fashion-vit'): string {
  return resolve(__dirname, '..', 'media', 'models', `${name}.onnx`);
}

export async function withRuntime<T>(fn: (c: RuntimeClient) => Promise<T>): Promise<T> {
  const client = new RuntimeClient(join(__dirname, 'runtime.js'));
  try {
    return await fn(client);
  } finally {
    client.dispose();
  }
}

export const epOrder = (args: Args): string[] => (str(args, 'ep') ?? DEFAULT_PROVIDER_ORDER.join(',')).split(',').map((s) => s.trim()).filter(Boolean);

export function inspectArg(args: Args): InspectResult {
  if (args.positionals.length !== 1) throw new UserError('Give exactly one model file.');
  return inspectModel(resolve(args.positionals[0]), { imageSize: int(args, 'image', 1, 10_000) });
}
