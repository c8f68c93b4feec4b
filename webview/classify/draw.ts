/** Canvas drawing for the classify panel: the crop the model saw and the patch/window grid. */

export function drawImage(canvas: HTMLCanvasElement, px: { width: number; height: number; rgb: Uint8Array }, display: number): void {
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
  canvas.width = canvas.height = display;
  const ctx = canvas.getContext('2d')!;
  // Small inputs (28×28) are shown with hard pixel edges: what the model sees.
  ctx.imageSmoothingEnabled = px.width >= display / 2;
  ctx.drawImage(src, 0, 0, display, display);
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/** Patch borders thin; for Swin the first stage's window borders thick. */
export function drawGrid(canvas: HTMLCanvasElement, grid: { patch: number; window: number | null }, inputSize: number, display: number): void {
  const ctx = canvas.getContext('2d')!;
  const scale = display / inputSize;
  const n = Math.floor(inputSize / grid.patch);
  ctx.strokeStyle = cssVar('--vscode-editor-foreground', '#fff');
  ctx.globalAlpha = 0.45;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let i = 0; i <= n; i++) {
    const p = Math.round(i * grid.patch * scale) + 0.5;
    ctx.moveTo(p, 0);
    ctx.lineTo(p, display);
    ctx.moveTo(0, p);
    ctx.lineTo(display, p);
  }
  ctx.stroke();
  if (grid.window) {
    ctx.globalAlpha = 0.9;
    ctx.strokeStyle = cssVar('--vscode-focusBorder', '#0af');
    ctx.lineWidth = 3;
    ctx.beginPath();
    for (let i = 0; i <= n; i += grid.window) {
      const p = Math.round(i * grid.patch * scale);
      ctx.moveTo(p, 0);
      ctx.lineTo(p, display);
      ctx.moveTo(0, p);
      ctx.lineTo(display, p);
    }
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
}
