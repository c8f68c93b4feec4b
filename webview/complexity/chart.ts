/**
 * Two SVG charts, built as strings so the same markup is shown, copied and saved:
 * grouped bars (MSA vs W-MSA per stage) and a log-scale line chart (cost vs window),
 * optionally with measured times on a second log axis. Colours are theme variables,
 * resolved to literal colours when saving (a saved file has no theme).
 */

export interface Series {
  name: string;
  colour: string;
  points: { x: number; y: number; label: string }[];
  /** Plotted against the right-hand axis. */
  secondary?: boolean;
  dashed?: boolean;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A count in k/M/G/T to three significant figures; `trim` (axis ticks, tooltips) drops trailing
 * zeros ("2G"), without it a value keeps its figures ("2.00G" beside "352M" in a table).
 */
export function si(v: number, trim = true): string {
  const a = Math.abs(v);
  const f = (x: number) => (trim ? `${+x.toPrecision(3)}` : x.toPrecision(3));
  if (a >= 1e12) return `${f(v / 1e12)}T`;
  if (a >= 1e9) return `${f(v / 1e9)}G`;
  if (a >= 1e6) return `${f(v / 1e6)}M`;
  if (a >= 1e3) return `${f(v / 1e3)}k`;
  return `${+v.toPrecision(3)}`;
}

function logTicks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) out.push(10 ** e);
  return out;
}

const W = 640;
const H = 300;
const PAD = { l: 64, r: 64, t: 34, b: 40 };

