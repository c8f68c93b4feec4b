/**
 * Evaluate Model on Folder: the folder's images classified by one or more models (the inference
 * process's classify request, in Classify Folder's chunks: runtime/evaluate.ts), scored against the
 * class each subfolder names, shown in the evaluate panel and written beside the folder as
 * <folder>.evaluate.csv and .json. Cancellable from the notification and from the panel.
 */
import * as vscode from 'vscode';
import { writeFileSync } from 'node:fs';
import { basename, relative } from 'node:path';
import type { Services } from './context';
import { configuredModel, modelDisplayName, selectModel } from './model';
import { evaluateFolder } from '../runtime/evaluate';
import { evaluateCsv, evaluatePaths } from '../core/evaluate/document';
import { evaluateSource } from '../core/evaluate/layout';
import { isUserError } from '../core/errors';
import { EvaluatePanel, type EvaluateActions } from './panels/evaluatePanel';
import { scoringSettings } from './preprocessing';
import type { EvaluateView } from '../shared/protocol';

/** The evaluate panel's buttons for `folder` (a folder or labels CSV) and `list`; `stop` cancels the run in progress, if any. */
export function evaluateActions(services: Services, folder: vscode.Uri, list: string[], stop?: vscode.CancellationTokenSource): EvaluateActions {
  return {
    models: list,
    again: () => evaluateModelOnFolder(services, folder, list),
    addModel: async () => {
      const chosen = await selectModel(services, undefined, { store: false, purpose: `A model to evaluate on ${basename(folder.fsPath)} beside ${list.map((m) => modelDisplayName(services, m)).join(', ')}` });
      if (chosen) await evaluateModelOnFolder(services, folder, [...list.filter((m) => m !== chosen), chosen]);
    },
    cancel: () => stop?.cancel(),
  };
}

/** Right-click a folder (or the palette, then a folder): evaluate `models` (default: the model in use) on it. */
export async function evaluateModelOnFolder(services: Services, folder: vscode.Uri, models?: string[]): Promise<void> {
  services.requireTrust('Evaluate Model on Folder');
  const list = models?.length ? models : [configuredModel(services, folder)];
  // A labels CSV (right-clicked, or the one with a file,label header in the folder) names the classes; else the subfolders do.
  const { dir, csv } = evaluateSource(folder.fsPath);
  const cfg = services.config(folder);
  const stop = new vscode.CancellationTokenSource();
  const panel = EvaluatePanel.show(services, folder, vscode.Uri.file(dir), evaluateActions(services, folder, list, stop));
  const names = list.map((m) => modelDisplayName(services, m));
  panel.update({ type: 'evaluateProgress', folder: dir, model: names[0], index: 0, models: list.length, done: 0, total: 0 });
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `ViT Inspector: evaluating on ${basename(dir)}`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => stop.cancel());
        let lastModel = '';
        let lastDone = 0;
        return evaluateFolder(services.runtime, list, dir, csv, services.providerOrder(folder), {
          ...scoringSettings(cfg),
          token: stop.token,
          onProgress: (model, done, total) => {
            const index = list.indexOf(model);
            if (model !== lastModel) lastDone = 0;
            progress.report({ increment: ((done - lastDone) / total / list.length) * 100, message: `${names[index]}: ${done}/${total}` });
            lastModel = model;
            lastDone = done;
            panel.update({ type: 'evaluateProgress', folder: dir, model: names[index], index, models: list.length, done, total });
          },
        });
      },
    );
    const out = evaluatePaths(dir);
    writeFileSync(out.csv, evaluateCsv(result.runs.map((r) => ({ ...r, predictions: r.predictions.map((p) => ({ ...p, path: relative(dir, p.path) })) }))));
    writeFileSync(out.json, JSON.stringify({ folder: dir, ...result.doc }, null, 2) + '\n');
    const eps = [...new Set(result.runs.map((r) => r.ep).filter(Boolean))];
    const view: EvaluateView = {
      folder: dir,
      ...(folder.fsPath !== dir ? { source: folder.fsPath } : {}),
      imageBase: panel.imageBase(),
      images: result.doc.images,
      models: result.doc.models.map((m, i) => ({ ...m, name: names[i], path: m.model, predictions: result.runs[i].predictions.map((p) => ({ ...p, path: relative(dir, p.path) })) })),
      unmatched: result.doc.unmatched,
      empty: result.doc.empty,
      unreadable: result.doc.unreadable,
      note: result.note ?? null,
      agreement: result.doc.agreement ?? null,
      ep: eps.join(', '),
      written: [out.csv, out.json],
    };
    const lastEp = eps[eps.length - 1];
    if (lastEp) services.setProvider(lastEp, []);
    panel.update({ type: 'evaluate', view });
  } catch (e) {
    const cancelled = stop.token.isCancellationRequested;
    // The panel never stays on "working": it says what stopped the run, and that nothing was written.
    panel.update({ type: 'error', message: cancelled ? 'Cancelled: no results were written.' : (e as Error).message });
    if (!cancelled && !isUserError(e)) throw e;
    if (!cancelled) services.report(e, 'Evaluate Model on Folder');
  } finally {
    stop.dispose();
  }
}
