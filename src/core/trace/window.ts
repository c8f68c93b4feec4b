/**
 * Where a Swin token sits in its block's windows, and the rows of B and the mask its query gets.
 * The official block (microsoft/Swin-Transformer, SwinTransformerBlock.forward):
 *
 *   shifted_x = torch.roll(x, shifts=(-self.shift_size, -self.shift_size), dims=(1, 2))
 *   x_windows = window_partition(shifted_x, self.window_size)  # nW*B, M, M, C
 *   attn = attn + relative_position_bias.unsqueeze(0)          # B = table[relative_position_index]
 *   attn = attn.view(B_ // nW, nW, ...) + mask.unsqueeze(1).unsqueeze(0)
 *
 * so the token at (r, c) of the (padded) map lands at ((r − s) mod Hp, (c − s) mod Wp) of the rolled map
 * (timm rolls the H×W map before padding: ((r − s) mod H, (c − s) mod W)); tokenPositions holds both.
 */
import { UserError } from '../errors';
import { attentionMask, tokenPositions } from '../swin/mask';
import { relativePositionIndex, tableRows } from '../swin/relpos';

export interface TokenWindow {
  /** window index, row-major over the (padded, rolled) map's windows */
  window: number;
  /** index within the window, row-major */
  position: number;
  /** for each of the window's M² slots, the stage-grid token index (row-major, before any shift) it holds, −1 for padding */
  keys: number[];
}

/**
 * The token's window after the cyclic shift by `shift`, its position in it, and the window's tokens.
 * `shiftBeforePad`: timm's order (roll the H×W map, then pad) instead of the official pad-then-roll;
 * the two differ when H or W is not a multiple of M.
 */
export function tokenWindow(H: number, W: number, M: number, shift: number, token: number, shiftBeforePad = false): TokenWindow {
  if (!Number.isInteger(token) || token < 0 || token >= H * W) throw new UserError(`Token ${token} is outside the ${H}×${W} grid: pick 0..${H * W - 1}.`);
  const pos = tokenPositions(H, W, M, shift, shiftBeforePad);
  const r = Math.floor(token / W);
  const c = token % W;
  let slot = 0;
  while (slot < pos.row.length && (pos.row[slot] !== r || pos.col[slot] !== c)) slot++;
  const N = M * M;
  const window = Math.floor(slot / N);
  const keys: number[] = [];
  for (let j = 0; j < N; j++) {
    const rr = pos.row[window * N + j];
    keys.push(rr < 0 ? -1 : rr * W + pos.col[window * N + j]);
  }
  return { window, position: slot % N, keys };
}

/** The relative position index row of the query at `position` and B's row for head `head`, gathered from the table [(2M−1)², heads]. */
export function biasRow(table: ArrayLike<number>, heads: number, head: number, M: number, position: number): { index: number[]; row: number[] } {
  const R = tableRows(M, M);
  if (table.length !== R * heads) throw new UserError(`A ${M}×${M} window with ${heads} heads has a bias table of ${R}·${heads} values, got ${table.length}.`);
  const N = M * M;
  const idx = relativePositionIndex(M, M);
  const index = Array.from(idx.subarray(position * N, (position + 1) * N));
  // the official table is [(2M−1)², heads]: row r, column h
  return { index, row: index.map((r) => table[r * heads + head]) };
}

/** The mask row of the query at `position` in `window`: 0 for keys of its sub-window, −100 for the others (all 0 without a shift). */
export function maskRow(H: number, W: number, M: number, shift: number, window: number, position: number): number[] {
  const N = M * M;
  if (shift === 0) return new Array<number>(N).fill(0);
  const m = attentionMask(H, W, M, shift);
  return Array.from(m.values.subarray((window * N + position) * N, (window * N + position + 1) * N));
}
