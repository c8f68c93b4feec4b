/**
 * The Hugging Face side of the extension: Download Model from Hugging Face…, the access token
 * in SecretStorage, the cached models for Select Model, and `hf:` in vitInspector.modelPath.
 * Nothing is downloaded without the user asking; in Restricted Mode, trust is asked first.
 */
import * as vscode from 'vscode';
import { UserError } from '../core/errors';
import { cacheRoot, isHfSpec, parseRepoRef } from '../core/hub/cache';
import { fromCache, isOffline, listForDownload, offlineNoDownload, pull, tokenSource, tryFromCache, type HubOptions } from '../core/hub/client';
import { scanCache, type FoundModel } from '../core/hub/scan';
import { onnxVariants } from '../core/hub/variants';
import type { Services } from './context';

const TOKEN_KEY = 'vitInspector.hfToken';

/** Well-known ViT/DeiT/Swin repos: ONNX ones (Transformers.js layout) and safetensors ones. */
export const WELL_KNOWN: { repo: string; note: string }[] = [
  { repo: 'Xenova/vit-base-patch16-224', note: 'ViT-B/16, ImageNet-1k · ONNX' },
  { repo: 'Xenova/deit-small-distilled-patch16-224', note: 'DeiT-S distilled · ONNX' },
  { repo: 'Xenova/swin-tiny-patch4-window7-224', note: 'Swin-T · ONNX' },
  { repo: 'google/vit-base-patch16-224', note: 'ViT-B/16 · safetensors' },
  { repo: 'facebook/deit-small-patch16-224', note: 'DeiT-S · safetensors' },
  { repo: 'microsoft/swin-tiny-patch4-window7-224', note: 'Swin-T · safetensors' },
  { repo: 'timm/vit_base_patch16_224.augreg2_in21k_ft_in1k', note: 'timm ViT-B/16 · safetensors' },
];

const mb = (n?: number): string => (n === undefined ? '' : `${(n / 1e6).toFixed(1)} MB`);

async function hubOptions(services: Services): Promise<HubOptions> {
  const token = await services.context.secrets.get(TOKEN_KEY);
  return { cacheDir: services.config().get<string>('hfCache', '') || undefined, storedToken: token || undefined };
}

/** vitInspector.modelPath = hf:org/name[@rev]: the cached weights (the extension never downloads to resolve a setting). */
export function resolveHfSetting(services: Services, spec: string): string {
  const ref = parseRepoRef(spec);
  const root = cacheRoot(services.config().get<string>('hfCache', '') || undefined);
  const hit = tryFromCache(root, ref, {});
  if (hit) return hit.weights;
  return fromCache(root, ref, {}, 'vitInspector.modelPath only reads the cache: run "ViT Inspector: Download Model from Hugging Face…" to fetch it').path;
}

export const isHfModel = isHfSpec;

export async function setToken(services: Services): Promise<void> {
  const value = await vscode.window.showInputBox({ title: 'Hugging Face: Set Access Token', prompt: 'A read token from huggingface.co/settings/tokens, for gated and private repos. Kept in VS Code\'s SecretStorage. Empty: remove it.', password: true, ignoreFocusOut: true });
  if (value === undefined) return;
  if (value.trim()) await services.context.secrets.store(TOKEN_KEY, value.trim());
  else await services.context.secrets.delete(TOKEN_KEY);
  // huggingface_hub's own tokens come first (as in Python): say so when one of them hides this one.
  const first = tokenSource({});
  const hidden = first ? ` It is not used while ${first.from === 'HF_TOKEN' ? 'HF_TOKEN is set' : `${first.from} holds a token`}: those come first, as in huggingface_hub.` : '';
  void vscode.window.showInformationMessage((value.trim() ? 'Hugging Face access token saved in VS Code\'s SecretStorage.' : 'Hugging Face access token removed.') + (value.trim() ? hidden : ''));
}

