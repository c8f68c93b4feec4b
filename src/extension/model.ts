import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, sep } from 'node:path';
import { workspaceCheckpoints } from './checkpoints';
import { UserError, isUserError } from '../core/errors';
import { checkExternalData } from '../core/attention/capture';
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

/**
 * How a model is named to the user: embedded ones by name, workspace files by their workspace-relative
 * path, Hugging Face cache snapshots by their repo, anything else with its folder, so two files that are
 * both called model.onnx can be told apart.
 */
export function modelDisplayName(services: Services, path: string): string {
  for (const name of EMBEDDED) if (path === embeddedModelPath(services, name)) return `${name} (embedded)`;
  const hub = /models--([^\\/]+)--([^\\/]+)[\\/]snapshots[\\/][^\\/]+[\\/](.+)$/.exec(path);
  if (hub) return `${hub[1]}/${hub[2]}: ${hub[3].replace(/\\/g, '/')}`;
  const uri = vscode.Uri.file(path);
  if (vscode.workspace.getWorkspaceFolder(uri)) return vscode.workspace.asRelativePath(uri, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
  return `${basename(dirname(path))}/${basename(path)}`;
}

/**
 * A file's path as the user reads it: workspace-relative inside the workspace ("models/tiny_vit.json"),
 * an embedded model's file by its name ("fashion-vit.json (embedded)": the extension's install folder
 * means nothing to the user), else whole.
 */
export function shownPath(path: string, services?: Services): string {
  if (services && dirname(path) === dirname(embeddedModelPath(services, EMBEDDED[0]))) return `${basename(path)} (embedded)`;
  const uri = vscode.Uri.file(path);
  return vscode.workspace.getWorkspaceFolder(uri) ? vscode.workspace.asRelativePath(uri, (vscode.workspace.workspaceFolders?.length ?? 0) > 1) : path;
}

/** The setting's value for a chosen model: workspace-relative inside the (first matching) workspace folder, else absolute. */
export function settingPath(path: string): string {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(path));
  if (!folder) return path;
  const rel = relative(folder.uri.fsPath, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : path;
}

export interface SelectOptions {
  /** false: only return the choice (a panel that changes its own model); true (default): store it as vitInspector.modelPath. */
  store?: boolean;
  /** What the choice changes, shown as the picker's placeholder. */
  purpose?: string;
}

/** Select Model: embedded models, the workspace's .onnx files, or browse. Stores the choice in the workspace settings unless told not to. */
export async function selectModel(services: Services, preset?: vscode.Uri, opts: SelectOptions = {}): Promise<string | undefined> {
  const store = opts.store ?? true;
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
    // Short enough for the picker's input (the longer sentence was cut at "…and th"): the setting's description says the rest.
    const placeHolder = opts.purpose ?? 'The model every view uses (setting vitInspector.modelPath)';
    const pick = await vscode.window.showQuickPick(items, { title: 'ViT Inspector: Select Model', placeHolder, matchOnDescription: true });
    if (!pick) return undefined;
    if (pick.embedded) {
      if (store) {
        const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
        await services.config().update('modelPath', undefined, target);
        await services.config().update('embeddedModel', pick.embedded, target);
        void vscode.window.showInformationMessage(`ViT Inspector will use ${pick.embedded} (embedded).`);
      }
      return embeddedModelPath(services, pick.embedded);
    }
    if (pick.download) return downloadModel(services).then(() => configuredModel(services));
    if (pick.browse) {
      const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Models: ['onnx', 'safetensors', 'json'] }, title: 'Select an ONNX model or a safetensors checkpoint' });
      chosen = uris?.[0]?.fsPath;
    } else chosen = pick.path;
  }
  if (!chosen) return undefined;
  const name = modelDisplayName(services, chosen);
  if (store) {
    const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await services.config().update('modelPath', settingPath(chosen), target);
  }
  // A structure-only model is said so now, not at the first Classify.
  const missing = missingWeights(chosen);
  if (missing) void vscode.window.showWarningMessage(store ? `ViT Inspector will use ${name}. ${missing}` : missing);
  else if (store) void vscode.window.showInformationMessage(`ViT Inspector will use ${name}.`);
  return chosen;
}

/** Why a model cannot run (its external weights are absent), in the user's terms; null when it can. */
function missingWeights(path: string): string | null {
  try {
    checkExternalData(path);
    return null;
  } catch (e) {
    if (!isUserError(e)) throw e;
    return e.message;
  }
}
