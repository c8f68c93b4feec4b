import * as vscode from 'vscode';
import { writeFileSync } from 'node:fs';
import { basename, relative } from 'node:path';
import type { Services } from './context';
import { configuredModel, modelDisplayName, shownPath } from './model';
import { listImages, resultPaths, toCsv, type FolderResultRow } from '../core/image/folder';
import { UserError } from '../core/errors';
import { FolderPanel } from './panels/folderPanel';

const CHUNK = 16;

/** Classify every image under a folder, in chunks, with a cancellable progress notification. */
export async function classifyFolder(services: Services, folder: vscode.Uri): Promise<void> {
  services.requireTrust('Classify Folder');
  const images = listImages(folder.fsPath);
  if (images.length === 0) throw new UserError(`No images (png, jpg, webp, bmp, gif, tiff) under ${folder.fsPath}.`);
  const cfg = services.config(folder);
  const model = configuredModel(services, folder);
  const order = services.providerOrder(folder);
  const panel = FolderPanel.show(services, folder.fsPath, () => classifyFolder(services, folder));
  const rows: FolderResultRow[] = [];
  let ep = '';
  const out = resultPaths(folder.fsPath);
  let cancelled: boolean;
  try {
    cancelled = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `ViT Inspector: classifying ${images.length} images in ${basename(folder.fsPath)}`, cancellable: true },
      async (progress, token) => {
        for (let i = 0; i < images.length; i += CHUNK) {
          if (token.isCancellationRequested) return true;
          const chunk = images.slice(i, i + CHUNK);
          try {
            const r = await services.runtime.request('classify', { model, images: chunk, topK: 1, order, labelsFile: cfg.get<string>('labelsFile', '') || undefined, maxPixels: cfg.get('maxImagePixels', 100_000_000) }, token);
            ep = r.ep;
            services.setProvider(r.ep, r.failures);
            for (const x of r.results) rows.push(x.ok ? { image: x.image, index: x.top[0].index, label: x.top[0].label, prob: x.top[0].prob } : { image: x.image, error: x.error });
          } catch (e) {
            if (token.isCancellationRequested) return true;
            throw e;
          }
          progress.report({ increment: (chunk.length / images.length) * 100, message: `${rows.length}/${images.length}` });
          panel.update({ type: 'folder', folder: shownPath(folder.fsPath), model: modelDisplayName(services, model), ep, rows: rows.map((r) => ({ ...r, image: relative(folder.fsPath, r.image) })), written: [], done: false });
        }
        return false;
      },
    );
  } catch (e) {
    // A model that cannot load (or a run that fails) ends the folder: the panel says why, and no partial results are written.
    panel.update({ type: 'error', message: (e as Error).message });
    throw e;
  }
  writeFileSync(out.csv, toCsv(folder.fsPath, rows));
  writeFileSync(out.json, JSON.stringify({ folder: folder.fsPath, model, ep, complete: !cancelled, results: rows.map((r) => ({ ...r, image: relative(folder.fsPath, r.image) })) }, null, 2));
  panel.update({ type: 'folder', folder: shownPath(folder.fsPath), model: modelDisplayName(services, model), ep, rows: rows.map((r) => ({ ...r, image: relative(folder.fsPath, r.image) })), written: [out.csv, out.json], done: true });
  const failed = rows.filter((r) => r.error).length;
  void vscode.window.showInformationMessage(
    `ViT Inspector: ${cancelled ? 'cancelled after' : 'classified'} ${rows.length - failed} of ${images.length} images${failed ? `, ${failed} unreadable` : ''}. Results: ${basename(out.csv)}`,
  );
}
