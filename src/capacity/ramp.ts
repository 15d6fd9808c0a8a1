// The ramp (capacity --ramp, like resperf): one run whose rate rises linearly from 0 to --max over
// --ramp-time, cut into sliding windows of its intervals. Each window is judged against the SLO
// from the queries *sent* in it (intervals count each query's outcome where it was sent), so a
// window's loss and latency belong to the rate it was sent at. Pure: the ramp run's Report in,
// windows and the result out.
import { compare } from '../gates/evaluate.js';
import { measure as measureMetric } from '../gates/metrics.js';
import { gateText, type Gate } from '../gates/parse.js';
import { formatIn, toUnit } from '../gates/format.js';
import { BUSY_WAIT_PCT, checkGenerator, CPU_LIMIT_PCT, DEMAND_LIMIT_PCT } from '../results/generator.js';
import { zeroCounters, type Counters, type RcodeCounts } from '../results/counters.js';
import { decodeHistogram, newHistogram, PERCENTILES, type PercentileKey } from '../results/histogram.js';
import type { CapacityResult, CapacityVerdict, CapacityWindow, GeneratorReport, Report, TargetReport } from '../results/report.js';
import type { LatencyStats, MetricSource } from '../results/sections.js';
import { REACHED_SHARE } from './judge.js';

export interface RampOptions {
  /** --max: the rate at the top of the ramp, qps (per target). */
  maxQps: number;
  /** --ramp-time, seconds. */
  rampSec: number;
  /** Sliding window length, seconds (a whole number of intervals; at least one). */
  windowSec: number;
}

export interface RampOutcome {
  windows: CapacityWindow[];
  result: CapacityResult;
  capacityQps: number | null;
  failedQps: number | null;
  /** The generator's rate and why, when it was the limit. */
  generator: { qps: number; reasons: string[] } | null;
}

/** Queries the ramp schedules between `from` and `to` seconds: the integral of max * t / ramp. */
export function rampScheduled(o: RampOptions, from: number, to: number): number {
  const n = (t: number): number => (t <= o.rampSec ? (o.maxQps * t * t) / (2 * o.rampSec) : (o.maxQps * o.rampSec) / 2 + o.maxQps * (t - o.rampSec));
  return n(to) - n(from);
}

function addCounters(a: Counters, b: Counters): Counters {
  const out = { ...a };
  for (const k of Object.keys(b) as Array<keyof Counters>) out[k] = (out[k] ?? 0) + (b[k] ?? 0);
  return out;
}

/** Latency stats of a window, from its merged interval histograms (µs). */
function windowLatency(encoded: readonly string[]): LatencyStats {
  const h = newHistogram();
  for (const e of encoded) if (e !== '') h.add(decodeHistogram(e));
  const percentiles = {} as Record<PercentileKey, number>;
  for (const [k, p] of PERCENTILES) percentiles[k] = h.totalCount === 0 ? 0 : h.getValueAtPercentile(p);
  const n = h.totalCount;
  return {
    count: n,
    min: n === 0 ? 0 : h.minNonZeroValue,
    max: n === 0 ? 0 : h.maxValue,
    mean: n === 0 ? 0 : h.mean,
    stddev: n < 2 ? 0 : h.stdDeviation,
    percentiles,
  };
}

/** Each worker's CPU (and CPU + wait) share over the generator intervals that overlap [fromMs, toMs]. */
function windowCpu(g: GeneratorReport | undefined, fromMs: number, toMs: number): { cpu: number[]; demand: number[] | null } {
  if (g === undefined) return { cpu: [], demand: null };
  let ms = 0;
  const cpu = new Array<number>(g.workers).fill(0);
  let wait: number[] | null = new Array<number>(g.workers).fill(0);
  for (const iv of g.intervals) {
    if (iv.durationMs <= 0 || iv.startMs >= toMs || iv.startMs + iv.durationMs <= fromMs) continue;
    ms += iv.durationMs;
    iv.cpuMs.forEach((c, w) => (cpu[w] = cpu[w]! + c));
    if (iv.waitMs === undefined) wait = null;
    else if (wait !== null) iv.waitMs.forEach((c, w) => (wait![w] = wait![w]! + c));
  }
  if (ms === 0) return { cpu: [], demand: null };
  const pct = cpu.map((c) => (100 * c) / ms);
  return { cpu: pct, demand: wait === null ? null : pct.map((c, w) => c + (100 * wait![w]!) / ms) };
}

