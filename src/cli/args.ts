import { UserError } from '../core/errors';

/** Parsed command line: positionals and --flags (a flag without a value is `true`). */
export interface Args {
  positionals: string[];
  flags: Map<string, string | true>;
  /** Every value of a flag given more than once (`--model A --model B`), in order; `flags` keeps the last. */
  repeated?: Map<string, string[]>;
}

export function parseArgs(argv: string[], booleanFlags: ReadonlySet<string>): Args {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  const repeated = new Map<string, string[]>();
  const keep = (name: string, v: string): void => void repeated.set(name, [...(repeated.get(name) ?? []), v]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) {
        flags.set(name, a.slice(eq + 1));
        keep(name, a.slice(eq + 1));
      }
      else if (booleanFlags.has(name)) flags.set(name, true);
      else {
        const v = argv[i + 1];
        if (v === undefined || v.startsWith('--')) throw new UserError(`--${name} needs a value.`);
        flags.set(name, v);
        keep(name, v);
        i++;
      }
    } else positionals.push(a);
  }
  return { positionals, flags, repeated };
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
