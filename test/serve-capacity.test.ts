// `dnsbench serve --capacity QPS [--capacity-latency MS]` (issue 13, item 5): a token bucket answers
// at most QPS queries per second (plus a small burst) and drops the excess silently, counted as
// overCapacity; the queueing delay follows a documented curve of the offered load. The bucket is
// checked exactly with a synthetic clock, then end to end at twice the capacity with a generous
// bound (a property of the bucket, not a speed claim: the machine is shared).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Capacity } from '../src/serve/capacity.js';
import { runServe, type ServeHandle } from '../src/serve/run.js';
import { expectUsageError, ROOT, runCli } from './support/cli.js';

/** Offers `rate` qps evenly for `seconds` on a synthetic clock from `t0`; returns how many were admitted. */
function offer(c: Capacity, rate: number, seconds: number, t0 = 0): { admitted: number; end: number } {
  const n = Math.round(rate * seconds);
  let admitted = 0;
  for (let i = 0; i < n; i++) if (c.admit(t0 + (i * 1000) / rate)) admitted++;
  return { admitted, end: t0 + seconds * 1000 };
}

describe('the token bucket', () => {
  it('at twice the capacity for 10 s, admits QPS x 10 plus the burst, exactly', () => {
    for (const qps of [500, 2000, 20_000]) {
      const c = new Capacity({ qps });
      expect(c.burst).toBe(Math.max(8, Math.ceil(qps / 100)));
      const { admitted } = offer(c, 2 * qps, 10);
      expect(Math.abs(admitted - (qps * 10 + c.burst)), `qps ${qps}`).toBeLessThanOrEqual(1);
    }
  });

  it('below capacity admits everything; a burst beyond the bucket is cut to it', () => {
    const c = new Capacity({ qps: 1000 });
    expect(offer(c, 900, 5).admitted).toBe(4500);
    const fresh = new Capacity({ qps: 1000 });
    let admitted = 0;
    for (let i = 0; i < 100; i++) if (fresh.admit(0)) admitted++;
    expect(admitted).toBe(fresh.burst);
  });

  it('queueing delay: the M/M/1 curve scaled to reach MS at 90% load, capped there', () => {
    const at = (load: number): number => {
      const c = new Capacity({ qps: 10_000, latencyMs: 90 });
      offer(c, load * 10_000, 2);
      return c.delayMs();
    };
    expect(new Capacity({ qps: 10_000, latencyMs: 90 }).delayMs()).toBe(0);
    // rho / (1 - rho) / 9 of 90 ms: 10 ms at 50%, 30 ms at 75%; the EWMA of arrivals is within a few %.
    expect(at(0.5)).toBeGreaterThan(8);
    expect(at(0.5)).toBeLessThan(12);
    expect(at(0.75)).toBeGreaterThan(25);
    expect(at(0.75)).toBeLessThan(36);
    expect(at(0.95)).toBe(90);
    expect(at(2)).toBe(90);
    expect(new Capacity({ qps: 10_000 }).delayMs()).toBe(0);
  });

  it('refuses nonsense with the flag name', () => {
    expect(() => new Capacity({ qps: 0 })).toThrow(/--capacity: expected queries per second/);
    expect(() => new Capacity({ qps: 100, latencyMs: -1 })).toThrow(/--capacity-latency/);
  });
});

describe('serve --capacity, end to end', () => {
  let handle: ServeHandle | null = null;
  afterEach(async () => {
    await handle?.close();
    handle = null;
  });
  const queries = join(ROOT, 'querysets/demo.txt');

  it('at twice the capacity the answered rate is the capacity, and the excess is counted apart', async () => {
    const qps = 1500;
    handle = await runServe({ address: '127.0.0.1', port: 0, faults: {}, capacity: { qps } }, () => {});
    // A window (-q) large enough for every dropped query to wait out its timeout: -Q stays open loop.
    const r = await runCli(['-s', `127.0.0.1:${handle.port}`, '-d', queries, '-l', '3', '-Q', String(2 * qps), '-q', '2000', '-T', '1', '-t', '0.2', '--json', '-']);
    expect(r.code, r.stderr).toBe(0);
    const t = (JSON.parse(r.stdout) as { targets: Array<{ counters: { sent: number; completed: number; lost: number }; runTimeSec: number }> }).targets[0]!;
    const answeredRate = t.counters.completed / t.runTimeSec;
    // The bucket never gives more than QPS x T + burst (tight). A busy machine can only make it give
    // less (tokens do not accrue past the burst while the responder's event loop is stalled), so the
    // lower bound is generous: on a quiet machine this measures 1,500.5 of 1,500.
    expect(answeredRate).toBeLessThanOrEqual(qps * 1.03);
    expect(answeredRate).toBeGreaterThanOrEqual(qps * 0.7);
    const s = handle.stats();
    expect(s.overCapacity).toBeGreaterThan(0);
    expect(s.answered).toBe(t.counters.completed);
    expect(s.answered + s.overCapacity).toBe(s.received);
    expect(t.counters.lost).toBe(s.overCapacity);
  });

  it('--capacity-latency: at the limit every answer carries the full queueing delay', async () => {
    handle = await runServe({ address: '127.0.0.1', port: 0, faults: {}, tcp: true, capacity: { qps: 1000, latencyMs: 20 } }, () => {});
    const r = await runCli(['-s', `127.0.0.1:${handle.port}`, '-d', queries, '-l', '1.5', '-Q', '2000', '-q', '2000', '-T', '1', '-t', '0.5', '--json', '-']);
    expect(r.code, r.stderr).toBe(0);
    const t = (JSON.parse(r.stdout) as { targets: Array<{ latency: { percentiles: Record<string, number> } }> }).targets[0]!;
    expect(t.latency.percentiles['p50']).toBeGreaterThanOrEqual(20_000);
    expect(handle.tcpStats()!.overCapacity).toBe(0);
  });

  it('the flags: --capacity-latency needs --capacity; values are checked', async () => {
    await expectUsageError(['serve', '--capacity-latency', '5'], /--capacity-latency needs --capacity QPS/);
    await expectUsageError(['serve', '--capacity', '0'], /--capacity: expected a whole number from 1 to 10000000, got "0"/);
    await expectUsageError(['serve', '--capacity', '100', '--capacity-latency', 'x'], /--capacity-latency: expected milliseconds/);
  });
});
