import * as vscode from 'vscode';
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Services } from '../context';
import { webviewHtml, webviewOptions } from '../webviewHtml';
import { parseWebviewMessage, type HostMessage } from '../../protocol';
import { DEFAULT_PROVIDER_ORDER } from '../../core/inference/providers';
import { modelConfig } from '../modelInfo';
import type { ModelConfig } from '../../core/flops';

/** Compare Window Complexity: counting runs in the webview (pure core code); timing runs in the inference process. */
export class ComplexityPanel {
  static readonly viewType = 'vitInspector.complexity';
  private static current: ComplexityPanel | undefined;

  static show(services: Services, model?: string): void {
    if (ComplexityPanel.current) {
      ComplexityPanel.current.model = model ?? ComplexityPanel.current.model;
      ComplexityPanel.current.panel.reveal();
      void ComplexityPanel.current.sendModel();
      return;
    }
    const panel = vscode.window.createWebviewPanel(ComplexityPanel.viewType, 'Window Complexity', vscode.ViewColumn.Active, { ...webviewOptions(services.extensionUri), retainContextWhenHidden: true });
    ComplexityPanel.current = new ComplexityPanel(panel, services, model);
  }

  static revive(panel: vscode.WebviewPanel, services: Services): void {
    panel.webview.options = webviewOptions(services.extensionUri);
    ComplexityPanel.current = new ComplexityPanel(panel, services, undefined);
  }

  private constructor(private readonly panel: vscode.WebviewPanel, private readonly services: Services, private model: string | undefined) {
    panel.webview.html = webviewHtml(panel.webview, services.extensionUri, 'complexity', 'Window Complexity');
    panel.onDidDispose(() => (ComplexityPanel.current = undefined));
    panel.webview.onDidReceiveMessage(async (raw) => {
      const m = parseWebviewMessage(raw);
      if (!m) return services.log.warn('ignored an invalid message from the complexity panel');
      try {
        if (m.type === 'ready') await this.sendModel();
        else if (m.type === 'copy') {
          await vscode.env.clipboard.writeText(m.text);
          void vscode.window.setStatusBarMessage('ViT Inspector: copied', 3000);
        } else if (m.type === 'save') {
          const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.cwd()), m.name), filters: { [m.format.toUpperCase()]: [m.format] } });
          if (!uri) return;
          writeFileSync(uri.fsPath, m.format === 'png' ? Buffer.from(m.data, 'base64') : m.data);
          void vscode.window.showInformationMessage(`Saved ${basename(uri.fsPath)}`);
        } else if (m.type === 'measure') await this.measure(m);
      } catch (e) {
        this.post({ type: 'error', message: (e as Error).message });
        services.report(e, 'Compare Window Complexity');
      }
    });
  }

  private post(m: HostMessage): void {
    void this.panel.webview.postMessage(m);
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

  private async measure(m: { h: number; w: number; dim: number; heads: number; windows: (number | null)[] }): Promise<void> {
    const order = this.services.config().get<string[]>('executionProviders', [...DEFAULT_PROVIDER_ORDER]);
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `ViT Inspector: timing attention on ${m.h}×${m.w}, C=${m.dim}`, cancellable: true },
      (_p, token) => this.services.runtime.request('timeAttention', { h: m.h, w: m.w, dim: m.dim, heads: m.heads, windows: m.windows, order }, token),
    );
    this.services.setProvider(r.ep, []);
    this.post({ type: 'measured', h: m.h, w: m.w, dim: m.dim, heads: m.heads, ep: r.ep, matmulGflops: r.matmulGflops, rows: r.rows.map((x) => ({ window: x.window, ms: x.ms, gflops: x.gflops, macs: x.macs })) });
  }
}
