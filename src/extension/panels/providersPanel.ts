import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { Services } from '../context';
import { configuredModel } from '../model';
import { Panel, unhandled, type Accepts } from './panel';

type Message = Accepts<'ready' | 'refresh' | 'placement' | 'copy' | 'openSettings'>;

/** Show Execution Providers: what this platform's ONNX Runtime has, what starts here, and why not. */
export class ProvidersPanel extends Panel<Message> {
  static readonly viewType = 'vitInspector.providers';

  static show(services: Services): void {
    const cur = Panel.find<ProvidersPanel>(ProvidersPanel.viewType);
    if (cur) {
      cur.reveal();
      void cur.refresh();
      return;
    }
    new ProvidersPanel(Panel.create(services, ProvidersPanel.viewType, 'Execution Providers', { column: vscode.ViewColumn.Active, retainContextWhenHidden: false }), services);
  }

  /** Restores the panel after a window reload. */
  static revive(panel: vscode.WebviewPanel, services: Services): void {
    new ProvidersPanel(panel, services);
  }

  private constructor(panel: vscode.WebviewPanel, services: Services) {
    super(panel, services, { kind: 'providers', title: 'Execution Providers', what: 'Show Execution Providers', key: '', accepts: ['ready', 'refresh', 'placement', 'copy', 'openSettings'] });
  }

  protected async handle(m: Message): Promise<void> {
    switch (m.type) {
      case 'ready':
      case 'refresh':
        return this.refresh();
      case 'placement':
        return this.placement();
      case 'copy':
        return this.copy(m.text);
      case 'openSettings':
        await vscode.commands.executeCommand('workbench.action.openSettings', m.query);
        return;
      default:
        unhandled(m);
    }
  }

  /** One profiled run of the model in use: which provider ran each node. */
  private async placement(): Promise<void> {
    try {
      this.services.requireTrust('Node placement');
      const model = configuredModel(this.services);
      this.post({ type: 'busy', message: `Profiling one run of ${basename(model)}…` });
      const r = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `ViT Inspector: node placement of ${basename(model)}`, cancellable: true },
        (_p, token) => this.services.runtime.request('placement', { model, order: this.services.providerOrder() }, token),
      );
      this.post({ type: 'placement', ...r });
    } catch (e) {
      this.post({ type: 'error', message: (e as Error).message });
      this.services.report(e, 'Node placement');
    }
  }

  async refresh(): Promise<void> {
    try {
      this.services.requireTrust('Show Execution Providers');
      this.post({ type: 'busy', message: 'Starting a session on each provider…' });
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'ViT Inspector: probing execution providers', cancellable: true },
        (_p, token) => this.services.runtime.request('providers', { order: this.services.providerOrder() }, token),
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
