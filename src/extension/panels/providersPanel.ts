import * as vscode from 'vscode';
import type { Services } from '../context';
import { webviewHtml, webviewOptions } from '../webviewHtml';
import { parseWebviewMessage, type HostMessage } from '../../protocol';
import { DEFAULT_PROVIDER_ORDER } from '../../core/inference/providers';
import { basename } from 'node:path';
import { configuredModel } from '../model';

/** Show Execution Providers: what this platform's ONNX Runtime has, what starts here, and why not. */
export class ProvidersPanel {
  static readonly viewType = 'vitInspector.providers';
  private static current: ProvidersPanel | undefined;

  static show(services: Services): void {
    if (ProvidersPanel.current) {
      ProvidersPanel.current.panel.reveal();
      void ProvidersPanel.current.refresh();
      return;
    }
    const panel = vscode.window.createWebviewPanel(ProvidersPanel.viewType, 'Execution Providers', vscode.ViewColumn.Active, {
      ...webviewOptions(services.extensionUri),
      retainContextWhenHidden: false,
    });
    ProvidersPanel.current = new ProvidersPanel(panel, services);
  }

  /** Restores the panel after a window reload. */
  static revive(panel: vscode.WebviewPanel, services: Services): void {
    panel.webview.options = webviewOptions(services.extensionUri);
    ProvidersPanel.current = new ProvidersPanel(panel, services);
  }

  private constructor(private readonly panel: vscode.WebviewPanel, private readonly services: Services) {
    panel.webview.html = webviewHtml(panel.webview, services.extensionUri, 'providers', 'Execution Providers');
    panel.onDidDispose(() => (ProvidersPanel.current = undefined));
    panel.webview.onDidReceiveMessage(async (raw) => {
      const m = parseWebviewMessage(raw);
      if (!m) return services.log.warn(`ignored an invalid message from the providers panel`);
      if (m.type === 'ready' || m.type === 'refresh') await this.refresh();
      else if (m.type === 'placement') await this.placement();
      else if (m.type === 'copy') await vscode.env.clipboard.writeText(m.text);
      else if (m.type === 'openSettings') await vscode.commands.executeCommand('workbench.action.openSettings', m.query);
    });
  }

  private post(m: HostMessage): void {
    void this.panel.webview.postMessage(m);
  }

  /** One profiled run of the model in use: which provider ran each node. */
  private async placement(): Promise<void> {
    const order = this.services.config().get<string[]>('executionProviders', [...DEFAULT_PROVIDER_ORDER]);
    try {
      const model = configuredModel(this.services);
      this.post({ type: 'busy', message: `Profiling one run of ${basename(model)}…` });
      const r = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `ViT Inspector: node placement of ${basename(model)}`, cancellable: true },
        (_p, token) => this.services.runtime.request('placement', { model, order }, token),
      );
      this.post({ type: 'placement', ...r });
    } catch (e) {
      this.post({ type: 'error', message: (e as Error).message });
      this.services.report(e, 'Node placement');
    }
  }

  async refresh(): Promise<void> {
    const order = this.services.config().get<string[]>('executionProviders', [...DEFAULT_PROVIDER_ORDER]);
    this.post({ type: 'busy', message: 'Starting a session on each provider…' });
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'ViT Inspector: probing execution providers', cancellable: true },
        (_p, token) => this.services.runtime.request('providers', { order }, token),
      );
      for (const p of result.providers)
        this.services.log.info(`provider ${p.name}: ${p.works ? `works (${p.ms} ms)` : `not usable: ${p.reason}`}`);
      this.post({ type: 'providers', ...result });
    } catch (e) {
      this.post({ type: 'error', message: (e as Error).message });
      this.services.report(e, 'Show Execution Providers');
    }
  }
}
