/**
 * vit-inspect: the extension's numbers in a terminal. Every command takes --json and
 * then prints one JSON document. Exit codes: 0 ok, 2 user error (stderr), 1 bug.
 */
import { join, resolve } from 'node:path';
import { isUserError, UserError } from './core/errors';
import { int, parseArgs, str, unknownFlags, type Args } from './cli/args';
import { table } from './cli/table';
import { RuntimeClient } from './runtime/client';
import { DEFAULT_PROVIDER_ORDER } from './core/inference/providers';

type Command = { summary: string; usage: string; booleans?: string[]; run(args: Args, json: boolean): Promise<void> };

const print = (s: string): void => void process.stdout.write(s.endsWith("\n") ? s : s + "\n");
const printJson = (v: unknown): void => print(JSON.stringify(v, null, 2));

/** The embedded default model, shipped in media/models/ beside dist/. */
export function embeddedModel(name = 'fashion-vit'): string {
  return resolve(__dirname, '..', 'media', 'models', `${name}.onnx`);
}

async function withRuntime<T>(fn: (c: RuntimeClient) => Promise<T>): Promise<T> {
  const client = new RuntimeClient(join(__dirname, 'runtime.js'));
  try {
    return await fn(client);
  } finally {
    client.dispose();
  }
}

const epOrder = (args: Args) => (str(args, 'ep') ?? DEFAULT_PROVIDER_ORDER.join(',')).split(',').map((s) => s.trim()).filter(Boolean);

export const commands: Record<string, Command> = {
  classify: {
    summary: 'classify images with a ViT/Swin ONNX model (default: the embedded Fashion-MNIST ViT)',
    usage: 'vit-inspect classify IMAGE... [--model M.onnx] [--top K] [--ep cuda,cpu] [--labels FILE] [--json]',
    async run(args, json) {
      unknownFlags(args, ['model', 'top', 'ep', 'labels', 'json']);
      if (args.positionals.length === 0) throw new UserError('Give at least one image: vit-inspect classify IMAGE... [--model M.onnx]');
      const model = resolve(str(args, 'model') ?? embeddedModel());
      const r = await withRuntime((c) =>
        c.request('classify', { model, images: args.positionals.map((p) => resolve(p)), topK: int(args, 'top', 1, 1000) ?? 5, order: epOrder(args), labelsFile: str(args, 'labels') }),
      );
      const failed = r.results.filter((x) => !x.ok);
      if (json) {
        printJson({
          model: r.model,
          ep: r.ep,
          labels: r.labels.source,
          results: r.results.map((x) => (x.ok ? { image: x.image, top: x.top, logits: Array.from(x.logits) } : { image: x.image, error: x.error })),
        });
      } else {
        print(`model ${r.model}\nprovider ${r.ep}${r.failures.length ? ` (not: ${r.failures.map((f) => `${f.ep}: ${f.reason}`).join('; ')})` : ''}\nlabels ${r.labels.source}`);
        for (const x of r.results) {
          print(`\n${x.image}`);
          if (!x.ok) print(`  error: ${x.error}`);
          else print(table(['#', 'class', 'label', 'prob'], x.top.map((t, i) => [i + 1, t.index, t.label, `${(t.prob * 100).toFixed(2)}%`])));
        }
      }
      if (failed.length === r.results.length) throw new UserError(`No image could be classified: ${failed[0].ok ? '' : failed[0].error}`);
    },
  },
  providers: {
    summary: 'which ONNX Runtime execution providers this build has and which start here',
    usage: 'vit-inspect providers [--ep cuda,dml,coreml,webgpu,cpu] [--json]',
    async run(args, json) {
      unknownFlags(args, ['ep', 'json']);
      const r = await withRuntime((c) => c.request('providers', { order: epOrder(args) }));
      {
        if (json) return printJson(r);
        print(`ONNX Runtime ${r.ortVersion} on ${r.platform}`);
        print(table(['provider', 'status', 'ms', 'why not'], r.providers.map((p) => [p.name, !p.compiled ? 'not in this build' : p.works ? 'works' : 'fails', p.ms ?? '', [p.reason, p.fix].filter(Boolean).join(' — ')])));
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
