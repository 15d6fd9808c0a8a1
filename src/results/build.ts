// Building the reported model from the additive one: RunData -> TargetReport, and the parts of
// a run -> Report. Derived numbers (qps, mean, percentiles, the comparison between targets) are
// computed here once; renderers only read them.
import { decodeHistogram, percentiles, type Histogram } from './histogram.js';
import type { IntervalData, LatencySums, PacingData, RunData } from './model.js';
import { connectionReport, mergeTransport } from './transport.js';
import { compareTargets } from './compare.js';
import { summarizeSums } from './stats.js';
import { answerChecksReport, checksDataOf } from './checks-report.js';
import {
  formatServer, SCHEMA_ID, SCHEMA_VERSION, type IntervalReport, type LatencyReport, type PacingReport, type Report,
  type TargetReport,
} from './report.js';

/**
 * A latency summary from exact sums (µs) and the HDR histogram. Percentiles come from the top of
 * an HDR bucket while min and max are exact, so each percentile is clamped to [min, max]: then
 * p50 <= p90 <= ... <= max holds in every output and gate (issue 10, as HdrHistogram ports do).
 */
export function latencyReport(sums: LatencySums, histogram: string): LatencyReport {
  const summary = summarizeSums(sums);
  const p = percentiles(decodeHistogram(histogram));
  if (summary.count > 0) for (const k of Object.keys(p) as Array<keyof typeof p>) p[k] = clamp(p[k], summary.min, summary.max);
  return { unit: 'us', ...summary, percentiles: p, sums: { ...sums, min: sums.count > 0 ? sums.min : 0 }, histogram };
}

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/** A percentile of a histogram kept within its recorded range; 0 when empty. */
function boundedPercentile(h: Histogram, p: number): number {
  if (h.totalCount === 0) return 0;
  return clamp(h.getValueAtPercentile(p), h.minNonZeroValue, h.maxValue);
}

function intervalReport(iv: IntervalData, startedAtMs: number): IntervalReport {
  const h = decodeHistogram(iv.histogram);
  const durationSec = iv.durationMs / 1000;
  return {
    t: Math.max(0, (iv.startMs - startedAtMs) / 1000),
    startMs: iv.startMs,
    durationSec,
    counters: iv.counters,
    rcodes: iv.rcodes,
    qps: durationSec > 0 ? iv.counters.completed / durationSec : 0,
    latency: { p50: boundedPercentile(h, 50), p90: boundedPercentile(h, 90), p99: boundedPercentile(h, 99), max: h.totalCount === 0 ? 0 : h.maxValue },
    histogram: iv.histogram,
    ...(iv.nsid !== undefined ? { nsid: iv.nsid } : {}),
  };
}

function pacingReport(p: PacingData): PacingReport {
  return { skipped: p.skipped, skippedWindowFull: p.skippedWindowFull, windowFullSec: p.windowFullMs / 1000, lag: latencyReport(p.lag, p.lagHistogram) };
}

export interface TargetIdentity {
  label: string;
  host: string;
  port: number;
}

