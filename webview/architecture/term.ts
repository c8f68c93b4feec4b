/**
 * The paper's term for a tree row: the entry's label, else the lead of its explanation when that
 * is a short name ("Scale: × 0.1768 …" → "Scale", "QKᵀ: …" → "QKᵀ"). The raw ONNX name stays in
 * the details and the tooltip, so a row reads as the paper does and the graph can still be found.
 */
import type { TreeNode } from '../../src/core/arch/tree';

const MAX_TERM = 32;

export function paperTerm(n: Pick<TreeNode, 'label' | 'explain' | 'kind'>): string | undefined {
  if (n.label) return n.label;
  if (n.kind !== 'op' || !n.explain) return undefined;
  const lead = n.explain.split(': ')[0];
  return lead !== n.explain && lead.length <= MAX_TERM ? lead : undefined;
}

/** What a search looks through: the names, the op, the term and the explanation's words. */
export function searchText(n: TreeNode): string {
  return `${n.name}\n${n.op ?? ''}\n${n.label ?? ''}\n${n.explain ?? ''}`.toLowerCase();
}
