// A Markdown summary for CI job pages (--markdown FILE; e.g. append it to $GITHUB_STEP_SUMMARY):
// one table row per target, then gates, baseline comparison and --repeat spread when present.
// Pure: Report in, string out. Every string from the report goes through md() (HTML and
// link/image/table syntax escaped, src/report/escape.ts), even inside what would be a code span, so
// one rule covers every cell and heading: a title or label is text on the job page, never a
// <script>, an <img onerror>, an <!-- that hides the rest of the summary, or a live link.
import type { Report } from '../results/report.js';
import { formatCount, formatIn, formatNatural, formatPct, formatUs, rcodeOrder, trimmed, unitOfMetric } from './format.js';
import { markdownText } from './escape.js';

/** Outside text as one Markdown cell, heading or quote line (see markdownText). */
export const cell = (s: string): string => markdownText(s);
const md = cell;

/** A table row of cells that are already Markdown (escaped with md(), or our own text). */
const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |\n`;
const mark = (passed: boolean): string => (passed ? '✅ PASS' : '❌ FAIL');

export function renderMarkdown(report: Report): string {
  const checks = [...(report.gates?.results ?? []), ...(report.baseline?.results ?? [])];
  const failed = checks.filter((c) => !c.passed).length;
  const verdict =
    checks.length === 0 ? '' : failed === 0 ? ` — ✅ all ${checks.length} checks passed` : ` — ❌ ${failed} of ${checks.length} checks failed`;
  let out = `### dnsbench${report.title ? `: ${md(report.title)}` : ''}${verdict}\n\n`;
  const runTime = Math.max(0, ...report.targets.map((t) => t.runTimeSec));
  out += `Query set ${md(report.querySet.source)} (${formatCount(report.querySet.count)} queries), started ${md(report.startedAt)}, run time ${runTime.toFixed(2)} s`;
  if (report.mergedFrom) out += `, merged from ${report.mergedFrom.length} runs (${report.mergedFrom.map((m) => md(m.hostname)).join(', ')})`;
  out += '\n\n';

  out += row(['target', 'server', 'sent', 'completed', 'lost', 'qps', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean']);
  out += '|:--|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n';
  for (const t of report.targets) {
    const c = t.counters;
    const l = t.latency;
    const p = l.percentiles;
    const lat = (us: number): string => (l.count === 0 ? 'n/a' : formatUs(us));
    out += row([
      md(t.label), md(t.server), formatCount(c.sent), `${formatCount(c.completed)} (${formatPct(c.completed, c.sent)})`,
      `${formatCount(c.lost)} (${formatPct(c.lost, c.sent)})`, formatCount(t.qps),
      lat(p.p50), lat(p.p90), lat(p.p99), lat(p['p99.9']), lat(l.max), lat(l.mean),
    ]);
  }
  out += '\n';
  for (const t of report.targets) {
    const codes = rcodeOrder(t.rcodes).map((k) => `${k} ${formatCount(t.rcodes[k]!)} (${formatPct(t.rcodes[k]!, t.counters.completed)})`);
    if (codes.length > 0) out += `Response codes${report.targets.length > 1 ? ` (${md(t.label)})` : ''}: ${md(codes.join(', '))}\n\n`;
  }

  if (report.gates && report.gates.results.length > 0) {
    out += '#### Gates\n\n';
    out += row(['result', 'target', 'gate', 'measured', 'detail']);
    out += '|:--|:--|:--|--:|:--|\n';
    for (const r of report.gates.results) {
      out += row([mark(r.passed), md(r.target), md(r.gate), r.measured === null ? 'n/a' : md(formatIn(r.measured, r.unit)), md(r.message)]);
    }
    out += '\n';
  }

  if (report.baseline && report.baseline.results.length > 0) {
    const b = report.baseline;
    out += `#### Baseline ${md(b.file)}${b.baselineTitle ? ` (${md(b.baselineTitle)})` : ''}, started ${md(b.baselineStartedAt)}\n\n`;
    out += row(['result', 'target', 'metric', 'baseline', 'current', 'change', 'limit', 'detail']);
    out += '|:--|:--|:--|--:|--:|--:|--:|:--|\n';
    for (const r of b.results) {
      const f = (v: number | null): string => (v === null ? 'n/a' : formatNatural(v, r.unit));
      const change = r.changePercent === null ? f(r.change) : `${r.changePercent > 0 ? '+' : ''}${trimmed(r.changePercent, 1)}%`;
      const result = r.verdict === 'noise' ? '✅ PASS (noise)' : mark(r.passed);
      out += row([result, md(r.target), md(r.metric), md(f(r.baseline)), md(f(r.current)), md(change), md(r.limit), md(r.message)]);
    }
    out += `\n${md(b.rule)}\n\n`;
  }

  if (report.repeat) {
    const s = report.repeat;
    out += `#### Repeat: ${s.runs} runs (gates use medians; details above are run ${s.medianRun})\n\n`;
    out += row(['target', 'metric', 'median', 'min', 'max', 'spread']);
    out += '|:--|:--|--:|--:|--:|--:|\n';
    for (const t of s.summary) {
      for (const [name, st] of Object.entries(t.metrics)) {
        const u = unitOfMetric(name);
        out += st
          ? row([md(t.label), md(name), md(formatNatural(st.median, u)), md(formatNatural(st.min, u)), md(formatNatural(st.max, u)), st.spreadPercent === null ? 'n/a' : `${trimmed(st.spreadPercent, 1)}%`])
          : row([md(t.label), md(name), 'n/a', 'n/a', 'n/a', 'n/a']);
      }
    }
    out += '\n';
  }

  for (const n of report.notes) out += `> ${md(n)}\n>\n`;
  return out.replace(/>\n$/, '');
}
