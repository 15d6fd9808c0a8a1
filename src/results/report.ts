// The one results model, as reported. A Report is what `--json` writes (the source of truth),
// what every renderer reads, and what `dnsbench report` loads back. It is built in one place
// (results/build.ts), which also derives qps, percentiles and the comparison, so renderers only
// read. The additive form it is built from is results/model.ts.
import type { Counters, RcodeCounts } from './counters.js';
import type { PercentileKey } from './histogram.js';
import type { LatencySums } from './model.js';
import type { ConnectionReport } from './transport.js';
import type { AnswerChecksReport } from './checks-report.js';
import type { EventRecord, SerialWatchSection, TimelineSection } from './ops.js';
import type { BaselineSection, Comparison, GatesSection, MergedFrom, RepeatSection } from './sections.js';
import { formatHostPort } from '../util/hostport.js';

export const SCHEMA_ID = 'https://dnsbench.dev/schema/report-v1.json';
export const SCHEMA_VERSION = 1;
/**
 * Most targets one report holds (docs/report-v1.schema.json: targets maxItems). A run with more
 * -s, or `dnsbench report` combining more, would write a JSON report that no dnsbench reads back.
 */
export const MAX_TARGETS = 1024;

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
  /** Latency of the queries sent in this interval that completed (µs; 0 when none). */
  latency: { p50: number; p90: number; p99: number; max: number };
  histogram: string;
  /** --nsid: who answered the queries sent in this interval. */
  nsid?: Record<string, number>;
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
  /**
   * UDP replies that came from another address or port than `server`, by "host:port" (at most 16,
   * the rest under "(other)"); absent when there were none. Their count is `counters.foreignSource`.
   */
  foreignSources?: Record<string, number>;
  /** -Q: how well the schedule was kept (absent when not paced, and in old reports). */
  pacing?: PacingReport;
  /** --expect / --rrset-order (absent without them; since schema 1.3). */
  answerChecks?: AnswerChecksReport;
}

