// The comparison after the per-target blocks: every target against the first (the reference).
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

/** Response codes whose share differs from the reference's (at two decimals), "same", or "no answers". */
export function formatRcodeDifferences(t: TargetComparison): string {
  if (t.completed === 0) return 'no answers';
  const diffs = t.rcodes.filter((r) => Math.abs(r.deltaPp) >= 0.005);
  return diffs.length === 0 ? 'same' : diffs.map((r) => `${r.rcode} ${signed(r.deltaPp, 2)}pp`).join(', ');
}

/** The comparison's cells, keyed by field, shared by the text table and the HTML one. */
export const COMPARISON_FIELDS = ['label', 'qps', 'qpsRatio', 'p50', 'p50Delta', 'p99', 'p99Delta', 'loss', 'lossDelta', 'rcodes'] as const;
export type ComparisonField = (typeof COMPARISON_FIELDS)[number];

export function comparisonHead(c: Comparison): string[] {
  return ['', 'qps', `x ${c.reference}`, 'p50', 'p50 vs first', 'p99', 'p99 vs first', 'lost', 'lost vs first', 'response codes vs first'];
}

export function comparisonRow(t: TargetComparison, first: boolean): Record<ComparisonField, string> {
  return {
    label: t.label,
    qps: formatCount(t.qps),
    qpsRatio: t.qpsRatio === null ? 'n/a' : t.qpsRatio.toFixed(2),
    p50: t.p50Us === null ? 'n/a' : formatUs(t.p50Us),
    p50Delta: first ? 'first' : formatLatencyDelta(t.p50DeltaUs, t.p50DeltaPct),
    p99: t.p99Us === null ? 'n/a' : formatUs(t.p99Us),
    p99Delta: first ? 'first' : formatLatencyDelta(t.p99DeltaUs, t.p99DeltaPct),
    loss: `${t.lossPct.toFixed(2)}%`,
    lossDelta: first ? 'first' : `${signed(t.lossDeltaPp, 2)}pp`,
    rcodes: first ? t.rcodes.map((r) => `${r.rcode} ${r.pct.toFixed(2)}%`).join(', ') || 'none' : formatRcodeDifferences(t),
  };
}

export function renderComparison(c: Comparison): string {
  const base = c.targets[0];
  if (base === undefined || c.targets.length < 2) return '';
  const table = new Table({ ...plain, head: comparisonHead(c) });
  c.targets.forEach((t, i) => {
    const row = comparisonRow(t, i === 0);
    table.push(COMPARISON_FIELDS.map((f) => row[f]));
  });
  return `Comparison against ${c.reference} (${base.server}):\n${table.toString()}\n`;
}
