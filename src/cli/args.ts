import { parseArgs as nodeParseArgs } from 'node:util';
import { UserError } from '../core/errors';

/** Parsed command line: positionals and --flags (a flag without a value is `true`). */
export interface Args {
  positionals: string[];
  flags: Map<string, string | true>;
  /** Every value of a flag given more than once (`--model A --model B`), in order; `flags` keeps the last. */
  repeated?: Map<string, string[]>;
}

/**
 * node:util's parseArgs, strict: every `--name` given is declared (a string unless it is one of the
 * command's booleans), so unknown flags reach unknownFlags() with the command's own list of known ones,
 * and a string flag without a value is a user error in our words.
 */
export function parseArgs(argv: string[], booleanFlags: ReadonlySet<string>): Args {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const a of argv) {
    if (a === '--') break;
    if (!a.startsWith('--')) continue;
    const name = a.slice(2).split('=')[0];
    options[name] = booleanFlags.has(name) ? { type: 'boolean' } : { type: 'string', multiple: true };
  }
  // The one short option: `-o OUT` is `--out OUT` (export's usage, as compilers spell it).
  if (argv.includes('-o')) options.out = { type: 'string', multiple: true, short: 'o' };
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    const msg = (e as Error).message;
    const long = /--([^' <,]+)/.exec(msg)?.[1];
    if (long && /argument missing/.test(msg)) throw new UserError(`--${long} needs a value.`);
    const m = /'(-{1,2})([^' <,]+)/.exec(msg);
    if (m?.[1] === '-') throw new UserError(`Unknown option -${m[2]}: options are spelled --name.`);
    const name = long ?? m?.[2] ?? '';
    throw new UserError(booleanFlags.has(name) ? `--${name} takes no value.` : `--${name} needs a value.`);
  }
  const flags = new Map<string, string | true>();
  const repeated = new Map<string, string[]>();
  for (const [k, v] of Object.entries(parsed.values)) {
    if (v === undefined || v === false) continue;
    if (Array.isArray(v)) repeated.set(k, v.map(String));
    flags.set(k, v === true ? true : String(Array.isArray(v) ? v[v.length - 1] : v));
  }
  return { positionals: parsed.positionals, flags, repeated };
}

export function str(args: Args, name: string): string | undefined {
  const v = args.flags.get(name);
  if (v === true) throw new UserError(`--${name} needs a value.`);
  return v;
}

export function int(args: Args, name: string, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || +v < min || +v > max) throw new UserError(`--${name} must be an integer from ${min} to ${max}, not "${v}".`);
  return +v;
}

export function intList(args: Args, name: string): number[] | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  return v.split(',').map((s) => {
    const t = s.trim();
    if (!/^-?\d+(\.\d+)?$/.test(t)) throw new UserError(`--${name}: "${t}" is not a number.`);
    const n = Number(t);
    if (!Number.isInteger(n)) throw new UserError(`--${name}: "${t}" is not an integer.`);
    return n;
  });
}

/** "56x56" → [56, 56]. */
export function dims(args: Args, name: string): [number, number] | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  const m = /^(\d+)[x×,](\d+)$/i.exec(v.trim());
  if (!m) throw new UserError(`--${name} must look like 56x56, not "${v}".`);
  return [+m[1], +m[2]];
}

export function unknownFlags(args: Args, known: string[]): void {
  for (const k of args.flags.keys()) if (!known.includes(k)) throw new UserError(`Unknown option --${k}. Known here: ${known.map((k) => `--${k}`).join(', ')}.`);
}
