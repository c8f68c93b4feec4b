import * as vscode from 'vscode';
import type { Services } from '../context';
import { Panel, unhandled, type Accepts } from './panel';

type Message = Accepts<'ready' | 'addModel' | 'pickFolder' | 'rerun' | 'copy' | 'save'>;

export interface CompareActions {
  addModel(): Promise<void>;
  pickFolder(): Promise<void>;
  /** Measure the latency again. */
  remeasure(): Promise<void>;
}

/** Compare Models: config, params, MACs per stage and role, Ω at chosen resolutions, latency, accuracy. One panel, reused. */
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
