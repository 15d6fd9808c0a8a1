// The optional sections gates, baselines, --repeat and merge add to a Report (JSON). Documented
// in docs/report-schema.md; every field is plain data so a saved report re-renders exactly.
// They live with the results model (not in gates/) so the Report type needs nothing above it.
import type { Counters, RcodeCounts } from './counters.js';
import type { PercentileKey } from './histogram.js';

/** A gate's comparison operator. */
export type Operator = '<' | '<=' | '>' | '>=' | '==';
/** The unit a gate value is written in: latency (s, ms, us), a share (%), or none (counts, qps). */
export type Unit = 's' | 'ms' | 'us' | '%' | '';

/** The part of a LatencyReport that gates read (so a median over --repeat runs can supply it); µs. */
export interface LatencyStats {
  count: number;
  min: number;
  max: number;
  mean: number;
  stddev: number;
  percentiles: Record<PercentileKey, number>;
}

/** What a metric is read from: a TargetReport, or one run's summary in a --repeat section. */
export interface MetricSource {
  label: string;
  qps: number;
  counters: Counters;
  rcodes: RcodeCounts;
  latency: LatencyStats;
  correctedLatency: LatencyStats | null;
  /** From the timeline: the longest outage (µs) and the queries lost in outages (absent with --repeat). */
  outage?: { longestUs: number; lost: number };
  /**
   * `dnsbench capacity`: the highest rate at which this target met the SLO (qps, null when none);
   * `lowerBound` when the search stopped before the SLO failed (--max, the generator's limit), and
   * `why` there is no figure. Absent in other reports.
   */
  capacity?: { qps: number | null; lowerBound: boolean; why: string };
}

export interface GateResult {
  /** As printed: metric, operator and value as written, prefixed by the target when needed. */
  gate: string;
  /** The --gate value as given. */
  expression: string;
  /** Label of the target this result is for. */
  target: string;
  metric: string;
  operator: Operator;
  /** The limit, in `unit`. */
  threshold: number;
  /** s, ms, us (latency), % (shares) or "" (counts, qps). */
  unit: Unit;
  /** Measured value in `unit` (the median with --repeat); null when there is none. */
  measured: number | null;
  passed: boolean;
  /** measured - threshold, in `unit`; null when not measured. */
  difference: number | null;
  /** |difference| as a percentage of |threshold|; null when not measured or the limit is 0. */
  relative: number | null;
  /** With --repeat: how many runs the median is of, and their range (in `unit`). */
  runs: { count: number; min: number; max: number } | null;
  /** The line's text after the gate, e.g. "measured 3.41ms (+1.41ms, 70.5% over)". */
  message: string;
}

export interface GatesSection {
  passed: boolean;
  results: GateResult[];
}

export interface BaselineResult {
  target: string;
  /** Label of the baseline target it was compared with. */
  baselineTarget: string;
  metric: string;
  /** Display unit of baseline/current/change/noise: "us", "%", or "" (counts, qps). */
  unit: 'us' | '%' | '';
  baseline: number | null;
  current: number | null;
  /** current - baseline. */
  change: number | null;
  /** change as a percentage of the baseline (null when the baseline is 0). */
  changePercent: number | null;
  /** How much worse (positive) or better (negative) current is, in the metric's unit. */
  worse: number | null;
  /** The --max-regression entry, as written (e.g. "10%"), and what it allows, in the unit. */
  limit: string;
  allowed: number | null;
  /** Run-to-run spread (max - min) the difference is compared with; null when unknown (single runs). */
  noise: number | null;
  /** pass: within the limit; noise: beyond the limit but within the spread; fail: a regression. */
  verdict: 'pass' | 'noise' | 'fail';
  passed: boolean;
  message: string;
}

export interface BaselineSection {
  /** The baseline file as given. */
  file: string;
  baselineStartedAt: string;
  baselineTitle: string | null;
  /** The --max-regression value as given. */
  maxRegression: string;
  passed: boolean;
  /** The noise rule in words (see README "CI gates, baselines and merging"). */
  rule: string;
  results: BaselineResult[];
}

/** One metric over the repeated runs. */
export interface SpreadStat {
  median: number;
  min: number;
  max: number;
  /** (max - min) / median, in percent; null when the median is 0. */
  spreadPercent: number | null;
}

export interface RepeatSection {
  /** How many runs were made. */
  runs: number;
  /** 1-based number of the run whose full results make up this report (median qps). */
  medianRun: number;
  /** Each run's key results, per target (the input for medians and spreads). */
  results: Array<{
    run: number;
    startedAt: string;
    endedAt: string;
    targets: MetricSource[];
    /** Local address:port of every socket the run sent from (the same in every run: one session). */
    sources?: string[];
  }>;
  /** Median, min, max and spread of the key metrics, per target. */
  summary: Array<{ label: string; metrics: Record<string, SpreadStat | null> }>;
}

/** Where a merged report came from (`dnsbench merge`). */
export interface MergedFrom {
  file: string;
  title: string | null;
  hostname: string;
  startedAt: string;
  endedAt: string;
  querySetSha256: string;
  /** --segment of that run (absent when it ran the whole file, or in older merged reports). */
  segment?: { index: number; count: number; fileQueries: number };
  /** Epoch ms of that run's actual start (`start.actualAtMs`, else its first send). */
  actualStartMs?: number;
  /** True when actualStartMs is from a --start-at run. */
  startAt?: boolean;
}

// --- the comparison of every target against the first (results/compare.ts) ------------------

export interface RcodeDifference {
  rcode: string;
  /** Answers with this code, and their share of the target's completed queries (percent). */
  count: number;
  pct: number;
  referenceCount: number;
  referencePct: number;
  /** pct - referencePct, in percentage points. */
  deltaPp: number;
}

export interface TargetComparison {
  label: string;
  server: string;
  qps: number;
  /** Answered queries (response code shares are of these). */
  completed: number;
  /** qps / the reference's qps; null when the reference answered nothing. */
  qpsRatio: number | null;
  /** Microseconds; null when the target answered nothing (there is no latency to compare). */
  p50Us: number | null;
  p50DeltaUs: number | null;
  /** Percent of the reference's p50; null when either side has no latency. */
  p50DeltaPct: number | null;
  p99Us: number | null;
  p99DeltaUs: number | null;
  p99DeltaPct: number | null;
  /** lost / sent, percent. */
  lossPct: number;
  /** lossPct - the reference's lossPct, in percentage points. */
  lossDeltaPp: number;
  /** Every response code either side saw, in numeric order. */
  rcodes: RcodeDifference[];
}

export interface Comparison {
  /** Label of the target everything is compared against (the first). Not to be confused with
   *  Report.baseline, which is --baseline's comparison with another saved run. */
  reference: string;
  /** Every target in report order; the first is the reference itself (ratio 1, deltas 0). */
  targets: TargetComparison[];
}
