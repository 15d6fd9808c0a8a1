// The engine with a send schedule (DnsChannel.scheduleAt, native UDP's in production) on a fake
// clock (test/support/fake-engine.ts `schedule`): queries taken ahead of their due times are
// counted once they have left, so the accounting identity holds however the run ends; one whose
// slot passed unsent comes back, so -n still sends every query of every pass.
import { describe, expect, it } from 'vitest';
import { expectRunAccounted } from './support/accounting.js';
import { fakeEngine } from './support/fake-engine.js';

describe('paced runs with a send schedule (fake clock)', () => {
  it('-n: a query the schedule gave back after the last one was taken is still sent', async () => {
    const e = await fakeEngine({ window: 50, queries: 100, schedule: true, server: { latencyMs: () => 0.3 } });
    // 1000 qps: query k is due at k ms; the last (99) is taken ahead ~20 ms before it is due.
    e.run({ rate: 1000, timeLimitMs: null, totalQueries: 100 });
    e.timers.advance(90);
    // The thread stalls past the last due times: the schedule's timers fire 15 ms late, more than
    // the 1 ms horizon, so queries 90..99 do not leave then (the -Q ceiling) and come back.
    e.timers.stall(15);
    e.timers.advance(5000);
    const r = e.done![0]!;
    expect(e.sent.length).toBe(100);
    expect(new Set(e.sent.map((s) => s.queryIndex)).size).toBe(100);
    expect(r.counters.sent).toBe(100);
    expect(r.counters.completed).toBe(100);
    expect(r.pacing!.skipped).toBeGreaterThan(0);
    expect(r.pacing!.lag.count).toBe(r.counters.sent);
    expectRunAccounted(r);
  });

  it('-n over several targets (--interleave) and passes: every query of every pass, per target', async () => {
    const e = await fakeEngine({ targets: 2, window: 50, queries: 50, schedule: true, server: { latencyMs: () => 0.3 } });
    e.run({ rate: 1000, timeLimitMs: null, totalQueries: 100 });
    for (let i = 0; i < 10; i++) {
      e.timers.advance(7);
      e.timers.stall(4);
    }
    e.timers.advance(5000);
    const rs = e.done!;
    for (const [t, r] of rs.entries()) {
      expect(e.sent.filter((s) => s.target === t).length, `target ${t}`).toBe(100);
      expect(r.counters.sent).toBe(100);
      expect(r.pacing!.lag.count).toBe(100);
      expectRunAccounted(r, `target ${t}`);
    }
  });

  it('a timeout shorter than the lateness never times out a query before it left', async () => {
    // The schedule's timer runs 0.8 ms after a due time (within the 1 ms horizon: the query
    // leaves late) or, for every third query, 1.5 ms after (it does not leave, and comes back),
    // while the engine's sweep (every 1 ms, -t 0.5 ms) looks in between.
    const lag = (k: number): number => (k % 3 === 2 ? 1.5 : 0.8);
    const e = await fakeEngine({ window: 50, queries: 100, timeoutMs: 0.5, schedule: true, scheduleLagMs: lag, server: { latencyMs: () => 0.1 } });
    e.run({ rate: 1000, timeLimitMs: null, totalQueries: 300 });
    e.timers.advance(5000);
    const r = e.done![0]!;
    expect(r.counters.sent).toBe(300);
    expect(r.pacing!.lag.count).toBe(r.counters.sent);
    expectRunAccounted(r);
  });

  it('Ctrl-C and the time limit: what waits in the schedule is neither sent nor lost', async () => {
    const e = await fakeEngine({ window: 50, queries: 100, schedule: true, server: { latencyMs: () => 0.3 } });
    e.run({ rate: 1000, timeLimitMs: null, totalQueries: 1000 });
    e.timers.advance(50.5);
    e.interrupt();
    e.timers.advance(100);
    const r = e.done![0]!;
    expect(r.counters.sent).toBe(e.sent.length);
    expect(r.pacing!.lag.count).toBe(r.counters.sent);
    expectRunAccounted(r);

    e.run({ rate: 1000, timeLimitMs: 200, totalQueries: null });
    e.timers.advance(5000);
    const l = e.done![0]!;
    expect(l.counters.sent).toBe(e.sent.length);
    expect(l.counters.sent).toBeGreaterThanOrEqual(199);
    expect(l.pacing!.lag.count).toBe(l.counters.sent);
    expectRunAccounted(l);
  });

  it('the time limit sends the slots that fell due in its own turn: none of them is skipped', async () => {
    // 2000 qps for 50 ms: 100 slots, the last due at 49.5 ms. Every schedule timer fires 0.8 ms
    // after its due time (within the 1 ms horizon), so the last one would fire at 50.3 ms, after
    // the engine's end at 50 ms: the end sends it (lag 0.5 ms) instead of counting it skipped.
    const e = await fakeEngine({ window: 50, queries: 100, schedule: true, scheduleLagMs: () => 0.8, server: { latencyMs: () => 0.1 } });
    e.run({ rate: 2000, timeLimitMs: 50, totalQueries: null });
    e.timers.advance(5000);
    const r = e.done![0]!;
    expect(r.counters.sent).toBe(100);
    expect(r.pacing!.skipped).toBe(0);
    expect(r.pacing!.lag.count).toBe(100);
    expect(r.pacing!.lag.max).toBeLessThan(800.5);
    expectRunAccounted(r);
  });

  it('Ctrl-C sends nothing more, even what fell due in its turn', async () => {
    const e = await fakeEngine({ window: 50, queries: 100, schedule: true, scheduleLagMs: () => 0.8, server: { latencyMs: () => 0.1 } });
    e.run({ rate: 2000, timeLimitMs: null, totalQueries: 1000 });
    // At 10.2 ms the slot due at 10.0 ms has not left (its timer fires at 10.8).
    e.timers.advance(10.2);
    const before = e.sent.length;
    e.interrupt();
    e.timers.advance(100);
    const r = e.done![0]!;
    expect(e.sent.length).toBe(before);
    expect(r.counters.sent).toBe(before);
    expectRunAccounted(r);
  });
});
