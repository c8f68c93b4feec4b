/**
 * Compare Models: two or more models side by side. Structure (config, params, MACs per stage and
 * role) comes from each model's `arch` in the inference process and is put together by
 * core/compare; latency is measured there too (runtime/latency.ts: the same images, alternated
 * rounds); a labelled folder adds each model's accuracy, their agreement and where they disagree.
 */
import * as vscode from 'vscode';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Services } from './context';
import { EMBEDDED, embeddedModelPath, modelDisplayName, selectModel } from './model';
import { inspect } from './modelInfo';
import { workspaceCheckpoints } from './checkpoints';
import { compareDocument, latencyRows, type CompareDocument } from '../core/compare/document';
import { UserError, isUserError } from '../core/errors';
import { IMAGE_EXTENSIONS } from '../core/image/folder';
import { evaluateSource } from '../core/evaluate/layout';
import { compareOnFolder } from '../runtime/evaluate';
import { scoringSettings } from './preprocessing';
import { ComparePanel } from './panels/comparePanel';

const MODEL = /\.(onnx|safetensors)$|\.safetensors\.index\.json$/i;
/** Images timed per model and round: the shipped samples (one per Fashion-MNIST class). */
const LATENCY_IMAGES = 10;
const ROUNDS = 3;

/** The models to compare: the Explorer's selection, else a multi-select pick. */
async function pickModels(services: Services, clicked?: vscode.Uri, selected?: vscode.Uri[]): Promise<string[] | undefined> {
  const chosen = (selected?.length ? selected : clicked ? [clicked] : []).map((u) => u.fsPath).filter((p) => MODEL.test(p));
  if (chosen.length >= 2) return chosen;
  type Item = vscode.QuickPickItem & { path: string };
  const files = [...(await vscode.workspace.findFiles('**/*.onnx', '**/node_modules/**', 200)), ...(await workspaceCheckpoints())];
  const items: Item[] = [
    ...EMBEDDED.map((n) => ({ label: `$(package) ${n}`, description: 'embedded', path: embeddedModelPath(services, n) })),
    ...files.map((f) => ({ label: `$(file-binary) ${basename(f.fsPath)}`, description: vscode.workspace.asRelativePath(f), path: f.fsPath })),
  ];
  for (const it of items) it.picked = chosen.includes(it.path) || (chosen.length === 0 && it.description === 'embedded');
  const picks = await vscode.window.showQuickPick(items, { title: 'ViT Inspector: Compare Models', placeHolder: 'Pick two or more models to compare', canPickMany: true, matchOnDescription: true });
  if (!picks) return undefined;
  if (picks.length < 2) throw new UserError('Compare Models needs two or more models: pick at least two (or select them in the Explorer and right-click → Compare Models).');
  return picks.map((p) => p.path);
}

export async function compareModels(services: Services, clicked?: vscode.Uri, selected?: vscode.Uri[]): Promise<void> {
  const models = await pickModels(services, clicked, selected);
  if (models) await compare(services, models);
}

/** A revived Compare Models panel: the document it showed before the reload, its buttons on the same models and folder (nothing re-run). */
export function restoreComparison(services: Services, doc: CompareDocument): Promise<void> {
  return compare(services, doc.models.map((m) => m.path), doc.evaluation?.folder, doc);
}

async function compare(services: Services, models: string[], folder?: string, saved?: CompareDocument): Promise<void> {
  const names = saved?.models.map((m) => m.name) ?? models.map((m) => modelDisplayName(services, m));
  // Structure first (the inference process reads the graphs; weights stay on disk).
  const doc: CompareDocument =
    saved ??
    compareDocument(
      (await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'ViT Inspector: reading the models', cancellable: true }, (_p, token) => Promise.all(models.map((m) => inspect(services, m, {}, token))))).map((arch, i) => ({ name: names[i], arch })),
    );
  let latencyError: string | null = null;
  const panel = ComparePanel.show(services, {
    addModel: async () => {
      const m = await selectModel(services, undefined, { store: false, purpose: `A model to compare with ${names.join(', ')}` });
      if (m && !models.includes(m)) await compare(services, [...models, m], folder);
    },
    pickFolder: async () => {
      const f = (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'A labelled folder (one subfolder per class) to score every model on' }))?.[0];
      if (f) await scoreFolder(f.fsPath);
    },
    remeasure: () => measure(),
  });
  const send = (pending: string | null) => panel.update({ type: 'compare', doc, pending, latencyError });

  if (saved) return send(null);
  send('latency');

  async function measure(): Promise<void> {
    try {
      services.requireTrust('Measuring latency');
      const dir = vscode.Uri.joinPath(services.extensionUri, 'samples').fsPath;
      const images = readdirSync(dir).filter((f) => IMAGE_EXTENSIONS.test(f)).sort().slice(0, LATENCY_IMAGES).map((f) => join(dir, f));
      send('latency');
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `ViT Inspector: timing ${models.length} models on ${images.length} images, ${ROUNDS} alternated rounds`, cancellable: true }, (_p, token) =>
        services.runtime.request('latency', { models, images, order: services.providerOrder(), rounds: ROUNDS }, token),
      );
      doc.latency = latencyRows(r.models.map((x, i) => ({ model: names[i], ep: x.ep, ms: x.ms })));
      latencyError = null;
      services.setProvider(r.models[0].ep, []);
    } catch (e) {
      if (!isUserError(e)) services.report(e, 'Compare Models (latency)');
      latencyError = (e as Error).message;
    }
    send(null);
  }

  async function scoreFolder(dir: string): Promise<void> {
    folder = dir;
    send(`accuracy on ${basename(dir)}`);
    try {
      services.requireTrust('Scoring on a labelled folder');
      // As Evaluate Model on Folder scores it: the folder's labels CSV if it holds one, Classify's settings.
      const source = evaluateSource(dir);
      const settings = scoringSettings(services.config(vscode.Uri.file(dir)));
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `ViT Inspector: scoring ${models.length} models on ${basename(dir)}`, cancellable: true }, (progress, token) =>
        compareOnFolder(services.runtime, models, names, source.dir, source.csv, services.providerOrder(vscode.Uri.file(dir)), {
          ...settings,
          token,
          onProgress: (m, done, total) => progress.report({ message: `${names[models.indexOf(m)]}: ${done}/${total}` }),
        }),
      );
      doc.evaluation = r.evaluation;
      send(null);
    } catch (e) {
      send(null);
      throw e;
    }
  }

  await measure();
  if (folder) await scoreFolder(folder);
}
