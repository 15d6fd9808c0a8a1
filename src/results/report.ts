// The one results model. A Report is what `--json` writes (the source of truth), what every
// renderer reads, and what `dnsbench report` loads back. Derived numbers (qps, mean, percentiles)
// are computed here once, from the additive RunData that is stored alongside them, so a saved
// report can be re-merged or re-rendered exactly.
import os from 'node:os';
import type { LatencySums, WorkerInterval } from '../engine/protocol.js';
import type { Counters, RcodeCounts } from './counters.js';
import { decodeHistogram, percentiles, type PercentileKey } from './histogram.js';
import type { RunData } from './merge.js';
import { connectionReport, mergeTransport, type ConnectionReport } from './transport.js';
import type { Comparison } from './compare.js';
import type { BaselineSection, GatesSection, MergedFrom, RepeatSection } from '../gates/types.js';

export const SCHEMA_ID = 'https://dnsbench.dev/schema/report-v1.json';
export const SCHEMA_VERSION = 1;

export interface LatencyReport {
  unit: 'us';
  count: number;
  min: number;
  max: number;
  mean: number;
  stddev: number;
  percentiles: Record<PercentileKey, number>;
  /** Additive sums (exact merge). */
  sums: LatencySums;
  /** HDR histogram, compressed base64 (HdrHistogram V2 encoding), values in microseconds. */
  histogram: string;
}

export interface IntervalReport {
  /** Seconds from the target's start to the interval start. */
  t: number;
  startMs: number;
  durationSec: number;
  counters: Counters;
  rcodes: RcodeCounts;
  qps: number;
  latency: { p50: number; p90: number; p99: number; max: number };
  histogram: string;
}

export interface TargetReport {
  label: string;
  host: string;
  port: number;
  /** "host:port" (IPv6 in brackets). */
  server: string;
  startedAt: string;
  endedAt: string;
  /** dnsperf's "Run time (s)": first send to the end of sending or the last answer, whichever is later. */
  runTimeSec: number;
  /** completed / runTimeSec (dnsperf's "Queries per second"). */
  qps: number;
  /** sent / sending time: the rate actually offered to the server. */
  sendRate: number;
  /** -Q share for this target, or null when not rate-limited. */
  targetQps: number | null;
  counters: Counters;
  rcodes: RcodeCounts;
  latency: LatencyReport;
  /** With -Q: latency from each query's intended send time (coordinated omission corrected). */
  correctedLatency: LatencyReport | null;
  intervals: IntervalReport[];
  /** Epoch milliseconds (fractional), kept so runs from several processes merge exactly. */
  timing: { startedAtMs: number; sendEndedAtMs: number; lastCompletionAtMs: number; endedAtMs: number };
  /** Local -> remote address pairs the sockets used (load balancers hash on these). */
  sockets: Array<{ local: string; remote: string }>;
  /** Distinct local address/port pairs used, counting every TCP (re)connection. Absent in old reports. */
  sourcePairs?: number;
  /** TCP, DoT and DoH: dnsperf's connection statistics; null over UDP. */
  connections?: ConnectionReport | null;
  /** --nsid: completed answers per server identity ("(none)" when the answer had no NSID); else null. */
  nsid?: Record<string, number> | null;
}

export interface Machine {
  hostname: string;
  platform: string;
  release: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  node: string;
}

