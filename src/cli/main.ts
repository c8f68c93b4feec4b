/**
 * vit-inspect: the extension's numbers in a terminal. Every command takes --json and
 * then prints one JSON document. Exit codes: 0 ok, 2 user error (stderr), 1 bug.
 * Each command's run() lives in a module of its own; this file registers them (help, flags, positionals) and dispatches.
 */
import { isUserError, UserError, userMessage } from '../core/errors';
import { PRESET_NAMES } from '../core/flops';
import { parseArgs } from './args';
import { runArch } from './arch';
import { runAttention } from './attention';
import { runExport, runTensors } from './checkpoint';
import { runClassify } from './classify';
import { runCompare } from './compare';
import { checkAccepted, print, type Command } from './common';
import { runDoctor } from './doctor';
import { runEmbeddings } from './embeddings';
import { runComplexity, runFlops } from './flops';
import { resolveHfArgs, runModels, runPull } from './hub';
import { runPlacement, runProviders } from './providers';
import { runRelpos } from './relpos';
import { runEvaluate } from './evaluate';
import { runExplain } from './explain';
import { runTrace } from './trace';

export { embeddedModel } from './common';

// The usages that a refusal repeats.
const TRACE = 'vit-inspect trace IMAGE --model M --layer L --head H --token T [--ep cuda,cpu] [--json]';
const EXPORT = 'vit-inspect export CHECKPOINT -o OUT.onnx [--json]';
const TENSORS = 'vit-inspect tensors CHECKPOINT [--json]';
const EXPLAIN = 'vit-inspect explain IMAGE [--model M] [--method occlusion|rise|drop] [--class K|NAME] [--window P] [--stride S] [--masks N] [--seed X] [--batch N] [--ep LIST] [--json]';
const COMPARE = 'vit-inspect compare MODEL MODEL... [--folder DIR [--labels CSV]] [--resolutions 224,384] [--rounds N] [--ep LIST] [--json]';

