// The metrics a gate or a baseline comparison can name, and how each is measured from one
// target's results. Values are in canonical units: latency in microseconds, shares in percent,
// counts as counts, qps as queries per second. Everything is derived from the saved report
// fields, so a gate gives the same verdict live and on `dnsbench report` of the saved JSON.
import type { Counters } from '../results/counters.js';
import type { LatencyStats, MetricSource } from '../results/sections.js';
export type { LatencyStats, MetricSource };

/** A value, or why there is none (shown in the gate line, so it names the cause). */
export type Measured = { value: number } | { missing: string };

export type MetricKind = 'latency' | 'share' | 'count' | 'rate';

export const LATENCY_METRICS = ['p50', 'p90', 'p99', 'p99.9', 'p99.99', 'min', 'mean', 'max', 'stddev'] as const;
export type LatencyMetric = (typeof LATENCY_METRICS)[number];

/** Counters a gate can name, and the field each reads ("timeouts" is counters.timedOut). */
export const COUNT_METRICS = {
  sent: 'sent',
  completed: 'completed',
  lost: 'lost',
  timeouts: 'timedOut',
  truncated: 'truncated',
  late: 'late',
  mismatched: 'mismatched',
  malformed: 'malformed',
  interrupted: 'interrupted',
  aborted: 'aborted',
  'tcp-fallbacks': 'tcpFallbacks',
  'tsig-failed': 'tsigFailed',
  'socket-errors': 'socketErrors',
  'http-errors': 'httpErrors',
  'foreign-source': 'foreignSource',
  wrong: 'wrongAnswer',
} as const satisfies Record<string, keyof Counters>;
export type CountMetric = keyof typeof COUNT_METRICS;

import { countOf, RCODE_NAMES } from '../results/counters.js';
export { RCODE_NAMES };

/**
 * A resolved metric: what to read and in which kind. Counters read as a count, or as a share
 * (percent) when the gate gives a % value: `timeouts<10` is a count, `timeouts<0.1%` a share of
 * the queries sent. `loss` is lost/sent and always a share; `rcode.X` shares are of completed.
 */
export type Metric =
  | { kind: 'rate'; name: 'qps' }
  /** `dnsbench capacity`'s result (qps): the highest rate that met the SLO. */
  | { kind: 'capacity'; name: 'capacity' }
  | { kind: 'latency'; name: string; stat: LatencyMetric; corrected: boolean }
  | { kind: 'count'; name: string; read: CountRead }
  | { kind: 'share'; name: string; read: CountRead; of: 'sent' | 'completed' }
  /** The timeline (results/timeline.ts): the longest outage (a duration, µs) or the queries lost in outages (a count). */
  | { kind: 'outage'; name: 'outage' | 'outage-lost' };

export type CountRead = { counter: keyof Counters } | { rcode: string };

/** One line for error messages: every name a gate or --max-regression accepts. */
export const METRIC_HELP =
  `qps, ${LATENCY_METRICS.join(', ')} (latency: s/ms/us), loss (%), ` +
  `${Object.keys(COUNT_METRICS).join(', ')} (count, or % of sent), ` +
  'rcode.<NAME> e.g. rcode.SERVFAIL (count, or % of completed), corrected.<latency> e.g. corrected.p99 (with -Q), ' +
  'outage (the longest outage: s/ms/us), outage-lost (queries lost in outages), capacity (dnsbench capacity: qps)';

/** Every plain metric name, for "did you mean". */
export const METRIC_NAMES: readonly string[] = [
  'qps', ...LATENCY_METRICS, 'loss', ...Object.keys(COUNT_METRICS),
  ...RCODE_NAMES.map((r) => `rcode.${r}`), ...LATENCY_METRICS.map((l) => `corrected.${l}`), 'outage', 'outage-lost', 'capacity',
];

/** Which way is worse, for baselines: more qps is better, more of anything else is worse. */
export function higherIsBetter(m: Metric): boolean {
  return m.kind === 'rate' || m.kind === 'capacity' || ((m.kind === 'count' || m.kind === 'share') && 'counter' in m.read && m.read.counter === 'completed');
}

export function measure(m: Metric, t: MetricSource): Measured {
  switch (m.kind) {
    case 'rate':
      return { value: t.qps };
    case 'capacity': {
      const c = t.capacity;
      if (c === undefined) return { missing: 'not a capacity report (capacity is measured by dnsbench capacity)' };
      if (c.qps === null) return { missing: `${t.label} has no capacity: ${c.why}` };
      return { value: c.qps };
    }
    case 'latency': {
      const l = m.corrected ? t.correctedLatency : t.latency;
      if (l === null) return { missing: `${t.label} has no corrected latency (the run was not rate-limited with -Q)` };
      if (l.count === 0) return { missing: `${t.label} has no answers, so no latency ${m.stat}` };
      if (m.stat === 'stddev' && l.count < 2) return { missing: `${t.label} has only ${l.count} answer, too few for a standard deviation` };
      const v = m.stat === 'min' || m.stat === 'max' || m.stat === 'mean' || m.stat === 'stddev' ? l[m.stat] : l.percentiles[m.stat];
      return typeof v === 'number' ? { value: v } : { missing: `${t.label} has no ${m.stat} in this report` };
    }
    case 'count':
      return { value: readCount(m.read, t) };
    case 'outage': {
      if (t.outage === undefined) return { missing: `${t.label} has no timeline (not with --repeat)` };
      return { value: m.name === 'outage' ? t.outage.longestUs : t.outage.lost };
    }
    case 'share': {
      const d = m.of === 'sent' ? t.counters.sent : t.counters.completed;
      if (d === 0) return { missing: m.of === 'sent' ? `${t.label} sent no queries` : `${t.label} has no completed queries to take a share of` };
      return { value: (100 * readCount(m.read, t)) / d };
    }
  }
}

function readCount(r: CountRead, t: MetricSource): number {
  // `?? 0`: a counter added after the report was saved reads as 0.
  return 'counter' in r ? (t.counters[r.counter] ?? 0) : countOf(t.rcodes, r.rcode);
}

/** The fields of a TargetReport a MetricSource needs (drops histograms and sums). */
export function metricSource(t: MetricSource): MetricSource {
  const stats = (l: LatencyStats): LatencyStats => ({
    count: l.count, min: l.min, max: l.max, mean: l.mean, stddev: l.stddev, percentiles: { ...l.percentiles },
  });
  return {
    label: t.label,
    qps: t.qps,
    counters: { ...t.counters },
    rcodes: { ...t.rcodes },
    latency: stats(t.latency),
    correctedLatency: t.correctedLatency === null ? null : stats(t.correctedLatency),
    ...(t.outage !== undefined ? { outage: { ...t.outage } } : {}),
    ...(t.capacity !== undefined ? { capacity: { ...t.capacity } } : {}),
  };
}

/** Median: the middle value, or the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * A metric over one or more runs (--repeat): the median, and the min and max, which give the
 * run-to-run spread. Missing when any run has no value (a gate cannot pass on runs it cannot see).
 */
export type Aggregate = { value: number; min: number; max: number; runs: number } | { missing: string };

export function aggregate(m: Metric, runs: readonly MetricSource[]): Aggregate {
  const values: number[] = [];
  for (const [i, t] of runs.entries()) {
    const r = measure(m, t);
    if ('missing' in r) return { missing: runs.length > 1 ? `run ${i + 1}: ${r.missing}` : r.missing };
    values.push(r.value);
  }
  if (values.length === 0) return { missing: 'no runs' };
  return { value: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length };
}
