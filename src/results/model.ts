// The additive results model: what the engine produces for one target and what merges. Every
// field is a sum, a min/max of times, or an HDR histogram encoded as compressed base64, so
// partial results from workers, targets, runs and hosts merge exactly (dnsperf's sum_stats;
// oha's ResultData). The engine fills these shapes; it does not define them.
import type { ChecksData } from './checks.js';
import type { Counters, RcodeCounts } from './counters.js';

/** Latency (or any duration) sums in microseconds. min is Infinity while count is 0. */
export interface LatencySums {
  count: number;
  min: number;
  max: number;
  sum: number;
  sumSquares: number;
}

/** One interval of the time series (1 s by default, or --interval/-S). */
export interface IntervalData {
  /** Interval number from the run start (0-based). */
  index: number;
  /** Epoch milliseconds at the interval start. */
  startMs: number;
  durationMs: number;
  /** Outcomes of the queries sent in this interval (issue 12: by send time, not detection time). */
  counters: Counters;
  rcodes: RcodeCounts;
  /** Latency of the queries sent in this interval that completed; compressed base64, µs. */
  histogram: string;
  /** --nsid: completed answers per server identity in this interval (capped like the run's). */
  nsid?: Record<string, number>;
}

/** Open-loop pacing (-Q) results: how well the schedule was kept. All additive. */
export interface PacingData {
  /** Scheduled slots never sent: the window was full (server-caused) or the generator was late by more than the catch-up horizon. */
  skipped: number;
  /** Part of skipped: slots missed while every window of the target was full. */
  skippedWindowFull: number;
  /** Milliseconds during which a due query found every window full (summed over workers). */
  windowFullMs: number;
  /** Send lag |actual send - due time|, µs, of every paced query sent (early or late: engine/recorder.ts paced). */
  lag: LatencySums;
  /** HDR histogram of max(1, lag) in µs, compressed base64 ('' when empty). */
  lagHistogram: string;
}

/** A worker thread's own CPU use over one interval (for the generator-bound verdict). */
export interface GeneratorInterval {
  index: number;
  startMs: number;
  durationMs: number;
  /** CPU milliseconds used by each worker thread in this interval. */
  cpuMs: number[];
  /** Milliseconds each worker was runnable but waited for a CPU (Linux; absent where unknown). */
  waitMs?: number[];
}

/** One target's results from one run (a worker's share, or all of them merged). */
export interface RunData {
  counters: Counters;
  rcodes: RcodeCounts;
  latency: LatencySums;
  /** HDR histogram of completed-query latency, µs, compressed base64 ('' when empty). */
  histogram: string;
  /** With -Q: latency charged from the due time when the window made a query wait (coordinated omission). */
  corrected: { sums: LatencySums; histogram: string } | null;
  intervals: IntervalData[];
  /** Epoch milliseconds (fractional; from the monotonic clock anchored once to the epoch). */
  startedAt: number;
  sendEndedAt: number;
  /** 0 when nothing completed. */
  lastCompletionAt: number;
  endedAt: number;
  /** TCP/DoT/DoH connection setup latency, µs (count 0 over UDP). Absent in old reports. */
  connect?: LatencySums;
  /** --nsid: completed answers per server identity. */
  nsid?: Record<string, number>;
  /** Distinct local address:port pairs used (sockets and connections). */
  sourcePairs?: number;
  /** UDP replies from another address or port than the server's, by "host:port" (capped; absent when none). */
  foreignSources?: Record<string, number>;
  /** -Q runs: schedule keeping. Absent when not paced and in old reports. */
  pacing?: PacingData;
  /** --expect / --rrset-order: what the answer checks counted (absent without them). */
  checks?: ChecksData;
  /** What connections did that the report's notes explain (TCP, DoT, DoH); absent when nothing did. */
  channels?: ChannelFacts;
}

/** Connection facts for notes; every field adds (sum, or min/max), so they merge like counters. */
export interface ChannelFacts {
  /** Connections given up after too many failed attempts in a row (runs without -l; engine/loop.ts). */
  gaveUp: number;
  /** DoH: the lowest SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 6.5.2) a server set below a channel's window; 0 if none. */
  streamLimit: number;
  /** DoH: channels whose window such a limit cut. */
  streamLimited: number;
  /** DoH: the largest per-channel window (share of -q) a limit cut. */
  window: number;
}

/** The sum of several ChannelFacts (absent parts add nothing); undefined when none is present. */
export function addChannelFacts(parts: readonly (ChannelFacts | undefined)[]): ChannelFacts | undefined {
  const present = parts.filter((p): p is ChannelFacts => p !== undefined);
  if (present.length === 0) return undefined;
  const limits = present.map((p) => p.streamLimit).filter((l) => l > 0);
  return {
    gaveUp: present.reduce((s, p) => s + p.gaveUp, 0),
    streamLimit: limits.length === 0 ? 0 : Math.min(...limits),
    streamLimited: present.reduce((s, p) => s + p.streamLimited, 0),
    window: Math.max(...present.map((p) => p.window)),
  };
}

export function emptySums(): LatencySums {
  return { count: 0, min: Infinity, max: 0, sum: 0, sumSquares: 0 };
}

/** a + b (min/max over both; a side with count 0 contributes nothing to min). */
export function addSums(a: LatencySums, b: LatencySums): LatencySums {
  return {
    count: a.count + b.count,
    min: Math.min(a.min, b.count > 0 ? b.min : Infinity),
    max: Math.max(a.max, b.max),
    sum: a.sum + b.sum,
    sumSquares: a.sumSquares + b.sumSquares,
  };
}

/** Add one sample (µs) in place. */
export function addSample(s: LatencySums, us: number): void {
  s.count++;
  s.sum += us;
  s.sumSquares += us * us;
  if (us < s.min) s.min = us;
  if (us > s.max) s.max = us;
}
