// Was the load generator, not the server, the limit of a run? A pure function of a Report's
// `generator` section (each worker thread's CPU and run-queue wait per interval) and its targets'
// pacing (-Q send lag, slots skipped because the generator fell behind). Used by every run's notes
// (measure.ts) and by the capacity search, which must never report the tool's limit as the
// server's capacity (issue 13).
import type { GeneratorReport, TargetReport } from './report.js';
import { maxOf } from '../util/extremes.js';

/** A worker thread at or above this share of one core is saturated (the "~90%"). */
export const CPU_LIMIT_PCT = 90;
/**
 * CPU + run-queue wait at or above this share of a core: the thread was runnable nearly all the
 * time, so it could not have sent faster on this machine, even if its CPU share looks low (other
 * processes, or the server itself, held the cores).
 */
export const DEMAND_LIMIT_PCT = 95;
/**
 * Slots skipped because the generator fell behind (not because the server held the window), as a
 * share of the slots scheduled. A few skips are ordinary scheduler noise on a busy machine
 * (measured here: 1.6% at 40k qps with the workers at 25% CPU); above this share the offered load
 * was visibly not the one asked for.
 */
export const SKIP_LIMIT_PCT = 5;
/**
 * Send lag p99 above this is the generator falling behind its schedule. The issue asks for 1 ms;
 * with Node's millisecond timers the pacer's catch-up horizon is 4 ms (engine/timers.ts), so lag
 * up to it is the timers' resolution, not a saturated generator: the limit follows the horizon.
 */
export const LAG_P99_LIMIT_US = 4000;
/**
 * A worker that waited for a CPU this share of the time or more was on a busy machine: an answer
 * that arrives while it waits is timed when it gets the CPU back, so latency includes that wait
 * (measured here under load 8: p99 of 20-80 ms at 1-2k qps with 15-30% waiting).
 */
export const BUSY_WAIT_PCT = 10;
/**
 * Answers dropped by the generator's own sockets (receive buffer full) as a share of the queries
 * sent: at or above it the loss the run reports is visibly the generator's, so the generator is
 * the limit. Below it the drops are named as a caveat.
 */
export const DROP_LIMIT_PCT = 0.1;
/**
 * The CPU figures judge a worker only over at least this much sending (ms): a run of a few
 * queries is mostly the thread waking up and compiling its hot paths, at full CPU for a few ms
 * (measured: "100% runnable" for a 6-query run), which says nothing about its capacity.
 */
export const MIN_CPU_WINDOW_MS = 500;

export interface GeneratorCheck {
  /**
   * The generator could not have sent faster: a worker saturated; its own sockets dropping
   * answers; starved (runnable nearly all the time) and behind its schedule; or, where the CPU
   * figures are unknown, its schedule visibly missed.
   */
  limited: boolean;
  /** A worker was saturated (CPU >= CPU_LIMIT_PCT): its own measurements (latency) are suspect too. */
  saturated: boolean;
  /** A worker was runnable nearly all the time (CPU + wait >= DEMAND_LIMIT_PCT) while not saturated. */
  starved: boolean;
  /**
   * The schedule was missed (skipped slots or send lag over the limits). With the CPU figures
   * known and neither saturated nor starved, that is timer lateness on a busy machine (the thread
   * woke late), not a generator at its limit: the share skipped is then the same at any rate.
   */
  behind: boolean;
  workers: number;
  /** Per worker thread: CPU share of one core over the sending part of the run, percent. */
  cpuPct: number[];
  /** Per worker: CPU + run-queue wait share, percent; null where the platform cannot say. */
  demandPct: number[] | null;
  /** The largest run-queue wait share of any worker, percent (null where unknown): at
   *  BUSY_WAIT_PCT or more the machine is busy and latency includes the generator's own wait. */
  waitPct: number | null;
  /** Slots skipped because the generator fell behind, percent of the slots scheduled; null when not paced. */
  skippedPct: number | null;
  /** The highest send-lag p99 over the targets, µs; null when not paced. */
  lagP99Us: number | null;
  /** The rate the generator offered (sum of the targets' send rates), qps. */
  offeredQps: number;
  /** Answers the generator's own sockets dropped (receive buffer full), or null when unknown. */
  receiveDrops: number | null;
  /** Those drops reached DROP_LIMIT_PCT of the queries sent: the reported loss is the generator's. */
  dropped: boolean;
  /** Why it was limited, in words (empty when not). */
  reasons: string[];
}

type Source = { generator?: GeneratorReport; targets: readonly TargetReport[] };

