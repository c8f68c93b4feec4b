/**
 * The step-through's image: the crop the model saw with the block's token grid over it, and the
 * step's row (scores, B, mask, weights) coloured on the tokens it belongs to — ViT every patch of
 * the grid, Swin the tokens of the traced token's window, where they sit on the image. For a shifted
 * Swin block the window is the one of the rolled map, so on the image it can wrap round the edges
 * (up to four pieces); the partition lines drawn are the shifted partition's. A click, or Enter on
 * the keyboard cursor (the arrows move it), traces that token.
 */
import { h } from '../shared/dom';
import { lut, colour } from '../../src/core/colormap';
import { cssVar, rgbCanvas } from '../shared/canvas';

export interface PatchGridView {
  /** the image the model saw; absent: the grid on the editor background */
  pixels?: { width: number; height: number; rgb: Uint8Array };
  /** tokens [rows, columns]: ViT the patch grid, Swin the stage grid */
  grid: [number, number];
  /** one value per grid cell (NaN: no value, e.g. outside the Swin window); null: no row at this step */
  values: number[] | null;
  /** the tensor the values come from, for the hover text */
  name: string;
  /** the row index the value of each cell has in the tensor (ViT: prefix + cell; Swin: the key slot) */
  slot: (cell: number) => number;
  /** the traced token's cell (−1: not on the grid, e.g. the class token) */
  own: number;
  /** Swin: the cells of the token's window and the block's partition (window size M, shift) */
  window?: { cells: number[]; M: number; shift: number };
  /** ViT "patch", Swin "token": what a cell is called in the hover text */
  noun: string;
  /** how much of the row covers the image, 0..1 (the attention view's Blend); read at each paint */
  blend: { value: number };
  /** more about a slot's value for the hover text (Swin's + B: the scores and B it sums) */
  detail?: (slot: number) => string;
}


export const fmt = (v: number): string => (v === 0 ? '0' : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4 ? v.toExponential(2) : v.toFixed(4));


