/**
 * vit-inspect: the extension's numbers in a terminal. Every command takes --json and
 * then prints one JSON document. Exit codes: 0 ok, 2 user error (stderr), 1 bug.
 */
import { join } from 'node:path';
import { isUserError, UserError } from './core/errors';
import { parseArgs, str, unknownFlags, type Args } from './cli/args';
import { table } from './cli/table';
import { RuntimeClient } from './runtime/client';
import { DEFAULT_PROVIDER_ORDER } from './core/inference/providers';

type Command = { summary: string; usage: string; booleans?: string[]; run(args: Args, json: boolean): Promise<void> };

const print = (s: string): void => void process.stdout.write(s.endsWith("\n") ? s : s + "\n");
const printJson = (v: unknown): void => print(JSON.stringify(v, null, 2));

export const commands: Record<string, Command> = {
  providers: {
    summary: 'which ONNX Runtime execution providers this build has and which start here',
    usage: 'vit-inspect providers [--ep cuda,dml,coreml,webgpu,cpu] [--json]',
    async run(args, json) {
      unknownFlags(args, ['ep', 'json']);
      const order = (str(args, 'ep') ?? DEFAULT_PROVIDER_ORDER.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
      const client = new RuntimeClient(join(__dirname, 'runtime.js'));
      try {
        const r = await client.request('providers', { order });
        if (json) return printJson(r);
        print(`ONNX Runtime ${r.ortVersion} on ${r.platform}`);
        print(table(['provider', 'status', 'ms', 'why not'], r.providers.map((p) => [p.name, !p.compiled ? 'not in this build' : p.works ? 'works' : 'fails', p.ms ?? '', [p.reason, p.fix].filter(Boolean).join(' — ')])));
      } finally {
        client.dispose();
      }
    },
  },
};

function help(): string {
  const lines = ['vit-inspect — look inside ViT and Swin ONNX models', '', 'Commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(11)} ${c.summary}`, `              ${c.usage}`);
  lines.push('', 'Every command takes --json. Exit codes: 0 ok, 2 user error, 1 bug.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    print(help());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  try {
    if (!cmd) throw new UserError(`Unknown command "${name}". Run vit-inspect --help.`);
    if (rest.includes('--help')) {
      print(cmd.usage);
      return 0;
    }
    const args = parseArgs(rest, new Set(['json', ...(cmd.booleans ?? [])]));
    await cmd.run(args, args.flags.get('json') === true);
    return 0;
  } catch (e) {
    if (isUserError(e)) {
      process.stderr.write(`vit-inspect: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`vit-inspect: internal error (a bug, please report): ${(e as Error)?.stack ?? e}\n`);
    return 1;
  }
}

if (require.main === module) void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
