/**
 * vit-inspect: the extension's numbers in a terminal. Every command takes --json and
 * then prints one JSON document. Exit codes: 0 ok, 2 user error (stderr), 1 bug.
 * Each command lives in a module of its own; this file only registers and dispatches them.
 */
import { isUserError, UserError, userMessage } from '../core/errors';
import { parseArgs } from './args';
import { archCommands } from './arch';
import { attentionCommands } from './attention';
import { checkpointCommands } from './checkpoint';
import { classifyCommands } from './classify';
import { compareCommands } from './compare';
import { print, type Command } from './common';
import { doctorCommands } from './doctor';
import { embeddingsCommands } from './embeddings';
import { flopsCommands } from './flops';
import { hubCommands, resolveHfArgs } from './hub';
import { providersCommands } from './providers';
import { relposCommands } from './relpos';
import { evaluateCommands } from './evaluate';
import { explainCommands } from './explain';
import { traceCommands } from './trace';

export { embeddedModel } from './common';

/** Every command, in the order --help lists them: a new command module adds one line here. */
export const commands: Record<string, Command> = {
  ...archCommands,
  ...flopsCommands,
  ...classifyCommands,
  ...attentionCommands,
  ...traceCommands,
  ...embeddingsCommands,
  ...relposCommands,
  ...providersCommands,
  ...doctorCommands,
  ...checkpointCommands,
  ...hubCommands,
  ...evaluateCommands,
  ...explainCommands,
  ...compareCommands,
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
    if (name !== 'pull') await resolveHfArgs(args);
    await cmd.run(args, args.flags.get('json') === true);
    return 0;
  } catch (e) {
    if (isUserError(e)) {
      process.stderr.write(`vit-inspect: ${userMessage(e)}\n`);
      return 2;
    }
    process.stderr.write(`vit-inspect: internal error (a bug, please report): ${(e as Error)?.stack ?? e}\n`);
    return 1;
  }
}

if (require.main === module) {
  // `vit-inspect … | head`: the reader has gone, so there is no one left to tell; stop quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
