import * as vscode from 'vscode';
import { Services } from './context';
import { ProvidersPanel } from './panels/providersPanel';

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

export function deactivate(): void {}
