// Inside a real VS Code (Extension Development Host), with the samples/ folder open.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const ID = 'vit-inspector.vit-inspector';

describe('integration: ViT Inspector in VS Code', () => {
  let ext: vscode.Extension<unknown>;

  before(async function () {
    this.timeout(60_000);
    const found = vscode.extensions.getExtension(ID);
    assert.ok(found, `${ID} is not loaded in the Extension Development Host`);
    ext = found;
  });

  it('is not active before one of its commands, views or editors is used (no "*" activation)', () => {
    const events: string[] = ext.packageJSON.activationEvents ?? [];
    assert.ok(!events.includes('*'), 'activationEvents contains "*"');
    assert.ok(!events.includes('onStartupFinished'), 'activationEvents contains onStartupFinished');
  });

  it('activates, and registers every command its manifest contributes', async function () {
    this.timeout(60_000);
    await ext.activate();
    assert.equal(ext.isActive, true);
    const all = new Set(await vscode.commands.getCommands(true));
    const contributed: Array<{ command: string }> = ext.packageJSON.contributes?.commands ?? [];
    assert.ok(contributed.length >= 8, `only ${contributed.length} commands contributed`);
    const missing = contributed.map((c) => c.command).filter((c) => !all.has(c));
    assert.deepEqual(missing, []);
  });

  it('reads its settings with their defaults: cpu is always a fallback execution provider', () => {
    const order = vscode.workspace.getConfiguration('vitInspector').get<string[]>('executionProviders');
    assert.ok(Array.isArray(order) && order.includes('cpu'), JSON.stringify(order));
  });

  it('Show Execution Providers opens the "Execution Providers" webview panel', async function () {
    this.timeout(90_000);
    await vscode.commands.executeCommand('vitInspector.showProviders');
    const deadline = Date.now() + 30_000;
    let tab: vscode.Tab | undefined;
    while (!tab && Date.now() < deadline) {
      tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === 'Execution Providers');
      if (!tab) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(tab, 'no "Execution Providers" tab');
    assert.ok(tab.input instanceof vscode.TabInputWebview, 'the tab is not a webview');
    await vscode.window.tabGroups.close(tab);
  });
});
