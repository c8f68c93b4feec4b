import * as vscode from 'vscode';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Services } from '../context';
import { isUserError, UserError } from '../../core/errors';
import { IMAGE_KINDS, listImages } from '../../core/image/folder';
import { attentionDistances, DistanceAverage } from '../../core/attention/distance';
import type { EmbeddingsDocument } from '../../core/report/embeddings';
import type { DistanceSeries } from '../../shared/protocol';
import { configuredModel, selectModel } from '../model';
import { Panel, unhandled, type Accepts } from './panel';

type Message = Accepts<'ready' | 'pickModel' | 'distanceFolder' | 'copy' | 'save'>;

/** Images a folder average runs on at most (each is one attention capture). */
const FOLDER_LIMIT = 500;

/**
 * The ViT paper's Figure 7 on the user's model: patch-embedding filter components, position-
 * embedding similarity, and the mean attention distance of each head by depth (for the image
 * last shown with Show Attention, and averaged over a folder).
 */
export class EmbeddingsPanel extends Panel<Message> {
  static readonly viewType = 'vitInspector.embeddings';
  private distance = new Map<string, DistanceSeries>();
  private cache: { model: string; mtime: number; doc: EmbeddingsDocument } | undefined;

  /** `current`: the distances of the image just captured (from the attention view). */
  static show(services: Services, model?: string, current?: DistanceSeries): void {
    const cur = Panel.find<EmbeddingsPanel>(EmbeddingsPanel.viewType);
    const target = cur ?? new EmbeddingsPanel(Panel.create(services, EmbeddingsPanel.viewType, 'Embeddings & Attention Distance', { column: vscode.ViewColumn.Beside, retainContextWhenHidden: true }), services, model);
    if (model && model !== target.model) {
      target.model = model;
      target.distance.clear();
    }
    if (current) target.distance.set('image', current);
    if (cur) {
      cur.reveal();
      void cur.send();
    }
  }

  static revive(panel: vscode.WebviewPanel, services: Services): void {
    new EmbeddingsPanel(panel, services, undefined);
  }

  private constructor(panel: vscode.WebviewPanel, services: Services, private model: string | undefined) {
    super(panel, services, { kind: 'embeddings', title: 'Embeddings & Attention Distance', what: 'Embeddings & Attention Distance', key: '', accepts: ['ready', 'pickModel', 'distanceFolder', 'copy', 'save'] });
  }

  protected async handle(m: Message): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.send();
      case 'pickModel': {
        // This panel's own model: Classify Image and the other views keep vitInspector.modelPath.
        const chosen = await selectModel(this.services, undefined, { store: false, purpose: 'The model of this panel only (Classify Image keeps its model)' });
        if (chosen && chosen !== this.model) {
          this.model = chosen;
          this.distance.clear();
        }
        return this.send();
      }
      case 'distanceFolder':
        return this.folderAverage();
      case 'copy':
        return this.copy(m.text, 'copied');
      case 'save':
        return this.save(m);
      default:
        unhandled(m);
    }
  }

  private currentModel(): string {
    return this.model ?? configuredModel(this.services);
  }

  private async send(): Promise<void> {
    let model = '';
    let doc: EmbeddingsDocument | null = null;
    let error: string | null = null;
    try {
      model = this.currentModel();
      this.post({ type: 'busy', message: `Reading the embeddings of ${basename(model)}…` });
      doc = await this.embeddings(model);
    } catch (e) {
      if (!isUserError(e)) this.services.report(e, 'Embeddings');
      error = (e as Error).message;
    }
    this.post({ type: 'embeddings', model: model ? basename(model) : '', doc, error, imageSize: null, distance: [...this.distance.values()] });
  }

  /** Reads the two weight tensors (in the inference process) once per model file version. */
  private async embeddings(model: string): Promise<EmbeddingsDocument> {
    let mtime: number;
    try {
      mtime = statSync(model).mtimeMs;
    } catch {
      throw new UserError(`The model ${model} does not exist.`);
    }
    if (this.cache && this.cache.model === model && this.cache.mtime === mtime) return this.cache.doc;
    const t0 = Date.now();
    const doc = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `ViT Inspector: reading the embeddings of ${basename(model)}`, cancellable: true }, (_p, token) =>
      this.services.runtime.request('embeddings', { model }, token),
    );
    this.services.log.info(`embeddings of ${basename(model)}: ${Date.now() - t0} ms`);
    this.cache = { model, mtime, doc };
    return doc;
  }

  /** Mean attention distance averaged over a folder's images: one attention capture each, cancellable. */
  private async folderAverage(): Promise<void> {
    this.services.requireTrust('Mean attention distance over a folder');
    const folder = (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Average the mean attention distance over the images of a folder' }))?.[0];
    if (!folder) return;
    const all = listImages(folder.fsPath);
    if (!all.length) throw new UserError(`No images (${IMAGE_KINDS}) under ${folder.fsPath}.`);
    const images = all.slice(0, FOLDER_LIMIT);
    const model = this.currentModel();
    const order = this.services.providerOrder(folder);
    const avg = new DistanceAverage();
    let failed = 0;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `ViT Inspector: attention distance over ${images.length} images`, cancellable: true },
      async (progress, token) => {
        for (const image of images) {
          if (token.isCancellationRequested) break;
          try {
            const r = await this.services.runtime.request('attention', { model, image, order }, token);
            avg.add(attentionDistances(r.layers));
          } catch (e) {
            if (token.isCancellationRequested) break;
            // A model without attention fails on every image: stop at the first.
            if (isUserError(e) && /no attention|not a ViT/i.test(e.message)) throw e;
            failed++;
          }
          progress.report({ increment: 100 / images.length, message: `${avg.images}/${images.length}` });
        }
      },
    );
    if (!avg.images) throw new UserError(`No image of ${basename(folder.fsPath)} could be run (${failed} failed).`);
    const note = `${avg.images} image${avg.images === 1 ? '' : 's'}${all.length > images.length ? ` (first ${FOLDER_LIMIT} of ${all.length})` : ''}${failed ? `, ${failed} unreadable` : ''}`;
    this.distance.set('folder', { label: `${basename(folder.fsPath)}/ mean over ${note}`, images: avg.images, layers: avg.mean() });
    await this.send();
  }
}