export interface Report {
  $schema: string;
  schemaVersion: number;
  tool: { name: 'dnsbench'; version: string };
  title: string | null;
  /** argv with secrets redacted. */
  command: string[];
  startedAt: string;
  endedAt: string;
  machine: Machine;
  /** The resolved configuration (secrets redacted). */
  config: Record<string, unknown>;
  querySet: { source: string; count: number; sha256: string };
  mode: 'sequential' | 'interleave';
  targets: TargetReport[];
  /** Plain-language remarks: nothing answered, interrupted, split of totals. */
  notes: string[];
  /** With several targets: each against the first (results/compare.ts). Derived from `targets`;
   *  optional, so schema version 1 readers and older reports stay valid. */
  comparison?: Comparison;
  /** --gate results (absent when no gate was given). */
  gates?: GatesSection;
  /** --baseline comparison (absent without --baseline). */
  baseline?: BaselineSection;
  /** --repeat N: every run's key results; the rest of the report is the median run. */
  repeat?: RepeatSection;
  /** `dnsbench merge`: the runs this report was merged from. */
  mergedFrom?: MergedFrom[];
  /** --segment I/N: the part of the query file this run sent (absent: the whole file). */
  segment?: ReportSegment;
  /** --start-at: when sending was meant to start and when it did (absent without --start-at). */
  start?: ReportStart;
  /** `dnsbench merge`: how far apart the merged runs started (absent with a single run). */
  startSkew?: StartSkew;
}

/** Segment `index` of `count` (1-based); `fileQueries` = queries in the whole file. */
export interface ReportSegment {
  index: number;
  count: number;
  fileQueries: number;
}

/** Epoch milliseconds: the --start-at time, and the first query actually sent. */
export interface ReportStart {
  intendedAtMs: number;
  actualAtMs: number;
}

/** The largest difference between the merged runs' actual starts (ms), and which runs those were. */
export interface StartSkew {
  ms: number;
  earliest: string;
  latest: string;
  /** What a start is: `start.actualAtMs` of runs made with --start-at, else their first send. */
  basis: 'start-at' | 'first-send' | 'mixed';
}

export function machineInfo(): Machine {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryBytes: os.totalmem(),
    node: process.version,
  };
}

/** Count, min, max, mean and sample standard deviation (as dnsperf computes "Latency StdDev") from the sums. */
export function summarizeSums(sums: LatencySums): { count: number; min: number; max: number; mean: number; stddev: number } {
  const n = sums.count;
  const mean = n > 0 ? sums.sum / n : 0;
  const variance = n > 1 ? Math.max(0, (sums.sumSquares - (sums.sum * sums.sum) / n) / (n - 1)) : 0;
  return { count: n, min: n > 0 ? sums.min : 0, max: n > 0 ? sums.max : 0, mean, stddev: Math.sqrt(variance) };
}

export function latencyReport(sums: LatencySums, histogram: string): LatencyReport {
  return {
    unit: 'us',
    ...summarizeSums(sums),
    percentiles: percentiles(decodeHistogram(histogram)),
    sums: { ...sums, min: sums.count > 0 ? sums.min : 0 },
    histogram,
  };
}

function intervalReport(iv: WorkerInterval, startedAtMs: number): IntervalReport {
  const h = decodeHistogram(iv.histogram);
  const durationSec = iv.durationMs / 1000;
  const empty = h.totalCount === 0;
  return {
    t: Math.max(0, (iv.startMs - startedAtMs) / 1000),
    startMs: iv.startMs,
    durationSec,
    counters: iv.counters,
    rcodes: iv.rcodes,
    qps: durationSec > 0 ? iv.counters.completed / durationSec : 0,
    latency: {
      p50: empty ? 0 : h.getValueAtPercentile(50),
      p90: empty ? 0 : h.getValueAtPercentile(90),
      p99: empty ? 0 : h.getValueAtPercentile(99),
      max: empty ? 0 : h.maxValue,
    },
    histogram: iv.histogram,
  };
}

export interface TargetIdentity {
  label: string;
  host: string;
  port: number;
}

export function formatServer(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

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
    })),
    startedAt: t.timing.startedAtMs,
    sendEndedAt: t.timing.sendEndedAtMs,
    lastCompletionAt: t.timing.lastCompletionAtMs,
    endedAt: t.timing.endedAtMs,
    ...(t.connections ? { connect: sums(t.connections.latency) } : {}),
    ...(t.nsid ? { nsid: { ...t.nsid } } : {}),
    ...(t.sourcePairs !== undefined ? { sourcePairs: t.sourcePairs } : {}),
  };
}
