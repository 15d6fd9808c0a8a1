// Every target against the first one (the reference: usually the VIP, or last week's run): the
// questions users actually ask ("does the VIP keep up with its backends", "did p99 get worse").
// Pure and derived: computed from the TargetReports alone, so `dnsbench report` recomputes it for
// any saved run, and stored in Report.comparison for readers of the JSON (docs/report-schema.md).
import { countOf, rcodeCode } from './counters.js';
import type { TargetReport } from './report.js';
import type { Comparison } from './sections.js';
export type { Comparison, RcodeDifference, TargetComparison } from './sections.js';

/** Numeric order (as dnsperf prints codes): the header's 4-bit RCODE names, unknown names after. */
const rcodeRank = (k: string): number => rcodeCode(k) ?? 1_000_000;

export function lossPct(t: TargetReport): number {
  return t.counters.sent > 0 ? (100 * t.counters.lost) / t.counters.sent : 0;
}

function share(count: number, of: number): number {
  return of > 0 ? (100 * count) / of : 0;
}

function latencyDelta(value: number | null, base: number | null): { us: number | null; pct: number | null } {
  if (value === null || base === null) return { us: null, pct: null };
  return { us: value - base, pct: base > 0 ? (100 * (value - base)) / base : null };
}

export function compareTargets(targets: readonly TargetReport[]): Comparison {
  const base = targets[0];
  if (base === undefined) throw new Error('compareTargets needs at least one target');
  const latencyOf = (t: TargetReport, key: 'p50' | 'p99'): number | null => (t.latency.count > 0 ? t.latency.percentiles[key] : null);
  const baseP50 = latencyOf(base, 'p50');
  const baseP99 = latencyOf(base, 'p99');
  const baseLoss = lossPct(base);
  return {
    reference: base.label,
    targets: targets.map((t) => {
      const p50 = latencyOf(t, 'p50');
      const p99 = latencyOf(t, 'p99');
      const d50 = latencyDelta(p50, baseP50);
      const d99 = latencyDelta(p99, baseP99);
      const codes = [...new Set([...Object.keys(t.rcodes), ...Object.keys(base.rcodes)])]
        .filter((k) => countOf(t.rcodes, k) > 0 || countOf(base.rcodes, k) > 0)
        .sort((a, b) => rcodeRank(a) - rcodeRank(b));
      const loss = lossPct(t);
      return {
        label: t.label,
        server: t.server,
        qps: t.qps,
        completed: t.counters.completed,
        qpsRatio: base.qps > 0 ? t.qps / base.qps : null,
        p50Us: p50,
        p50DeltaUs: d50.us,
        p50DeltaPct: d50.pct,
        p99Us: p99,
        p99DeltaUs: d99.us,
        p99DeltaPct: d99.pct,
        lossPct: loss,
        lossDeltaPp: loss - baseLoss,
        rcodes: codes.map((rcode) => {
          const count = countOf(t.rcodes, rcode);
          const referenceCount = countOf(base.rcodes, rcode);
          const pct = share(count, t.counters.completed);
          const referencePct = share(referenceCount, base.counters.completed);
          return { rcode, count, pct, referenceCount, referencePct, deltaPp: pct - referencePct };
        }),
      };
    }),
  };
}
