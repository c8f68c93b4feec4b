import { EmbeddingsPanel } from './panels/embeddingsPanel';
import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { Services } from './context';
import { inspect } from './modelInfo';
import { exportToOnnx } from './checkpoints';
import { type TensorRow, isCheckpointPath, modelFile, tensorRows } from '../core/checkpoint';
import { readCheckpoint } from '../core/checkpoint/safetensors';
import { UserError, isUserError } from '../core/errors';
import { ComplexityPanel } from './panels/complexityPanel';
import { WindowsPanel } from './panels/windowsPanel';
import { RelposPanel } from './panels/relposPanel';
import { selectModel } from './model';
import { Panel, unhandled, type Accepts } from './panels/panel';

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
    new ArchitectureView(panel, this.services, document.uri);
  }
}

type Message = Accepts<'ready' | 'refresh' | 'reinspect' | 'copy' | 'command' | 'stepThrough'>;

/** One editor of a model file: reads it again when the file changes on disk. */
class ArchitectureView extends Panel<Message> {
  private imageSize: number | undefined;
  private readonly file: string;

  constructor(panel: vscode.WebviewPanel, services: Services, private readonly uri: vscode.Uri) {
    super(panel, services, { kind: 'architecture', title: basename(uri.fsPath), what: 'Architecture View', key: null, accepts: ['ready', 'refresh', 'reinspect', 'copy', 'command', 'stepThrough'] });
    this.file = uri.fsPath;
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(uri.with({ path: uri.path.replace(/\/[^/]*$/, '') }), basename(this.file)));
    watcher.onDidChange(() => void this.load());
    panel.onDidDispose(() => watcher.dispose());
  }

  protected async handle(m: Message): Promise<void> {
    switch (m.type) {
      case 'ready':
      case 'refresh':
        return this.load();
      case 'reinspect':
        this.imageSize = m.imageSize ?? undefined;
        return this.load();
      case 'copy':
        return this.copy(m.text, 'summary copied');
      case 'command':
        if (m.command === 'compareComplexity') ComplexityPanel.show(this.services, this.file);
        else if (m.command === 'showShiftedWindows') WindowsPanel.show(this.services, this.file);
        else if (m.command === 'showRelativePositionBias') RelposPanel.show(this.services, this.file, m.block);
        else if (m.command === 'showEmbeddings') EmbeddingsPanel.show(this.services, this.file);
        else if (m.command === 'exportOnnx') await exportToOnnx(this.services, this.uri);
        else await selectModel(this.services, this.uri);
        return;
      case 'stepThrough':
        // A block of this model: the image comes from the active tab or a dialog (the command's own choice).
        await vscode.commands.executeCommand('vitInspector.stepThroughForwardPass', undefined, { model: this.file, layer: m.layer, head: m.head, token: m.token });
        return;
      default:
        unhandled(m);
    }
  }

  private async load(): Promise<void> {
    const file = this.file;
    this.post({ type: 'busy', message: `Reading ${basename(file)}…` });
    try {
      if (this.uri.scheme !== 'file') throw new UserError(`${basename(file)} is not on the local disk (${this.uri.scheme}:). ViT Inspector reads models from local files: open a local folder.`);
      const t0 = Date.now();
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `ViT Inspector: reading ${basename(file)}`, cancellable: true },
        (_p, token) => inspect(this.services, file, { imageSize: this.imageSize, details: true }, token),
      );
      this.services.log.info(`architecture of ${file}: ${result.family}, ${result.params} params, ${result.macs} MACs, ${Date.now() - t0} ms`);
      this.post({ type: 'architecture', result });
    } catch (e) {
      this.post({ type: 'error', message: (e as Error).message, tensors: isUserError(e) ? checkpointTensorList(file) : undefined });
      if (!isUserError(e)) this.services.report(e, 'Open Architecture View');
    }
  }
}

/** A checkpoint's tensor list from its headers (no weights read), or undefined when it is not a readable checkpoint. */
function checkpointTensorList(file: string): TensorRow[] | undefined {
  if (!isCheckpointPath(file)) return undefined;
  try {
    return tensorRows(readCheckpoint(modelFile(file)));
  } catch {
    return undefined;
  }
}
