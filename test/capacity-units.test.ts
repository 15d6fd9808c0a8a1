// The capacity search's pure parts: the SLO parser, the search state machine against simulated
// servers of known capacity, the step verdict (SLO, unreached rate, the generator), the ramp's
// windows, the generator-bound check every run's notes use, the `capacity` gate metric, and the
// text renderer. Reports are built with the fixture builder (test/support/report-fixtures.ts).
import { describe, expect, it } from 'vitest';
import { parseSlo, sloText } from '../src/capacity/slo.js';
import { CapacitySearch, roundRate } from '../src/capacity/search.js';
import { judgeStep } from '../src/capacity/judge.js';
import { rampOutcome, rampScheduled, rampWindows } from '../src/capacity/ramp.js';
import { capacityExitCode, capacitySummary } from '../src/capacity/section.js';
import { checkGenerator, generatorLimitText, generatorNotes, lateSkipNote, SKIP_LIMIT_PCT } from '../src/results/generator.js';
import { parseProcUdp, procKey, udpReceiveDrops } from '../src/engine/udp-drops.js';
import { createSocket } from 'node:dgram';
import { evaluateGates } from '../src/gates/evaluate.js';
import { parseGate } from '../src/gates/parse.js';
import { renderCapacity, renderCapacityLine } from '../src/report/capacity.js';
import { zeroCounters } from '../src/results/counters.js';
import { encodeHistogram, newHistogram } from '../src/results/histogram.js';
import type { CapacitySection, CapacityWindow, GeneratorReport, Report, TargetReport } from '../src/results/report.js';
import { fixtureReport, fixtureTarget, samples } from './support/report-fixtures.js';
import { expectUsageError } from './support/cli.js';

describe('--slo', () => {
  it('takes gate expressions separated by commas, any gate metric', () => {
    const slo = parseSlo('p99<5ms, loss<0.1%,rcode.SERVFAIL<1%');
    expect(slo.gates.map((g) => g.metric.name)).toEqual(['p99', 'loss', 'rcode.SERVFAIL']);
    expect(sloText(slo)).toBe('p99<5ms, loss<0.1%, rcode.SERVFAIL<1%');
  });

  it('refuses what a gate refuses, a target prefix and capacity itself, naming --slo', () => {
    expect(() => parseSlo('p99<5')).toThrow(/^--slo: "p99<5": p99 is a latency/);
    expect(() => parseSlo('p999<5ms')).toThrow(/did you mean p99\.9/);
    expect(() => parseSlo('vip:p99<5ms')).toThrow(/applies to every target; drop "vip:"/);
    expect(() => parseSlo('capacity>1000')).toThrow(/capacity is what the search finds/);
    expect(() => parseSlo(' , ')).toThrow(/expected one or more conditions/);
  });
});

/** Run a search against a simulated server that meets the SLO up to `capacity` qps. */
function simulate(capacity: number, o: { start?: number; max?: number | null; precisionPct?: number } = {}) {
  const s = new CapacitySearch({ start: o.start ?? 1000, max: o.max ?? null, precisionPct: o.precisionPct ?? 5, factor: 2 });
  const rates: number[] = [];
  for (let r = s.next(); r !== null; r = s.next()) {
    rates.push(r);
    expect(rates.length).toBeLessThan(60);
    s.record(r, r <= capacity ? 'pass' : 'fail');
  }
  return { state: s.state, rates };
}

