/** `vit-inspect classify`: top-k classes of images with a ViT/Swin model. */
import { resolve } from 'node:path';
import { UserError } from '../core/errors';
import { table } from '../core/textTable';
import { int, str, type Args } from './args';
import { epOrder, modelFlag, print, printJson, withRuntime } from './common';

export async function runClassify(args: Args, json: boolean): Promise<void> {
  const model = modelFlag(args);
  const r = await withRuntime((c) =>
    c.request('classify', {
      model,
      images: args.positionals.map((p) => resolve(p)),
      topK: int(args, 'top', 1, 1000) ?? 5,
      order: epOrder(args),
      labelsFile: str(args, 'labels'),
      batch: int(args, 'batch', 1, 1024),
    }),
  );
  const failed = r.results.filter((x) => !x.ok);
  const ms = (v: number) => +v.toFixed(2);
  if (json) {
    const { summary, ...pre } = r.preprocessing;
    printJson({
      model: r.model,
      ep: r.ep,
      ...(r.compute ? { compute: r.compute } : {}),
      labels: r.labels.source,
      inputType: r.inputType,
      batch: r.batch,
      prepared: r.prepared,
      loadMs: ms(r.loadMs),
      preprocessing: { ...pre, summary },
      results: r.results.map((x) =>
        x.ok
          ? {
              image: x.image,
              top: x.top,
              logits: Array.from(x.logits),
              preprocessing: { original: x.original, resized: x.steps.resized, crop: x.steps.crop },
              timings: { decode: ms(x.timings.decode), preprocess: ms(x.timings.preprocess), run: ms(x.timings.run), batch: x.timings.batch },
            }
          : { image: x.image, error: x.error },
      ),
    });
  } else {
    print(`model ${r.model}${r.compute ? `\nprecision ${r.compute}` : ''}\nprovider ${r.ep}${r.failures.length ? ` (not: ${r.failures.map((f) => `${f.ep}: ${f.reason}`).join('; ')})` : ''}\nlabels ${r.labels.source}`);
    print(`preprocessing ${r.preprocessing.summary}\nbatch ${r.batch.size} (${r.batch.reason}); model load ${r.loadMs.toFixed(0)} ms`);
    for (const x of r.results) {
      print(`\n${x.image}`);
      if (!x.ok) print(`  error: ${x.error}`);
      else {
        print(`  ${x.original.width}×${x.original.height} ${x.original.format} → ${x.steps.resized[0]}×${x.steps.resized[1]}${x.steps.crop ? ` → crop ${x.steps.crop.width}×${x.steps.crop.height} at (${x.steps.crop.left}, ${x.steps.crop.top})` : ''}; decode ${x.timings.decode.toFixed(1)} ms, preprocess ${x.timings.preprocess.toFixed(1)} ms, run ${x.timings.run.toFixed(1)} ms${x.timings.batch > 1 ? ` (share of a batch of ${x.timings.batch})` : ''}`);
        print(table(['#', 'class', 'label', 'prob'], x.top.map((t, i) => [i + 1, t.index, t.label, `${(t.prob * 100).toFixed(2)}%`])));
      }
    }
  }
  if (failed.length === r.results.length) throw new UserError(`No image could be classified: ${failed[0].ok ? '' : failed[0].error}`);
}