/** The lowest and highest finite value (−100 mask entries included: they are the mask's values). */
function finiteRange(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** The colour scale of a row: low → high, with the values at its ends. */
function legend(name: string, lo: number, hi: number): HTMLElement {
  const bar = h('canvas', { width: 256, height: 1, 'aria-hidden': 'true' });
  const px = new Uint8ClampedArray(256 * 4);
  colour(Array.from({ length: 256 }, (_, i) => i), lut('magma'), 0, 255, 255, px);
  bar.getContext('2d')!.putImageData(new ImageData(px, 256, 1), 0, 0);
  return h('div', { class: 'colorbar', id: 'colorscale', role: 'img', 'aria-label': `${name}: dark ${fmt(lo)} to bright ${fmt(hi)}` },
    h('span', { 'data-end': 'low' }, fmt(lo)), bar, h('span', { 'data-end': 'high' }, fmt(hi)));
}

/**
 * The grid canvas (#patches) and, when the step has a row, its colour scale. The canvas repaints on
 * a `repaint` event (the Blend slider) without being rebuilt.
 */
export function patchGrid(v: PatchGridView, out: HTMLElement, pick: (cell: number) => void, cursorAt: { cell: number | null }): HTMLElement {
  const [gh, gw] = v.grid;
  const n = gh * gw;
  // Whole device pixels per token, the canvas about 336 px wide (CSS fits it to the panel).
  const size = Math.max(6, Math.round(336 / Math.max(gh, gw)));
  const inWindow = v.window ? new Set(v.window.cells) : null;
  const [lo, hi] = v.values ? finiteRange(v.values) : [0, 1];
  const c = h('canvas', {
    id: 'patches', width: gw * size, height: gh * size, tabindex: 0, role: 'application', 'aria-roledescription': `${v.noun} grid`,
    'data-window': v.window ? [...v.window.cells].filter((x) => x >= 0).sort((a, b) => a - b).join(',') : undefined,
    'data-own': v.own,
    'aria-label': `${gh}×${gw} ${v.noun}s over the image${v.window ? `, the token's ${v.window.M}×${v.window.M} window${v.window.shift ? ` after the cyclic shift of ${v.window.shift}` : ''} outlined` : ''}${v.values ? `, ${v.name} from ${fmt(lo)} to ${fmt(hi)}` : ''}: click a ${v.noun}, or move with the arrow keys and press Enter, to trace it`,
  });
  const g = c.getContext('2d')!;
  const heat = new Uint8ClampedArray(n * 4);
  if (v.values) colour(v.values.map((x) => (Number.isFinite(x) ? x : lo)), lut('magma'), lo, hi, 255, heat);
  const src = v.pixels ? rgbCanvas(v.pixels) : null;
  // Input pixels per token: the grid covers ⌊W/gw⌋·gw of the crop (a remainder the patch conv drops).
  const cellIn = v.pixels ? Math.max(1, Math.floor(v.pixels.width / gw)) : 1;
  const rect = (i: number): [number, number] => [(i % gw) * size, Math.floor(i / gw) * size];

  const line = (x0: number, y0: number, x1: number, y1: number): void => {
    g.moveTo(x0, y0);
    g.lineTo(x1, y1);
  };
  const paint = (): void => {
    g.fillStyle = cssVar('--vscode-editor-background', '#1e1e1e');
    g.fillRect(0, 0, c.width, c.height);
    if (src) {
      g.imageSmoothingEnabled = size < cellIn * 2;
      g.drawImage(src, 0, 0, gw * cellIn, gh * cellIn, 0, 0, c.width, c.height);
    }
    const dim = cssVar('--vscode-editor-background', '#1e1e1e');
    for (let i = 0; i < n; i++) {
      const [x, y] = rect(i);
      const outside = inWindow && !inWindow.has(i);
      if (outside) {
        // Keys of other windows: the token never attends to them here.
        g.globalAlpha = 0.6;
        g.fillStyle = dim;
        g.fillRect(x, y, size, size);
      } else if (v.values && Number.isFinite(v.values[i])) {
        g.globalAlpha = src ? v.blend.value : 1;
        g.fillStyle = `rgb(${heat[i * 4]},${heat[i * 4 + 1]},${heat[i * 4 + 2]})`;
        g.fillRect(x, y, size, size);
      } else if (!src) {
        g.globalAlpha = 0.35;
        g.fillStyle = 'rgb(128,128,128)';
        g.fillRect(x, y, size - 1, size - 1);
      }
    }
    g.globalAlpha = 1;
    // Token borders thin; Swin's window partition (shifted where the block shifts) thicker.
    g.strokeStyle = cssVar('--vscode-editor-foreground', '#ccc');
    g.globalAlpha = 0.25;
    g.lineWidth = 1;
    g.beginPath();
    for (let i = 1; i < gw; i++) line(i * size + 0.5, 0, i * size + 0.5, c.height);
    for (let i = 1; i < gh; i++) line(0, i * size + 0.5, c.width, i * size + 0.5);
    g.stroke();
    if (v.window) {
      const { M, shift } = v.window;
      // Rolled by −shift: the rolled map's window edges at multiples of M are the stage's rows/columns shift + kM.
      g.globalAlpha = 0.7;
      g.lineWidth = 1.5;
      g.setLineDash([5, 3]);
      g.beginPath();
      for (let k = 0; k * M < gw + M; k++) {
        const col = (shift + k * M) % gw;
        if (col > 0) line(col * size, 0, col * size, c.height);
      }
      for (let k = 0; k * M < gh + M; k++) {
        const row = (shift + k * M) % gh;
        if (row > 0) line(0, row * size, c.width, row * size);
      }
      g.stroke();
      g.setLineDash([]);
      // The window's outline: every edge of its cells that borders a cell outside it.
      g.globalAlpha = 1;
      g.strokeStyle = cssVar('--vscode-focusBorder', '#0078d4');
      g.lineWidth = 3;
      g.beginPath();
      for (const i of inWindow!) {
        if (i < 0) continue;
        const [x, y] = rect(i);
        const [r, col] = [Math.floor(i / gw), i % gw];
        if (r === 0 || !inWindow!.has(i - gw)) line(x, y + 1.5, x + size, y + 1.5);
        if (r === gh - 1 || !inWindow!.has(i + gw)) line(x, y + size - 1.5, x + size, y + size - 1.5);
        if (col === 0 || !inWindow!.has(i - 1)) line(x + 1.5, y, x + 1.5, y + size);
        if (col === gw - 1 || !inWindow!.has(i + 1)) line(x + size - 1.5, y, x + size - 1.5, y + size);
      }
      g.stroke();
    }
    g.globalAlpha = 1;
    const frame = (i: number, colourOf: string, dash: number[]): void => {
      const [x, y] = rect(i);
      g.strokeStyle = colourOf;
      g.setLineDash(dash);
      g.lineWidth = 2;
      g.strokeRect(x + 1, y + 1, size - 2, size - 2);
      g.setLineDash([]);
    };
    if (v.own >= 0 && v.own < n) {
      // The traced token: a light and a dark frame, visible on any image and theme.
      frame(v.own, cssVar('--vscode-editor-background', '#000'), []);
      g.strokeStyle = cssVar('--vscode-editor-foreground', '#fff');
      g.lineWidth = 2;
      const [x, y] = rect(v.own);
      g.strokeRect(x + 3, y + 3, size - 6, size - 6);
    }
    if (cursorAt.cell !== null && cursorAt.cell !== v.own && document.activeElement === c) frame(cursorAt.cell, cssVar('--vscode-focusBorder', '#0078d4'), [4, 3]);
  };

  const tell = (i: number): void => {
    const where = `${v.noun} ${i} (row ${Math.floor(i / gw)}, column ${i % gw})`;
    const value = v.values?.[i];
    if (!v.values) {
      out.textContent = where;
      out.removeAttribute('data-value');
    } else if (value === undefined || !Number.isFinite(value)) {
      out.textContent = `${where}: outside this token's window — it does not attend to it in this block`;
      out.removeAttribute('data-value');
    } else {
      out.textContent = `${where}: ${v.name}[${v.slot(i)}] = ${fmt(value)}${v.detail?.(v.slot(i)) ?? ''}`;
      out.setAttribute('data-value', String(value));
    }
    c.setAttribute('data-cursor', String(i));
  };
  gridInput(c, [gh, gw], { own: v.own, cursorAt, tell, pick, paint });
  c.addEventListener('repaint', paint);
  paint();
  return h('div', { class: 'patch-grid' }, c, v.values ? legend(v.name, lo, hi) : null);
}

/**
 * A gh×gw grid drawn over canvas c, row-major, and its input: the cell under the pointer is told on
 * hover and picked on a click; focus puts the keyboard cursor on the own cell (or keeps it), the
 * arrows move it (telling each cell) and Enter or Space picks it. `paint` redraws the cursor's frame.
 */
export function gridInput(c: HTMLCanvasElement, [gh, gw]: readonly [number, number], o: { own: number; cursorAt: { cell: number | null }; tell: (i: number) => void; pick: (i: number) => void; paint: () => void }): void {
  const { cursorAt, tell, pick, paint } = o;
  const n = gh * gw;
  const at = (e: MouseEvent): number | null => {
    const r = c.getBoundingClientRect();
    const x = Math.floor(((e.clientX - r.left) * gw) / r.width);
    const y = Math.floor(((e.clientY - r.top) * gh) / r.height);
    return x >= 0 && y >= 0 && x < gw && y < gh ? y * gw + x : null;
  };
  c.addEventListener('mousemove', (e) => {
    const i = at(e);
    if (i !== null) tell(i);
  });
  c.addEventListener('click', (e) => {
    const i = at(e);
    if (i !== null) pick(i);
  });
  c.addEventListener('focus', () => {
    if (cursorAt.cell === null || cursorAt.cell >= n) cursorAt.cell = o.own >= 0 && o.own < n ? o.own : 0;
    tell(cursorAt.cell);
    paint();
  });
  c.addEventListener('blur', paint);
  c.addEventListener('keydown', (e) => {
    const i = cursorAt.cell ?? 0;
    const [r, col] = [Math.floor(i / gw), i % gw];
    const to: Record<string, number> = {
      ArrowLeft: r * gw + Math.max(0, col - 1), ArrowRight: r * gw + Math.min(gw - 1, col + 1),
      ArrowUp: Math.max(0, r - 1) * gw + col, ArrowDown: Math.min(gh - 1, r + 1) * gw + col,
    };
    if (e.key in to) {
      cursorAt.cell = to[e.key];
      tell(cursorAt.cell);
      paint();
    } else if (e.key === 'Enter' || e.key === ' ') pick(i);
    else return;
    e.preventDefault();
    e.stopPropagation();
  });
}
