/** `vit-inspect doctor`: the GPU self-check. */
import { doctorReport } from '../shared/doctorReport';
import type { Args } from './args';
import { embeddedModel, print, printJson, withRuntime } from './common';

export async function runDoctor(_args: Args, json: boolean): Promise<void> {
  if (!json) process.stderr.write('running the GPU self-check (the first run on a GPU compiles its shaders: up to a minute on a software adapter)…\n');
  const r = await withRuntime((c) => c.request('doctor', { models: [embeddedModel('fashion-vit'), embeddedModel('fashion-swin')] }));
  if (json) return printJson(r);
  print(doctorReport(r));
}
