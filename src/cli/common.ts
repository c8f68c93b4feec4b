/** What every command module shares: the command shape, printing, the embedded model and the inference process. */
import { join, resolve } from 'node:path';
import { inspectModel, type InspectResult } from '../core/arch/inspect';
import { UserError } from '../core/errors';
import { DEFAULT_PROVIDER_ORDER } from '../core/session/providers';
import { RuntimeClient } from '../runtime/client';
import { int, str, unknownFlags, type Args } from './args';

/**
 * A command as main() registers it: its two lines of --help, what it accepts (main() refuses other
 * flags, and a wrong number of positionals, before run() starts) and run(), given its usage for messages.
 */
export type Command = {
  summary: string;
  usage: string;
  /** Every --flag it reads, in the order a refusal lists them (--json included). */
  flags: string[];
  /** The flags among them that take no value, besides --json. */
  booleans?: string[];
  /** How many positionals it takes (at least, at most) and what to say otherwise; unchecked when absent. */
  positionals?: [min: number, max: number, error: string];
  run(args: Args, json: boolean, usage: string): Promise<void>;
};

/** Refuses what a command does not accept: a flag it does not know, a wrong number of positionals. */
export function checkAccepted(cmd: Command, args: Args): void {
  unknownFlags(args, cmd.flags);
  if (!cmd.positionals) return;
  const [min, max, error] = cmd.positionals;
  if (args.positionals.length < min || args.positionals.length > max) throw new UserError(error);
}

/** The warnings of a result, on stderr (stdout stays the result). */
export const warn = (warnings: readonly string[] | undefined): void => {
  for (const w of warnings ?? []) process.stderr.write(`warning: ${w}\n`);
};

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

/** --model, resolved; the embedded model without it. */
export const modelFlag = (args: Args): string => resolve(str(args, 'model') ?? embeddedModel());

export const epOrder = (args: Args): string[] => (str(args, 'ep') ?? DEFAULT_PROVIDER_ORDER.join(',')).split(',').map((s) => s.trim()).filter(Boolean);

export function inspectArg(args: Args): InspectResult {
  if (args.positionals.length !== 1) throw new UserError('Give exactly one model file.');
  return inspectModel(resolve(args.positionals[0]), { imageSize: int(args, 'image', 1, 10_000) });
}
