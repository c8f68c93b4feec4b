import * as vscode from 'vscode';
import { RuntimeClient } from '../runtime/client';
import { UserError, isUserError, userMessage } from '../core/errors';
import { DEFAULT_PROVIDER_ORDER, adapterText, checkProviderOptions, type AdapterInfo } from '../core/session/providers';

/** Running a model loads ONNX Runtime's native code on it and reads the files beside it: a trusted workspace only. */
export class NeedsTrust extends UserError {}

/** What every command and panel shares: the output channel and the inference process. */
export class Services implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly runtime: RuntimeClient;

  constructor(readonly context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('ViT Inspector', { log: true });
    const script = vscode.Uri.joinPath(context.extensionUri, 'dist', 'runtime.js').fsPath;
    this.runtime = new RuntimeClient(script, (level, message) => this.log[level](message));
    this.configureProviders();
    context.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('vitInspector.webgpu') || e.affectsConfiguration('vitInspector.cuda')) this.configureProviders();
      }),
    );
  }

  /** The WebGPU and CUDA options of the settings, to the inference process (sent again to a restarted one). */
  private configureProviders(): void {
    const c = this.config();
    const raw = {
      webgpu: {
        validationMode: c.get<string>('webgpu.validationMode'),
        preferredLayout: c.get<string>('webgpu.preferredLayout'),
        forceCpuNodeNames: c.get<string[]>('webgpu.forceCpuNodeNames'),
      },
      cuda: { deviceId: c.get<number>('cuda.deviceId') },
    };
    try {
      this.runtime.request('configure', { providerOptions: checkProviderOptions(raw) }).catch((e) => this.report(e, 'Execution provider settings'));
    } catch (e) {
      this.report(e, 'Execution provider settings');
    }
  }

  private lastAdapter: AdapterInfo | null = null;
  /** The WebGPU adapter last seen (Show Execution Providers), for the status bar's tooltip. */
  setAdapter(a: AdapterInfo | null): void {
    this.lastAdapter = a;
  }

  private readonly status = vscode.window.createStatusBarItem('vitInspector.provider', vscode.StatusBarAlignment.Right, 100);
  private providers = new Set<string>(['cpu']);

  /** The provider that ran the last inference, in the status bar; click for the details. */
  setProvider(ep: string, failures: { ep: string; reason: string }[], adapter?: AdapterInfo | null, compute?: string): void {
    if (adapter) this.lastAdapter = adapter;
    this.providers.add(ep);
    for (const f of failures) this.providers.add(f.ep);
    this.status.name = 'ViT Inspector execution provider';
    this.status.text = `$(chip) ${ep}`;
    const named = ep === 'webgpu' && this.lastAdapter ? ` (adapter: ${adapterText(this.lastAdapter)})` : '';
    // A checkpoint with fp16/bf16 weights: whether it was computed in fp16 there (runsFp16) or cast to float32.
    const precision = compute ? `; precision: ${compute}` : '';
    this.status.tooltip = `ViT Inspector ran on ${ep}${named}${precision}${failures.length ? `; not used: ${failures.map((f) => `${f.ep} (${f.reason})`).join(', ')}` : ''}. Click for details.`;
    this.status.command = 'vitInspector.showProviders';
    this.status.show();
  }

  /** Providers worth offering in a picker: the setting's order plus any seen working. */
  knownProviders(): string[] {
    return [...new Set([...this.providerOrder(), ...this.providers])];
  }

  get extensionUri(): vscode.Uri {
    return this.context.extensionUri;
  }

  /** The one reading of `vitInspector.executionProviders`: the order providers are tried in. */
  providerOrder(scope?: vscode.Uri): string[] {
    return this.config(scope).get<string[]>('executionProviders', [...DEFAULT_PROVIDER_ORDER]);
  }

  config(scope?: vscode.Uri): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('vitInspector', scope);
  }

  /** Throws NeedsTrust in Restricted Mode: `what` runs a model (structure-only features never call this). */
  requireTrust(what: string): void {
    if (!vscode.workspace.isTrusted)
      throw new NeedsTrust(`${what} runs the model with ONNX Runtime (native code) and reads the files beside it, so it needs a trusted workspace. The architecture view, Compare Window Complexity and Show Shifted Windows work in Restricted Mode.`);
  }

  /** UserErrors become a notification; anything else is a bug: logged with its stack. */
  report(e: unknown, what: string): void {
    if (e instanceof NeedsTrust) {
      void vscode.window.showWarningMessage(e.message, 'Manage Workspace Trust').then((a) => a && vscode.commands.executeCommand('workbench.trust.manage'));
      return;
    }
    if (isUserError(e)) {
      if (e.message === 'Cancelled.') return;
      // The sentence is in the user's terms; the raw words behind it go to the log, one click away.
      if (!e.detail) return void vscode.window.showErrorMessage(e.message);
      this.log.warn(`${what}: ${userMessage(e)}`);
      void vscode.window.showErrorMessage(e.message, 'Show Details').then((a) => a && this.log.show());
      return;
    }
    const err = e as Error;
    this.log.error(`${what} failed: ${err?.stack ?? String(e)}`);
    void vscode.window.showErrorMessage(`ViT Inspector: ${what} failed: ${err?.message ?? e}. Details are in the "ViT Inspector" output.`, 'Show Output').then((a) => {
      if (a) this.log.show();
    });
  }

  dispose(): void {
    this.status.dispose();
    this.runtime.dispose();
    this.log.dispose();
  }
}
