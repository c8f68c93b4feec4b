import * as vscode from 'vscode';

/**
 * The one results column: panels that open beside the editor (Classify, Show Attention, Embeddings)
 * go to the editor group already holding a ViT Inspector panel, so a third image does not squeeze a
 * third column in; only when none is open do they open beside the active editor.
 */
export function resultsColumn(): vscode.ViewColumn {
  const ours = (t: vscode.Tab) => t.input instanceof vscode.TabInputWebview && /(^|-)vitInspector\./.test(t.input.viewType);
  const groups = vscode.window.tabGroups.all.filter((g) => g.tabs.some(ours));
  // Prefer a group that is not the active one (the user's editor stays where it is).
  const group = groups.find((g) => !g.isActive) ?? groups[0];
  return group?.viewColumn ?? vscode.ViewColumn.Beside;
}