function frame(title: string, body: string, legend: { name: string; colour: string; dashed?: boolean }[]): string {
  const items = legend
    .map((s, i) => `<g transform="translate(${PAD.l + i * 190},14)"><line x1="0" y1="-4" x2="18" y2="-4" stroke="${s.colour}" stroke-width="3" ${s.dashed ? 'stroke-dasharray="4 3"' : ''}/><text x="24" y="0">${esc(s.name)}</text></g>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}" font-family="sans-serif" font-size="11" fill="var(--vscode-foreground)"><title>${esc(title)}</title>${body}${items}</svg>`;
}

/** The smallest of 1, 2, 2.5, 5 × 10ᵏ that is ≥ x. */
export function niceStep(x: number): number {
  const e = 10 ** Math.floor(Math.log10(x));
  return ([1, 2, 2.5, 5, 10].find((m) => m * e >= x * (1 - 1e-12)) ?? 10) * e;
}

/** Grouped bars on a linear axis. groups: stage names; values[s][g]. */
export function barChart(title: string, groups: string[], series: { name: string; colour: string; values: (number | null)[] }[], fmt: (v: number) => string): string {
  const top = Math.max(1, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  // Round ticks (1, 2, 2.5 or 5 × 10ᵏ): a quarter of the largest bar gave labels like "501M".
  const step = niceStep(top / 4);
  const ticks = Math.ceil(top / step);
  const max = step * ticks;
  const plotW = W - PAD.l - PAD.r;
  const plotH = H - PAD.t - PAD.b;
  const gw = plotW / groups.length;
  const bw = Math.min(40, (gw * 0.8) / series.length);
  let body = `<line x1="${PAD.l}" y1="${PAD.t + plotH}" x2="${W - PAD.r}" y2="${PAD.t + plotH}" stroke="var(--vscode-foreground)" stroke-opacity="0.4"/>`;
  for (let t = 0; t <= ticks; t++) {
    const v = step * t;
    const y = PAD.t + plotH - (plotH * t) / ticks;
    body += `<line x1="${PAD.l}" y1="${y}" x2="${W - PAD.r}" y2="${y}" stroke="var(--vscode-foreground)" stroke-opacity="0.1"/><text x="${PAD.l - 6}" y="${y + 4}" text-anchor="end">${esc(fmt(v))}</text>`;
  }
  groups.forEach((g, gi) => {
    const x0 = PAD.l + gi * gw + (gw - bw * series.length) / 2;
    series.forEach((s, si2) => {
      const v = s.values[gi];
      if (v === null) return;
      const hgt = (plotH * v) / max;
      body += `<rect class="chart-bar" data-series="${esc(s.name)}" data-group="${esc(g)}" x="${x0 + si2 * bw}" y="${PAD.t + plotH - hgt}" width="${bw - 2}" height="${Math.max(hgt, 0.5)}" fill="${s.colour}" tabindex="0"><title>${esc(`${g}, ${s.name}: ${fmt(v)}`)}</title></rect>`;
    });
    body += `<text x="${PAD.l + gi * gw + gw / 2}" y="${PAD.t + plotH + 16}" text-anchor="middle">${esc(g)}</text>`;
  });
  return frame(title, body, series);
}

/** Lines over x (window sizes, categorical positions), log y; secondary series on a right log axis. */
export function lineChart(title: string, xs: (number | null)[], series: Series[], fmt: (v: number) => string, fmt2: (v: number) => string, xLabel: string): string {
  const plotW = W - PAD.l - PAD.r;
  const plotH = H - PAD.t - PAD.b;
  const xAt = (i: number) => PAD.l + (xs.length === 1 ? plotW / 2 : (plotW * i) / (xs.length - 1));
  const axis = (secondary: boolean) => {
    const ys = series.filter((s) => !!s.secondary === secondary).flatMap((s) => s.points.map((p) => p.y)).filter((y) => y > 0);
    if (ys.length === 0) return null;
    const lo = 10 ** Math.floor(Math.log10(Math.min(...ys)));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(...ys)) + 1e-9);
    return { lo, hi: hi === lo ? lo * 10 : hi, y: (v: number) => PAD.t + plotH - (plotH * (Math.log10(v) - Math.log10(lo))) / (Math.log10(hi === lo ? lo * 10 : hi) - Math.log10(lo)) };
  };
  const a1 = axis(false);
  const a2 = axis(true);
  let body = `<line x1="${PAD.l}" y1="${PAD.t + plotH}" x2="${W - PAD.r}" y2="${PAD.t + plotH}" stroke="var(--vscode-foreground)" stroke-opacity="0.4"/>`;
  if (a1)
    for (const t of logTicks(a1.lo, a1.hi)) {
      const y = a1.y(t);
      body += `<line x1="${PAD.l}" y1="${y}" x2="${W - PAD.r}" y2="${y}" stroke="var(--vscode-foreground)" stroke-opacity="0.1"/><text x="${PAD.l - 6}" y="${y + 4}" text-anchor="end">${esc(fmt(t))}</text>`;
    }
  if (a2) for (const t of logTicks(a2.lo, a2.hi)) body += `<text x="${W - PAD.r + 6}" y="${a2.y(t) + 4}">${esc(fmt2(t))}</text>`;
  xs.forEach((x, i) => (body += `<text x="${xAt(i)}" y="${PAD.t + plotH + 16}" text-anchor="middle">${x === null ? 'global' : x}</text>`));
  body += `<text x="${PAD.l + plotW / 2}" y="${PAD.t + plotH + 30}" text-anchor="middle" fill-opacity="0.7">${esc(xLabel)}</text>`;
  for (const s of series) {
    const a = s.secondary ? a2 : a1;
    if (!a) continue;
    const pts = s.points.filter((p) => p.y > 0).map((p) => ({ ...p, px: xAt(xs.indexOf(p.x === -1 ? null : p.x)), py: a.y(p.y) }));
    if (pts.length > 1) body += `<polyline fill="none" stroke="${s.colour}" stroke-width="2" ${s.dashed ? 'stroke-dasharray="5 4"' : ''} points="${pts.map((p) => `${p.px},${p.py}`).join(' ')}"/>`;
    for (const p of pts) body += `<circle class="point" data-series="${esc(s.name)}" cx="${p.px}" cy="${p.py}" r="4" fill="${s.colour}" tabindex="0"><title>${esc(p.label)}</title></circle>`;
  }
  return frame(title, body, series);
}

/** A saved chart has no theme: replace var(--x, …) with the colour the page resolves it to. */
export function resolveThemeVars(svg: string): string {
  const style = getComputedStyle(document.body);
  return svg.replace(/var\((--[\w-]+)\)/g, (_, name: string) => style.getPropertyValue(name).trim() || '#888');
}