/** The windows of one target's ramp run, judged. `generator` is the run's generator section. */
export function rampWindows(t: TargetReport, generator: GeneratorReport | undefined, slo: readonly Gate[], o: RampOptions): CapacityWindow[] {
  const ivs = t.intervals;
  if (ivs.length === 0) return [];
  const step = ivs[0]!.durationSec > 0 ? ivs[0]!.durationSec : 1;
  const k = Math.max(1, Math.round(o.windowSec / step));
  // A ramp run is a time-limited one-pass schedule; the pacer's generator skips are run-wide only.
  const p = t.pacing;
  const serverHeld = p !== undefined && p.skippedWindowFull > 0 && p.skippedWindowFull >= p.skipped - p.skippedWindowFull;
  const out: CapacityWindow[] = [];
  for (let i = 0; i + k <= ivs.length; i++) {
    const part = ivs.slice(i, i + k);
    const fromSec = part[0]!.t;
    const toSec = part.at(-1)!.t + part.at(-1)!.durationSec;
    // Only whole windows on the schedule: the cut last interval is not a full window.
    if (toSec > o.rampSec + step / 2 || part.some((iv) => iv.durationSec < step * 0.99)) break;
    const dur = toSec - fromSec;
    const counters = part.reduce((c, iv) => addCounters(c, iv.counters), zeroCounters());
    const rcodes: RcodeCounts = {};
    for (const iv of part) for (const [code, n] of Object.entries(iv.rcodes)) rcodes[code] = (rcodes[code] ?? 0) + n;
    const latency = windowLatency(part.map((iv) => iv.histogram));
    const src: MetricSource = { label: t.label, qps: dur > 0 ? counters.completed / dur : 0, counters, rcodes, latency, correctedLatency: null };
    const reasons: string[] = [];
    // Nothing sent (the generator stalled): nothing to hold against the SLO; the shortfall says so.
    for (const g of counters.sent === 0 ? [] : slo) {
      const m = measureMetric(g.metric, src);
      if ('missing' in m) reasons.push(`${gateText(g)}: no value: ${m.missing}`);
      else if (!compare(m.value, g.op, g.threshold)) reasons.push(`${gateText(g)}: measured ${formatIn(toUnit(m.value, g.unit), g.unit)}`);
    }
    const scheduled = rampScheduled(o, fromSec, toSec);
    const cpu = windowCpu(generator, part[0]!.startMs, part[0]!.startMs + dur * 1000);
    const hot = cpu.cpu.filter((c) => c >= CPU_LIMIT_PCT);
    // Starved: runnable nearly all the time without the CPU (results/generator.ts's rule).
    const starved = hot.length === 0 && cpu.demand !== null ? cpu.demand.filter((d) => d >= DEMAND_LIMIT_PCT) : [];
    let verdict: CapacityVerdict;
    if (counters.sent > 0 && counters.completed === 0) verdict = 'nothing';
    else if (hot.length > 0 && reasons.length === 0) {
      verdict = 'generator';
      reasons.push(`${hot.length} worker${hot.length === 1 ? '' : 's'} at ${Math.round(Math.max(...hot))}% CPU`);
    } else if (starved.length > 0 && reasons.length === 0 && counters.sent < REACHED_SHARE * scheduled) {
      // Starved and short of the schedule: it could not send faster. Starved but on schedule is
      // a busy machine (a caveat below), and the window is judged.
      verdict = 'generator';
      reasons.push(`${starved.length} worker${starved.length === 1 ? '' : 's'} runnable ${Math.min(100, Math.round(Math.max(...starved)))}% of the time: other processes held the cores`);
    } else if (counters.sent < REACHED_SHARE * scheduled) {
      const share = `${Math.round((100 * counters.sent) / Math.max(1, scheduled))}% of the scheduled queries sent`;
      // The pacer's window-full figures are the run's, not the window's: a window can only have
      // been held by the server if queries in it went unanswered (a full window at these rates
      // means outstanding timeouts).
      if (serverHeld && counters.lost > 0) {
        verdict = 'fail';
        reasons.push(`${share} (the window was full: the server held the queries)`);
      } else if (reasons.length > 0) {
        verdict = 'fail';
        reasons.push(share);
      } else {
        // Neither saturated nor starved (above), the generator's timers woke late on a busy
        // machine: the window is judged at the rate it sent (as a search step is, judge.ts).
        verdict = 'pass';
        reasons.push(`only ${share}: the generator's timers woke late (a busy machine); the rate sent counts`);
      }
    } else verdict = reasons.length === 0 ? 'pass' : 'fail';
    const wait = cpu.demand === null ? 0 : Math.max(...cpu.demand.map((d, w) => d - cpu.cpu[w]!));
    if (verdict === 'fail' && wait >= BUSY_WAIT_PCT) reasons.push(`the generator waited for a CPU ${Math.round(wait)}% of the time (a busy machine): latency includes that wait`);
    const mid = (fromSec + toSec) / 2;
    out.push({
      fromSec: round(fromSec, 3),
      toSec: round(toSec, 3),
      offeredQps: round(Math.min(o.maxQps, (o.maxQps * mid) / o.rampSec), 1),
      achievedQps: round(dur > 0 ? counters.sent / dur : 0, 1),
      answeredQps: round(src.qps, 1),
      answeredPct: counters.sent > 0 ? (100 * counters.completed) / counters.sent : 100,
      p50Us: latency.count > 0 ? latency.percentiles.p50 : null,
      p99Us: latency.count > 0 ? latency.percentiles.p99 : null,
      lossPct: counters.sent > 0 ? (100 * counters.lost) / counters.sent : 0,
      verdict,
      reasons,
      generatorCpuPct: cpu.cpu.map((v) => round(v, 1)),
      generatorDemandPct: cpu.demand === null ? null : cpu.demand.map((v) => round(v, 1)),
    });
  }
  return out;
}

