import * as vscode from 'vscode';
import { basename, dirname, join } from 'node:path';
import { UserError, isUserError } from '../../core/errors';
import type { CancelSignal } from '../../runtime/client';
import type { AttentionParams, AttentionResult } from '../../runtime/capture';
import type { ExplainPartial } from '../../runtime/explain';
import type { Preprocessing } from '../../core/image/preprocess';
import type { TopEntry } from '../../core/classify/topk';
import type { Services } from '../context';
import type { ClassifyView, DistanceSeries } from '../../shared/protocol';
import type { CapturedLayer } from '../../core/attention/maps';
import { configuredModel, modelDisplayName, selectModel, shownPath } from '../model';
import { preprocessingOverrides } from '../preprocessing';
import { describeForGrid } from '../modelInfo';
import { Panel, unhandled, type Accepts } from './panel';
import { EmbeddingsPanel } from './embeddingsPanel';
import { TracePanel } from './tracePanel';
import { attentionDistances } from '../../core/attention/distance';

interface State {
  imagePath: string;
  modelPath?: string;
  /** Show Attention: also capture the attention maps. */
  attention?: boolean;
}

/**
 * A capture shown: its layers, tensors filled in as they are fetched from the inference process,
 * which keeps them (`kept`); `again` captures them anew once it no longer does.
 */
export interface Capture {
  model: string;
  label: string;
  layers: CapturedLayer[];
  captured: boolean[];
  kept: string | undefined;
  again: AttentionParams;
  distance?: DistanceSeries;
}

/**
 * Fills in the tensors of these layers of `c`: from the inference process where it keeps them,
 * else captured again (the same run: the process restarted, or later captures took its place).
 */
export async function fillTensors(c: Capture, indices: readonly number[], runtime: Pick<Services['runtime'], 'request'>): Promise<void> {
  const missing = indices.filter((i) => c.captured[i] && !c.layers[i].data);
  if (!missing.length) return;
  const got = c.kept ? await runtime.request('attentionLayers', { capture: c.kept, layers: missing }) : null;
  if (got) for (const { index, data } of got) c.layers[index] = { ...c.layers[index], data };
  else {
    const r = await runtime.request('attention', c.again);
    r.layers.forEach((l, i) => {
      if (l.data && c.captured[i] && !c.layers[i].data) c.layers[i] = { ...c.layers[i], data: l.data };
    });
    c.kept = undefined;
  }
}

type Message = Accepts<'ready' | 'wantAttention' | 'wantAttentionLayers' | 'showDistance' | 'rerun' | 'pickModel' | 'save' | 'copy' | 'explain' | 'cancelExplain' | 'stepThrough'>;

/** Classify Image: one panel per image, beside the editor; survives hiding and window reloads. */
export class ClassifyPanel extends Panel<Message> {
  static readonly viewType = 'vitInspector.classify';
  private ep: string | undefined;
  private running: vscode.CancellationTokenSource | undefined;
  private explaining: vscode.CancellationTokenSource | undefined;
  /** The model and input size of the last classification: what Explain runs on. */
  private shownModel: { path: string; inputSize: number } | undefined;
  /** The last capture: the webview gets its summary, and its tensors when a patch query (or the distance panel) needs them. */
  private capture: Capture | undefined;

  /** The panel of `image` (new, or the open one run again), classified with `model` when given, else with the panel's or the configured model. */
  static async show(services: Services, image: vscode.Uri, attention: boolean, model?: string): Promise<void> {
    const existing = Panel.find<ClassifyPanel>(ClassifyPanel.viewType, image.fsPath);
    if (existing) {
      existing.state = { ...existing.state, attention: existing.state.attention || attention, ...(model ? { modelPath: model } : {}) };
      // Where it already is: Show Attention on a classified image must not move it to another column.
      existing.panel.reveal(existing.panel.viewColumn);
      return existing.run();
    }
    const panel = Panel.create(services, ClassifyPanel.viewType, `Classify: ${basename(image.fsPath)}`, { column: vscode.ViewColumn.Beside, retainContextWhenHidden: true });
    new ClassifyPanel(panel, services, { imagePath: image.fsPath, attention, ...(model ? { modelPath: model } : {}) });
  }

