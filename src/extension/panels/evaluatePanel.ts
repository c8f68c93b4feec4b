import * as vscode from 'vscode';
import { isAbsolute, join, relative } from 'node:path';
import type { Services } from '../context';
import { Panel, unhandled, type Accepts } from './panel';
import { ClassifyPanel } from './classifyPanel';
import { evaluatePaths } from '../../core/evaluate/document';
import { parseEvaluateState } from '../../shared/panelState';

type Message = Accepts<'ready' | 'openFile' | 'showImage' | 'addModel' | 'rerun' | 'cancel' | 'copy'>;

export interface EvaluateActions {
  /** The models evaluated: an image's Classify and Attention use the one whose details are shown. */
  readonly models: readonly string[];
  /** Run again with the same models (Retry). */
  again(): Promise<void>;
  /** Pick another model and run with it added. */
  addModel(): Promise<void>;
  /** Stop the run in progress. */
  cancel(): void;
}

/** Evaluate Model on Folder: scores, the confusion matrix, the worst mistakes. One panel per folder (or labels CSV); comes back after a window reload. */
export class EvaluatePanel extends Panel<Message> {
  static readonly viewType = 'vitInspector.evaluate';

  /** The panel of `source` (the folder or labels CSV evaluated; images under `dir`), a new one or the open one shown again, with `actions` for its buttons. */
  static show(services: Services, source: vscode.Uri, dir: vscode.Uri, actions: EvaluateActions): EvaluatePanel {
    const open = Panel.find<EvaluatePanel>(EvaluatePanel.viewType, source.fsPath);
    if (open) {
      open.actions = actions;
      open.reveal();
      return open;
    }
    const panel = Panel.create(services, EvaluatePanel.viewType, `Evaluate: ${source.path.split('/').pop()}`, { column: vscode.ViewColumn.Active, retainContextWhenHidden: true, roots: [dir] });
    return new EvaluatePanel(panel, services, source, dir, actions);
  }

  /** After a window reload: the results the page kept, shown again (not re-run); its buttons evaluate the same source and models. */
  static revive(panel: vscode.WebviewPanel, services: Services, state: unknown, actions: (source: vscode.Uri, models: string[]) => EvaluateActions): void {
    const view = parseEvaluateState(state);
    if (!view) return panel.dispose();
    const source = vscode.Uri.file(view.source ?? view.folder);
    const revived = new EvaluatePanel(panel, services, source, vscode.Uri.file(view.folder), actions(source, view.models.map((m) => m.path)));
    // The webview URI of the folder is this session's.
    revived.update({ type: 'evaluate', view: { ...view, imageBase: revived.imageBase() } });
  }

  private constructor(panel: vscode.WebviewPanel, services: Services, source: vscode.Uri, private readonly folder: vscode.Uri, private actions: EvaluateActions) {
    super(panel, services, { kind: 'evaluate', title: 'Evaluate Model on Folder', what: 'Evaluate Model on Folder', key: source.fsPath, roots: [folder], accepts: ['ready', 'openFile', 'showImage', 'addModel', 'rerun', 'cancel', 'copy'] });
  }

  /** The folder as the page loads its images from. */
  imageBase(): string {
    return this.panel.webview.asWebviewUri(this.folder).toString();
  }

  /** A path the page names, if it is under the folder or one of the results beside it. */
  private inside(p: string): string | undefined {
    const abs = isAbsolute(p) ? p : join(this.folder.fsPath, p);
    const rel = relative(this.folder.fsPath, abs);
    if (!rel.startsWith('..') && !isAbsolute(rel)) return abs;
    const out = evaluatePaths(this.folder.fsPath);
    return abs === out.csv || abs === out.json ? abs : undefined;
  }

  protected async handle(m: Message): Promise<void> {
    switch (m.type) {
      case 'ready':
        return; // the base posts what update() holds
      case 'openFile': {
        const p = this.inside(m.path);
        if (p) await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(p), vscode.ViewColumn.Beside);
        return;
      }
      case 'showImage': {
        const p = this.inside(m.path);
        // Only a model this panel evaluated (the page names it); else the model in use.
        const model = m.model !== undefined && this.actions.models.includes(m.model) ? m.model : undefined;
        if (p) await ClassifyPanel.show(this.services, vscode.Uri.file(p), m.attention, model);
        return;
      }
      case 'addModel':
        return this.actions.addModel();
      case 'rerun':
        return this.actions.again();
      case 'cancel':
        return this.actions.cancel();
      case 'copy':
        return this.copy(m.text);
      default:
        unhandled(m);
    }
  }
}