const round = (v: number, d: number): number => Number(v.toFixed(d));

/**
 * The ramp's result from its windows, in time order (the offered rate rises with time). The
 * capacity is the highest rate sent in a window that met the SLO; what happened after that
 * window decides the result. Windows before it that failed, or where the generator stalled, were
 * blips: a later window did better.
 * - no window answered anything: 'nothing-answered';
 * - no window passed: 'slo-failed-at-start' (or 'generator' when the generator was the limit first);
 * - after the best window, the generator was the limit before any failure: 'generator' (the
 *   capacity is a lower bound);
 * - nothing failed after it: 'at-least-max';
 * - else 'found', with the first failure's offered rate as `failedQps`.
 */
export function rampOutcome(windows: readonly CapacityWindow[], report: Report): RampOutcome {
  const w = [...windows];
  if (w.length === 0 || w.every((x) => x.verdict === 'nothing')) {
    return { windows: w, result: 'nothing-answered', capacityQps: null, failedQps: null, generator: null };
  }
  const failed = (x: CapacityWindow): boolean => x.verdict === 'fail' || x.verdict === 'nothing';
  let bestAt = -1;
  for (let i = 0; i < w.length; i++) if (w[i]!.verdict === 'pass' && (bestAt < 0 || w[i]!.achievedQps > w[bestAt]!.achievedQps)) bestAt = i;
  const capacityQps = bestAt < 0 ? null : Math.round(w[bestAt]!.achievedQps);
  const failAfter = w.findIndex((x, i) => i > bestAt && failed(x));
  const genAfter = w.findIndex((x, i) => i > bestAt && x.verdict === 'generator');
  if (genAfter >= 0 && (failAfter < 0 || genAfter < failAfter)) {
    const g = w[genAfter]!;
    const run = checkGenerator(report);
    return {
      windows: w, result: 'generator', capacityQps, failedQps: null,
      generator: { qps: g.achievedQps * report.targets.length, reasons: [...g.reasons, ...run.reasons.filter((r) => !g.reasons.includes(r))] },
    };
  }
  if (capacityQps === null) return { windows: w, result: 'slo-failed-at-start', capacityQps: null, failedQps: failAfter >= 0 ? w[failAfter]!.offeredQps : null, generator: null };
  if (failAfter < 0) return { windows: w, result: 'at-least-max', capacityQps, failedQps: null, generator: null };
  return { windows: w, result: 'found', capacityQps, failedQps: w[failAfter]!.offeredQps, generator: null };
}
