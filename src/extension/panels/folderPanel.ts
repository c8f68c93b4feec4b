import * as vscode from 'vscode';
import { basename, join, isAbsolute } from 'node:path';
import type { Services } from '../context';
import { webviewHtml, webviewOptions } from '../webviewHtml';
import { parseWebviewMessage, type HostMessage } from '../../protocol';

/** The sortable results table of Classify Folder. */
export class FolderPanel {
  static readonly viewType = 'vitInspector.folder';
  private last: HostMessage | undefined;
  private ready = false;

  static show(services: Services, folder: string): FolderPanel {
    const panel = vscode.window.createWebviewPanel(FolderPanel.viewType, `Classified: ${basename(folder)}`, vscode.ViewColumn.Active, {
      ...webviewOptions(services.extensionUri),
      retainContextWhenHidden: true,
    });
    return new FolderPanel(panel, services, folder);
  }

  private constructor(private readonly panel: vscode.WebviewPanel, services: Services, private readonly folder: string) {
    panel.webview.html = webviewHtml(panel.webview, services.extensionUri, 'folder', 'Classified folder');
    panel.webview.onDidReceiveMessage(async (raw) => {
      const m = parseWebviewMessage(raw);
      if (!m) return;
      if (m.type === 'ready') {
        this.ready = true;
        if (this.last) void panel.webview.postMessage(this.last);
      } else if (m.type === 'openFile') {
        const p = isAbsolute(m.path) ? m.path : join(this.folder, m.path);
        if (!p.startsWith(this.folder) && !m.path.endsWith('.vit-inspector.csv') && !m.path.endsWith('.vit-inspector.json')) return;
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(p), vscode.ViewColumn.Beside);
      } else if (m.type === 'copy') await vscode.env.clipboard.writeText(m.text);
    });
  }

  update(m: HostMessage): void {
    this.last = m;
    if (this.ready) void this.panel.webview.postMessage(m);
  }
}
