// What `dnsbench merge` prints after writing the merged report: per target, the merged totals.
import type { Report } from '../results/report.js';
import { formatCount, formatUs } from './format.js';
import { terminalText } from './escape.js';
import { forTerminal } from './terminal.js';

/** "Merged 3 runs into all.json" and one line per target, then the merge's notes (after its first). */
export function renderMergeSummary(report: Report, inputs: number, output: string): string {
  const merged = forTerminal(report);
  let out = `Merged ${inputs} runs into ${terminalText(output)}\n`;
  for (const t of merged.targets) {
    const c = t.counters;
    const p99 = t.latency.count > 0 ? formatUs(t.latency.percentiles.p99) : 'no answers';
    out +=
      `  ${t.label} (${t.server}): sent ${formatCount(c.sent)}, completed ${formatCount(c.completed)}, lost ${formatCount(c.lost)}, ` +
      `${formatCount(t.qps)} qps over ${t.runTimeSec.toFixed(3)} s, p99 ${p99}\n`;
  }
  for (const n of merged.notes.slice(1)) out += `Note: ${n}\n`;
  return out;
}