/** Every command, in the order --help lists them: a new command is one entry here and a run function in a module of its own. */
export const commands: Record<string, Command> = {
  arch: {
    summary: 'family, config, params, MACs and module tree of a model (weights are not read)',
    usage: 'vit-inspect arch MODEL [--image N] [--depth D] [--json]',
    flags: ['image', 'depth', 'json'],
    run: runArch,
  },
  flops: {
    summary: 'MACs of a model: counted from its graph, or analytic for a published preset',
    usage: `vit-inspect flops MODEL | --preset ${PRESET_NAMES.join('|')} [--image N] [--window M] [--json]`,
    flags: ['preset', 'image', 'window', 'json'],
    run: runFlops,
  },
  complexity: {
    summary: 'Ω(MSA) against Ω(W-MSA) for one attention layer across window sizes',
    usage: 'vit-inspect complexity --hw HxW --dim C [--heads N] [--windows 2,4,7,...] [--measure] [--ep LIST] [--json]',
    flags: ['hw', 'dim', 'heads', 'windows', 'measure', 'ep', 'json'],
    booleans: ['measure'],
    run: runComplexity,
  },
  classify: {
    summary: 'classify images with a ViT/DeiT/Swin model (default: the embedded Fashion-MNIST ViT)',
    usage: 'vit-inspect classify IMAGE... [--model M] [--top K] [--ep cuda,cpu] [--labels FILE] [--batch N] [--json]',
    flags: ['model', 'top', 'ep', 'labels', 'batch', 'json'],
    positionals: [1, Infinity, 'Give at least one image: vit-inspect classify IMAGE... [--model M]'],
    run: runClassify,
  },
  attention: {
    summary: 'the model\'s own attention for an image: per layer (mean over heads) and ViT rollout',
    usage: 'vit-inspect attention IMAGE [--model M] [--ep cuda,cpu] [--json] [--out heat.png]',
    flags: ['model', 'ep', 'json', 'out'],
    positionals: [1, 1, 'Give one image: vit-inspect attention IMAGE [--model M] [--out heat.png]'],
    run: runAttention,
  },
  trace: {
    summary: 'one token through one forward pass, step by step, each step recomputed from the one before',
    usage: TRACE,
    flags: ['model', 'layer', 'head', 'token', 'ep', 'json'],
    positionals: [1, 1, `Give one image: ${TRACE}`],
    run: runTrace,
  },
  embeddings: {
    summary: 'position-embedding similarity and patch-embedding filter components (ViT paper, Figure 7; reads those two weights)',
    usage: 'vit-inspect embeddings MODEL [--components K] [--json]',
    flags: ['components', 'json'],
    positionals: [1, 1, 'Give one model: vit-inspect embeddings MODEL [--json]'],
    run: runEmbeddings,
  },
  relpos: {
    summary: 'Swin\'s learned relative position bias: each block\'s (2M−1)×(2M−1) table per head, from the model\'s weights',
    usage: 'vit-inspect relpos MODEL [--json]',
    flags: ['json'],
    positionals: [1, 1, 'Give one model file: vit-inspect relpos MODEL [--json]'],
    run: runRelpos,
  },
  providers: {
    summary: 'which ONNX Runtime execution providers this build has and which start here',
    usage: 'vit-inspect providers [--ep cuda,dml,coreml,webgpu,cpu] [--json]',
    flags: ['ep', 'json'],
    run: runProviders,
  },
  placement: {
    summary: 'which execution provider ran each node of a model (one profiled run)',
    usage: 'vit-inspect placement [MODEL] [--ep cuda,cpu] [--json]',
    flags: ['ep', 'json'],
    run: runPlacement,
  },
  doctor: {
    summary: 'GPU self-check: every provider probed; the embedded models and a ViT-B/16 attention layer run on each one that starts, against the CPU provider',
    usage: 'vit-inspect doctor [--json]',
    flags: ['json'],
    positionals: [0, 0, 'doctor takes no arguments: vit-inspect doctor [--json]'],
    run: runDoctor,
  },
  export: {
    summary: 'a safetensors checkpoint (Hugging Face or timm) as a standard ONNX file, config.json and preprocessor_config.json copied beside it',
    usage: EXPORT,
    flags: ['out', 'json'],
    positionals: [1, 1, `Give one checkpoint: ${EXPORT}`],
    run: runExport,
  },
  tensors: {
    summary: 'the tensors of a safetensors checkpoint (name, dtype, shape, bytes), read from its headers',
    usage: TENSORS,
    flags: ['json'],
    positionals: [1, 1, `Give one checkpoint: ${TENSORS}`],
    run: runTensors,
  },
  pull: {
    summary: 'download a model from the Hugging Face Hub into its cache: configs and one variant\'s weights',
    usage: 'vit-inspect pull REPO[@REVISION] [--variant fp32|fp16|quantized|int8|uint8|q4|...|safetensors] [--json]',
    flags: ['variant', 'json'],
    positionals: [1, 1, 'Give one repo: vit-inspect pull org/name[@revision] [--variant fp16]'],
    run: runPull,
  },
  models: {
    summary: 'the ViT/DeiT/Swin models in the Hugging Face cache and in this folder',
    usage: 'vit-inspect models [--json]',
    flags: ['json'],
    positionals: [0, 0, 'vit-inspect models takes no arguments: it lists the Hugging Face cache and the current folder.'],
    run: runModels,
  },
  evaluate: {
    summary: 'accuracy, top-5, per-class precision/recall and the confusion matrix of one or more models on a labelled folder',
    usage: 'vit-inspect evaluate DIR --model A [--model B ...] [--labels-csv F] [--ep cuda,cpu] [--json]',
    flags: ['model', 'labels-csv', 'ep', 'json'],
    positionals: [1, 1, 'Give one labelled folder: vit-inspect evaluate DIR --model A [--model B ...]'],
    run: runEvaluate,
  },
  explain: {
    summary: 'which regions drive a class: occlusion sensitivity (one value per window position) RISE (one value per input pixel: grid = the input\'s H×W) or token dropping (ViT: one value per patch token removed from the sequence); forward passes only',
    usage: EXPLAIN,
    flags: ['model', 'method', 'class', 'window', 'stride', 'masks', 'seed', 'ep', 'batch', 'json'],
    positionals: [1, 1, `Give one image: ${EXPLAIN}`],
    run: runExplain,
  },
  compare: {
    summary: 'two or more models side by side: config, params, MACs per stage and role, Ω(MSA) vs Ω(W-MSA), latency, and accuracy on a labelled folder',
    usage: COMPARE,
    flags: ['folder', 'labels', 'resolutions', 'rounds', 'ep', 'json'],
    positionals: [2, Infinity, `Compare needs two or more models: ${COMPARE}`],
    run: runCompare,
  },
};

function help(): string {
  const lines = ['vit-inspect — look inside ViT, DeiT and Swin models', '', 'Commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(11)} ${c.summary}`, `              ${c.usage}`);
  lines.push(
    '',
    'MODEL / M: an .onnx file; a safetensors checkpoint (model.safetensors, model.safetensors.index.json, or their',
    '  folder, Hugging Face or timm layout, config.json beside it); or hf:org/name[@rev] from the Hugging Face cache.',
    'Every command takes --json. Exit codes: 0 ok, 2 user error, 1 bug.',
  );
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
    checkAccepted(cmd, args);
    await cmd.run(args, args.flags.get('json') === true, cmd.usage);
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
