import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { Services } from '../context';
import { isUserError, UserError } from '../../core/errors';
import type { CancelSignal } from '../../runtime/client';
import type { TraceResult } from '../../core/trace/types';
import { configuredModel } from '../model';
import { inspect } from '../modelInfo';
import { Panel, unhandled, type Accepts } from './panel';

type Message = Accepts<'ready' | 'trace' | 'cancel'>;

interface Pick { layer: number; head: number; token: number }

/** The `trace` request of the inference process (branch trace); typed here until it is in rpc.ts's Methods. */
type TraceRequest = (method: 'trace', params: { model: string; image: string } & Pick, token?: CancelSignal, progress?: (m: string) => void) => Promise<TraceResult>;

/** Names of the tokens before the patches: class, then distillation (DeiT) or registers. */
export function prefixNames(extra: number, registers: number): string[] {
  if (extra <= 0) return [];
  const rest = extra - 1 - registers;
  return ['class', ...Array.from({ length: Math.max(0, rest) }, () => 'distillation'), ...Array.from({ length: registers }, (_, i) => `register ${i}`)];
}

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

  static revive(panel: vscode.WebviewPanel, _services: Services): void {
    // The image is not in the webview's state: ask again from where it was opened.
    panel.dispose();
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
      this.post({ type: 'busy', message: `Tracing block ${layer}, head ${head}, token ${token} of ${basename(model)}…` });
      const info = await inspect(this.services, model);
      const trace = this.services.runtime.request as unknown as TraceRequest;
      const doc = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `ViT Inspector: tracing ${basename(this.image)}`, cancellable: true }, (p, t) => {
        t.onCancellationRequested(() => cts.cancel());
        return trace.call(this.services.runtime, 'trace', { model, image: this.image, layer, head, token }, cts.token, (message) => {
          p.report({ message });
          this.post({ type: 'busy', message: `${message[0].toUpperCase()}${message.slice(1)}…` });
        });
      });
      if (this.running !== cts) return;
      const n = doc.tensors.weights.length;
      const c = info.config;
      const swin = doc.family.startsWith('swin');
      const extra = swin ? 0 : doc.extraTokens?.length ?? c.extraTokens;
      const side = Math.round(Math.sqrt(n - extra));
      const grid: [number, number] = swin ? [side, side] : doc.grid ?? [side, side];
      if (grid[0] * grid[1] !== n - extra) throw new UserError(`The trace has ${n} keys, not ${extra} extra tokens and a square grid of patches: this model's token layout is not one the step-through draws.`);
      this.post({
        type: 'trace', model: basename(model), image: basename(this.image),
        layers: doc.ranges?.layers ?? (c.depths ?? [doc.layer + 1]).reduce((a, b) => a + b, 0),
        heads: doc.ranges?.heads[doc.layer] ?? Math.max(...(c.heads ?? [doc.head + 1])),
        grid, prefix: swin ? [] : doc.extraTokens ?? prefixNames(c.extraTokens, c.registers), doc,
      });
    } catch (e) {
      if (this.running !== cts && !cts.token.isCancellationRequested) return;
      const msg = cts.token.isCancellationRequested ? 'Cancelled: the trace was stopped. Pick a token and press Trace to run it again.' : (e as Error).message;
      this.post({ type: 'error', message: msg });
      if (!isUserError(e) && !cts.token.isCancellationRequested) this.services.report(e, 'Step Through the Forward Pass');
    }
  }
}
