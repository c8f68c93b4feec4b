import * as vscode from 'vscode';
import type { Services } from '../context';
import { Panel, unhandled, type Accepts } from './panel';
import type { CompareDocument } from '../../core/compare/document';
import { parseCompareState } from '../../shared/panelState';

type Message = Accepts<'ready' | 'addModel' | 'pickFolder' | 'rerun' | 'copy' | 'save'>;

export interface CompareActions {
  addModel(): Promise<void>;
  pickFolder(): Promise<void>;
  /** Measure the latency again. */
  remeasure(): Promise<void>;
}

/** Compare Models: config, params, MACs per stage and role, Ω at chosen resolutions, latency, accuracy. One panel, reused; comes back after a window reload. */
export class ComparePanel extends Panel<Message> {
  static readonly viewType = 'vitInspector.compare';

  static show(services: Services, actions: CompareActions): ComparePanel {
    const open = Panel.find<ComparePanel>(ComparePanel.viewType);
    if (open) {
      open.actions = actions;
      open.reveal();
      return open;
    }
    return new ComparePanel(Panel.create(services, ComparePanel.viewType, 'Compare Models', { column: vscode.ViewColumn.Active, retainContextWhenHidden: true }), services, actions);
  }

  /** After a window reload: the document the page kept, handed to `restore` (which shows it again and wires the buttons to its models and folder). */
  static revive(panel: vscode.WebviewPanel, services: Services, state: unknown, restore: (doc: CompareDocument) => Promise<void>): void {
    const doc = parseCompareState(state);
    if (!doc) return panel.dispose();
    const none = async () => undefined;
    new ComparePanel(panel, services, { addModel: none, pickFolder: none, remeasure: none });
    // restore finds this panel (ComparePanel.show) and gives it its actions.
    restore(doc).catch((e) => services.report(e, 'Compare Models'));
  }

  private constructor(panel: vscode.WebviewPanel, services: Services, private actions: CompareActions) {
    super(panel, services, { kind: 'compare', title: 'Compare Models', what: 'Compare Models', key: '', accepts: ['ready', 'addModel', 'pickFolder', 'rerun', 'copy', 'save'] });
  }

  protected async handle(m: Message): Promise<void> {
    switch (m.type) {
      case 'ready':
        return; // the base posts what update() holds
      case 'addModel':
        return this.actions.addModel();
      case 'pickFolder':
        return this.actions.pickFolder();
      case 'rerun':
        return this.actions.remeasure();
      case 'copy':
        return this.copy(m.text);
      case 'save':
        return this.save(m);
      default:
        unhandled(m);
    }
  }
}
