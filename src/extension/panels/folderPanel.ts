import * as vscode from 'vscode';
import { basename, join, isAbsolute } from 'node:path';
import type { Services } from '../context';
import { Panel, unhandled, type Accepts } from './panel';
import { selectModel } from '../model';

type Message = Accepts<'ready' | 'openFile' | 'copy' | 'rerun' | 'pickModel'>;

/** The sortable results table of Classify Folder. */
export class FolderPanel extends Panel<Message> {
  static readonly viewType = 'vitInspector.folder';

  /** `again`: run the folder again (Retry; after Select another model). */
  static show(services: Services, folder: string, again: () => Promise<void>): FolderPanel {
    return new FolderPanel(Panel.create(services, FolderPanel.viewType, `Classified: ${basename(folder)}`, { column: vscode.ViewColumn.Active, retainContextWhenHidden: true }), services, folder, again);
  }

  private constructor(panel: vscode.WebviewPanel, services: Services, private readonly folder: string, private readonly again: () => Promise<void>) {
    super(panel, services, { kind: 'folder', title: 'Classified folder', what: 'Classify Folder', key: null, accepts: ['ready', 'openFile', 'copy', 'rerun', 'pickModel'] });
  }

  protected async handle(m: Message): Promise<void> {
    switch (m.type) {
      case 'ready':
        return; // the base posts what update() holds
      case 'openFile': {
        const p = isAbsolute(m.path) ? m.path : join(this.folder, m.path);
        if (!p.startsWith(this.folder) && !m.path.endsWith('.vit-inspector.csv') && !m.path.endsWith('.vit-inspector.json')) return;
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(p), vscode.ViewColumn.Beside);
        return;
      }
      case 'copy':
        return this.copy(m.text);
      case 'pickModel':
        if (!(await selectModel(this.services))) return;
        this.panel.dispose();
        return this.again();
      case 'rerun':
        this.panel.dispose();
        return this.again();
      default:
        unhandled(m);
    }
  }
}
