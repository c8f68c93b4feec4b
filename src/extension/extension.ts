import * as vscode from 'vscode';
import { Services } from './context';
import { ProvidersPanel } from './panels/providersPanel';
import { ClassifyPanel } from './panels/classifyPanel';
import { WindowsPanel } from './panels/windowsPanel';
import { ComplexityPanel } from './panels/complexityPanel';
import { RelposPanel } from './panels/relposPanel';
import { TracePanel } from './panels/tracePanel';
import { EmbeddingsPanel } from './panels/embeddingsPanel';
import { EvaluatePanel } from './panels/evaluatePanel';
import { ComparePanel } from './panels/comparePanel';
import { ArchitectureEditor } from './architectureEditor';
import { selectModel } from './model';
import { downloadModel, setToken } from './hub';
import { classifyFolder } from './classifyFolder';
import { evaluateActions, evaluateModelOnFolder } from './evaluateFolder';
import { compareModels, restoreComparison } from './compareModels';
import { UserError } from '../core/errors';
import { IMAGE_EXTENSIONS, IMAGE_EXTENSION_LIST, IMAGE_KINDS } from '../core/image/folder';
import { isCheckpointPath } from '../core/checkpoint';
import { editorTarget, exportToOnnx, watchCheckpointFolders } from './checkpoints';

const IMAGE = IMAGE_EXTENSIONS;
/** A model argument: an ONNX file or a safetensors checkpoint (file, index, or folder: isCheckpointPath). */
const ONNX = /\.(onnx|safetensors)$|\.safetensors\.index\.json$/i;

