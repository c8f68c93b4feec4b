import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { Services } from './context';
import { webviewHtml, webviewOptions } from './webviewHtml';
import { parseWebviewMessage, type HostMessage } from '../protocol';
import { inspect } from './modelInfo';
import { isUserError } from '../core/errors';
import { ComplexityPanel } from './panels/complexityPanel';
import { WindowsPanel } from './panels/windowsPanel';
import { selectModel } from './model';

/**
 * The custom editor for .onnx files. Priority "default": VS Code has no editor of its own
 * for ONNX (it shows "binary file"), so opening one shows its architecture; "Reopen With…"
 * still offers the others. Read-only: the file is never written.
 */
export class ArchitectureEditor implements vscode.CustomReadonlyEditorProvider {
  static readonly viewType = 'vitInspector.architecture';

  constructor(private readonly services: Services) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const services = this.services;
    const file = document.uri.fsPath;
    panel.webview.options = webviewOptions(services.extensionUri);
    panel.webview.html = webviewHtml(panel.webview, services.extensionUri, 'architecture', basename(file));
    let imageSize: number | undefined;
    const post = (m: HostMessage) => void panel.webview.postMessage(m);
    const load = async () => {
      post({ type: 'busy', message: `Reading ${basename(file)}…` });
      try {
        const t0 = Date.now();
        const result = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: `ViT Inspector: reading ${basename(file)}`, cancellable: true },
          (_p, token) => inspect(services, file, { imageSize, details: true }, token),
        );
        services.log.info(`architecture of ${file}: ${result.family}, ${result.params} params, ${result.macs} MACs, ${Date.now() - t0} ms`);
        post({ type: 'architecture', result });
      } catch (e) {
        post({ type: 'error', message: (e as Error).message });
        if (!isUserError(e)) services.report(e, 'Open Architecture View');
      }
    };
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(file).with({ path: document.uri.path.replace(/\/[^/]*$/, '') }), basename(file)));
    watcher.onDidChange(() => void load());
    panel.onDidDispose(() => watcher.dispose());
    panel.webview.onDidReceiveMessage(async (raw) => {
      const m = parseWebviewMessage(raw);
      if (!m) return services.log.warn('ignored an invalid message from the architecture view');
      try {
        if (m.type === 'ready') await load();
        else if (m.type === 'reinspect') {
          imageSize = m.imageSize ?? undefined;
          await load();
        } else if (m.type === 'copy') {
          await vscode.env.clipboard.writeText(m.text);
          void vscode.window.setStatusBarMessage('ViT Inspector: summary copied', 3000);
        } else if (m.type === 'command') {
          if (m.command === 'compareComplexity') ComplexityPanel.show(services, file);
          else if (m.command === 'showShiftedWindows') WindowsPanel.show(services, file);
          else await selectModel(services, document.uri);
        }
      } catch (e) {
        services.report(e, 'Architecture View');
      }
    });
  }
}
