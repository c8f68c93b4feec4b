import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { Services } from '../context';
import { isUserError } from '../../core/errors';
import { relposViews, type RelposReport } from '../../core/report/relpos';
import { configuredModel, embeddedModelPath, modelDisplayName } from '../model';
import { Panel, unhandled, type Accepts } from './panel';

type Message = Accepts<'ready'>;

/**
 * Relative position bias: each Swin block's learned table per head, the bias B one window adds,
 * and the index built step by step. Opened on a model file (architecture view), else on the
 * model in use; from the palette, a model without Swin blocks falls back to the embedded Swin.
 */
export class RelposPanel extends Panel<Message> {
  static readonly viewType = 'vitInspector.relpos';

  static show(services: Services, model?: string, block?: string): void {
    const cur = Panel.find<RelposPanel>(RelposPanel.viewType);
    if (cur) {
      cur.reveal();
      cur.model = model ?? cur.model;
      cur.block = block ?? null;
      void cur.send();
      return;
    }
    new RelposPanel(Panel.create(services, RelposPanel.viewType, 'Relative Position Bias', { column: vscode.ViewColumn.Active, retainContextWhenHidden: true }), services, model, block ?? null);
  }

  static revive(panel: vscode.WebviewPanel, services: Services): void {
    new RelposPanel(panel, services, undefined, null);
  }

  private constructor(panel: vscode.WebviewPanel, services: Services, private model: string | undefined, private block: string | null) {
    super(panel, services, { kind: 'relpos', title: 'Relative Position Bias', what: 'Show Relative Position Bias', key: '', accepts: ['ready'] });
  }

  protected handle(m: Message): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.send();
      default:
        unhandled(m.type);
    }
  }

  private async send(): Promise<void> {
    const explicit = this.model;
    const file = explicit ?? configuredModel(this.services);
    try {
      this.post({ type: 'busy', message: `Reading the relative position bias of ${basename(file)}…` });
      let report: RelposReport;
      let note: string | null = null;
      try {
        report = await this.read(file);
      } catch (e) {
        // From the palette with a ViT configured: show the embedded Swin instead, and say so.
        if (explicit || !isUserError(e) || (e as Error).message === 'Cancelled.') throw e;
        const swin = embeddedModelPath(this.services, 'fashion-swin');
        report = await this.read(swin);
        note = `${(e as Error).message} Showing the embedded ${basename(swin)} instead.`;
      }
      this.services.log.info(`relative position bias of ${report.file}: ${report.layers.length} block(s)`);
      this.post({ type: 'relpos', model: modelDisplayName(this.services, report.file), path: report.file, blocks: relposViews(report), select: this.block, note });
    } catch (e) {
      this.post({ type: 'error', message: (e as Error).message });
      if (!isUserError(e)) this.services.report(e, 'Show Relative Position Bias');
    }
  }

  /** The tables are read in the inference process (a Swin-B's are tens of MB): the editor never waits on them. */
  private async read(model: string): Promise<RelposReport> {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `ViT Inspector: reading the relative position bias of ${basename(model)}`, cancellable: true }, (_p, token) =>
      this.services.runtime.request('relpos', { model }, token),
    );
  }
}
