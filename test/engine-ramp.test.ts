// The pacer's ramp (capacity --ramp, like resperf): the rate rises linearly from 0 to -Q over the
// ramp, then holds. On the fake clock (test/support/fake-engine.ts) with the real host, loops,
// channels and recorders, so the schedule is checked exactly, in milliseconds of real time.
import { describe, expect, it } from 'vitest';
import { expectRunAccounted } from './support/accounting.js';
import { fakeEngine } from './support/fake-engine.js';

/** Sends per `binMs` bin from 0 to endMs. */
function perBin(times: readonly number[], binMs: number, endMs: number): number[] {
  const bins = new Array<number>(Math.ceil(endMs / binMs)).fill(0);
  for (const t of times) if (t < endMs) bins[Math.floor(t / binMs)]!++;
  return bins;
}

describe('ramp pacing on a fake clock', () => {
  it('rises linearly from 0 to the rate: R T / 2 queries over the ramp, each 100 ms at the rate of its middle', async () => {
    const e = await fakeEngine({ window: 100, server: { latencyMs: () => 0.2 } });
    e.run({ rate: 2000, rampMs: 1000, timeLimitMs: 1000 });
    e.timers.advance(3000);
    const r = e.done![0]!;
    // 2000 qps x 1 s / 2.
    expect(r.counters.sent).toBeGreaterThanOrEqual(999);
    expect(r.counters.sent).toBeLessThanOrEqual(1001);
    expect(r.pacing!.skipped).toBe(0);
    expect(r.pacing!.lag.max).toBe(0);
    // Bin i (100 ms) is due 2000 x (i + 0.5) / 10 x 0.1 = 20 (i + 0.5) queries.
    const bins = perBin(e.sent.map((s) => s.at), 100, 1000);
    bins.forEach((n, i) => expect(Math.abs(n - 20 * (i + 0.5)), `bin ${i}: ${n}`).toBeLessThanOrEqual(1));
    expectRunAccounted(r);
  });

  it('holds the rate after the ramp', async () => {
    const e = await fakeEngine({ window: 100, server: { latencyMs: () => 0.2 } });
    e.run({ rate: 1000, rampMs: 500, timeLimitMs: 1000 });
    e.timers.advance(3000);
    const r = e.done![0]!;
    // 1000 x 0.5 / 2 on the ramp, then 1000 x 0.5 at the rate.
    expect(r.counters.sent).toBeGreaterThanOrEqual(749);
    expect(r.counters.sent).toBeLessThanOrEqual(751);
    const bins = perBin(e.sent.map((s) => s.at), 100, 1000);
    for (const n of bins.slice(5)) expect(Math.abs(n - 100)).toBeLessThanOrEqual(1);
  });

  it('splits over loops and targets: each loop ramps its share, the stream stays round-robin', async () => {
    const e = await fakeEngine({ loops: 2, targets: 2, window: 100, server: { latencyMs: () => 0.5 } });
    e.run({ rate: 2000, rampMs: 1000, timeLimitMs: 1000 });
    e.timers.advance(3000);
    for (const r of e.done!) {
      // Per target: 2000 qps x 1 s / 2 over both loops.
      expect(r.counters.sent).toBeGreaterThanOrEqual(997);
      expect(r.counters.sent).toBeLessThanOrEqual(1003);
      expectRunAccounted(r);
    }
    // The last 100 ms of target 1: 2000 x 0.95 x 0.1.
    const late = perBin(e.sent.filter((s) => s.target === 1).map((s) => s.at), 100, 1000);
    expect(Math.abs(late[9]! - 190)).toBeLessThanOrEqual(3);
  });

  it('after a stall it resumes at the rate of the moment, never in a burst, and counts what it missed', async () => {
    // The server stalls from 400 to 600 ms (answers everything sent then at 600 ms) with a window of 5.
    const e = await fakeEngine({
      window: 5,
      timeoutMs: 5000,
      server: { latencyMs: ({ sentAt }) => (sentAt >= 400 && sentAt < 600 ? 600 - sentAt : 0.5) },
    });
    e.run({ rate: 2000, rampMs: 1000, timeLimitMs: 1000 });
    e.timers.advance(10_000);
    const r = e.done![0]!;
    const p = r.pacing!;
    // Due between ~400 and 600 ms: 2000 x (0.6² - 0.4²) / 2 = 200 slots, 5 of which were sent.
    expect(p.skippedWindowFull).toBeGreaterThan(185);
    expect(p.skippedWindowFull).toBeLessThan(200);
    expect(p.skipped).toBe(p.skippedWindowFull);
    expect(r.counters.sent + p.skipped).toBeGreaterThanOrEqual(998);
    expect(r.counters.sent + p.skipped).toBeLessThanOrEqual(1002);
    const bins = perBin(e.sent.map((s) => s.at), 100, 1000);
    // 600-700 ms is due 130 queries: the window's backlog is not sent on top.
    expect(bins[6]!).toBeLessThanOrEqual(131 + 1);
    expect(bins[6]!).toBeGreaterThanOrEqual(125);
    expectRunAccounted(r);
  });

  it('a late loop skips the slots it missed and goes on where the ramp is then, never in a burst', async () => {
    const e = await fakeEngine({ window: 100, server: { latencyMs: () => 0.2 } });
    e.run({ rate: 2000, rampMs: 1000, timeLimitMs: 1000 });
    e.timers.advance(500);
    // The thread was descheduled for 100 ms: time moves on without the timers firing in between.
    e.timers.stall(100);
    e.timers.advance(2400);
    const r = e.done![0]!;
    const p = r.pacing!;
    // Slots due from 500 to 600 ms: 2000 x (0.6² - 0.5²) / 2 = 110, missed because of the generator.
    expect(p.skipped - p.skippedWindowFull).toBeGreaterThanOrEqual(108);
    expect(p.skipped - p.skippedWindowFull).toBeLessThanOrEqual(111);
    expect(r.counters.sent + p.skipped).toBeGreaterThanOrEqual(998);
    expect(r.counters.sent + p.skipped).toBeLessThanOrEqual(1002);
    // The grid is kept: what is sent after the stall is within the 1 ms horizon of its due time.
    expect(p.lag.max).toBeLessThanOrEqual(1000);
    const bins = perBin(e.sent.map((s) => s.at), 100, 1000);
    // 600-700 ms is due 2000 x 0.65 x 0.1 = 130 queries, not the missed ones on top.
    expect(bins[6]!).toBeLessThanOrEqual(131 + 1);
  });

  it('a constant rate is unchanged by the ramp code (no ramp = the -Q schedule)', async () => {
    const e = await fakeEngine({ window: 50, server: { latencyMs: () => 0.2 } });
    e.run({ rate: 1000, rampMs: null, timeLimitMs: 1000 });
    e.timers.advance(3000);
    const bins = perBin(e.sent.map((s) => s.at), 100, 1000);
    for (const n of bins) expect(Math.abs(n - 100)).toBeLessThanOrEqual(1);
  });
});