/** Each worker's CPU (and CPU + wait) share over the intervals that lie within the sending. */
function shares(g: GeneratorReport, targets: readonly TargetReport[]): { cpu: number[]; demand: number[] | null } {
  const from = Math.min(...targets.map((t) => t.timing.startedAtMs));
  const to = Math.max(...targets.map((t) => t.timing.sendEndedAtMs));
  const full = Math.max(0, maxOf(g.intervals.map((iv) => iv.durationMs), 0));
  // Whole intervals of sending; the cut last one and the drain after sending are not load.
  const used = g.intervals.filter((iv) => iv.durationMs >= 0.5 * full && iv.durationMs > 0 && iv.startMs >= from - 50 && iv.startMs + iv.durationMs <= to + 50);
  const ms = used.reduce((s, iv) => s + iv.durationMs, 0);
  if (used.length === 0 || ms < MIN_CPU_WINDOW_MS) {
    if (g.wallMs < MIN_CPU_WINDOW_MS) return { cpu: [], demand: null };
    return { cpu: g.cpuMs.map((c) => (100 * c) / g.wallMs), demand: null };
  }
  const cpu = Array.from({ length: g.workers }, (_, w) => (100 * used.reduce((s, iv) => s + (iv.cpuMs[w] ?? 0), 0)) / ms);
  const known = used.every((iv) => iv.waitMs !== undefined);
  const demand = known ? cpu.map((c, w) => c + (100 * used.reduce((s, iv) => s + (iv.waitMs![w] ?? 0), 0)) / ms) : null;
  return { cpu, demand };
}

/**
 * Whether the generator was the limit of this run (see the thresholds above). Without a
 * `generator` section (older reports, merged runs) only the pacing figures can say so.
 */
export function checkGenerator(r: Source): GeneratorCheck {
  const g = r.generator;
  const offeredQps = r.targets.reduce((s, t) => s + t.sendRate, 0);
  const paced = r.targets.filter((t) => t.pacing !== undefined);
  let skippedPct: number | null = null;
  let lagP99Us: number | null = null;
  if (paced.length > 0) {
    const behind = paced.reduce((s, t) => s + t.pacing!.skipped - t.pacing!.skippedWindowFull, 0);
    const scheduled = paced.reduce((s, t) => s + t.counters.sent + t.pacing!.skipped, 0);
    skippedPct = scheduled > 0 ? (100 * behind) / scheduled : 0;
    const lags = paced.filter((t) => t.pacing!.lag.count > 0).map((t) => t.pacing!.lag.percentiles.p99);
    lagP99Us = lags.length > 0 ? Math.max(...lags) : null;
  }
  const reasons: string[] = [];
  let cpu: number[] = [];
  let demand: number[] | null = null;
  if (g !== undefined && g.workers > 0 && r.targets.length > 0) ({ cpu, demand } = shares(g, r.targets));
  const hot = cpu.filter((c) => c >= CPU_LIMIT_PCT);
  const saturated = hot.length > 0;
  if (saturated) {
    const pct = Math.round(hot.reduce((s, c) => s + c, 0) / hot.length);
    reasons.push(`${hot.length} worker${hot.length === 1 ? '' : 's'} at ${Math.min(pct, 100)}% CPU`);
  }
  const starvedWorkers = saturated || demand === null ? [] : demand.map((d, w) => ({ d, c: cpu[w]! })).filter((x) => x.d >= DEMAND_LIMIT_PCT);
  const starved = starvedWorkers.length > 0;
  if (starved) {
    const n = starvedWorkers.length;
    const avg = (f: (x: { d: number; c: number }) => number): number => Math.round(starvedWorkers.reduce((s, x) => s + f(x), 0) / n);
    reasons.push(`${n} worker${n === 1 ? '' : 's'} runnable ${Math.min(100, avg((x) => x.d))}% of the time but on a CPU only ${avg((x) => x.c)}%: other processes held the cores`);
  }
  let behind = false;
  if (skippedPct !== null && skippedPct >= SKIP_LIMIT_PCT) {
    behind = true;
    reasons.push(`${skippedPct.toFixed(1)}% of the scheduled queries skipped because the generator fell behind`);
  }
  if (lagP99Us !== null && lagP99Us >= LAG_P99_LIMIT_US) {
    behind = true;
    reasons.push(`send lag p99 ${(lagP99Us / 1000).toFixed(1)} ms`);
  }
  const receiveDrops = g?.receiveDrops ?? null;
  const sent = r.targets.reduce((s, t) => s + t.counters.sent, 0);
  const dropped = receiveDrops !== null && receiveDrops > 0 && sent > 0 && (100 * receiveDrops) / sent >= DROP_LIMIT_PCT;
  if (receiveDrops !== null && receiveDrops > 0) {
    reasons.push(`the generator's own sockets dropped ${receiveDrops.toLocaleString('en-US')} answers with their receive buffers full, counted as lost`);
  }
  // CPU figures this platform can give (Linux: schedstat with the run-queue wait): without them,
  // a visibly missed schedule is all there is to go by.
  const cpuKnown = g !== undefined && g.intervals.some((iv) => iv.waitMs !== undefined);
  // Starved but on schedule is a busy machine, not a limit: the rate asked for went out. Starved
  // and behind, it could not send faster (measured: runnable 96-99% at 40-55k qps on one core
  // shared with the kernel's loopback work, 14% of the slots skipped).
  const limited = saturated || dropped || (starved && behind) || (behind && !cpuKnown);
  const waitPct = demand === null || cpu.length === 0 ? null : Math.max(...demand.map((d, w) => d - cpu[w]!));
  return { limited, saturated, starved, behind, workers: cpu.length, cpuPct: cpu, demandPct: demand, waitPct, skippedPct, lagP99Us, offeredQps, receiveDrops, dropped, reasons };
}