describe('the search (a pure state machine)', () => {
  it.each([20_000, 84_200, 1_000, 1_999, 333_333, 5_000_000])('finds a capacity of %i qps within the precision', (capacity) => {
    const { state, rates } = simulate(capacity);
    expect(state.result).toBe('found');
    expect(state.passed!).toBeLessThanOrEqual(capacity);
    expect(state.failed!).toBeGreaterThan(capacity);
    expect((state.failed! - state.passed!) / state.passed!).toBeLessThanOrEqual(0.05);
    // Doubling, then bisection: log2(capacity/start) + log2(1/precision) steps or so.
    expect(rates.length).toBeLessThanOrEqual(Math.ceil(Math.log2(capacity / 1000)) + 7);
    // Never the same rate twice.
    expect(new Set(rates).size).toBe(rates.length);
  });

  it('doubles from --start, then bisects between the highest pass and the lowest failure', () => {
    const { rates } = simulate(20_000);
    expect(rates.slice(0, 6)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000]);
    // 24,000 fails, 20,000 passes (at the capacity), 22,000 fails, 21,000 fails: within 5%.
    expect(rates.slice(6)).toEqual([24_000, 20_000, 22_000, 21_000]);
  });

  it('stops at --max with a lower bound when the SLO never fails', () => {
    const { state, rates } = simulate(1e9, { max: 50_000 });
    expect(state.result).toBe('at-least-max');
    expect(state.passed).toBe(50_000);
    expect(rates.at(-1)).toBe(50_000);
    expect(Math.max(...rates)).toBe(50_000);
  });

  it('says the SLO failed at --start, and nothing answered, and the generator limit', () => {
    expect(simulate(500).state.result).toBe('slo-failed-at-start');
    const s = new CapacitySearch({ start: 1000, max: null, precisionPct: 5, factor: 2 });
    s.record(s.next()!, 'nothing');
    expect(s.state.result).toBe('nothing-answered');
    expect(s.next()).toBeNull();
    const g = new CapacitySearch({ start: 1000, max: null, precisionPct: 5, factor: 2 });
    g.record(g.next()!, 'pass');
    g.record(g.next()!, 'generator');
    expect(g.state).toMatchObject({ result: 'generator', passed: 1000, generatorAt: 2000 });
    // Nothing answered at a later step is a failure of that step, not the end.
    const later = new CapacitySearch({ start: 1000, max: null, precisionPct: 5, factor: 2 });
    later.record(later.next()!, 'pass');
    later.record(later.next()!, 'nothing');
    expect(later.state.result).toBeNull();
    expect(later.next()).toBe(1500);
  });

  it('rounds rates to 3 significant digits while that stays strictly inside the gap', () => {
    expect(roundRate(16_000, 32_000)).toBe(24_000);
    expect(roundRate(19_000, 20_000)).toBe(19_500);
    expect(roundRate(1000, 1001)).toBeNull();
    expect(roundRate(99_900, 100_000)).toBe(99_950);
  });
});

// --- step reports ---------------------------------------------------------------------------

interface StepOptions {
  offered: number;
  sent?: number;
  lost?: number;
  /** Latency of every answer, µs. */
  latencyUs?: number;
  cpuPct?: number[];
  waitPct?: number[];
  skipped?: number;
  skippedWindowFull?: number;
  lagP99Us?: number;
}

/** A 4 s step at `offered` qps with the given outcome, pacing and generator figures. */
function stepReport(o: StepOptions): Report {
  const sent = o.sent ?? o.offered * 4;
  const lost = o.lost ?? 0;
  // At most 2000 latency samples stand for every answer (the counters say how many there were).
  const t = fixtureTarget(samples(Math.min(2000, sent - lost), o.latencyUs ?? 200, (o.latencyUs ?? 200) + 50), {
    durationMs: 4000,
    counters: { sent, completed: sent - lost, lost, timedOut: lost },
    targetQps: o.offered,
  });
  const lag = newHistogram();
  lag.recordValue(o.lagP99Us ?? 100);
  t.pacing = {
    skipped: o.skipped ?? 0,
    skippedWindowFull: o.skippedWindowFull ?? 0,
    windowFullSec: (o.skippedWindowFull ?? 0) > 0 ? 1 : 0,
    lag: { unit: 'us', count: 1, min: 0, max: o.lagP99Us ?? 100, mean: 0, stddev: 0, percentiles: { p50: 0, p90: 0, p99: o.lagP99Us ?? 100, 'p99.9': 0, 'p99.99': 0 }, sums: { count: 1, min: 0, max: 0, sum: 0, sumSquares: 0 }, histogram: encodeHistogram(lag) },
  };
  const r = fixtureReport([t]);
  r.generator = generatorOf(t, o.cpuPct ?? [20, 20], o.waitPct);
  return r;
}

