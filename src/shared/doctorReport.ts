/** The GPU self-check as plain text: what `vit-inspect doctor` prints and the providers panel copies. */
import { table } from '../core/textTable';
import { adapterText } from '../core/session/providers';
import type { DoctorResult } from './providers';

/** The self-check as plain text, to paste into a bug report as it is. */
export function doctorReport(r: DoctorResult): string {
  const lines = [
    'ViT Inspector GPU self-check (vit-inspect doctor)',
    `ONNX Runtime ${r.ortVersion}, ${r.platform}, Node ${r.node}${Object.keys(r.env).length ? `, ${Object.entries(r.env).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`,
    '',
    'providers',
    table(['provider', 'status', 'ms', 'adapter / why not'], r.providers.map((p) => [p.name, !p.compiled ? 'not in this build' : p.works ? 'works' : 'fails', p.ms ?? '', [p.adapter ? adapterText(p.adapter) : null, p.reason, p.fix].filter(Boolean).join(' — ')])),
    '',
  ];
  if (r.checks.length) {
    lines.push(`runs against cpu (same inputs; warm = median of warm runs; ratio = provider / cpu, below 1 is faster)`);
    lines.push(
      table(
        ['provider', 'workload', 'max |Δ|', 'top-1', 'first run ms', 'warm ms', 'cpu ms', 'ratio'],
        r.checks.map((c) =>
          c.error
            ? [c.ep, c.workload, `FAILED: ${c.error}`, '', '', '', c.cpuMs.toFixed(1), '']
            : [c.ep, c.workload, c.maxAbsDiff!.toExponential(1), c.top1Same === null ? '—' : c.top1Same ? 'same' : 'DIFFERS', c.firstRunMs!.toFixed(0), c.ms!.toFixed(1), c.cpuMs.toFixed(1), c.ratio!.toFixed(2)],
        ),
      ),
    );
    lines.push('');
  }
  lines.push('verdict', ...r.verdict.map((v) => `  ${v}`));
  return lines.join('\n');
}
