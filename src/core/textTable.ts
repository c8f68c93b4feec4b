/** A plain text table (the CLI's human-readable output, the GPU self-check report). Right-aligns numeric columns. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || /^[\d.,\-×x%G M]+$/.test(String(r[i]))));
  const line = (r: string[]) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function giga(n: number, digits = 3): string {
  return `${(n / 1e9).toFixed(digits)}G`;
}

export function millions(n: number, digits = 2): string {
  return `${(n / 1e6).toFixed(digits)}M`;
}