/** Download Model from Hugging Face…: repo (well-known or typed), variant with its size, progress with cancel. Returns the hf: spec. */
export async function downloadModel(services: Services): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted) {
    const choice = await vscode.window.showWarningMessage('Downloading a model writes to the Hugging Face cache and the model is then run: trust this workspace first.', { modal: true }, 'Manage Workspace Trust');
    if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
    return undefined;
  }
  if (isOffline({})) throw offlineNoDownload();
  type Item = vscode.QuickPickItem & { repo?: string };
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = 'Download Model from Hugging Face';
  qp.placeholder = 'A well-known repo, or type any model id (org/name[@revision])';
  const known: Item[] = WELL_KNOWN.map((k) => ({ label: k.repo, description: k.note, repo: k.repo }));
  qp.items = known;
  qp.onDidChangeValue((v) => (qp.items = v.trim() && !WELL_KNOWN.some((k) => k.repo === v.trim()) ? [{ label: v.trim(), description: 'typed id', repo: v.trim() }, ...known] : known));
  const spec = await new Promise<string | undefined>((resolve) => {
    qp.onDidAccept(() => (resolve(qp.selectedItems[0]?.repo), qp.hide()));
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  if (!spec) return undefined;
  const ref = parseRepoRef(spec);
  const opts = await hubOptions(services);
  const listing = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Listing ${ref.repo}…`, cancellable: true }, (_, cancel) => {
    const ac = new AbortController();
    cancel.onCancellationRequested(() => ac.abort());
    return listForDownload(ref, { ...opts, signal: ac.signal });
  });
  const variants = onnxVariants(listing.files);
  const hasSt = listing.files.some((f) => f.path === 'model.safetensors' || f.path === 'model.safetensors.index.json');
  const choices = [...variants.map((v) => ({ label: v.variant, description: `${v.path} · ${mb(v.size)}`, variant: v.variant })), ...(hasSt ? [{ label: 'safetensors', description: 'the checkpoint', variant: 'safetensors' }] : [])];
  if (!choices.length) throw new UserError(`${ref.repo} has neither an ONNX model nor a safetensors checkpoint.`);
  const pick = choices.length === 1 ? choices[0] : await vscode.window.showQuickPick(choices, { title: `${ref.repo}: which weights?` });
  if (!pick) return undefined;
  const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Downloading ${ref.repo} (${pick.variant})`, cancellable: true }, (progress, cancel) => {
    const ac = new AbortController();
    cancel.onCancellationRequested(() => ac.abort());
    let shown = 0;
    return pull(spec, {
      ...opts,
      variant: pick.variant,
      signal: ac.signal,
      onProgress: (p) => {
        const pct = p.total ? (100 * p.bytes) / p.total : 0;
        progress.report({ increment: pct - shown, message: `${mb(p.bytes)} of ${mb(p.total)} · ${mb(p.rate)}/s${p.etaSeconds === null ? '' : ` · ${Math.ceil(p.etaSeconds)} s left`}` });
        shown = pct;
      },
    });
  });
  services.log.info(`Downloaded ${r.repo}@${r.revision} (${r.commit}) ${r.variant ?? r.format} into ${r.path}`);
  const use = await vscode.window.showInformationMessage(`${r.repo} (${r.variant ?? r.format}) is in the Hugging Face cache.`, 'Use for Classify Image');
  const id = `hf:${r.repo}${r.revision === 'main' ? '' : '@' + r.revision}`;
  if (use) await useModel(services, r.format === 'onnx' ? r.weights : id);
  return id;
}

async function useModel(services: Services, path: string): Promise<void> {
  const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await services.config().update('modelPath', path, target);
}

/** The cached ViT/DeiT/Swin models, for Select Model. */
export function cachedModels(services: Services): FoundModel[] {
  try {
    return scanCache(services.config().get<string>('hfCache', '') || undefined);
  } catch (e) {
    services.log.warn(`Could not read the Hugging Face cache: ${(e as Error).message}`);
    return [];
  }
}
