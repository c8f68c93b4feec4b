import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { Services } from '../context';
import { analyticFlops, preset, type ModelConfig } from '../../core/flops';
import { modelConfig } from '../modelInfo';
import { configuredModel } from '../model';
import { Panel, unhandled, type Accepts } from './panel';
import { RelposPanel } from './relposPanel';

/** Swin stages as (H, W, M) token maps; a ViT or unknown model falls back to Swin-T's. */
export function windowStages(config: ModelConfig | null): { name: string; H: number; W: number; M: number }[] {
  const cfg = config && config.family === 'swin' ? config : preset('swin-t');
  return analyticFlops(cfg).stages.map((s) => ({ name: s.name, H: s.tokens[0], W: s.tokens[1], M: s.window ?? 7 }));
}

type Message = Accepts<'ready' | 'command'>;

/** Show Shifted Windows: stage sizes from the model in use (Swin), else Swin-T's; custom H, W, M too. */
export class WindowsPanel extends Panel<Message> {
  static readonly viewType = 'vitInspector.windows';

  /** `image`: Show Shifted Windows on an image draws the partitions over it. */
  static show(services: Services, model?: string, image?: vscode.Uri): void {
    const roots = image ? [vscode.Uri.joinPath(image, '..')] : [];
    const cur = Panel.find<WindowsPanel>(WindowsPanel.viewType);
    if (cur) {
      cur.reveal();
      cur.model = model ?? cur.model;
      if (image) {
        cur.image = image;
        cur.allowRoots(roots);
      }
      void cur.send();
      return;
    }
    new WindowsPanel(Panel.create(services, WindowsPanel.viewType, 'Shifted Windows', { column: vscode.ViewColumn.Active, retainContextWhenHidden: true, roots }), services, model, image);
  }

  static revive(panel: vscode.WebviewPanel, services: Services): void {
    new WindowsPanel(panel, services, undefined);
  }

  private constructor(panel: vscode.WebviewPanel, services: Services, private model: string | undefined, private image?: vscode.Uri) {
    super(panel, services, { kind: 'windows', title: 'Shifted Windows', what: 'Show Shifted Windows', key: '', accepts: ['ready', 'command'], roots: image ? [vscode.Uri.joinPath(image, '..')] : [] });
  }

  protected handle(m: Message): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.send();
      case 'command':
        // The one link out of this panel: the relative position bias of the model whose windows are shown.
        if (m.command === 'showRelativePositionBias') RelposPanel.show(this.services, this.model);
        return Promise.resolve();
      default:
        unhandled(m);
    }
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
    this.post({ type: 'windows', stages: stages.map((s) => ({ ...s, name: `${from} ${s.name}` })), model, image });
  }
}
