import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute } from 'node:path';
import { workspaceCheckpoints } from './checkpoints';
import { UserError } from '../core/errors';
import type { Services } from './context';
import { cachedModels, downloadModel, isHfModel, resolveHfSetting } from './hub';

export const EMBEDDED = ['fashion-vit', 'fashion-swin'] as const;

export function embeddedModelPath(services: Services, name: string): string {
  return vscode.Uri.joinPath(services.extensionUri, 'media', 'models', `${name}.onnx`).fsPath;
}

/** The model Classify Image uses: the setting (absolute or workspace-relative), else the embedded one. */
export function configuredModel(services: Services, scope?: vscode.Uri): string {
  const cfg = services.config(scope);
  const set = cfg.get<string>('modelPath', '').trim();
  if (!set) {
    const name = cfg.get<string>('embeddedModel', 'fashion-vit');
    return embeddedModelPath(services, EMBEDDED.includes(name as never) ? name : 'fashion-vit');
  }
  if (isHfModel(set)) return resolveHfSetting(services, set);
  let path = set;
  if (!isAbsolute(set)) {
    const folder = (scope && vscode.workspace.getWorkspaceFolder(scope)) ?? vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new UserError(`vitInspector.modelPath "${set}" is relative but no folder is open. Use an absolute path.`);
    path = vscode.Uri.joinPath(folder.uri, set).fsPath;
  }
  if (!existsSync(path)) throw new UserError(`The model ${path} (setting vitInspector.modelPath) does not exist. Run "ViT Inspector: Select Model" to choose another.`);
  return path;
}

/** Select Model: embedded models, the workspace's .onnx files, or browse. Stores the choice in the workspace settings. */
export async function selectModel(services: Services, preset?: vscode.Uri): Promise<string | undefined> {
  let chosen: string | undefined;
  if (preset) chosen = preset.fsPath;
  else {
    type Item = vscode.QuickPickItem & { path?: string; embedded?: string; browse?: boolean; download?: boolean };
    const cached = cachedModels(services);
    const files = [...(await vscode.workspace.findFiles('**/*.onnx', '**/node_modules/**', 200)), ...(await workspaceCheckpoints())];
    const items: Item[] = [
      { label: 'Embedded models', kind: vscode.QuickPickItemKind.Separator },
      { label: '$(package) Fashion-MNIST ViT', description: 'fashion-vit (embedded)', embedded: 'fashion-vit' },
      { label: '$(package) Fashion-MNIST Swin', description: 'fashion-swin (embedded)', embedded: 'fashion-swin' },
      { label: 'Workspace', kind: vscode.QuickPickItemKind.Separator },
      ...files.map((f) => ({
        label: `$(file-binary) ${/\.onnx$/i.test(f.fsPath) ? basename(f.fsPath) : `${basename(dirname(f.fsPath))} (checkpoint)`}`,
        description: vscode.workspace.asRelativePath(f),
        path: f.fsPath,
      })),
      ...(cached.length ? [{ label: 'Hugging Face cache', kind: vscode.QuickPickItemKind.Separator } as Item] : []),
      ...cached.map((m) => ({ label: `$(cloud) ${m.repo}`, description: `${m.variant ?? m.format} · ${m.family ?? '?'} · ${(m.bytes / 1e6).toFixed(1)} MB${m.revision && m.revision !== 'main' ? ` · ${m.revision}` : ''}`, detail: m.path, path: m.path })),
      { label: '$(folder-opened) Browse…', browse: true },
      { label: '$(cloud-download) Download Model from Hugging Face…', download: true },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'ViT Inspector: Select Model', placeHolder: 'The model (ONNX or safetensors checkpoint) for Classify Image and Show Attention', matchOnDescription: true });
    if (!pick) return undefined;
    if (pick.embedded) {
      const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
      await services.config().update('modelPath', undefined, target);
      await services.config().update('embeddedModel', pick.embedded, target);
      return embeddedModelPath(services, pick.embedded);
    }
    if (pick.download) return downloadModel(services).then(() => configuredModel(services));
    if (pick.browse) {
      const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Models: ['onnx', 'safetensors', 'json'] }, title: 'Select an ONNX model or a safetensors checkpoint' });
      chosen = uris?.[0]?.fsPath;
    } else chosen = pick.path;
  }
  if (!chosen) return undefined;
  const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await services.config().update('modelPath', chosen, target);
  void vscode.window.showInformationMessage(`ViT Inspector will use ${basename(chosen)}.`);
  return chosen;
}