function generatorOf(t: TargetReport, cpuPct: number[], waitPct?: number[]): GeneratorReport {
  const start = t.timing.startedAtMs;
  const intervals = [0, 1, 2, 3].map((i) => ({
    index: i,
    startMs: start + i * 1000,
    durationMs: 1000,
    cpuMs: cpuPct.map((p) => p * 10),
    ...(waitPct ? { waitMs: waitPct.map((p) => p * 10) } : {}),
  }));
  return { workers: cpuPct.length, loops: cpuPct.length, cpuMs: cpuPct.map((p) => p * 40), wallMs: 4000, intervals };
}

const SLO = parseSlo('p99<5ms,loss<0.1%').gates;

describe('a step\'s verdict', () => {
  it('passes when the SLO holds at the offered rate', () => {
    const j = judgeStep(stepReport({ offered: 10_000 }), SLO);
    expect(j.verdict).toBe('pass');
    expect(j.reasons).toEqual([]);
    expect(j.generator.cpuPct).toEqual([20, 20]);
  });

  it('fails on the SLO, naming the part that failed', () => {
    const loss = judgeStep(stepReport({ offered: 10_000, lost: 400 }), SLO);
    expect(loss.verdict).toBe('fail');
    expect(loss.reasons[0]).toMatch(/^loss<0\.1%: measured 1%/);
    const slow = judgeStep(stepReport({ offered: 10_000, latencyUs: 8000 }), SLO);
    expect(slow.verdict).toBe('fail');
    expect(slow.reasons[0]).toMatch(/^p99<5ms: measured 8\.0\d+ms/);
  });

  it('fails when the window held the offered rate back (the server\'s doing)', () => {
    const j = judgeStep(stepReport({ offered: 10_000, sent: 20_000, skipped: 20_000, skippedWindowFull: 20_000 }), SLO);
    expect(j.verdict).toBe('fail');
    expect(j.reasons.join()).toMatch(/50% of the offered rate sent \(the window was full/);
  });

  it('is the generator\'s when a worker is saturated and the SLO held', () => {
    const j = judgeStep(stepReport({ offered: 180_000, cpuPct: [97, 96] }), SLO);
    expect(j.verdict).toBe('generator');
    expect(j.reasons).toEqual(['2 workers at 97% CPU']);
    expect(generatorLimitText(j.generator, 2, 2)).toBe(
      'the generator is the limit at about 180,000 qps (2 workers at 97% CPU); this machine\'s 2 cores are in use: run more generators with --segment',
    );
    expect(generatorLimitText(j.generator, 2, 8)).toMatch(/; add -T \(2 threads on 8 cores\), or more generators with --segment$/);
  });

  it('is the generator\'s when saturated even if the SLO failed: the latency may be the generator\'s own', () => {
    const j = judgeStep(stepReport({ offered: 180_000, cpuPct: [99, 50], latencyUs: 9000 }), SLO);
    expect(j.verdict).toBe('generator');
    expect(j.reasons.join()).toMatch(/1 worker at 99% CPU.*the SLO also failed \(p99<5ms/);
  });

  it('is the generator\'s when a worker was runnable nearly all the time without the CPU (starved) and fell behind', () => {
    const j = judgeStep(stepReport({ offered: 50_000, sent: 170_000, skipped: 30_000, cpuPct: [40, 38], waitPct: [58, 60] }), SLO);
    expect(j.verdict).toBe('generator');
    expect(j.reasons[0]).toBe('2 workers runnable 98% of the time but on a CPU only 39%: other processes held the cores');
    // Starved but on schedule: the rate asked for went out, so the server is judged (a busy machine).
    const on = judgeStep(stepReport({ offered: 50_000, cpuPct: [40, 38], waitPct: [58, 60] }), SLO);
    expect(on.verdict).toBe('pass');
  });

  it('blames the server for a failure while the generator was only behind, with a caveat', () => {
    const j = judgeStep(stepReport({ offered: 10_000, lost: 400, skipped: 4000, cpuPct: [30, 30], waitPct: [10, 10] }), SLO);
    expect(j.verdict).toBe('fail');
    expect(j.reasons.join()).toMatch(/the generator was behind too \(9\.\d% of the scheduled queries skipped/);
  });

  it('passes at the rate sent when only the generator\'s timers woke late (not at its limit)', () => {
    const j = judgeStep(stepReport({ offered: 10_000, sent: 34_000, skipped: 6000, cpuPct: [10, 10], waitPct: [20, 20] }), SLO);
    expect(j.verdict).toBe('pass');
    expect(j.reasons[0]).toMatch(/^only 85% of the offered rate sent: the generator's timers woke late/);
  });

  it('is "nothing" when nothing was answered', () => {
    const j = judgeStep(stepReport({ offered: 1000, lost: 4000 }), SLO);
    expect(j.verdict).toBe('nothing');
  });

  it('judges every target of an interleaved step; the first decides', () => {
    const a = stepReport({ offered: 10_000 });
    const b = stepReport({ offered: 10_000, lost: 1000 }).targets[0]!;
    const both: Report = { ...a, targets: [a.targets[0]!, { ...b, label: 'dns2' }] };
    const j = judgeStep(both, SLO);
    expect(j.verdict).toBe('pass');
    expect(j.targets.map((t) => [t.label, t.verdict])).toEqual([['dns1', 'pass'], ['dns2', 'fail']]);
  });
});

describe('the generator check of every run (results/generator.ts)', () => {
  it('takes each worker\'s CPU over the whole intervals of sending, not the drain', () => {
    const r = stepReport({ offered: 1000, cpuPct: [95, 10] });
    // A cut last interval after sending ended, at 0% CPU, does not dilute the figure.
    r.generator!.intervals.push({ index: 4, startMs: r.targets[0]!.timing.sendEndedAtMs, durationMs: 300, cpuMs: [0, 0] });
    const c = checkGenerator(r);
    expect(c.cpuPct).toEqual([95, 10]);
    expect(c.saturated).toBe(true);
    expect(c.limited).toBe(true);
  });

  it('notes a limited generator in a plain run, and says nothing otherwise', () => {
    expect(generatorNotes(stepReport({ offered: 1000, cpuPct: [97, 97] }), 2, 2)).toEqual([
      "The generator is the limit at about 1,000 qps (2 workers at 97% CPU); this machine's 2 cores are in use: run more generators with --segment. The figures above measure this generator, not the server's capacity.",
    ]);
    expect(generatorNotes(stepReport({ offered: 1000 }), 2, 2)).toEqual([]);
    // Behind without CPU figures (another platform): the schedule is all there is to go by.
    const r = stepReport({ offered: 1000, sent: 3000, skipped: 1000 });
    delete r.generator;
    expect(checkGenerator(r).limited).toBe(true);
  });
});

// --- the ramp -------------------------------------------------------------------------------

/**
 * A ramp run to `max` qps over `rampSec`, in `step` s intervals: each interval sends what the ramp
 * schedules; above `capacity` qps the excess is lost. Latency 300 µs.
 */
function rampReport(o: { max: number; rampSec: number; step: number; capacity: number; cpuPct?: number }): Report {
  const t = fixtureTarget(samples(10, 300, 310), { durationMs: o.rampSec * 1000, targetQps: o.max });
  const t0 = t.timing.startedAtMs;
  const intervals: TargetReport['intervals'] = [];
  for (let i = 0; i * o.step < o.rampSec - 1e-9; i++) {
    const from = i * o.step;
    const sent = Math.round(rampScheduled({ maxQps: o.max, rampSec: o.rampSec, windowSec: 1 }, from, from + o.step));
    const rate = (o.max * (from + o.step / 2)) / o.rampSec;
    const lost = rate > o.capacity ? Math.round(sent * (1 - o.capacity / rate)) : 0;
    const h = newHistogram();
    if (sent - lost > 0) h.recordValueWithCount(300, sent - lost);
    intervals.push({
      t: from, startMs: t0 + from * 1000, durationSec: o.step,
      counters: { ...zeroCounters(), sent, completed: sent - lost, lost, timedOut: lost },
      rcodes: { NOERROR: sent - lost }, qps: (sent - lost) / o.step,
      latency: { p50: 300, p90: 300, p99: 300, max: 300 }, histogram: sent - lost > 0 ? encodeHistogram(h) : '',
    });
  }
  t.intervals = intervals;
  const r = fixtureReport([t]);
  const cpu = o.cpuPct ?? 20;
  r.generator = {
    workers: 1, loops: 1, cpuMs: [cpu * 10 * o.rampSec], wallMs: o.rampSec * 1000,
    intervals: Array.from({ length: o.rampSec }, (_, i) => ({ index: i, startMs: t0 + i * 1000, durationMs: 1000, cpuMs: [cpu * 10] })),
  };
  return r;
}

describe('the ramp\'s windows', () => {
  const opts = { maxQps: 100_000, rampSec: 20, windowSec: 1 };

  it('schedules max * t / ramp: R T / 2 queries over the ramp', () => {
    expect(rampScheduled(opts, 0, 20)).toBe(1_000_000);
    expect(rampScheduled(opts, 10, 11)).toBeCloseTo(52_500, 6);
  });

  it('finds the highest window that met the SLO: the rate where loss began', () => {
    const r = rampReport({ max: 100_000, rampSec: 20, step: 0.25, capacity: 60_000 });
    const windows = rampWindows(r.targets[0]!, r.generator, parseSlo('loss<0.5%').gates, opts);
    // 1 s windows sliding by 0.25 s over 20 s: 77 of them.
    expect(windows).toHaveLength(77);
    const out = rampOutcome(windows, r);
    expect(out.result).toBe('found');
    // The window whose middle is ~12 s offers ~60,000 qps; loss starts within the window after it.
    expect(out.capacityQps!).toBeGreaterThan(57_000);
    expect(out.capacityQps!).toBeLessThanOrEqual(61_000);
    expect(out.failedQps!).toBeGreaterThan(out.capacityQps!);
  });

  it('a stall early in the ramp (little sent, nothing lost) neither fails it nor sets the capacity', () => {
    const r = rampReport({ max: 100_000, rampSec: 20, step: 0.25, capacity: 60_000 });
    // The generator stalled from 0.5 to 1.5 s: nothing sent then. The run as a whole had a full window (later).
    for (const iv of r.targets[0]!.intervals.slice(2, 6)) iv.counters = { ...zeroCounters() };
    r.targets[0]!.pacing = { ...stepReport({ offered: 1 }).targets[0]!.pacing!, skipped: 9000, skippedWindowFull: 5000 };
    const windows = rampWindows(r.targets[0]!, r.generator, parseSlo('loss<0.5%').gates, opts);
    expect(windows.slice(0, 6).every((x) => x.verdict === 'pass')).toBe(true);
    expect(windows[2]!.reasons[0]).toMatch(/^only \d+% of the scheduled queries sent: the generator's timers woke late/);
    const out = rampOutcome(windows, r);
    expect(out.result).toBe('found');
    expect(out.capacityQps!).toBeGreaterThan(57_000);
  });

  it('a failure early in the ramp does not end it: the generator\'s limit after the best window counts', () => {
    const r = rampReport({ max: 100_000, rampSec: 20, step: 0.25, capacity: 1e9 });
    const ivs = r.targets[0]!.intervals;
    // A loss blip at 2 s, then the generator saturated from 10 s on.
    ivs[8]!.counters = { ...ivs[8]!.counters, completed: ivs[8]!.counters.completed - 100, lost: 100, timedOut: 100 };
    r.generator!.intervals.forEach((iv, i) => (iv.cpuMs = [i >= 10 ? 970 : 200]));
    const out = rampOutcome(rampWindows(r.targets[0]!, r.generator, parseSlo('loss<1%').gates, opts), r);
    expect(out.result).toBe('generator');
    expect(out.capacityQps!).toBeGreaterThan(40_000);
    expect(out.capacityQps!).toBeLessThan(52_000);
  });

  it('says the SLO held to the top, and when the generator was the limit first', () => {
    const held = rampReport({ max: 100_000, rampSec: 20, step: 0.25, capacity: 1e9 });
    expect(rampOutcome(rampWindows(held.targets[0]!, held.generator, SLO, opts), held).result).toBe('at-least-max');
    const hot = rampReport({ max: 100_000, rampSec: 20, step: 0.25, capacity: 1e9, cpuPct: 97 });
    const out = rampOutcome(rampWindows(hot.targets[0]!, hot.generator, SLO, opts), hot);
    expect(out.result).toBe('generator');
    expect(out.generator!.reasons[0]).toBe('1 worker at 97% CPU');
  });
});

// --- the section, the gate, the text ---------------------------------------------------------

function sectionFixture(result: CapacitySection['result'], capacityQps: number | null): Report {
  const steps = [1000, 2000, 4000].map((offered, i) => {
    const report = stepReport({ offered, lost: offered === 4000 ? 400 : 0 });
    const j = judgeStep(report, SLO);
    const t = report.targets[0]!;
    return {
      step: i + 1, phase: 'ramp' as const, offeredQps: offered, achievedQps: t.sendRate, answeredQps: t.qps, answeredPct: 100, p50Us: 210, p99Us: 250,
      lossPct: (100 * t.counters.lost) / t.counters.sent, verdict: j.verdict, reasons: j.reasons, generatorCpuPct: [20, 20], generatorDemandPct: null,
      targets: [{ label: t.label, verdict: j.verdict }], report,
    };
  });
  const base = steps[1]!.report;
  const summary = capacitySummary({
    method: 'search', result, capacityQps, failedQps: 4000, slo: 'p99<5ms, loss<0.1%', startQps: 1000, maxQps: null, generator: null, generatorStarved: false,
    threads: 2, cores: 2, server: '127.0.0.1:5353', startReasons: [],
  });
  return {
    ...base,
    capacity: {
      method: 'search', slo: 'p99<5ms,loss<0.1%', sloParts: ['p99<5ms', 'loss<0.1%'], target: 'dns1',
      settings: { startQps: 1000, maxQps: null, stepTimeSec: 5, warmupSec: 1, precisionPct: 5, factor: 2, rampTimeSec: null, windowSec: null },
      result, capacityQps, failedQps: 4000, generator: null, summary, reportStep: 2, steps, windows: [], targets: [{ label: 'dns1', capacityQps }],
    },
  };
}

describe('the capacity section, its gate and its text', () => {
  it('a ramp that held its SLO but never sent near its top says so, not "held up to the top of the ramp"', () => {
    const input = {
      method: 'ramp' as const, result: 'at-least-max' as const, failedQps: null, slo: 'p99<5ms', startQps: null, maxQps: 20_000, generator: null,
      generatorStarved: false, threads: 2, cores: 2, server: '127.0.0.1:5353', startReasons: [],
    };
    // Its last 1 s window of a 10 s ramp to 20,000 qps is scheduled at 19,000 qps on average.
    const short = capacitySummary({ ...input, capacityQps: 14_027, topWindowQps: 19_000 });
    expect(short).toMatch(/^at least 14,027 qps within p99<5ms: the SLO held to the end of the ramp, but the best window that met it sent 14,027 qps of the 19,000 qps its last window scheduled/);
    expect(short).not.toContain('held up to the top');
    // Within 10% of the last window's schedule (judge.ts REACHED_SHARE): the top was offered.
    expect(capacitySummary({ ...input, capacityQps: 17_200, topWindowQps: 19_000 })).toBe('at least 17,200 qps within p99<5ms: the SLO held up to the top of the ramp (20,000 qps); raise --max to find the limit');
  });

  it('a ramp whose generator fell behind after a failed window: the summary does not deny that window sent more', () => {
    // A 1 s window of a ramp to 2,000 qps failed at 1,000 qps sent (a loss blip); the generator
    // then fell behind and the later windows sent less and passed: at least 900, SLO held after it.
    const w = (fromSec: number, offeredQps: number, achievedQps: number, verdict: 'pass' | 'fail'): CapacityWindow => ({
      fromSec, toSec: fromSec + 1, offeredQps, achievedQps, answeredQps: achievedQps, answeredPct: 100, p50Us: 200, p99Us: 300,
      lossPct: verdict === 'fail' ? 5 : 0, verdict, reasons: [], generatorCpuPct: [], generatorDemandPct: null,
    });
    const windows = [w(2, 500, 500, 'pass'), w(4, 1000, 1000, 'fail'), w(6, 1500, 900, 'pass'), w(8, 1667, 850, 'pass')];
    const out = rampOutcome(windows, rampReport({ max: 2000, rampSec: 10, step: 1, capacity: 1e9 }));
    expect(out.result).toBe('at-least-max');
    expect(out.capacityQps).toBe(900);
    const text = capacitySummary({
      method: 'ramp', result: out.result, capacityQps: out.capacityQps, failedQps: null, slo: 'loss<1%', startQps: null, maxQps: 2000,
      topWindowQps: 1667, generator: null, generatorStarved: false, threads: 1, cores: 2, server: '127.0.0.1:5353', startReasons: [],
    });
    // A window sent 1,000 qps (it failed): "no window sent more than 900" would be false.
    expect(text).not.toMatch(/no window sent more than/);
    expect(text).toMatch(/^at least 900 qps within loss<1%: .*900 qps of the 1,667 qps its last window scheduled/);
  });

  it('words the result once, and maps it to the exit code', () => {
    expect(sectionFixture('found', 2000).capacity!.summary).toBe('2,000 qps within p99<5ms, loss<0.1% (a step offering 4,000 qps failed)');
    expect(capacityExitCode('found')).toBe(0);
    expect(capacityExitCode('at-least-max')).toBe(0);
    expect(capacityExitCode('slo-failed-at-start')).toBe(1);
    expect(capacityExitCode('nothing-answered')).toBe(3);
    expect(capacityExitCode('generator')).toBe(3);
  });

  it('gates on capacity: exact when found, a lower bound only for > and >=', () => {
    const found = evaluateGates(sectionFixture('found', 2000), [parseGate('capacity>=1500'), parseGate('capacity<1800')]);
    expect(found.results.map((r) => [r.gate, r.passed, r.measured])).toEqual([['capacity>=1500', true, 2000], ['capacity<1800', false, 2000]]);
    const bound = evaluateGates(sectionFixture('at-least-max', 2000), [parseGate('capacity>=1500'), parseGate('capacity<3000')]);
    expect(bound.results[0]).toMatchObject({ passed: true, message: expect.stringMatching(/^measured at least 2000/) });
    expect(bound.results[1]).toMatchObject({ passed: false, measured: null, message: expect.stringMatching(/only known to be at least 2000 qps/) });
    const none = evaluateGates(sectionFixture('slo-failed-at-start', null), [parseGate('capacity>=1')]);
    expect(none.results[0]!.message).toMatch(/^no value: dns1 has no capacity: none: /);
    const plain = evaluateGates(stepReport({ offered: 1000 }), [parseGate('capacity>=1')]);
    expect(plain.results[0]!.message).toMatch(/not a capacity report/);
  });

  it('refuses a capacity gate on a plain run (exit 2, nothing sent)', async () => {
    await expectUsageError(['-s', '127.0.0.1:9', '-d', 'querysets/demo.txt', '-l', '1', '--gate', 'capacity>=5'], /capacity is measured by dnsbench capacity/);
  });

  it('renders the plan, a row per step with why it did not pass, the step at capacity, and "Capacity:" last', () => {
    const r = sectionFixture('found', 2000);
    const text = renderCapacity(r) + renderCapacityLine(r);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('Capacity search on dns1 (127.0.0.1:5353) for p99<5ms, loss<0.1%');
    expect(text).toMatch(/^ +step +offered +achieved +answered +p50 +p99 +loss +verdict +generator CPU$/m);
    expect(text).toMatch(/^ +3 +4,000 +4,000 +100\.00% +210us +250us +2\.50%  FAIL {6}20%, 20%$/m);
    expect(text).toMatch(/^ {10}loss<0\.1%: measured 2\.5%/m);
    expect(text).toMatch(/=== Step 2: 2,000 qps, the highest rate that met the SLO ===\n\[Status\] Testing complete/);
    expect(lines.at(-1)).toBe('Capacity: 2,000 qps within p99<5ms, loss<0.1% (a step offering 4,000 qps failed)');
  });
});

describe('the generator\'s own receive-buffer drops (engine/udp-drops.ts)', () => {
  it('keys local addresses as /proc/net/udp prints them', () => {
    expect(procKey('127.0.0.1:15301')).toBe('0100007F:3BC5');
    expect(procKey('[::1]:53')).toBe('00000000000000000000000001000000:0035');
    expect(procKey('[2001:db8::1]:5300')).toBe('B80D0120000000000000000001000000:14B4');
    expect(procKey('nonsense')).toBeNull();
  });

  it('reads the drops column, summing sockets that share a key', () => {
    const text = [
      '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
      ' 1009: 0100007F:3BC5 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 714677 2 0000000020d1ab35 181859',
      ' 2519: 0100007F:D5FD 0100007F:3BC5 01 00000000:00000000 00:00000000 00000000     0        0 714542 2 000000006d96ac94 7',
      ' garbage line',
    ].join('\n');
    const t = parseProcUdp(text);
    expect(t.get('0100007F:3BC5')).toBe(181_859);
    expect(t.get('0100007F:D5FD')).toBe(7);
    expect(t.size).toBe(2);
  });

  it.skipIf(process.platform !== 'linux')('counts what a real socket dropped when nobody read it', async () => {
    const rx = createSocket('udp4');
    await new Promise<void>((res) => rx.bind(0, '127.0.0.1', () => res()));
    rx.setRecvBufferSize(4096);
    // Never read: pause the handle so libuv does not drain it.
    (rx as unknown as { _handle: { recvStop(): void } })._handle.recvStop();
    const local = `127.0.0.1:${rx.address().port}`;
    const before = udpReceiveDrops([local])!;
    const tx = createSocket('udp4');
    const payload = Buffer.alloc(512);
    for (let i = 0; i < 200; i++) await new Promise<void>((res) => tx.send(payload, rx.address().port, '127.0.0.1', () => res()));
    const after = udpReceiveDrops([local])!;
    tx.close();
    rx.close();
    // A 4 KB buffer holds a handful of 512-byte datagrams; the rest were dropped and counted.
    expect(after - before).toBeGreaterThan(150);
    expect(udpReceiveDrops(['127.0.0.1:1'])).toBe(0);
  });

  it('makes the generator the limit when its sockets dropped 0.1% of the answers or more: the loss is its own', () => {
    const r = stepReport({ offered: 10_000, lost: 400 });
    r.generator!.receiveDrops = 400;
    const j = judgeStep(r, SLO);
    expect(j.verdict).toBe('generator');
    expect(j.reasons[0]).toBe("the generator's own sockets dropped 400 answers with their receive buffers full, counted as lost");
    expect(generatorLimitText(j.generator, 2, 2)).toMatch(/; give its sockets bigger buffers with -b/);
    const few = stepReport({ offered: 10_000, lost: 400 });
    few.generator!.receiveDrops = 3;
    const f = judgeStep(few, SLO);
    expect(f.verdict).toBe('fail');
    expect(f.reasons.join()).toMatch(/the generator was behind too \(the generator's own sockets dropped 3 answers/);
  });
});

describe('the note on -Q slots skipped because the generator was late', () => {
  it('a few late wake-ups on a busy machine are not called a generator limit', () => {
    const few = lateSkipNote('knot', 2, 500);
    expect(few).toBe(
      'knot: 2 scheduled queries (0.40% of the schedule) were skipped because the generator woke too late for them (not the server), as happens on a busy machine; -Q is a ceiling, so they were not sent later and the offered rate is that much below -Q.',
    );
    expect(few).not.toMatch(/add -T|limit/);
  });
  it(`from ${SKIP_LIMIT_PCT}% of the schedule on, it says the generator may be the limit`, () => {
    expect(lateSkipNote('vip', 50, 1000)).toMatch(/^vip: 50 scheduled queries \(5\.0% of the schedule\) .*the generator may be the limit; add -T/);
    expect(lateSkipNote('vip', 49, 1000)).toMatch(/\(4\.90% of the schedule\) .*busy machine/);
  });
});
