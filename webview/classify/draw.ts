/** Canvas drawing for the classify panel: the crop the model saw and the patch/window grid. */
import { cssVar, rgbCanvas } from '../shared/canvas';

export function drawImage(canvas: HTMLCanvasElement, px: { width: number; height: number; rgb: Uint8Array }, display: number): void {
  const src = rgbCanvas(px);
  canvas.width = canvas.height = display;
  const ctx = canvas.getContext('2d')!;
  // Small inputs (28×28) are shown with hard pixel edges: what the model sees.
  ctx.imageSmoothingEnabled = px.width >= display / 2;
  ctx.drawImage(src, 0, 0, display, display);
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