/** One target's report from its merged RunData. */
export function targetReport(
  t: TargetIdentity,
  data: RunData,
  extra: { targetQps: number | null; sockets: Array<{ local: string; remote: string }> },
): TargetReport {
  const end = Math.max(data.sendEndedAt, data.lastCompletionAt);
  const transport = mergeTransport([data]);
  const runTimeSec = Math.max(0, (end - data.startedAt) / 1000);
  const sendSec = (data.sendEndedAt - data.startedAt) / 1000;
  return {
    label: t.label,
    host: t.host,
    port: t.port,
    server: formatServer(t.host, t.port),
    startedAt: new Date(data.startedAt).toISOString(),
    endedAt: new Date(data.endedAt).toISOString(),
    runTimeSec,
    qps: runTimeSec > 0 ? data.counters.completed / runTimeSec : 0,
    sendRate: sendSec > 0 ? data.counters.sent / sendSec : 0,
    targetQps: extra.targetQps,
    counters: data.counters,
    rcodes: data.rcodes,
    latency: latencyReport(data.latency, data.histogram),
    correctedLatency: data.corrected === null ? null : latencyReport(data.corrected.sums, data.corrected.histogram),
    intervals: data.intervals.map((iv) => intervalReport(iv, data.startedAt)),
    timing: {
      startedAtMs: data.startedAt,
      sendEndedAtMs: data.sendEndedAt,
      lastCompletionAtMs: data.lastCompletionAt,
      endedAtMs: data.endedAt,
    },
    sockets: extra.sockets,
    sourcePairs: transport.sourcePairs,
    connections: data.counters.connAttempts > 0 ? connectionReport(data.counters, transport.connect) : null,
    nsid: Object.keys(transport.nsid).length > 0 ? transport.nsid : null,
    ...(transport.foreignSources ? { foreignSources: transport.foreignSources } : {}),
    ...(data.pacing ? { pacing: pacingReport(data.pacing) } : {}),
    ...(data.checks ? { answerChecks: answerChecksReport(data.checks, data.counters.wrongAnswer) } : {}),
  };
}

/** Back from a saved TargetReport to the additive form (for `dnsbench merge`). */
export function runDataOf(t: TargetReport): RunData {
  const sums = (l: Pick<LatencyReport, 'count' | 'sums'>): LatencySums => ({ ...l.sums, min: l.count > 0 ? l.sums.min : Infinity });
  return {
    counters: { ...t.counters },
    rcodes: { ...t.rcodes },
    latency: sums(t.latency),
    histogram: t.latency.histogram,
    corrected: t.correctedLatency === null ? null : { sums: sums(t.correctedLatency), histogram: t.correctedLatency.histogram },
    intervals: t.intervals.map((iv, index) => ({
      index,
      startMs: iv.startMs,
      durationMs: iv.durationSec * 1000,
      counters: { ...iv.counters },
      rcodes: { ...iv.rcodes },
      histogram: iv.histogram,
      ...(iv.nsid ? { nsid: iv.nsid } : {}),
    })),
    startedAt: t.timing.startedAtMs,
    sendEndedAt: t.timing.sendEndedAtMs,
    lastCompletionAt: t.timing.lastCompletionAtMs,
    endedAt: t.timing.endedAtMs,
    ...(t.connections ? { connect: sums(t.connections.latency) } : {}),
    ...(t.nsid ? { nsid: t.nsid } : {}),
    ...(t.sourcePairs !== undefined ? { sourcePairs: t.sourcePairs } : {}),
    ...(t.foreignSources ? { foreignSources: t.foreignSources } : {}),
    ...(t.pacing
      ? {
          pacing: {
            skipped: t.pacing.skipped,
            skippedWindowFull: t.pacing.skippedWindowFull,
            windowFullMs: t.pacing.windowFullSec * 1000,
            lag: sums(t.pacing.lag),
            lagHistogram: t.pacing.lag.histogram,
          },
        }
      : {}),
    ...(t.answerChecks ? { checks: checksDataOf(t.answerChecks) } : {}),
  };
}

/** Everything of a Report but what is derived from it (the schema id and the comparison). */
export type ReportParts = Omit<Report, '$schema' | 'schemaVersion' | 'comparison'>;

/**
 * The Report, with the comparison of every target against the first computed here, once: every
 * renderer reads `report.comparison` and never recomputes it. Call it again (withTargets) when
 * the targets change (combined or merged reports).
 */
export function buildReport(parts: ReportParts): Report {
  const { targets } = parts;
  return {
    $schema: SCHEMA_ID,
    schemaVersion: SCHEMA_VERSION,
    ...parts,
    ...(targets.length > 1 ? { comparison: compareTargets(targets) } : {}),
  };
}

/** The same report with other targets (relabelled, combined or merged) and their comparison. */
export function withTargets(report: Report, targets: TargetReport[]): Report {
  const { $schema: _s, schemaVersion: _v, comparison: _c, ...parts } = report;
  return buildReport({ ...parts, targets });
}
