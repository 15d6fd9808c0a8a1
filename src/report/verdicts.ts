// Gate, baseline and --repeat lines for the terminal (and the HTML page's verdict box). Pure:
// sections of a Report in, text out. The numbers in them were worded when the checks ran
// (gates/), so a saved report re-renders its verdicts exactly.
import type { Report } from '../results/report.js';
import type { BaselineSection, GatesSection, RepeatSection } from '../results/sections.js';
import { formatNatural, formatPct, formatUs, trimmed, unitOfMetric } from './format.js';
import { forTerminal } from './terminal.js';

/** "FAIL p99<2ms: measured 3.41ms (+1.41ms, 70.5% over)", one line per result. */
export function renderGateLines(section: GatesSection): string {
  return section.results.map((r) => `${r.passed ? 'PASS' : 'FAIL'} ${r.gate}: ${r.message}\n`).join('');
}

/** "FAIL baseline vip:p99: ..." per result (the target named when there are several). */
export function renderBaselineLines(section: BaselineSection, several: boolean): string {
  const tag = { pass: 'PASS', noise: 'PASS', fail: 'FAIL' } as const;
  return section.results
    .map((r) => `${tag[r.verdict]} baseline ${several ? `${r.target}:` : ''}${r.metric}: ${r.message}\n`)
    .join('');
}

export function hasVerdicts(report: Report): boolean {
  return report.gates !== undefined || report.baseline !== undefined;
}

/** Every verdict line, then one summary line ("Gates: 1 of 4 checks failed"); '' without checks. */
export function renderVerdicts(saved: Report): string {
  if (!hasVerdicts(saved)) return '';
  // Saved verdicts carry labels and messages from someone else's file.
  const report = { ...saved, gates: forTerminal(saved.gates), baseline: forTerminal(saved.baseline) };
  let out = '';
  if (report.gates) out += renderGateLines(report.gates);
  if (report.baseline) out += renderBaselineLines(report.baseline, report.targets.length > 1);
  const all = [...(report.gates?.results ?? []), ...(report.baseline?.results ?? [])];
  const failed = all.filter((r) => !r.passed).length;
  out += failed === 0 ? `Gates: all ${all.length} checks passed\n` : `Gates: ${failed} of ${all.length} checks failed\n`;
  return out;
}

/** The spread table of the human view: per target, each key metric's median, range and spread. */
export function renderRepeatSummary(saved: RepeatSection): string {
  const s = forTerminal(saved);
  let out = `Repeat: ${s.runs} runs; gates use the median of each metric; the results above are run ${s.medianRun} (median qps)\n`;
  for (const t of s.summary) {
    if (s.summary.length > 1) out += `  ${t.label}:\n`;
    for (const [metric, st] of Object.entries(t.metrics)) {
      const unit = unitOfMetric(metric);
      const name = metric.padEnd(6);
      if (!st) {
        out += `  ${name} no value in every run\n`;
        continue;
      }
      const spread = st.spreadPercent === null ? '' : `, spread ${trimmed(st.spreadPercent, 1)}%`;
      out += `  ${name} median ${formatNatural(st.median, unit)}, range ${formatNatural(st.min, unit)}..${formatNatural(st.max, unit)}${spread}\n`;
    }
  }
  return out;
}

/** "Run 2 of 5: 51,234 qps, p99 1.23ms, 0.01% lost" (per target when there are several). */
export function renderRunSummary(r: Report, i: number, n: number): string {
  const parts = r.targets.map((t) => {
    const p99 = t.latency.count > 0 ? formatUs(t.latency.percentiles.p99) : 'no answers';
    const label = r.targets.length > 1 ? `${t.label} ` : '';
    return `${label}${Math.round(t.qps).toLocaleString('en-US')} qps, p99 ${p99}, ${formatPct(t.counters.lost, t.counters.sent)} lost`;
  });
  return `Run ${i + 1} of ${n}: ${parts.join('; ')}\n`;
}
