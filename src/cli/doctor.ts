/** `vit-inspect doctor`: the GPU self-check. */
import { UserError } from '../core/errors';
import { doctorReport } from '../shared/doctorReport';
import { unknownFlags } from './args';
import { embeddedModel, print, printJson, withRuntime, type Command } from './common';

export const doctorCommands: Record<string, Command> = {
  doctor: {
    summary: 'GPU self-check: every provider probed; the embedded models and a ViT-B/16 attention layer run on each one that starts, against the CPU provider',
    usage: 'vit-inspect doctor [--json]',
    async run(args, json) {
      unknownFlags(args, ['json']);
      if (args.positionals.length) throw new UserError('doctor takes no arguments: vit-inspect doctor [--json]');
      if (!json) process.stderr.write('running the GPU self-check (the first run on a GPU compiles its shaders: up to a minute on a software adapter)…\n');
      const r = await withRuntime((c) => c.request('doctor', { models: [embeddedModel('fashion-vit'), embeddedModel('fashion-swin')] }));
      if (json) return printJson(r);
      print(doctorReport(r));
    },
  },
};
