/**
 * Checkpoints in the editor: the folders holding one (a context key, so the Explorer offers the
 * model commands on them), a MODEL given as a checkpoint folder, and Export Model to ONNX….
 */
import * as vscode from 'vscode';
import { basename, dirname, join } from 'node:path';
import { statSync } from 'node:fs';
import { isCheckpointPath, modelFile } from '../core/checkpoint';
import { UserError } from '../core/errors';
import type { Services } from './context';

const CHECKPOINT_GLOB = '**/{*.safetensors,*.safetensors.index.json}';

/** Keeps `vitInspector.checkpointFolders` (the folders holding a checkpoint) up to date for the Explorer's menus. */
export function watchCheckpointFolders(context: vscode.ExtensionContext): void {
  const update = async (): Promise<void> => {
    const files = await vscode.workspace.findFiles(CHECKPOINT_GLOB, '**/node_modules/**', 500);
    await vscode.commands.executeCommand('setContext', 'vitInspector.checkpointFolders', [...new Set(files.map((f) => dirname(f.fsPath)))]);
  };
  const w = vscode.workspace.createFileSystemWatcher(CHECKPOINT_GLOB, false, true, false);
  w.onDidCreate(() => void update());
  w.onDidDelete(() => void update());
  context.subscriptions.push(w, vscode.workspace.onDidChangeWorkspaceFolders(() => void update()));
  void update();
}

/** The file the architecture editor opens for a URI: a checkpoint folder → its model.safetensors or index. */
export function editorTarget(uri: vscode.Uri): vscode.Uri {
  try {
    if (uri.scheme === 'file' && statSync(uri.fsPath).isDirectory()) return vscode.Uri.file(modelFile(uri.fsPath));
  } catch {
    /* a missing file: the editor says so */
  }
  return uri;
}

/** Checkpoints in the workspace, for Select Model. */
export async function workspaceCheckpoints(): Promise<vscode.Uri[]> {
  const files = await vscode.workspace.findFiles(CHECKPOINT_GLOB, '**/node_modules/**', 200);
  // A sharded checkpoint is its index: its shards are not models of their own.
  const indexed = new Set(files.filter((f) => f.fsPath.endsWith('.index.json')).map((f) => dirname(f.fsPath)));
  return files.filter((f) => f.fsPath.endsWith('.index.json') || !indexed.has(dirname(f.fsPath)));
}

/** Export Model to ONNX…: asks where, writes a standard ONNX file with the configs beside it. */
export async function exportToOnnx(services: Services, uri?: vscode.Uri): Promise<void> {
  let src = uri?.fsPath;
  if (!src) {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, canSelectFolders: false, filters: { 'Safetensors checkpoints': ['safetensors', 'json'] }, title: 'Export a safetensors checkpoint to ONNX' });
    src = picked?.[0]?.fsPath;
  }
  if (!src) return;
  if (!isCheckpointPath(src)) throw new UserError(`${basename(src)} is not a safetensors checkpoint (model.safetensors, model.safetensors.index.json or the folder holding them); an ONNX file needs no export.`);
  const file = modelFile(src);
  const suggested = join(dirname(file), 'onnx', 'model.onnx');
  // VS Code's own save dialog (code-server, remote) drops a default whose folder does not exist and
  // offers only the checkpoint's folder: make onnx/ first, and remove it again if nothing is saved.
  const onnxDir = vscode.Uri.file(dirname(suggested));
  const made = await vscode.workspace.fs.stat(onnxDir).then(() => false, async () => (await vscode.workspace.fs.createDirectory(onnxDir), true));
  const dest = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(suggested), filters: { 'ONNX models': ['onnx'] }, title: 'Export Model to ONNX' });
  if (made && dest?.fsPath !== suggested) await vscode.workspace.fs.delete(onnxDir).then(undefined, () => undefined);
  if (!dest) return;
  await vscode.workspace.fs.createDirectory(vscode.Uri.file(dirname(dest.fsPath)));
  // In the inference process: copying a large checkpoint's weights must not block the extension host.
  const r = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `ViT Inspector: exporting ${basename(dirname(file))} to ONNX`, cancellable: true },
    (_p, token) => services.runtime.request('exportOnnx', { checkpoint: file, out: dest.fsPath }, token),
  );
  services.log.info(`exported ${file} to ${r.model} (${r.bytes} bytes${r.data ? `, data ${r.data}` : ''}; copied ${r.copied.join(', ') || 'nothing'})`);
  const open = await vscode.window.showInformationMessage(`Exported ${basename(r.model)}${r.data ? ` (weights in ${basename(r.data)})` : ''}.`, 'Open Architecture View');
  if (open) await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(r.model), 'vitInspector.architecture');
}
