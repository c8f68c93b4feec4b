/** Canvas helpers every panel draws with: the theme's colours and an image's own pixels. */

/** A `--vscode-*` colour of the current theme, or `fallback` where the theme has none. */
export function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/** Packed RGB pixels as a canvas of their own size (to be drawn scaled onto a panel's canvas). */
export function rgbCanvas(px: { width: number; height: number; rgb: Uint8Array }): HTMLCanvasElement {
  const src = document.createElement('canvas');
  src.width = px.width;
  src.height = px.height;
  const data = new ImageData(px.width, px.height);
  for (let i = 0, n = px.width * px.height; i < n; i++) {
    data.data[i * 4] = px.rgb[i * 3];
    data.data[i * 4 + 1] = px.rgb[i * 3 + 1];
    data.data[i * 4 + 2] = px.rgb[i * 3 + 2];
    data.data[i * 4 + 3] = 255;
  }
  src.getContext('2d')!.putImageData(data, 0, 0);
  return src;
}
