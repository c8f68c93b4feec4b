import * as vscode from 'vscode';
import { Services } from './context';
import { ProvidersPanel } from './panels/providersPanel';
import { ClassifyPanel } from './panels/classifyPanel';
import { selectModel } from './model';
import { classifyFolder } from './classifyFolder';
import { WindowsPanel } from './panels/windowsPanel';
import { ComplexityPanel } from './panels/complexityPanel';
import { ArchitectureEditor } from './architectureEditor';

export function activate(context: vscode.ExtensionContext): void {
  const services = new Services(context);
  context.subscriptions.push(services);
  services.log.info(`ViT Inspector ${context.extension.packageJSON.version} activated`);

  const command = (id: string, what: string, fn: (...args: any[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          await fn(...args);
        } catch (e) {
          services.report(e, what);
        }
      }),
    );

  command('vitInspector.showProviders', 'Show Execution Providers', () => ProvidersPanel.show(services));
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(ProvidersPanel.viewType, {
      async deserializeWebviewPanel(panel) {
        ProvidersPanel.revive(panel, services);
      },
    }),
  );

  const activeImage = (uri?: vscode.Uri): vscode.Uri => {
    const u = uri ?? vscode.window.activeTextEditor?.document.uri ?? (vscode.window.tabGroups.activeTabGroup.activeTab?.input as { uri?: vscode.Uri } | undefined)?.uri;
    if (!u || !/\.(png|jpe?g|webp|bmp|gif|tiff?|avif)$/i.test(u.fsPath))
      throw Object.assign(new Error('Right-click an image in the Explorer (png, jpg, webp, bmp, gif, tiff) and choose Classify Image, or open the image first.'), { name: 'UserError' });
    return u;
  };
  command('vitInspector.classifyImage', 'Classify Image', async (uri?: vscode.Uri) => {
    const u = uri ?? (await pickImage());
    if (u) await ClassifyPanel.show(services, activeImageOr(u));
  });
  const activeImageOr = (u: vscode.Uri) => activeImage(u);
  command('vitInspector.selectModel', 'Select Model', (uri?: vscode.Uri) => selectModel(services, uri));
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(ClassifyPanel.viewType, {
      async deserializeWebviewPanel(panel, state) {
        ClassifyPanel.revive(panel, services, state);
      },
    }),
  );
  command('vitInspector.classifyFolder', 'Classify Folder', async (uri?: vscode.Uri) => {
    const folder = uri ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Classify every image in a folder' }))?.[0];
    if (folder) await classifyFolder(services, folder);
  });
  command('vitInspector.showShiftedWindows', 'Show Shifted Windows', (uri?: vscode.Uri) => WindowsPanel.show(services, uri && /\.onnx$/i.test(uri.fsPath) ? uri.fsPath : undefined));
  context.subscriptions.push(vscode.window.registerWebviewPanelSerializer(WindowsPanel.viewType, { async deserializeWebviewPanel(panel) { WindowsPanel.revive(panel, services); } }));
  registered.add('vitInspector.showShiftedWindows');
  command('vitInspector.compareComplexity', 'Compare Window Complexity', (uri?: vscode.Uri) => ComplexityPanel.show(services, uri && /\.onnx$/i.test(uri.fsPath) ? uri.fsPath : undefined));
  context.subscriptions.push(vscode.window.registerWebviewPanelSerializer(ComplexityPanel.viewType, { async deserializeWebviewPanel(panel) { ComplexityPanel.revive(panel, services); } }));
  registered.add('vitInspector.compareComplexity');
  context.subscriptions.push(vscode.window.registerCustomEditorProvider(ArchitectureEditor.viewType, new ArchitectureEditor(services), { supportsMultipleEditorsPerDocument: true }));
  command('vitInspector.openArchitecture', 'Open Architecture View', async (uri?: vscode.Uri) => {
    const target = uri ?? (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'ONNX models': ['onnx'] }, title: 'Open an ONNX model' }))?.[0];
    if (target) await vscode.commands.executeCommand('vscode.openWith', target, ArchitectureEditor.viewType);
  });
  registered.add('vitInspector.openArchitecture');
  registered.add('vitInspector.classifyImage').add('vitInspector.selectModel').add('vitInspector.classifyFolder');

  // Commands whose capability has not landed yet say so plainly instead of failing.
  const pending: Record<string, string> = {
    'vitInspector.classifyImage': 'Classify Image',
    'vitInspector.showAttention': 'Show Attention',
    'vitInspector.openArchitecture': 'Open Architecture View',
    'vitInspector.compareComplexity': 'Compare Window Complexity',
    'vitInspector.showShiftedWindows': 'Show Shifted Windows',
    'vitInspector.selectModel': 'Select Model',
    'vitInspector.classifyFolder': 'Classify Folder',
  };
  for (const [id, title] of Object.entries(pending))
    if (!registered.has(id)) command(id, title, () => vscode.window.showInformationMessage(`ViT Inspector: "${title}" is not available in this build yet.`));
}

/** Commands implemented so far (others fall back to a plain message). */
const registered = new Set<string>(['vitInspector.showProviders']);

/** Without a right-clicked file: the active image, else ask for one. */
async function pickImage(): Promise<vscode.Uri | undefined> {
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input as { uri?: vscode.Uri } | undefined;
  if (tab?.uri && /\.(png|jpe?g|webp|bmp|gif|tiff?|avif)$/i.test(tab.uri.fsPath)) return tab.uri;
  const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Images: ['png', 'jpg', 'jpeg', 'webp', 'bmp', 'gif', 'tif', 'tiff'] }, title: 'Classify an image' });
  return files?.[0];
}

export function deactivate(): void {}
