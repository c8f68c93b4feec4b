/**
 * Perceptual colour maps (matplotlib's viridis and magma, sampled at nine stops and interpolated
 * into 256-entry tables): lightness rises monotonically, so a brighter cell is a larger value in
 * any theme and for colour-blind readers, unlike a rainbow or a faint tint.
 */
const STOPS = {
  viridis: ['440154', '482878', '3e4989', '31688e', '26828e', '1f9e89', '35b779', '6ece58', 'fde725'],
  magma: ['000004', '1c1044', '4f127b', '812581', 'b5367a', 'e55964', 'fb8761', 'fec287', 'fcfdbf'],
} as const;

export type ColormapName = keyof typeof STOPS;
export const COLORMAPS = Object.keys(STOPS) as ColormapName[];

const tables = new Map<ColormapName, Uint8Array>();

/** 256 × RGB. */
export function lut(name: ColormapName): Uint8Array {
  let t = tables.get(name);
  if (t) return t;
  const stops = STOPS[name].map((hex) => [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)));
  t = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const x = (i / 255) * (stops.length - 1);
    const k = Math.min(stops.length - 2, Math.floor(x));
    const f = x - k;
    for (let c = 0; c < 3; c++) t[i * 3 + c] = Math.round(stops[k][c] + (stops[k + 1][c] - stops[k][c]) * f);
  }
  tables.set(name, t);
  return t;
}

/** The value range of a map (finite values). */
export function range(map: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < map.length; i++) {
    const v = map[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 0];
}

/** A map coloured into RGBA pixels (w·h), scaled from [lo, hi] to the table; alpha 0–255. */
export function colour(map: ArrayLike<number>, table: Uint8Array, lo: number, hi: number, alpha: number, out: Uint8ClampedArray): void {
  const s = hi > lo ? 255 / (hi - lo) : 0;
  for (let i = 0; i < map.length; i++) {
    const k = Math.max(0, Math.min(255, Math.round((map[i] - lo) * s))) * 3;
    const o = i * 4;
    out[o] = table[k];
    out[o + 1] = table[k + 1];
    out[o + 2] = table[k + 2];
    out[o + 3] = alpha;
  }
}
