import * as vscode from 'vscode';
import { basename } from 'node:path';
import { UserError, isUserError } from '../../core/errors';
import type { CancelSignal } from '../../runtime/client';
import type { Services } from '../context';
import { webviewHtml, webviewOptions } from '../webviewHtml';
import { parseWebviewMessage, type ClassifyView, type HostMessage } from '../../protocol';
import { DEFAULT_PROVIDER_ORDER } from '../../core/inference/providers';
import { configuredModel, selectModel } from '../model';
import type { PreprocessingOverrides } from '../../core/inference/preprocess';
import { describeForGrid } from '../modelInfo';

interface State {
  imagePath: string;
  modelPath?: string;
  /** Show Attention: also capture the attention maps. */
  attention?: boolean;
}

/** Classify Image: one panel per image, beside the editor; survives hiding and window reloads. */
export class ClassifyPanel {
  static readonly viewType = 'vitInspector.classify';
  private static readonly open = new Map<string, ClassifyPanel>();
  private ep: string | undefined;
  private running: vscode.CancellationTokenSource | undefined;

  static async show(services: Services, image: vscode.Uri, attention: boolean): Promise<void> {
    const existing = ClassifyPanel.open.get(image.fsPath);
    if (existing) {
      existing.state = { ...existing.state, attention: existing.state.attention || attention };
      existing.panel.reveal(vscode.ViewColumn.Beside);
      return existing.run();
    }
    const panel = vscode.window.createWebviewPanel(ClassifyPanel.viewType, `Classify: ${basename(image.fsPath)}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, {
      ...webviewOptions(services.extensionUri),
      retainContextWhenHidden: true,
    });
    new ClassifyPanel(panel, services, { imagePath: image.fsPath, attention });
  }

  static revive(panel: vscode.WebviewPanel, services: Services, state: unknown): void {
    const s = state as Partial<State> | undefined;
    if (!s || typeof s.imagePath !== 'string') {
      panel.dispose();
      return;
    }
    panel.webview.options = webviewOptions(services.extensionUri);
    new ClassifyPanel(panel, services, { imagePath: s.imagePath, modelPath: s.modelPath, attention: !!s.attention });
  }

  private constructor(private readonly panel: vscode.WebviewPanel, private readonly services: Services, private state: State) {
    ClassifyPanel.open.set(state.imagePath, this);
    panel.webview.html = webviewHtml(panel.webview, services.extensionUri, 'classify', 'Classify');
    panel.onDidDispose(() => {
      ClassifyPanel.open.delete(state.imagePath);
      this.running?.cancel();
    });
    panel.webview.onDidReceiveMessage(async (raw) => {
      const m = parseWebviewMessage(raw);
      if (!m) return services.log.warn('ignored an invalid message from the classify panel');
      try {
        if (m.type === 'ready') await this.run();
        else if (m.type === 'wantAttention') {
          this.state = { ...this.state, attention: true };
          await this.run();
        }
        else if (m.type === 'rerun') {
          if (m.ep) this.ep = m.ep;
          await this.run();
        } else if (m.type === 'pickModel') {
          const chosen = await selectModel(services);
          if (chosen) {
            this.state = { ...this.state, modelPath: chosen };
            await this.run();
          }
        } else if (m.type === 'save') {
          const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(vscode.Uri.file(this.state.imagePath), '..', m.name), filters: { PNG: ['png'] } });
          if (uri) {
            await vscode.workspace.fs.writeFile(uri, Buffer.from(m.data, 'base64'));
            void vscode.window.showInformationMessage(`Saved ${basename(uri.fsPath)}`);
          }
        } else if (m.type === 'copy') {
          await vscode.env.clipboard.writeText(m.text);
          void vscode.window.setStatusBarMessage('ViT Inspector: results copied', 3000);
        }
      } catch (e) {
        services.report(e, 'Classify Image');
      }
    });
  }

  private post(m: HostMessage): void {
    void this.panel.webview.postMessage(m);
  }

  /** One more run with every attention Softmax as an extra output (the model's own attention). */
  private async captureAttention(model: string, image: string, order: string[], overrides: PreprocessingOverrides, token: CancelSignal): Promise<void> {
    this.post({ type: 'busy', message: 'Capturing the attention of every block…' });
    const cfg = this.services.config(vscode.Uri.file(image));
    let r;
    try {
      r = await this.services.runtime.request('attention', { model, image, order, overrides, maxPixels: cfg.get('maxImagePixels', 100_000_000) }, token);
    } catch (e) {
      if (!isUserError(e)) throw e;
      // The classification stays on screen; only the attention part says why it is missing.
      return this.post({ type: 'attentionUnavailable', message: (e as Error).message });
    }
    for (const w of r.warnings) this.services.log.warn(`attention: ${w}`);
    this.post({ type: 'attention', family: r.family, ep: r.ep, inputSize: r.imageSize[0], layers: r.layers, warnings: r.warnings });
    this.post({ type: 'busy', message: '' });
  }

  async run(): Promise<void> {
    this.running?.cancel();
    const cts = (this.running = new vscode.CancellationTokenSource());
    const image = vscode.Uri.file(this.state.imagePath);
    const cfg = this.services.config(image);
    const order = this.ep ? [this.ep] : cfg.get<string[]>('executionProviders', [...DEFAULT_PROVIDER_ORDER]);
    try {
      const model = this.state.modelPath ?? configuredModel(this.services, image);
      this.post({ type: 'busy', message: `Classifying with ${basename(model)}…` });
      const overrides: PreprocessingOverrides = {
        resize: cfg.get<number | null>('preprocessing.resize') ?? undefined,
        crop: cfg.get<number | null>('preprocessing.crop') ?? undefined,
        mean: (cfg.get<number[] | null>('preprocessing.mean') as [number, number, number] | null) ?? undefined,
        std: (cfg.get<number[] | null>('preprocessing.std') as [number, number, number] | null) ?? undefined,
        interpolation: cfg.get('preprocessing.interpolation', 'auto'),
      };
      const r = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `ViT Inspector: classifying ${basename(image.fsPath)}`, cancellable: true },
        (_p, token) => {
          token.onCancellationRequested(() => cts.cancel());
          return this.services.runtime.request(
            'classify',
            { model, images: [image.fsPath], topK: cfg.get('topK', 5), order, overrides, labelsFile: cfg.get<string>('labelsFile', '') || undefined, maxPixels: cfg.get('maxImagePixels', 100_000_000), withImage: true },
            cts.token,
          );
        },
      );
      const x = r.results[0];
      if (!x.ok) throw new UserError(x.error);
      this.services.setProvider(r.ep, r.failures);
      const p = r.preprocessing;
      const view: ClassifyView = {
        imageName: basename(image.fsPath),
        imagePath: image.fsPath,
        modelName: basename(model),
        modelPath: model,
        ep: r.ep,
        failures: r.failures,
        pixels: x.cropped!,
        original: x.original,
        top: x.top,
        timings: { ...x.timings, load: r.loadMs },
        labelsSource: r.labels.source,
        labelsWarning: r.labels.warning,
        preprocessing: `resize ${p.resize} ${p.interpolation}, crop ${p.crop}, mean [${p.mean.map((v) => +v.toFixed(3)).join(', ')}], std [${p.std.map((v) => +v.toFixed(3)).join(', ')}] (${p.source})`,
        grid: await describeForGrid(this.services, model),
      };
      this.panel.title = `Classify: ${basename(image.fsPath)}`;
      this.post({ type: 'classified', view, providers: this.services.knownProviders() });
      this.services.log.info(`classified ${image.fsPath} with ${basename(model)} on ${r.ep}: ${x.top[0]?.label} ${(x.top[0]?.prob * 100).toFixed(1)}%`);
      if (this.state.attention) await this.captureAttention(model, image.fsPath, order, overrides, cts.token);
    } catch (e) {
      this.post({ type: 'error', message: (e as Error).message });
      if (!isUserError(e)) this.services.report(e, 'Classify Image');
    } finally {
      if (this.running === cts) this.running = undefined;
      cts.dispose();
    }
  }
}


