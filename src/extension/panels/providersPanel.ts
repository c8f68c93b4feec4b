import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { Services } from '../context';
import { configuredModel } from '../model';
import { Panel, unhandled, type Accepts } from './panel';
import { adapterText } from '../../core/session/providers';
import { doctorReport } from '../../shared/doctorReport';

type Message = Accepts<'ready' | 'refresh' | 'placement' | 'doctor' | 'copy' | 'openSettings'>;

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
    super(panel, services, { kind: 'providers', title: 'Execution Providers', what: 'Show Execution Providers', key: '', accepts: ['ready', 'refresh', 'placement', 'doctor', 'copy', 'openSettings'] });
  }

  protected async handle(m: Message): Promise<void> {
    switch (m.type) {
      case 'ready':
      case 'refresh':
        return this.refresh();
      case 'placement':
        return this.placement();
      case 'doctor':
        return this.doctor();
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

  /** The GPU self-check: each provider that starts runs the embedded models and an attention layer against the CPU. */
  private async doctor(): Promise<void> {
    try {
      this.services.requireTrust('GPU self-check');
      this.post({ type: 'busy', message: 'Running the GPU self-check (the first run on a GPU compiles its shaders)…' });
      const models = ['fashion-vit', 'fashion-swin'].map((m) => vscode.Uri.joinPath(this.services.extensionUri, 'media', 'models', `${m}.onnx`).fsPath);
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'ViT Inspector: GPU self-check', cancellable: true },
        (p, token) => this.services.runtime.request('doctor', { models }, token, (message) => p.report({ message })),
      );
      for (const v of result.verdict) this.services.log.info(`self-check: ${v}`);
      this.post({ type: 'doctor', result, report: doctorReport(result) });
    } catch (e) {
      this.post({ type: 'error', message: (e as Error).message });
      this.services.report(e, 'GPU self-check');
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
        this.services.log.info(`provider ${p.name}: ${p.works ? `works (${p.ms} ms)` : `not usable: ${p.reason}`}${p.adapter ? `; adapter ${adapterText(p.adapter)}` : ''}`);
      const gpu = result.providers.find((p) => p.name === 'webgpu');
      if (gpu) this.services.setAdapter(gpu.adapter ?? null);
      this.post({ type: 'providers', ...result });
    } catch (e) {
      this.post({ type: 'error', message: (e as Error).message });
      this.services.report(e, 'Show Execution Providers');
    }
  }
}
