// The engine's timing rules on a fake clock (test/support/fake-engine.ts): the real WorkerHost,
// loops, channels and recorders, with only the wire and the clock faked. Deterministic, and each
// test runs in milliseconds.
import { describe, expect, it } from 'vitest';
import { decodeHistogram } from '../src/results/histogram.js';
import { expectRunAccounted } from './support/accounting.js';
import { fakeEngine } from './support/fake-engine.js';

/** Queries sent per 100 ms window starting at each send (the -Q ceiling is about any window). */
function maxPerWindow(times: readonly number[], windowMs = 100): number {
  let max = 0;
  let j = 0;
  for (let i = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

describe('pacing (-Q) on a fake clock', () => {
  it('sends on schedule: rate x time queries, no send lag, corrected = raw when the window never fills', async () => {
    const e = await fakeEngine({ window: 50, server: { latencyMs: () => 0.2 } });
    e.run({ rate: 1000, timeLimitMs: 1000 });
    e.timers.advance(3000);
    const r = e.done![0]!;
    expect(r.counters.sent).toBeGreaterThanOrEqual(999);
    expect(r.counters.sent).toBeLessThanOrEqual(1001);
    expect(r.counters.completed).toBe(r.counters.sent);
    expect(r.pacing!.skipped).toBe(0);
    expect(r.pacing!.lag.max).toBe(0);
    // Nothing waited for the window, so nothing is charged beyond the raw latency.
    expect(r.corrected!.sums.sum).toBeCloseTo(r.latency.sum, 6);
    expect(r.latency.min).toBeCloseTo(200, 6);
    expect(maxPerWindow(e.sent.map((s) => s.at))).toBeLessThanOrEqual(100 + 1);
    expectRunAccounted(r);
  });

  it('splits the rate over loops and still keeps the global ceiling', async () => {
    const e = await fakeEngine({ loops: 3, window: 50, server: { latencyMs: () => 1 } });
    e.run({ rate: 2000, timeLimitMs: 500 });
    e.timers.advance(2000);
    const sent = e.done!.reduce((s, r) => s + r.counters.sent, 0);
    expect(sent).toBeGreaterThanOrEqual(997);
    expect(sent).toBeLessThanOrEqual(1003);
    // 2000/10 + 1% + 1 per 100 ms, over every loop's sends together.
    expect(maxPerWindow(e.sent.map((s) => s.at).sort((a, b) => a - b))).toBeLessThanOrEqual(200 + 2 + 1 + 2);
  });

  it('is a ceiling after a stall: the window-full slots are skipped and counted, never sent in a burst', async () => {
    // The server stalls from 1 s to 3 s (answers nothing sent then until 3 s), else answers in 1 ms.
    const stallEnd = 3000;
    const e = await fakeEngine({
      window: 10,
      timeoutMs: 5000,
      server: { latencyMs: ({ sentAt }) => (sentAt >= 1000 && sentAt < stallEnd ? stallEnd - sentAt : 1) },
    });
    e.run({ rate: 2000, timeLimitMs: 4000 });
    e.timers.advance(10_000);
    const r = e.done![0]!;
    const p = r.pacing!;
    // ~2 s at 2000 qps could not be sent: the 10-slot window was full.
    expect(p.skippedWindowFull).toBeGreaterThan(3900);
    expect(p.skippedWindowFull).toBeLessThan(4010);
    expect(p.skipped).toBe(p.skippedWindowFull);
    expect(p.windowFullMs).toBeGreaterThan(1990);
    expect(p.windowFullMs).toBeLessThan(2010);
    expect(r.counters.sent + p.skipped).toBeGreaterThan(7990);
    expect(r.counters.sent + p.skipped).toBeLessThanOrEqual(8001);
    // No 100 ms window carries more than 200 + 1% + 1, in particular not the one after the stall.
    expect(maxPerWindow(e.sent.map((s) => s.at))).toBeLessThanOrEqual(203);
    // The query that waited for the window is charged from its due time: ~2 s corrected latency.
    expect(r.corrected!.sums.max).toBeGreaterThan(1_900_000);
    expectRunAccounted(r);
  });

  it('a late generator skips, never bursts: every slot of the schedule is sent or counted, exactly', async () => {
    // Timers fire up to 5 ms late (a starved machine); the horizon is 1 ms.
    const e = await fakeEngine({ window: 100, lateMs: 5, server: { latencyMs: () => 0.5 } });
    e.run({ rate: 2000, timeLimitMs: 1000 });
    e.timers.advance(3000);
    const r = e.done![0]!;
    const p = r.pacing!;
    expect(p.skipped).toBeGreaterThan(0);
    expect(p.skippedWindowFull).toBe(0);
    expect(r.counters.sent + p.skipped).toBe(2000);
    // Each send within the 1 ms horizon of its slot.
    expect(p.lag.max).toBeLessThanOrEqual(1000);
    expect(maxPerWindow(e.sent.map((s) => s.at))).toBeLessThanOrEqual(200 + 2 + 1);
    expectRunAccounted(r);
  });
});

describe('timeouts and late answers on a fake clock', () => {
  it('counts a lost query in the interval it was sent in, and ends the run at the last timeout', async () => {
    // Queries sent in the second half of the run are never answered.
    const e = await fakeEngine({ window: 5, timeoutMs: 1000, server: { latencyMs: ({ sentAt }) => (sentAt < 500 ? 2 : null) } });
    e.run({ rate: 100, timeLimitMs: 1000, intervalMs: 100 });
    e.timers.advance(1500);
    expect(e.done).toBeUndefined(); // the last queries are still within their 1 s timeout
    e.timers.advance(1000);
    const r = e.done![0]!;
    expect(r.counters.timedOut).toBeGreaterThan(0);
    expect(r.counters.lost).toBe(r.counters.timedOut);
    // By send time: intervals 0-4 (0-500 ms) hold every answer, 5-9 every loss.
    for (const iv of r.intervals.slice(0, 5)) expect(iv.counters.lost).toBe(0);
    for (const iv of r.intervals.slice(5, 10)) {
      expect(iv.counters.completed).toBe(0);
      expect(iv.counters.lost).toBe(iv.counters.sent);
    }
    // The last query sent (when the 5-slot window filled with unanswered ones) times out 1 s later,
    // found by a sweep at most 50 ms (timeout/20) after that.
    const lastSent = 1_700_000_000_000 + Math.max(...e.sent.map((s) => s.at));
    expect(r.endedAt - lastSent).toBeGreaterThanOrEqual(1000);
    expect(r.endedAt - lastSent).toBeLessThanOrEqual(1050);
    expectRunAccounted(r);
  });

  it('against a server that answers nothing, the window still fills to -q (as dnsperf), by the time floor of the slow start', async () => {
    // Slow start grows +1 per answer; with no answer at all only its floor by time (32 + 2 per ms)
    // lets the window fill. Before it, -q 100 kept 32 outstanding: a third of dnsperf's load.
    const e = await fakeEngine({ window: 100, timeoutMs: 1000, server: { latencyMs: () => null } });
    e.run({ rate: null, timeLimitMs: 3000 });
    e.timers.advance(10_000);
    const r = e.done![0]!;
    const at = e.sent.map((x) => x.at - e.sent[0]!.at);
    // The whole window within its first ~34 ms (32 at once, then 2 per ms), never all at once.
    expect(at.filter((t) => t < 1000)).toHaveLength(100);
    expect(at.filter((t) => t < 1)).toHaveLength(32);
    expect(Math.max(...at.filter((t) => t < 1000))).toBeLessThanOrEqual(40);
    // Each 1 s timeout frees the whole window, which is sent again: 3 windows in the 3 s limit.
    expect(r.counters.sent).toBe(300);
    expect(r.counters.timedOut).toBe(300);
    expectRunAccounted(r);
  });

  it('the time limit still ends a closed-loop run on time while the slow start wakes the loop', async () => {
    // A limit shorter than the slow start (32 + 2/ms reaches 10,000 after ~5 s): the loop's own
    // ramp wake-ups must not push its time-limit wake-up out.
    const e = await fakeEngine({ window: 10_000, timeoutMs: 100, server: { latencyMs: () => null } });
    e.run({ rate: null, timeLimitMs: 50 });
    e.timers.advance(1000);
    const r = e.done![0]!;
    const last = Math.max(...e.sent.map((x) => x.at)) - e.sent[0]!.at;
    expect(last).toBeLessThan(51);
    expect(r.counters.sent).toBeGreaterThanOrEqual(32 + 2 * 49);
    expect(r.counters.sent).toBeLessThanOrEqual(32 + 2 * 51);
    expectRunAccounted(r);
  });

  it('the time limit ends sending on time when the slow start finished by answers and the server then went silent', async () => {
    // Answers fill the window within a few ms, while a slow-start wake-up is pending (it held the
    // loop's one wake-up slot); from 30 ms on nothing is answered, so no answer wakes the loop at
    // the limit. Housekeeping ticks are 100 ms apart here (-t 5): only the limit's own wake-up,
    // asked for again, stops sending at 250 ms rather than at the 300 ms tick.
    const e = await fakeEngine({ window: 100, timeoutMs: 5000, server: { latencyMs: ({ sentAt }) => (sentAt < 30 ? 0.5 : null) } });
    e.run({ rate: null, timeLimitMs: 250 });
    e.timers.advance(10_000);
    const r = e.done![0]!;
    expect(r.sendEndedAt - r.startedAt).toBeGreaterThanOrEqual(250);
    expect(r.sendEndedAt - r.startedAt).toBeLessThan(260);
    expectRunAccounted(r);
  });

  it('a sweep delayed far past the timeout still counts each loss in the interval it was sent in', async () => {
    // Timers fire up to 1.5 s late (a starved machine) while -t is 0.5 s and intervals are 50 ms:
    // outcomes arrive later than the recorder's usual window; it grows rather than misplace them.
    const e = await fakeEngine({ window: 20, timeoutMs: 500, lateMs: 1500, server: { latencyMs: ({ index }) => (index % 3 === 0 ? null : 1) } });
    e.run({ rate: null, timeLimitMs: null, totalQueries: 600, intervalMs: 50 });
    e.timers.advance(60_000);
    const r = e.done![0]!;
    expect(r.counters.sent).toBe(600);
    expect(r.counters.timedOut).toBeGreaterThan(100);
    expectRunAccounted(r);
  });

  it('an answer after the timeout is late, never completed', async () => {
    const e = await fakeEngine({ window: 5, timeoutMs: 200, server: { latencyMs: ({ index }) => (index % 2 === 0 ? 1 : 300) } });
    e.run({ rate: null, timeLimitMs: null, totalQueries: 20 });
    e.timers.advance(5000);
    const r = e.done![0]!;
    expect(r.counters.sent).toBe(20);
    expect(r.counters.completed).toBe(10);
    expect(r.counters.timedOut).toBe(10);
    // The run may end before the last late answers arrive; every one that arrived is late.
    expect(r.counters.late).toBeGreaterThan(0);
    expect(r.counters.late).toBeLessThanOrEqual(10);
    expect(r.latency.max).toBeLessThan(200_000);
    expectRunAccounted(r);
  });

  it('Ctrl-C counts what is outstanding as interrupted, in the intervals it was sent in', async () => {
    const e = await fakeEngine({ window: 8, timeoutMs: 5000, server: { latencyMs: () => null } });
    e.run({ rate: null, timeLimitMs: 10_000 });
    e.timers.advance(50);
    e.interrupt();
    e.timers.advance(0);
    const r = e.done![0]!;
    expect(r.counters.sent).toBe(8);
    expect(r.counters.interrupted).toBe(8);
    expect(r.counters.lost).toBe(0);
    expectRunAccounted(r);
  });
});

describe('closing a host', () => {
  it('a run still waiting for its common start never begins once the session closed', async () => {
    // A session closes while its run waits to start (another thread failed just after 'run', or
    // during a --start-at wait): on the session's own thread (engine/inline.ts) nothing else would
    // stop the start timer, and the loops would send on closed channels.
    const e = await fakeEngine({ window: 8, timeoutMs: 1000, server: { latencyMs: () => 1 } });
    e.run({ rate: null, timeLimitMs: 1000, startInMs: 50 });
    e.close();
    e.timers.advance(5000);
    expect(e.sent).toHaveLength(0);
    expect(e.done).toBeUndefined();
    expect(e.messages.filter((m) => m.type === 'progress' || m.type === 'done')).toEqual([]);
  });
});

describe('interleave on a fake clock', () => {
  it('a dead target holds back only its own queries; the paced stream alternates', async () => {
    const e = await fakeEngine({ targets: 2, window: 4, timeoutMs: 2000, server: { latencyMs: ({ target }) => (target === 1 ? null : 1) } });
    e.run({ rate: 500, timeLimitMs: 1000 });
    e.timers.advance(5000);
    const [live, dead] = e.done!;
    expect(live!.counters.sent).toBeGreaterThanOrEqual(499);
    expect(live!.counters.completed).toBe(live!.counters.sent);
    // The dead target's 4 slots filled and stayed full: its schedule was skipped, not the other's.
    expect(dead!.counters.sent).toBe(4);
    expect(dead!.pacing!.skippedWindowFull).toBeGreaterThan(490);
    expect(live!.pacing!.skipped).toBe(0);
    // Round robin: in the first 20 ms the sends alternate between the targets.
    const first = e.sent.filter((s) => s.at < 8).map((s) => s.target);
    expect(first).toEqual([0, 1, 0, 1, 0, 1, 0, 1]);
    for (const r of e.done!) expectRunAccounted(r);
  });

  it('every target walks the same query stream', async () => {
    const e = await fakeEngine({ targets: 3, window: 5, queries: 30, server: { latencyMs: () => 0.5 } });
    e.run({ rate: null, timeLimitMs: null, totalQueries: 60 });
    e.timers.advance(1000);
    for (let t = 0; t < 3; t++) {
      const order = e.sent.filter((s) => s.target === t).map((s) => s.queryIndex);
      expect(order).toHaveLength(60);
      expect(new Set(order).size).toBe(30);
    }
    for (const r of e.done!) expect(decodeHistogram(r.histogram).totalCount).toBe(60);
  });
});
