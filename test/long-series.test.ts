// A long interval series: a soak run (-l 10800 --interval 0.05 is 216 000 intervals) or a saved
// report of that size (the report validator allows up to 2 000 000 JSON containers, about 500 000
// intervals). Everything derived from the series must be linear in it and must not spread it into
// a call's arguments: Math.max(...array) throws "Maximum call stack size exceeded" past ~125 000
// elements, which surfaced as "internal error", exit 3, for `report long.json --gate outage<1s`.
import { describe, expect, it } from 'vitest';
import { zeroCounters, type RcodeCounts } from '../src/results/counters.js';
import type { IntervalReport, TargetReport } from '../src/results/report.js';
import { targetTimeline } from '../src/results/timeline.js';
import { checkGenerator } from '../src/results/generator.js';
import type { GeneratorReport } from '../src/results/report.js';
import { fixtureTarget } from './support/report-fixtures.js';

const N = 200_000;
const T0 = 1_700_000_000_000;
const IV_MS = 50;

/** Interval i of a series in which `answered(i)` of 10 queries were answered, p99 `p99(i)` µs. */
function series(answered: (i: number) => number, p99: (i: number) => number, nsid?: (i: number) => string | null): IntervalReport[] {
  return Array.from({ length: N }, (_, i) => {
    const a = answered(i);
    const id = nsid?.(i) ?? null;
    return {
      t: (i * IV_MS) / 1000,
      startMs: T0 + i * IV_MS,
      durationSec: IV_MS / 1000,
      counters: { ...zeroCounters(), sent: 10, completed: a, lost: 10 - a, timedOut: 10 - a },
      rcodes: (a > 0 ? { NOERROR: a } : {}) as RcodeCounts,
      qps: a * (1000 / IV_MS),
      latency: { p50: 100, p90: 100, p99: p99(i), max: p99(i) },
      histogram: '',
      ...(id !== null ? { nsid: { [id]: a } } : {}),
    };
  });
}

function target(intervals: IntervalReport[]): TargetReport {
  const t = fixtureTarget([100, 100, 100], { t0: T0, durationMs: N * IV_MS, intervalMs: N * IV_MS });
  return { ...t, intervals };
}

const OPTS = { outageBelowPct: 50, degradedAboveUs: 1000 };

describe('a long interval series', () => {
  it('one outage over every interval: found, with its length, not a stack overflow', () => {
    const tl = targetTimeline(target(series(() => 0, () => 0)), [], OPTS);
    expect(tl.outages).toHaveLength(1);
    expect(tl.outages[0]!.intervals).toBe(N);
    expect(tl.outages[0]!.minAnsweredPct).toBe(0);
    expect(tl.outageLost).toBe(10 * N);
    expect(tl.intervalSec).toBe(IV_MS / 1000);
  });

  it('one degraded window over every interval: its highest p99', () => {
    const tl = targetTimeline(target(series(() => 10, (i) => 2000 + (i % 1000))), [], OPTS);
    expect(tl.degraded).toHaveLength(1);
    expect(tl.degraded[0]!.intervals).toBe(N);
    expect(tl.degraded[0]!.maxP99Us).toBe(2999);
  });

  // A flapping server: every other interval is an outage, 100 000 windows. Finding who answered
  // before and after each window by scanning the whole series again was quadratic (10^10 steps:
  // `dnsbench report` hung for hours on a 130 MB file). The timeout only guards against that hang:
  // the linear pass takes well under a second even on a busy 2-core machine.
  it('100 000 outages (a flapping server) with identities: each names who answered before and after', { timeout: 30_000 }, () => {
    const up = (i: number): boolean => i % 2 === 0;
    const tl = targetTimeline(target(series((i) => (up(i) ? 10 : 0), () => 100, (i) => (up(i) ? (i % 4 === 0 ? 'd1' : 'd2') : null))), [], OPTS);
    expect(tl.outages).toHaveLength(N / 2);
    // Outage k is interval 2k+1: d1 answered interval 2k when k is even, d2 when odd; after it, interval 2k+2.
    expect(tl.outages[0]!.before).toBe('d1');
    expect(tl.outages[0]!.after).toBe('d2');
    expect(tl.outages[1]!.before).toBe('d2');
    expect(tl.outages[1]!.after).toBe('d1');
    const last = tl.outages.at(-1)!;
    expect(last.recovered).toBe(false);
    expect(last.after).toBeNull();
    expect(tl.identity).toHaveLength(N / 2);
  });

  it("the generator's CPU check reads a generator series of that length", () => {
    const t = target(series(() => 10, () => 100));
    const g: GeneratorReport = {
      workers: 1,
      loops: 1,
      cpuMs: [N * IV_MS * 0.99],
      wallMs: N * IV_MS,
      intervals: Array.from({ length: N }, (_, i) => ({ index: i, startMs: T0 + i * IV_MS, durationMs: IV_MS, cpuMs: [IV_MS * 0.99], waitMs: [0] })),
    };
    const check = checkGenerator({ generator: g, targets: [{ ...t, timing: { ...t.timing, startedAtMs: T0, sendEndedAtMs: T0 + N * IV_MS } }] });
    expect(check.cpuPct).toHaveLength(1);
    expect(check.cpuPct[0]).toBeCloseTo(99, 6);
  });
});
