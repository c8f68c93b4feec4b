import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { Services } from '../context';
import { webviewHtml, webviewOptions } from '../webviewHtml';
import { resultsColumn } from './resultsColumn';
import { ownBuffers } from './ownBuffers';
import { parseWebviewMessage, type HostMessage, type PanelKind, type WebviewMessage } from '../../shared/protocol';

/** The messages one panel accepts: a subset of the protocol's, so its `switch` can be exhaustive. */
export type Accepts<T extends WebviewMessage['type']> = Extract<WebviewMessage, { type: T }>;

export interface PanelSpec<M extends WebviewMessage> {
  kind: PanelKind;
  title: string;
  /** The feature's name in logs and error notifications. */
  what: string;
  /** The message types this panel handles; any other is logged and ignored. */
  accepts: readonly M['type'][];
  /** Open panels are found again by view type and key (one per image, or one per window when ''); null: not tracked. */
  key: string | null;
  /** Roots beyond dist/ and media/ the page may load from (the image shown). */
  roots?: vscode.Uri[];
}

/** Where a new panel opens and whether its page survives being hidden. */
export interface PanelPlacement {
  column: vscode.ViewColumn;
  preserveFocus?: boolean;
  retainContextWhenHidden: boolean;
  roots?: vscode.Uri[];
}

/**
 * What every panel shares: its page, message validation, posting, copy, save, errors, and
 * finding an open panel again (show) or restoring one after a window reload (revive).
 */
export abstract class Panel<M extends WebviewMessage> {
  private static readonly open = new Map<string, Panel<WebviewMessage>>();
  /** What the page shows now (see update); posted once it is ready, again whenever it reloads. */
  private held: HostMessage | undefined;
  private pageReady = false;

  /** The open panel of a view type (and key), if any. */
  protected static find<T>(viewType: string, key = ''): T | undefined {
    return Panel.open.get(`${viewType}|${key}`) as T | undefined;
  }

  /** A new webview panel with our options. */
  protected static create(services: Services, viewType: string, title: string, at: PanelPlacement): vscode.WebviewPanel {
    const column = at.column === vscode.ViewColumn.Beside ? resultsColumn() : at.column;
    return vscode.window.createWebviewPanel(viewType, title, { viewColumn: column, preserveFocus: at.preserveFocus ?? false }, {
      ...webviewOptions(services.extensionUri, at.roots),
      retainContextWhenHidden: at.retainContextWhenHidden,
    });
  }

  protected constructor(readonly panel: vscode.WebviewPanel, protected readonly services: Services, private readonly spec: PanelSpec<M>) {
    const id = spec.key === null ? undefined : `${panel.viewType}|${spec.key}`;
    if (id) Panel.open.set(id, this as unknown as Panel<WebviewMessage>);
    // A revived panel comes back without our options: set them again before the page.
    panel.webview.options = webviewOptions(services.extensionUri, spec.roots);
    panel.webview.html = webviewHtml(panel.webview, services.extensionUri, spec.kind, spec.title);
    panel.onDidDispose(() => {
      if (id && Panel.open.get(id) === (this as unknown)) Panel.open.delete(id);
      this.disposed();
    });
    panel.webview.onDidReceiveMessage(async (raw) => {
      const m = parseWebviewMessage(raw);
      if (!m || !(spec.accepts as readonly string[]).includes(m.type)) return services.log.warn(`ignored an invalid message from the ${spec.what} panel`);
      if (m.type === 'ready') {
        this.pageReady = true;
        if (this.held) this.post(this.held);
      }
      try {
        await this.handle(m as M);
      } catch (e) {
        this.failed(e);
      }
    });
  }

  /** One case per accepted message type (end with `unhandled(m)` so a new type is a compile error). */
  protected abstract handle(m: M): Promise<void> | void;

  /** Called once when the user closes the panel. */
  protected disposed(): void {}

  /** A message handler threw: UserErrors as a notification, bugs logged with their stack. */
  protected failed(e: unknown): void {
    this.services.report(e, this.spec.what);
  }

  post(m: HostMessage): void {
    void this.panel.webview.postMessage(ownBuffers(m));
  }

  /** What the page shows now (progress, a result, why it stopped): held until the webview is ready, replayed when it reloads. */
  update(m: HostMessage): void {
    this.held = m;
    if (this.pageReady) this.post(m);
  }

  reveal(): void {
    this.panel.reveal();
  }

  /** Allow the page to load from more roots (a new image to draw). */
  protected allowRoots(roots: vscode.Uri[]): void {
    this.spec.roots = roots;
    this.panel.webview.options = webviewOptions(this.services.extensionUri, roots);
  }

  protected async copy(text: string, note = 'copied'): Promise<void> {
    await vscode.env.clipboard.writeText(text);
    void vscode.window.setStatusBarMessage(`ViT Inspector: ${note}`, 3000);
  }

  /** The one save path: a dialog starting in `dir` (else the workspace), PNG as base64, text as UTF-8. */
  protected async save(m: Accepts<'save'>, dir?: vscode.Uri): Promise<void> {
    const start = dir ?? vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.cwd());
    const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(start, m.name), filters: { [m.format.toUpperCase()]: [m.format] } });
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, m.format === 'png' ? Buffer.from(m.data, 'base64') : Buffer.from(m.data, 'utf8'));
    void vscode.window.showInformationMessage(`Saved ${basename(uri.fsPath)}`);
  }
}

/** The end of an exhaustive `switch` (pass the message, or its type when a panel takes one kind): a type added to a panel's list but not handled fails to compile. */
export function unhandled(m: never): never {
  throw new Error(`unhandled message ${JSON.stringify(m)}`);
}
