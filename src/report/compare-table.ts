// The comparison after the per-target blocks: every target against the first (the reference).
// Pure: Report in, string out; cli-table3 without colour, like the other tables.
import Table from 'cli-table3';
import type { Comparison, TargetComparison } from '../results/compare.js';
import { formatCount, formatUs } from './format.js';

const plain = { style: { head: [], border: [] } };

/** Columns the comparison is fitted to when stdout is not a terminal (README "Reading the output"). */
export const DEFAULT_WIDTH = 100;

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

/** Columns of the narrower two-table layout: latency and rate first, then loss and response codes. */
const SPLIT: ReadonlyArray<readonly ComparisonField[]> = [
  ['label', 'qps', 'qpsRatio', 'p50', 'p50Delta', 'p99', 'p99Delta'],
  ['label', 'loss', 'lossDelta', 'rcodes'],
];

/** The widest line of a rendered table (cli-table3 draws with one-column box characters). */
const widthOf = (table: string): number => Math.max(0, ...table.split('\n').map((l) => l.length));

function table(c: Comparison, fields: readonly ComparisonField[], wrapLast: number | null = null): string {
  const head = comparisonHead(c);
  const t = new Table({
    ...plain,
    head: fields.map((f) => head[COMPARISON_FIELDS.indexOf(f)]!),
    // Only the response-code list can be long; wrapped at commas when the terminal is narrow.
    ...(wrapLast === null ? {} : { colWidths: fields.map((_, i) => (i === fields.length - 1 ? wrapLast : null)), wordWrap: true, wrapOnWordBoundary: true }),
  });
  c.targets.forEach((target, i) => {
    const row = comparisonRow(target, i === 0);
    t.push(fields.map((f) => row[f]));
  });
  return t.toString();
}

/**
 * One target per block, a metric per line: always narrow (the last resort on a very narrow
 * terminal, or with long labels).
 */
function list(c: Comparison): string {
  const head = comparisonHead(c);
  const name = (f: ComparisonField): string => head[COMPARISON_FIELDS.indexOf(f)]!;
  return c.targets
    .map((target, i) => {
      const row = comparisonRow(target, i === 0);
      const values = [row.qps, row.p50, row.p99, row.loss];
      const w = Math.max(...values.map((v) => v.length));
      const line = (metric: string, value: string, delta: string): string => `  ${metric.padEnd(5)}  ${value.padEnd(w)}  ${delta}`;
      return [
        `${row.label} (${target.server})`,
        line('qps', row.qps, `${name('qpsRatio')} ${row.qpsRatio}`),
        line('p50', row.p50, row.p50Delta),
        line('p99', row.p99, row.p99Delta),
        line('lost', row.loss, row.lossDelta),
        `  ${'codes'.padEnd(5)}  ${row.rcodes}`,
      ].join('\n');
    })
    .join('\n');
}

/**
 * The comparison, fitted to `width` columns (the terminal's, or DEFAULT_WIDTH in a pipe): one
 * table when it fits; else two narrower tables (rate and latency, then loss and response codes,
 * the codes wrapped when they alone are too long); else one block per target.
 */
export function renderComparison(c: Comparison, width = DEFAULT_WIDTH): string {
  const base = c.targets[0];
  if (base === undefined || c.targets.length < 2) return '';
  const title = `Comparison against ${c.reference} (${base.server}):\n`;
  const full = table(c, COMPARISON_FIELDS);
  if (widthOf(full) <= width) return `${title}${full}\n`;
  const first = table(c, SPLIT[0]!);
  let second = table(c, SPLIT[1]!);
  if (widthOf(second) > width) {
    // Room left for the codes: the other columns' width plus the border and padding of the last.
    const others = widthOf(table(c, SPLIT[1]!.slice(0, -1)));
    const room = width - others - 1;
    second = room >= 24 ? table(c, SPLIT[1]!, room) : '';
  }
  if (widthOf(first) <= width && second !== '' && widthOf(second) <= width) return `${title}${first}\n${second}\n`;
  return `${title}${list(c)}\n`;
}
