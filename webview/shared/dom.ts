/** Tiny DOM helpers: build elements without innerHTML, so host text is never parsed as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: (Node | string | number | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c);
  return el;
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}

export function app(): HTMLElement {
  return document.getElementById('app')!;
}

/**
 * A path or graph name that may wrap only after its separators (/ and \): a <wbr> after each, so a
 * narrow column breaks "…/models/" + "tiny_vit.json" rather than mid-word (issue 23 item 10); a
 * segment wider than the column still wraps where the CSS's overflow-wrap lets it.
 */
export function pathBreaks(path: string): (string | Node)[] {
  const out: (string | Node)[] = [];
  for (const part of path.split(/(?<=[/\\])/)) {
    if (out.length) out.push(document.createElement('wbr'));
    out.push(part);
  }
  return out;
}
