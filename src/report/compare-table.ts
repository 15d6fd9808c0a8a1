// The comparison after the per-target blocks: every target against the first (the baseline).
// Pure: Report in, string out; cli-table3 without colour, like the other tables.
import Table from 'cli-table3';
import type { Comparison, TargetComparison } from '../results/compare.js';
import { formatCount, formatUs } from './format.js';

const plain = { style: { head: [], border: [] } };

const signed = (n: number, digits: number): string => `${n >= 0 ? '+' : '-'}${Math.abs(n).toFixed(digits)}`;

/** "-110us (-52.4%)"; "n/a" when one side answered nothing. */
export function formatLatencyDelta(us: number | null, pct: number | null): string {
  if (us === null) return 'n/a';
  const abs = `${us >= 0 ? '+' : '-'}${formatUs(Math.abs(us))}`;
  return pct === null ? abs : `${abs} (${signed(pct, 1)}%)`;
}

/** Response codes whose share differs from the baseline's (at two decimals), "same", or "no answers". */
export function formatRcodeDifferences(t: TargetComparison): string {
  if (t.completed === 0) return 'no answers';
  const diffs = t.rcodes.filter((r) => Math.abs(r.deltaPp) >= 0.005);
  return diffs.length === 0 ? 'same' : diffs.map((r) => `${r.rcode} ${signed(r.deltaPp, 2)}pp`).join(', ');
}

export function renderComparison(c: Comparison): string {
  const base = c.targets[0];
  if (base === undefined || c.targets.length < 2) return '';
  const table = new Table({
    ...plain,
    head: ['', 'qps', `x ${c.baseline}`, 'p50', 'p50 vs first', 'p99', 'p99 vs first', 'lost', 'lost vs first', 'response codes vs first'],
  });
  c.targets.forEach((t, i) => {
    const first = i === 0;
    table.push([
      t.label,
      formatCount(t.qps),
      t.qpsRatio === null ? 'n/a' : t.qpsRatio.toFixed(2),
      t.p50Us === null ? 'n/a' : formatUs(t.p50Us),
      first ? 'baseline' : formatLatencyDelta(t.p50DeltaUs, t.p50DeltaPct),
      t.p99Us === null ? 'n/a' : formatUs(t.p99Us),
      first ? 'baseline' : formatLatencyDelta(t.p99DeltaUs, t.p99DeltaPct),
      `${t.lossPct.toFixed(2)}%`,
      first ? 'baseline' : `${signed(t.lossDeltaPp, 2)}pp`,
      first ? t.rcodes.map((r) => `${r.rcode} ${r.pct.toFixed(2)}%`).join(', ') || 'none' : formatRcodeDifferences(t),
    ]);
  });
  return `Comparison against ${c.baseline} (${base.server}):\n${table.toString()}\n`;
}