/** -Q schedule keeping for one target (issue 9: send lag and skipped slots). */
export interface PacingReport {
  /** Scheduled queries never sent (see PacingData.skipped). */
  skipped: number;
  /** Part of skipped: missed while every window was full (the server held the window). */
  skippedWindowFull: number;
  /** Seconds during which due queries found every window full, summed over workers. */
  windowFullSec: number;
  /** Send lag |actual send - due time|, µs (a query may leave early: native/addon.c SCHED_EARLY_MAX_NS). */
  lag: LatencyReport;
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
  config: ReportConfig;
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
  /** `dnsbench capacity`: every step (or the ramp's windows) and the capacity found; the rest of
   *  the report is the step at capacity (or the ramp run). */
  capacity?: CapacitySection;
  /** `dnsbench merge`: the runs this report was merged from. */
  mergedFrom?: MergedFrom[];
  /** What the intervals count: 'sent' = outcomes by the interval the query was sent in (since
   *  schema 1.2); absent in older reports, whose intervals count outcomes when detected. */
  intervalBasis?: 'sent';
  /** The load generator's own CPU per worker thread and interval (absent in older reports). */
  generator?: GeneratorReport;
  /** --segment I/N: the part of the query file this run sent (absent: the whole file). */
  segment?: ReportSegment;
  /** --start-at: when sending was meant to start and when it did (absent without --start-at). */
  start?: ReportStart;
  /** `dnsbench merge`: how far apart the merged runs started (absent with a single run). */
  startSkew?: StartSkew;
  /** --event: the commands run during the run, with their times and exit status (absent without --event; 1.3). */
  events?: EventRecord[];
  /** Outage and degraded windows and who answered when, per target (results/timeline.ts; 1.3). */
  timeline?: TimelineSection;
  /** --watch-serial: the zone's serial per target over the run (1.3). */
  serials?: SerialWatchSection;
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

/** The load generator itself: worker threads and their CPU use (issue 13's generator-bound verdict). */
export interface GeneratorReport {
  /**
   * Threads that ran the send/receive loops: worker threads, and in a plain run the main thread
   * as the first of them (engine/inline.ts).
   */
  workers: number;
  /** Send/receive loops (-T); more than `workers` when -T exceeds the cores. */
  loops: number;
  /** CPU milliseconds each worker thread used over the whole run (all targets). */
  cpuMs: number[];
  /** Wall milliseconds from the common start to the end of the run. */
  wallMs: number;
  /** Per interval: each worker's CPU milliseconds, and (Linux) the milliseconds it was runnable
   *  but waited for a CPU (absent where unknown and in older reports). */
  intervals: Array<{ index: number; startMs: number; durationMs: number; cpuMs: number[]; waitMs?: number[] }>;
  /** Answers the generator's own UDP sockets dropped because their receive buffer was full (they
   *  count as lost; the loss is the generator's). Linux only; absent elsewhere and in older reports. */
  receiveDrops?: number;
}

/** How a target was given (-s): label, address and the spec as typed. */
export interface TargetConfig {
  label: string;
  host: string;
  port: number;
  family: 4 | 6;
  spec: string;
}

/**
 * The resolved configuration as the report stores it (config.ts configForReport). Secrets are
 * redacted; EDNS option data is hex. Every field a renderer or merge reads is typed here, so a
 * renamed field fails to compile instead of silently changing the saved JSON. Fields added after
 * schema 1.0 are optional.
 */
export interface ReportConfig {
  targets: TargetConfig[];
  mode: 'sequential' | 'interleave';
  queryFile: string;
  timeLimitSec: number | null;
  passes: number | null;
  threads: number;
  sockets: number;
  outstanding: number;
  maxQps: number | null;
  timeoutSec: number;
  statsIntervalSec: number | null;
  /** Length of the report's intervals, seconds. */
  intervalSec: number;
  encode: {
    recursionDesired: boolean;
    edns: { udpSize: number; dnssecOk: boolean; options: Array<{ code: number; data: string }> } | null;
    ecs?: readonly string[];
  };
  bufferKB: number | null;
  localAddresses: string[];
  localPort: number | null;
  transport: {
    mode: string;
    tcpFallback: boolean;
    tsig: { algorithm: string; name: string; secret: '<redacted>' } | null;
    nsid: boolean;
    tls: { insecure: boolean; caFile: string | null; sni: string | null };
    doh: { path: string; authority: string | null; method: 'GET' | 'POST' };
  };
  verbose: boolean;
  quiet: boolean;
  json: string | null;
  title: string | null;
  html: string | null;
  csv: string | null;
  gating: { gates: string[]; baseline: string | null; maxRegression: string | null; repeat: number; junit: string | null; markdown: string | null };
  /** How -c, -q and -Q were split over workers and sockets, in words. */
  split: string;
  /** Which UDP I/O path ran: "native", or "dgram (...reason...)" (issue 9). */
  io?: string;
  /** --event, --outage-below, --degraded-above, --expect, --rrset-order, --watch-serial (1.3). */
  ops?: OpsSettings;
}

/** The operations flags as the report stores them (config.ts builds them, src/ops-config.ts). */
export interface OpsSettings {
  events: Array<{ atSec: number; command: string }>;
  /** Percent. */
  outageBelowPct: number;
  /** µs, or null for 10x each target's p50. */
  degradedAboveUs: number | null;
  /** --expect: the query file's expect= columns are checked. */
  expect: boolean;
  expectFile: string | null;
  rrsetOrder: boolean;
  /** The zone (absolute), or null. */
  watchSerial: string | null;
  /** The report gets a timeline section (--event, --outage-below, --degraded-above, --interval, --watch-serial, or a gate naming outage). */
  timeline: boolean;
}

/** "host:port", with IPv6 in brackets. */
export const formatServer = formatHostPort;

/** True when the target was sent queries and none was answered (nor stopped by Ctrl-C): the
 *  run failed for it (exit 3, and a note saying so). The one place this is decided. An answer
 *  --expect found wrong is an answer: the server is there, and the report says what was wrong. */
export function answeredNothing(t: { counters: Counters }): boolean {
  const c = t.counters;
  return c.sent > 0 && c.completed + (c.wrongAnswer ?? 0) === 0 && c.interrupted < c.sent;
}

// --- dnsbench capacity (issue 13) ---------------------------------------------------------------

/** How a capacity search (or ramp) ended. */
export type CapacityResult =
  /** The SLO held at `capacityQps` and failed at `failedQps`, within the precision (or the ramp's window). */
  | 'found'
  /** The SLO held up to --max: `capacityQps` is a lower bound. */
  | 'at-least-max'
  /** The generator stopped the rate first: `capacityQps` (the highest rate that met the SLO) is a lower bound. */
  | 'generator'
  /** The SLO failed at --start (or from the ramp's first window): no capacity at or above it. */
  | 'slo-failed-at-start'
  /** The server answered nothing at --start. */
  | 'nothing-answered'
  /** Ctrl-C (or SIGTERM/SIGHUP) stopped the search: `capacityQps` is what was shown so far. */
  | 'interrupted';

/** A step's verdict: the SLO held, failed, the generator was the limit, or nothing was answered. */
export type CapacityVerdict = 'pass' | 'fail' | 'generator' | 'nothing';

/** The key figures of one step (search) or window (ramp) for the search target; the step table. */
export interface CapacityFigures {
  /** The rate asked for (the search's step, or the ramp's rate in the middle of the window), qps. */
  offeredQps: number;
  /** The rate actually sent (sent / sending time), qps. */
  achievedQps: number;
  /** Answers per second (completed / the step's run time, or / the window's length). */
  answeredQps: number;
  /** completed / sent, percent (100 when nothing was sent). */
  answeredPct: number;
  /** Latency percentiles of the answered queries, µs; null when nothing was answered. */
  p50Us: number | null;
  p99Us: number | null;
  /** lost / sent, percent. */
  lossPct: number;
  verdict: CapacityVerdict;
  /** Why the verdict (failed SLO parts as gate lines, the generator's limit, a window that held the rate). */
  reasons: string[];
  /** Each worker thread's CPU share of a core, percent (empty when unknown). */
  generatorCpuPct: number[];
  /** Each worker's CPU + run-queue wait share, percent; null when unknown. */
  generatorDemandPct: number[] | null;
}

/** One step of the search: the figures, each target's verdict, and the step's full report. */
export interface CapacityStep extends CapacityFigures {
  /** 1-based. */
  step: number;
  /** 'ramp': the geometric ramp up; 'bisect': between the highest pass and the lowest failure. */
  phase: 'ramp' | 'bisect';
  /** With several targets: each one's verdict at this step (the search follows the first). */
  targets: Array<{ label: string; verdict: CapacityVerdict }>;
  /** The step's measured part as a full report (`dnsbench report` renders it). The warm-up run
   *  before it is not kept. */
  report: Report;
}

/** One window of a ramp. */
export interface CapacityWindow extends CapacityFigures {
  /** Seconds from the start of the ramp to the start and end of the window. */
  fromSec: number;
  toSec: number;
}

export interface CapacitySection {
  /** 'search': steps at fixed rates; 'ramp': one run whose rate rises linearly (like resperf). */
  method: 'search' | 'ramp';
  /** --slo as given, and its parts as gate expressions. */
  slo: string;
  sloParts: string[];
  /** Label of the target the search ran on (the first -s). */
  target: string;
  settings: {
    startQps: number | null;
    maxQps: number | null;
    stepTimeSec: number | null;
    warmupSec: number | null;
    precisionPct: number | null;
    /** Search: each ramp step multiplies the rate by this. */
    factor: number | null;
    rampTimeSec: number | null;
    windowSec: number | null;
  };
  result: CapacityResult;
  /** The highest rate that met the SLO, qps (exact within the precision for 'found'; a lower bound
   *  for 'at-least-max' and 'generator'); null when none did. */
  capacityQps: number | null;
  /** The lowest rate that failed the SLO, qps; null when none did. */
  failedQps: number | null;
  /** 'generator': the rate the generator reached and why it was the limit; else null. */
  generator: { qps: number; reasons: string[] } | null;
  /** One sentence: what was found, or why nothing was. */
  summary: string;
  /** Search: the 1-based step whose results the report's targets are (the step at capacity, else
   *  the last); null for a ramp (the report is the ramp run). */
  reportStep: number | null;
  steps: CapacityStep[];
  windows: CapacityWindow[];
  /** Every target: the highest rate at which it met the SLO (for the others, among the search's steps). */
  targets: Array<{ label: string; capacityQps: number | null }>;
}
