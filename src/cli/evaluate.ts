/** `vit-inspect evaluate`: accuracy, top-5, per-class scores and the confusion matrix on a labelled folder, per model. */
import { resolve } from 'node:path';
import { evaluateFolder } from '../runtime/evaluate';
import { str, type Args } from './args';
import { table } from '../core/textTable';
import { embeddedModel, epOrder, print, printJson, withRuntime } from './common';

export async function runEvaluate(args: Args, json: boolean): Promise<void> {
  const models = (args.repeated?.get('model') ?? []).map((m) => resolve(m));
  if (!models.length) models.push(embeddedModel());
  const dir = resolve(args.positionals[0]);
  const csv = str(args, 'labels-csv');
  const result = await withRuntime((c) => evaluateFolder(c, models, dir, csv && resolve(csv), epOrder(args)));
  const { doc, note } = result;
  if (note) process.stderr.write(`note: ${note}\n`);
  if (json) return printJson(doc);
  print(`${doc.images} images in ${dir}`);
  if (doc.unmatched.length) print(`folders matching no class (skipped): ${doc.unmatched.join(', ')}`);
  if (doc.empty.length) print(`empty classes: ${doc.empty.join(', ')}`);
  for (const u of doc.unreadable) print(`unreadable: ${u.path}: ${u.reason}`);
  for (const m of doc.models) {
    print(`\n${m.model}\naccuracy ${(m.accuracy * 100).toFixed(2)}%, top-5 ${(m.top5 * 100).toFixed(2)}%, ${m.imagesPerSecond.toFixed(1)} images/s`);
    print(table(['class', 'precision', 'recall', 'support'], m.perClass.map((c) => [c.label, c.precision.toFixed(3), c.recall.toFixed(3), c.support])));
    print('confusion (rows = true, columns = predicted):');
    print(table(['true \\ predicted', ...m.labels.map((_, i) => String(i))], m.confusion.map((row, i) => [`${i} ${m.labels[i]}`, ...row])));
  }
  if (doc.agreement !== undefined) print(`\nagreement (same top-1): ${(doc.agreement * 100).toFixed(2)}%`);
}
