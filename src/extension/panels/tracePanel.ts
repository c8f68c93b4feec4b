import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { Services } from '../context';
import { isUserError, UserError } from '../../core/errors';
import { configuredModel } from '../model';
import { preprocessingOverrides } from '../preprocessing';
import { inspect } from '../modelInfo';
import { isSwinFamily } from '../../core/terms';
import { extraTokenNames } from '../../core/trace/selection';
import { pickProblem, pickRanges, type TracePick as Pick } from '../../shared/tracePick';
import { Panel, unhandled, type Accepts } from './panel';

type Message = Accepts<'ready' | 'trace' | 'cancel'>;

/**
 * Step Through the Forward Pass: one token of one head of one block, traced by the inference
 * process and walked step by step in webview/trace. One panel per image; another pick re-traces.
 */
export class TracePanel extends Panel<Message> {
  static readonly viewType = 'vitInspector.trace';
  private running: vscode.CancellationTokenSource | undefined;

  static show(services: Services, image: string, model?: string, pick: Partial<Pick> = {}): void {
    const cur = Panel.find<TracePanel>(TracePanel.viewType, image);
    const p = { layer: pick.layer ?? 0, head: pick.head ?? 0, token: pick.token ?? 0 };
    if (cur) {
      cur.reveal();
      cur.model = model ?? cur.model;
      cur.pick = p;
      void cur.run();
      return;
    }
    new TracePanel(Panel.create(services, TracePanel.viewType, `Step Through: ${basename(image)}`, { column: vscode.ViewColumn.Beside, retainContextWhenHidden: true }), services, image, model, p);
  }

  /** After a window reload: the webview's state keeps the image, the model and the pick (webview/trace). */
  static revive(panel: vscode.WebviewPanel, services: Services, state: unknown): void {
    const s = state as { imagePath?: unknown; modelPath?: unknown; pick?: Partial<Pick> } | undefined;
    if (!s || typeof s.imagePath !== 'string' || typeof s.modelPath !== 'string') return panel.dispose();
    const n = (v: unknown) => (Number.isInteger(v) && (v as number) >= 0 ? (v as number) : 0);
    new TracePanel(panel, services, s.imagePath, s.modelPath, { layer: n(s.pick?.layer), head: n(s.pick?.head), token: n(s.pick?.token) });
  }

  private constructor(panel: vscode.WebviewPanel, services: Services, private readonly image: string, private model: string | undefined, private pick: Pick) {
    super(panel, services, { kind: 'trace', title: 'Step Through the Forward Pass', what: 'Step Through the Forward Pass', key: image, accepts: ['ready', 'trace', 'cancel'] });
  }

  protected override disposed(): void {
    this.running?.cancel();
  }

  protected handle(m: Message): Promise<void> | void {
    switch (m.type) {
      case 'ready':
        return this.run();
      case 'trace':
        this.pick = { layer: m.layer, head: m.head, token: m.token };
        return this.run();
      case 'cancel':
        this.running?.cancel();
        return;
      default:
        unhandled(m);
    }
  }

  private async run(): Promise<void> {
    this.running?.cancel();
    const cts = (this.running = new vscode.CancellationTokenSource());
    const model = this.model ?? configuredModel(this.services, vscode.Uri.file(this.image));
    const { layer, head, token } = this.pick;
    try {
      this.services.requireTrust('Step Through the Forward Pass');
      this.post({ type: 'busy', message: `Reading ${basename(model)}…` });
      const info = await inspect(this.services, model);
      if (this.running !== cts) return;
      const c = info.config;
      const swin = isSwinFamily(info.family);
      const ranges = pickRanges(info);
      const prefix = swin ? [] : extraTokenNames(c.extraTokens, c.registers);
      this.post({ type: 'tracePick', pick: this.pick, ranges, prefix, imagePath: this.image, modelPath: model });
      if (!ranges) throw new UserError(`${basename(model)} is not a ViT or Swin model (detected: ${info.family}). Step Through the Forward Pass follows a token through ViT, DeiT, hybrid ViT and Swin models: select one with ViT Inspector: Select Model.`);
      const problem = pickProblem(ranges, this.pick);
      if (problem) throw new UserError(problem);
      this.post({ type: 'busy', message: `Tracing block ${layer}, head ${head}, token ${token} of ${basename(model)}…` });
      const { cropped, preprocessing, ...doc } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `ViT Inspector: tracing ${basename(this.image)}`, cancellable: true }, (p, t) => {
        t.onCancellationRequested(() => cts.cancel());
        const cfg = this.services.config(vscode.Uri.file(this.image));
        // The classify panel's preprocessing settings: the traced image is the one it classified.
        const params = { model, image: this.image, layer, head, token, order: this.services.providerOrder(vscode.Uri.file(this.image)), overrides: preprocessingOverrides(cfg), labelsFile: cfg.get<string>('labelsFile', '') || undefined, maxPixels: cfg.get('maxImagePixels', 100_000_000), withImage: true };
        return this.services.runtime.request('trace', params, cts.token, (message) => {
          p.report({ message });
          this.post({ type: 'busy', message: `${message[0].toUpperCase()}${message.slice(1)}…` });
        });
      });
      if (this.running !== cts) return;
      // The grid the rows are drawn on: the block's patch grid (ViT) or the token's M×M window (Swin).
      const stage = stageOf(info.stages, doc.layer);
      const grid: [number, number] | undefined = swin
        ? ((M) => (M ? ([M, M] as [number, number]) : undefined))(doc.windowSize ?? stage?.window ?? null)
        : doc.grid ?? stage?.tokens;
      if (!grid) throw new UserError(`The trace of ${basename(model)} does not say its token grid: the step-through cannot draw it.`);
      this.post({
        type: 'trace', model: basename(model), image: basename(this.image),
        layers: doc.ranges?.layers ?? ranges.layers,
        heads: doc.ranges?.heads[doc.layer] ?? ranges.heads[doc.layer],
        grid, prefix: swin ? [] : doc.extraTokens ?? prefix, doc, pixels: cropped, preprocessing,
      });
    } catch (e) {
      // A run superseded by a newer pick says nothing: the newer one reports.
      if (this.running !== cts) return;
      const cancelled = cts.token.isCancellationRequested;
      this.post({ type: 'error', message: cancelled ? 'Cancelled: the trace was stopped. Pick a token and press Trace to run it again.' : (e as Error).message });
      if (!isUserError(e) && !cancelled) this.services.report(e, 'Step Through the Forward Pass');
    } finally {
      if (this.running === cts) this.running = undefined;
      cts.dispose();
    }
  }
}

/** The stage a block (counted across stages) belongs to. */
function stageOf<S extends { depth: number }>(stages: S[], layer: number): S | undefined {
  let n = 0;
  return stages.find((s) => (n += s.depth) > layer);
}
