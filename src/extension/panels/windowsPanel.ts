import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { Services } from '../context';
import { webviewHtml, webviewOptions } from '../webviewHtml';
import { parseWebviewMessage } from '../../protocol';
import { analyticFlops, preset, type ModelConfig } from '../../core/flops';
import { modelConfig } from '../modelInfo';
import { configuredModel } from '../model';

/** Swin stages as (H, W, M) token maps; a ViT or unknown model falls back to Swin-T's. */
export function windowStages(config: ModelConfig | null): { name: string; H: number; W: number; M: number }[] {
  const cfg = config && config.family === 'swin' ? config : preset('swin-t');
  return analyticFlops(cfg).stages.map((s) => ({ name: s.name, H: s.tokens[0], W: s.tokens[1], M: s.window ?? 7 }));
}

/** Show Shifted Windows: stage sizes from the model in use (Swin), else Swin-T's; custom H, W, M too. */
export class WindowsPanel {
  static readonly viewType = 'vitInspector.windows';
  private static current: WindowsPanel | undefined;

  /** `image`: Show Shifted Windows on an image draws the partitions over it. */
  static show(services: Services, model?: string, image?: vscode.Uri): void {
    if (WindowsPanel.current) {
      const cur = WindowsPanel.current;
      cur.panel.reveal();
      cur.model = model ?? cur.model;
      if (image) {
        cur.image = image;
        cur.panel.webview.options = webviewOptions(services.extensionUri, [vscode.Uri.joinPath(image, '..')]);
      }
      void cur.send();
      return;
    }
    const roots = image ? [vscode.Uri.joinPath(image, '..')] : [];
    const panel = vscode.window.createWebviewPanel(WindowsPanel.viewType, 'Shifted Windows', vscode.ViewColumn.Active, { ...webviewOptions(services.extensionUri, roots), retainContextWhenHidden: true });
    WindowsPanel.current = new WindowsPanel(panel, services, model, image);
  }

  static revive(panel: vscode.WebviewPanel, services: Services): void {
    panel.webview.options = webviewOptions(services.extensionUri);
    WindowsPanel.current = new WindowsPanel(panel, services, undefined);
  }

  private constructor(private readonly panel: vscode.WebviewPanel, private readonly services: Services, private model: string | undefined, private image?: vscode.Uri) {
    panel.webview.html = webviewHtml(panel.webview, services.extensionUri, 'windows', 'Shifted Windows');
    panel.onDidDispose(() => (WindowsPanel.current = undefined));
    panel.webview.onDidReceiveMessage((raw) => {
      const m = parseWebviewMessage(raw);
      if (m?.type === 'ready') void this.send();
    });
  }

  private async send(): Promise<void> {
    let model: string | null = null;
    let config: ModelConfig | null = null;
    try {
      model = this.model ?? configuredModel(this.services);
      config = await modelConfig(this.services, model);
    } catch (e) {
      this.services.log.warn(`Show Shifted Windows: no model config (${(e as Error).message}); using Swin-T's stages`);
    }
    const stages = windowStages(config);
    const from = config?.family === 'swin' && model ? basename(model) : 'Swin-T (224², M=7)';
    const image = this.image ? this.panel.webview.asWebviewUri(this.image).toString() : null;
    void this.panel.webview.postMessage({ type: 'windows', stages: stages.map((s) => ({ ...s, name: `${from} ${s.name}` })), model, image });
  }
}