export function activate(context: vscode.ExtensionContext): void {
  const services = new Services(context);
  context.subscriptions.push(services);
  services.log.info(`ViT Inspector ${context.extension.packageJSON.version} activated`);

  /** Every command reports UserErrors as a notification and logs anything else with its stack. */
  const command = (id: string, what: string, fn: (...args: never[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          await (fn as (...a: unknown[]) => unknown)(...args);
        } catch (e) {
          services.report(e, what);
        }
      }),
    );
  /** Panels come back after a window reload. */
  const revive = (viewType: string, fn: (panel: vscode.WebviewPanel, state: unknown) => void) =>
    context.subscriptions.push(vscode.window.registerWebviewPanelSerializer(viewType, { deserializeWebviewPanel: async (panel, state) => fn(panel, state) }));
  const onnxArg = (uri?: vscode.Uri) => (uri && (ONNX.test(uri.fsPath) || isCheckpointPath(uri.fsPath)) ? uri.fsPath : undefined);

  command('vitInspector.showProviders', 'Show Execution Providers', () => ProvidersPanel.show(services));
  revive(ProvidersPanel.viewType, (panel) => ProvidersPanel.revive(panel, services));

  command('vitInspector.classifyImage', 'Classify Image', async (uri?: vscode.Uri) => {
    const image = await imageArg(uri, 'Classify an image');
    if (image) await ClassifyPanel.show(services, image, false);
  });
  command('vitInspector.showAttention', 'Show Attention', async (uri?: vscode.Uri) => {
    const image = await imageArg(uri, 'Show attention on an image');
    if (image) await ClassifyPanel.show(services, image, true);
  });
  revive(ClassifyPanel.viewType, (panel, state) => ClassifyPanel.revive(panel, services, state));

  command('vitInspector.classifyFolder', 'Classify Folder', async (uri?: vscode.Uri) => {
    const folder = uri ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Classify every image in a folder' }))?.[0];
    if (folder) await classifyFolder(services, folder);
  });
  command('vitInspector.evaluateFolder', 'Evaluate Model on Folder', async (uri?: vscode.Uri) => {
    const folder = uri ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Evaluate on a labelled folder (one subfolder per class)' }))?.[0];
    if (folder) await evaluateModelOnFolder(services, folder);
  });
  revive(EvaluatePanel.viewType, (panel, state) => EvaluatePanel.revive(panel, services, state, (source, models) => evaluateActions(services, source, models)));
  command('vitInspector.compareModels', 'Compare Models', (uri?: vscode.Uri, uris?: vscode.Uri[]) => compareModels(services, uri, uris));
  revive(ComparePanel.viewType, (panel, state) => ComparePanel.revive(panel, services, state, (doc) => restoreComparison(services, doc)));
  command('vitInspector.selectModel', 'Select Model', (uri?: vscode.Uri) => selectModel(services, uri));
  command('vitInspector.downloadModel', 'Download Model from Hugging Face', () => downloadModel(services));
  command('vitInspector.setHfToken', 'Hugging Face: Set Access Token', () => setToken(services));

  context.subscriptions.push(vscode.window.registerCustomEditorProvider(ArchitectureEditor.viewType, new ArchitectureEditor(services), { supportsMultipleEditorsPerDocument: true }));
  command('vitInspector.openArchitecture', 'Open Architecture View', async (uri?: vscode.Uri) => {
    const target = uri ?? (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Models: ['onnx', 'safetensors', 'json'] }, title: 'Open an ONNX model or a safetensors checkpoint' }))?.[0];
    if (target) await vscode.commands.executeCommand('vscode.openWith', editorTarget(target), ArchitectureEditor.viewType);
  });
  command('vitInspector.exportOnnx', 'Export Model to ONNX', (uri?: vscode.Uri) => exportToOnnx(services, uri));
  watchCheckpointFolders(context);

  command('vitInspector.showShiftedWindows', 'Show Shifted Windows', (uri?: vscode.Uri) => WindowsPanel.show(services, onnxArg(uri), uri && IMAGE.test(uri.fsPath) ? uri : undefined));
  revive(WindowsPanel.viewType, (panel) => WindowsPanel.revive(panel, services));
  command('vitInspector.showEmbeddings', 'Show Embeddings & Attention Distance', (uri?: vscode.Uri) => EmbeddingsPanel.show(services, onnxArg(uri)));
  revive(EmbeddingsPanel.viewType, (panel) => EmbeddingsPanel.revive(panel, services));
  command('vitInspector.compareComplexity', 'Compare Window Complexity', (uri?: vscode.Uri) => ComplexityPanel.show(services, onnxArg(uri)));
  revive(ComplexityPanel.viewType, (panel) => ComplexityPanel.revive(panel, services));
  command('vitInspector.showRelativePositionBias', 'Show Relative Position Bias', (uri?: vscode.Uri) => RelposPanel.show(services, onnxArg(uri)));
  revive(RelposPanel.viewType, (panel) => RelposPanel.revive(panel, services));
  command('vitInspector.stepThroughForwardPass', 'Step Through the Forward Pass', async (uri?: vscode.Uri, pick?: { model?: string; layer?: number; head?: number; token?: number }) => {
    const image = await imageArg(uri && IMAGE.test(uri.fsPath) ? uri : undefined, 'Image to trace through the model');
    if (!image) return;
    // The model given (a panel's, a right-clicked .onnx), else the one Classify Image uses.
    const model = pick?.model ?? (uri && !IMAGE.test(uri.fsPath) ? onnxArg(uri) : undefined);
    TracePanel.show(services, image.fsPath, model, { layer: pick?.layer, head: pick?.head, token: pick?.token });
  });
  revive(TracePanel.viewType, (panel, state) => TracePanel.revive(panel, services, state));
}

/** The right-clicked image, else the image in the active tab, else one the user picks. */
async function imageArg(uri: vscode.Uri | undefined, title: string): Promise<vscode.Uri | undefined> {
  if (uri) {
    if (uri.scheme !== 'file') throw new UserError(`${uri.path.split('/').pop()} is not on the local disk (${uri.scheme}:). ViT Inspector reads images from local files: open a local folder.`);
    if (!IMAGE.test(uri.fsPath)) throw new UserError(`${uri.fsPath.split(/[\\/]/).pop()} is not an image ViT Inspector reads (${IMAGE_KINDS}).`);
    return uri;
  }
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input as { uri?: vscode.Uri } | undefined;
  if (tab?.uri && IMAGE.test(tab.uri.fsPath)) return tab.uri;
  const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Images: [...IMAGE_EXTENSION_LIST] }, title });
  return files?.[0];
}

export function deactivate(): void {}