/** 180000 -> "180,000"; rounded to 3 significant digits ("about"). */
export function aboutQps(qps: number): string {
  const digits = Math.max(0, Math.floor(Math.log10(Math.max(1, qps))) - 2);
  const step = 10 ** digits;
  return (Math.round(qps / step) * step).toLocaleString('en-US');
}

/**
 * What to do about a generator limit: more worker threads while cores are free, else more
 * generators (each sends a segment of the query file; README "Running on several hosts"); a
 * starved generator needs cores of its own.
 */
export function generatorAdvice(threads: number, cores: number, starved = false, droppedOnly = false): string {
  if (droppedOnly) return 'give its sockets bigger buffers with -b (e.g. -b 4096, up to net.core.rmem_max), or add -T';
  if (starved) return 'give the generator cores of its own (taskset, or another machine), or more generators with --segment';
  return threads < cores
    ? `add -T (${threads} thread${threads === 1 ? '' : 's'} on ${cores} cores), or more generators with --segment`
    : `this machine's ${cores} core${cores === 1 ? ' is' : 's are'} in use: run more generators with --segment`;
}

/** "the generator is the limit at about 180,000 qps (2 workers at 97% CPU); add -T, ..." */
export function generatorLimitText(c: GeneratorCheck, threads: number, cores: number): string {
  return `the generator is the limit at about ${aboutQps(c.offeredQps)} qps (${c.reasons.join('; ')}); ${generatorAdvice(threads, cores, c.starved, c.dropped && !c.saturated && !c.starved)}`;
}

/**
 * The note for -Q slots skipped because the generator was late (not because the window was full),
 * when the generator was not judged the limit: `late` of `scheduled` slots (sent + skipped). Under
 * SKIP_LIMIT_PCT it is a busy machine's late wake-ups, and says so; advising more threads for 2
 * skips in 500 (measured at -Q 500 beside a test suite) sent people looking for a problem.
 */
export function lateSkipNote(label: string, late: number, scheduled: number): string {
  const pct = (100 * late) / Math.max(1, scheduled);
  return pct < SKIP_LIMIT_PCT
    ? `${label}: ${late} scheduled queries (${pct.toFixed(2)}% of the schedule) were skipped because the generator woke too late for them (not the server), as happens on a busy machine; -Q is a ceiling, so they were not sent later and the offered rate is that much below -Q.`
    : `${label}: ${late} scheduled queries (${pct.toFixed(1)}% of the schedule) were skipped because the generator fell behind the schedule (not the server): the generator may be the limit; add -T or use more generators.`;
}

/**
 * A plain run's notes about the generator: that it was the limit, or that it ran on a busy machine
 * (latency then includes its own wait for a CPU). Skipped slots have their own note (measure.ts).
 */
export function generatorNotes(r: Source, threads: number, cores: number): string[] {
  const c = checkGenerator(r);
  if (c.limited) {
    const text = generatorLimitText(c, threads, cores);
    return [`${text[0]!.toUpperCase()}${text.slice(1)}. The figures above measure this generator, not the server's capacity.`];
  }
  if (c.waitPct !== null && c.waitPct >= BUSY_WAIT_PCT) {
    return [
      `The generator's threads waited for a CPU up to ${Math.round(c.waitPct)}% of the time (other processes, or the server, held the cores): ` +
        'an answer that arrives meanwhile is timed when the thread runs again, so latency includes that wait.',
    ];
  }
  return [];
}
