// --repeat N: N complete runs summarised as one report. The report body is the median run (by
// total qps), so its histograms and intervals are real measurements rather than a blend; the
// `repeat` section keeps every run's key results, from which gates and baselines take medians and
// the run-to-run spread.
import type { Report } from '../results/report.js';
import { aggregate, metricSource, type Metric } from './metrics.js';
import { resolveMetric } from './parse.js';
import type { RepeatSection, SpreadStat } from '../results/sections.js';

/** The metrics the spread table shows (gates and baselines can use any metric). */
export const KEY_METRICS: readonly Metric[] = (
  [['qps', ''], ['p50', 'us'], ['p90', 'us'], ['p99', 'us'], ['p99.9', 'us'], ['max', 'us'], ['mean', 'us'], ['loss', '%']] as const
).map(([name, unit]) => {
  const r = resolveMetric(name, unit);
  if ('error' in r) throw new Error(r.error);
  return r.metric;
});

const totalQps = (r: Report): number => r.targets.reduce((s, t) => s + t.qps, 0);

/** 0-based index of the median run by total qps (the lower middle one for an even N). */
export function medianRunIndex(runs: readonly Report[]): number {
  const order = runs.map((r, i) => ({ i, q: totalQps(r) })).sort((a, b) => a.q - b.q || a.i - b.i);
  return order[Math.floor((order.length - 1) / 2)]!.i;
}

export function repeatSection(runs: readonly Report[]): { medianIndex: number; section: RepeatSection } {
  const medianIndex = medianRunIndex(runs);
  const results = runs.map((r, i) => ({
    run: i + 1,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    targets: r.targets.map(metricSource),
    sources: r.targets.flatMap((t) => t.sockets.map((s) => s.local)),
  }));
  const summary = runs[medianIndex]!.targets.map((t) => {
    const samples = results.map((r) => r.targets.find((x) => x.label === t.label)).filter((x) => x !== undefined);
    const metrics: Record<string, SpreadStat | null> = {};
    for (const m of KEY_METRICS) {
      const a = aggregate(m, samples);
      metrics[m.name] = 'missing' in a
        ? null
        : { median: a.value, min: a.min, max: a.max, spreadPercent: a.value === 0 ? null : (100 * (a.max - a.min)) / Math.abs(a.value) };
    }
    return { label: t.label, metrics };
  });
  return { medianIndex, section: { runs: runs.length, medianRun: medianIndex + 1, results, summary } };
}
