import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { Services } from '../context';
import { modelConfig } from '../modelInfo';
import type { ModelConfig } from '../../core/flops';
import { Panel, unhandled, type Accepts } from './panel';

type Message = Accepts<'ready' | 'copy' | 'save' | 'measure'>;

/** Compare Window Complexity: counting runs in the webview (pure core code); timing runs in the inference process. */
export class ComplexityPanel extends Panel<Message> {
  static readonly viewType = 'vitInspector.complexity';

  static show(services: Services, model?: string): void {
    const cur = Panel.find<ComplexityPanel>(ComplexityPanel.viewType);
    if (cur) {
      cur.model = model ?? cur.model;
      cur.reveal();
      void cur.sendModel();
      return;
    }
    new ComplexityPanel(Panel.create(services, ComplexityPanel.viewType, 'Window Complexity', { column: vscode.ViewColumn.Active, retainContextWhenHidden: true }), services, model);
  }

  static revive(panel: vscode.WebviewPanel, services: Services): void {
    new ComplexityPanel(panel, services, undefined);
  }

  private constructor(panel: vscode.WebviewPanel, services: Services, private model: string | undefined) {
    super(panel, services, { kind: 'complexity', title: 'Window Complexity', what: 'Compare Window Complexity', key: '', accepts: ['ready', 'copy', 'save', 'measure'] });
  }

  protected async handle(m: Message): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.sendModel();
      case 'copy':
        return this.copy(m.text);
      case 'save':
        return this.save(m);
      case 'measure':
        return this.measure(m);
      default:
        unhandled(m);
    }
  }

  protected override failed(e: unknown): void {
    this.post({ type: 'error', message: (e as Error).message });
    super.failed(e);
  }

  private async sendModel(): Promise<void> {
    let model: { name: string; config: ModelConfig } | null = null;
    if (this.model) {
      try {
        const config = await modelConfig(this.services, this.model);
        if (config) model = { name: basename(this.model), config };
        else void vscode.window.showWarningMessage(`${basename(this.model)} is not a ViT or Swin model; showing presets instead.`);
      } catch (e) {
        this.services.report(e, 'Compare Window Complexity');
      }
    }
    this.post({ type: 'complexity', model, unit: this.services.config().get<'MACs' | 'FLOPs'>('macUnit', 'MACs') });
  }

  private async measure(m: Accepts<'measure'>): Promise<void> {
    this.services.requireTrust('Measure on this machine');
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `ViT Inspector: timing attention on ${m.h}×${m.w}, C=${m.dim}`, cancellable: true },
      (p, token) => this.services.runtime.request('timeAttention', { h: m.h, w: m.w, dim: m.dim, heads: m.heads, windows: m.windows, order: this.services.providerOrder() }, token, (message) => p.report({ message })),
    );
    this.services.setProvider(r.ep, r.failures);
    this.post({ type: 'measured', h: m.h, w: m.w, dim: m.dim, heads: m.heads, ep: r.ep, matmulGflops: r.matmulGflops, rows: r.rows.map((x) => ({ window: x.window, ms: x.ms, gflops: x.gflops, macs: x.macs })) });
  }
}
