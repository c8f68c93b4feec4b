import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { PanelKind } from '../shared/protocol';

/** Roots a webview may load from: our own built scripts and media, plus any extra (the image shown). */
export function webviewOptions(extensionUri: vscode.Uri, extra: vscode.Uri[] = []): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media'), ...extra],
  };
}

/** The page of a panel: strict CSP with a nonce; script and style only from dist/ and media/. */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, panel: PanelKind, title: string): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${panel}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'webview.css'));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data: blob:`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}" nonce="${nonce}">
<title>${title}</title>
</head>
<body>
<div id="app" data-panel="${panel}"></div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