  static revive(panel: vscode.WebviewPanel, services: Services, state: unknown): void {
    const s = state as Partial<State> | undefined;
    if (!s || typeof s.imagePath !== 'string') {
      panel.dispose();
      return;
    }
    new ClassifyPanel(panel, services, { imagePath: s.imagePath, modelPath: s.modelPath, attention: !!s.attention });
  }

  private constructor(panel: vscode.WebviewPanel, services: Services, private state: State) {
    super(panel, services, { kind: 'classify', title: 'Classify', what: 'Classify Image', key: state.imagePath, accepts: ['ready', 'wantAttention', 'wantAttentionLayers', 'showDistance', 'rerun', 'pickModel', 'save', 'copy', 'explain', 'cancelExplain', 'stepThrough'] });
  }

  protected override disposed(): void {
    this.running?.cancel();
    this.explaining?.cancel();
  }

  protected async handle(m: Message): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.run();
      case 'wantAttention':
        this.state = { ...this.state, attention: true };
        return this.run();
      case 'wantAttentionLayers': {
        const c = this.capture;
        if (!c) return;
        await fillTensors(c, m.layers, this.services.runtime);
        // A newer run shows another capture by now: its view asks for its own.
        if (c !== this.capture) return;
        this.post({ type: 'attentionLayers', layers: m.layers.flatMap((index) => (c.layers[index]?.data ? [{ index, data: c.layers[index].data! }] : [])) });
        return;
      }
      case 'showDistance': {
        const c = this.capture;
        if (!c) throw new UserError('Show the attention first: the mean attention distance is computed from it.');
        await fillTensors(c, c.layers.map((_, i) => i), this.services.runtime);
        c.distance ??= { label: c.label, images: 1, layers: attentionDistances(c.layers) };
        EmbeddingsPanel.show(this.services, c.model, c.distance);
        return;
      }
      case 'rerun':
        if (m.ep) this.ep = m.ep;
        return this.run();
      case 'pickModel': {
        const chosen = await selectModel(this.services);
        if (chosen) {
          this.state = { ...this.state, modelPath: chosen };
          await this.run();
        }
        return;
      }
      case 'save':
        return this.save(m, vscode.Uri.joinPath(vscode.Uri.file(this.state.imagePath), '..'));
      case 'copy':
        return this.copy(m.text, 'results copied');
      case 'explain':
        return this.explain(m);
      case 'cancelExplain':
        return void this.explaining?.cancel();
      case 'stepThrough':
        // The image and model shown, the layer, head and query patch of the attention view.
        TracePanel.show(this.services, this.state.imagePath, this.state.modelPath ?? configuredModel(this.services, vscode.Uri.file(this.state.imagePath)), m);
        return;
      default:
        unhandled(m);
    }
  }

  /** Explain: occlusion or RISE for the class asked, the map drawn as batches finish; cancellable (notification and panel). */
  private async explain(m: Extract<Message, { type: 'explain' }>): Promise<void> {
    this.explaining?.cancel();
    const cts = (this.explaining = new vscode.CancellationTokenSource());
    const image = vscode.Uri.file(this.state.imagePath);
    try {
      this.services.requireTrust('Explain');
      if (!this.shownModel) throw new UserError('Classify the image first: Explain runs the model it was classified with.');
      const { path: model, inputSize } = this.shownModel;
      const cfg = this.services.config(image);
      const params = { model, image: image.fsPath, order: this.ep ? [this.ep] : this.services.providerOrder(image), overrides: preprocessingOverrides(cfg), labelsFile: cfg.get<string>('labelsFile', '') || undefined, method: m.method, class: m.class, className: m.className, window: m.window, stride: m.stride, masks: m.masks, seed: m.seed };
      const t0 = Date.now();
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `ViT Inspector: explaining ${basename(image.fsPath)} (${m.method})`, cancellable: true }, (p, token) => {
        token.onCancellationRequested(() => cts.cancel());
        return this.services.runtime.request('explain', params, cts.token, (message, data) => {
          p.report({ message });
          const d = data as ExplainPartial | undefined;
          if (d) this.post({ type: 'explained', partial: true, method: m.method, ...d, runs: d.done, ms: Date.now() - t0, inputSize });
        });
      });
      this.post({ type: 'explained', partial: false, method: r.method, class: r.class, label: r.label, prob: r.prob, grid: r.grid, window: r.window, stride: r.stride, runs: r.runs, done: r.runs, total: r.runs, ms: r.ms, ep: r.ep, inputSize, map: r.map });
      this.services.log.info(`explained ${image.fsPath} (${r.method}, class ${r.class} ${r.label}) with ${basename(model)} on ${r.ep}: ${r.runs} runs in ${r.ms.toFixed(0)} ms`);
    } catch (e) {
      if (this.explaining !== cts) return;
      this.post({ type: 'explainFailed', message: (e as Error).message });
      if (!(isUserError(e) && (e as Error).message === 'Cancelled.')) this.services.report(e, 'Explain');
    } finally {
      if (this.explaining === cts) this.explaining = undefined;
      cts.dispose();
    }
  }

  async run(): Promise<void> {
    this.running?.cancel();
    const cts = (this.running = new vscode.CancellationTokenSource());
    const image = vscode.Uri.file(this.state.imagePath);
    const cfg = this.services.config(image);
    const order = this.ep ? [this.ep] : this.services.providerOrder(image);
    let imageFailed = false;
    const t0 = Date.now();
    try {
      this.services.requireTrust(this.state.attention ? 'Show Attention' : 'Classify Image');
      const model = this.state.modelPath ?? configuredModel(this.services, image);
      this.post({ type: 'busy', message: `Classifying with ${basename(model)}…` });
      const overrides = preprocessingOverrides(cfg);
      const common = { model, order, overrides, topK: cfg.get('topK', 5), labelsFile: cfg.get<string>('labelsFile', '') || undefined, maxPixels: cfg.get('maxImagePixels', 100_000_000), withImage: true };
      // The inference process reports steps worth seeing, such as the one-time GPU shader compilation.
      const request = <T>(what: (token: CancelSignal, progress: (message: string) => void) => Promise<T>) =>
        vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `ViT Inspector: classifying ${basename(image.fsPath)}`, cancellable: true }, (p, token) => {
          token.onCancellationRequested(() => cts.cancel());
          return what(cts.token, (message) => {
            p.report({ message });
            this.post({ type: 'busy', message: `${message[0].toUpperCase()}${message.slice(1)}…` });
          });
        });
      // Show Attention: one run returns the classes and every attention map. A model without
      // attention (a ResNet) falls back to a plain run, so the classification still shows.
      let att: AttentionResult | undefined;
      let noAttention: string | undefined;
      let tReply = 0;
      if (this.state.attention) {
        this.post({ type: 'busy', message: `Running ${basename(model)} and capturing the attention of every block…` });
        try {
          // The tensors stay in the inference process (22 MB for ViT-B/16): the summary is what is drawn.
          att = await request((t, progress) => this.services.runtime.request('attention', { ...common, image: image.fsPath, summary: true, keep: true }, t, progress));
          tReply = Date.now();
        } catch (e) {
          if (!isUserError(e)) throw e;
          noAttention = e.message;
        }
      }
      let shown: { ep: string; failures: { ep: string; reason: string }[]; compute?: string; loadMs: number; warmUpMs: number | null; preprocessing: Preprocessing; labels: { source: string; warning?: string }; top: TopEntry[]; timings: { decode: number; preprocess: number; run: number }; original: ClassifyView['original']; cropped: ClassifyView['pixels'] };
      if (att) shown = { ...att, labels: att.labels!, top: att.top!, cropped: att.cropped! };
      else {
        const r = await request((t, progress) => this.services.runtime.request('classify', { ...common, images: [image.fsPath] }, t, progress));
        const x = r.results[0];
        if (!x.ok) {
          imageFailed = true;
          throw new UserError(x.error, x.detail);
        }
        shown = { ...r, top: x.top, timings: x.timings, original: x.original, cropped: x.cropped! };
      }
      this.services.setProvider(shown.ep, shown.failures, undefined, shown.compute);
      const p = shown.preprocessing;
      const configPath = configFile(model, p.source);
      const view: ClassifyView = {
        imageName: basename(image.fsPath),
        imagePath: image.fsPath,
        modelName: modelDisplayName(this.services, model),
        modelPath: model,
        ep: shown.ep,
        failures: shown.failures,
        ...(shown.compute ? { compute: shown.compute } : {}),
        pixels: shown.cropped,
        original: shown.original,
        top: shown.top,
        timings: { decode: shown.timings.decode, preprocess: shown.timings.preprocess, run: shown.timings.run, load: shown.loadMs, warmUp: shown.warmUpMs },
        labelsSource: shown.labels.source,
        labelsWarning: shown.labels.warning,
        preprocessing: p.summary,
        preprocessingFile: configPath,
        preprocessingFileShown: configPath && shownPath(configPath, this.services),
        grid: await describeForGrid(this.services, model),
      };
      this.panel.title = `Classify: ${basename(image.fsPath)}`;
      this.shownModel = { path: model, inputSize: shown.cropped.width };
      this.post({ type: 'classified', view, providers: this.services.knownProviders() });
      this.services.log.info(`classified ${image.fsPath} with ${basename(model)} on ${shown.ep}${shown.compute ? ` (${shown.compute})` : ''}: ${shown.top[0]?.label} ${(shown.top[0]?.prob * 100).toFixed(1)}%`);
      if (att) {
        for (const w of att.warnings) this.services.log.warn(`attention: ${w}`);
        const captured = att.layers.map((l, i) => (att!.summary ? att!.summary.layers[i] !== null : l.data !== null));
        this.capture = { model, label: basename(image.fsPath), layers: att.layers.map((l) => ({ ...l })), captured, kept: att.kept, again: { ...common, image: image.fsPath, withImage: false } };
        // What is drawn first (the summary's maps), not the tensors: those on demand.
        const layers = att.layers.map((l) => ({ ...l, data: null }));
        this.post({ type: 'attention', family: att.family, ep: att.ep, inputSize: att.imageSize[0], layers, warnings: att.warnings, summary: att.summary });
        // Where Show Attention's time goes (issue 22 item 6's bench reads the total end to end).
        const t = att.timings;
        const f = (n: number) => n.toFixed(0);
        this.services.log.info(`attention of ${basename(image.fsPath)}: maps posted ${Date.now() - t0} ms after the request; the inference process's reply came after ${tReply - t0} ms (prepare ${f(t.prepare)}, decode ${f(t.decode)}, preprocess ${f(t.preprocess)}, run ${f(t.run)}, summary ${f(t.summary)} ms)`);
      } else if (noAttention) this.post({ type: 'attentionUnavailable', message: noAttention });
    } catch (e) {
      // A run superseded by a newer one (Run again, another provider) says nothing: the newer one reports.
      if (this.running !== cts) return;
      this.post({ type: 'error', message: (e as Error).message, detail: isUserError(e) ? e.detail : undefined, ...(imageFailed ? { cause: 'image' as const } : {}) });
      this.services.report(e, 'Classify Image');
    } finally {
      if (this.running === cts) this.running = undefined;
      cts.dispose();
    }
  }
}



/** The config file beside the model that the preprocessing came from ("preprocessor_config.json + settings" → its path); undefined for the defaults. */
function configFile(model: string, source: string): string | undefined {
  const file = /^([\w.-]+\.json)\b/.exec(source)?.[1];
  return file ? join(dirname(model), file) : undefined;
}
