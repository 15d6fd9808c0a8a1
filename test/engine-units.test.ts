import { describe, expect, it } from 'vitest';
import { describePlan, planWorkers, split } from '../src/engine/split.js';
import { FREE, IdTable, INFLIGHT, TIMED_OUT } from '../src/engine/idtable.js';
import { sameQuestion } from '../src/engine/channel.js';

describe('split: equal shares, remainder one each to the first parts', () => {
  it('splits totals', () => {
    expect(split(100, 3)).toEqual([34, 33, 33]);
    expect(split(7, 7)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(split(5, 2)).toEqual([3, 2]);
    expect(split(0, 2)).toEqual([0, 0]);
  });
  it('plans workers: sockets, windows and rates add up to the totals', () => {
    const plans = planWorkers({ threads: 2, sockets: 5, outstanding: 101 });
    expect(plans.map((p) => p.socketWindows.length)).toEqual([3, 2]);
    expect(plans.flatMap((p) => p.socketWindows)).toEqual([21, 20, 20, 20, 20]);
    expect(plans.map((p) => p.firstSocket)).toEqual([0, 3]);
    expect(describePlan(plans, 1001)).toBe('2 worker(s), 5 socket(s), 101 outstanding in total: worker 0: 3 socket(s), 21+20+20 outstanding, 501 qps; worker 1: 2 socket(s), 20+20 outstanding, 500 qps');
  });
  it('never gives a worker no socket', () => {
    expect(planWorkers({ threads: 4, sockets: 2, outstanding: 10 })).toHaveLength(2);
  });
});

describe('IdTable', () => {
  it('hands out distinct IDs and reuses a released one only after all others', () => {
    const t = new IdTable(() => 0.5);
    const first = t.acquire();
    t.release(first, FREE);
    const seen = new Set<number>();
    for (let i = 0; i < 65535; i++) seen.add(t.acquire());
    expect(seen.size).toBe(65535);
    expect(seen.has(first)).toBe(false);
    expect(t.inflight).toBe(65535);
  });
  it('keeps outstanding IDs oldest first, whatever order they finish in', () => {
    const t = new IdTable();
    const ids = [t.acquire(), t.acquire(), t.acquire(), t.acquire()];
    expect(t.oldest()).toBe(ids[0]);
    t.release(ids[1]!, FREE);
    t.release(ids[0]!, TIMED_OUT);
    expect(t.oldest()).toBe(ids[2]);
    expect(t.state[ids[0]!]).toBe(TIMED_OUT);
    expect(t.state[ids[2]!]).toBe(INFLIGHT);
    t.release(ids[3]!, FREE);
    t.release(ids[2]!, FREE);
    expect(t.oldest()).toBe(-1);
    expect(t.inflight).toBe(0);
  });
  it('hands out all 65,536 IDs once each, shuffled, then reuses released ones oldest first', () => {
    const t = new IdTable();
    const ids: number[] = [];
    for (let i = 0; i < 65536; i++) ids.push(t.acquire());
    expect(new Set(ids).size).toBe(65536);
    // Shuffled: not the IDs in order (the chance a shuffle leaves the first 16 in place is 2^-256).
    expect(ids.slice(0, 16)).not.toEqual(Array.from({ length: 16 }, (_, i) => i));
    for (const id of [ids[500]!, ids[7]!, ids[60000]!]) t.release(id, FREE);
    expect([t.acquire(), t.acquire(), t.acquire()]).toEqual([ids[500], ids[7], ids[60000]]);
    expect(() => t.acquire()).toThrow(/exhausted/);
  });
  it('draws each fresh ID uniformly from those left (forward Fisher-Yates)', () => {
    // random() = 0 picks the first position left each time: the identity; just below 1 the last.
    const low = new IdTable(() => 0);
    expect([low.acquire(), low.acquire(), low.acquire()]).toEqual([0, 1, 2]);
    const high = new IdTable(() => 0.9999999999);
    // Step 0 takes 65535 and moves 0 there; step 1 then takes position 65535 again: ID 0.
    expect([high.acquire(), high.acquire(), high.acquire()]).toEqual([65535, 0, 1]);
  });
  it('refuses a 65537th outstanding query', () => {
    const t = new IdTable();
    for (let i = 0; i < 65536; i++) t.acquire();
    expect(() => t.acquire()).toThrow(/exhausted/);
  });
});

describe('sameQuestion', () => {
  const q = (name: string, type = 1): Uint8Array => {
    const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
    return Uint8Array.from([...new Array(12).fill(0), ...labels, 0, 0, type, 0, 1]);
  };
  const sent = q('www.Test.com');
  const len = sent.length - 12;
  it('matches the same question, ignoring ASCII case in the name', () => {
    expect(sameQuestion(q('www.Test.com'), 12, sent, 12, len)).toBe(true);
    expect(sameQuestion(q('WWW.test.COM'), 12, sent, 12, len)).toBe(true);
  });
  it('rejects another name, type or label structure', () => {
    expect(sameQuestion(q('www.Tesu.com'), 12, sent, 12, len)).toBe(false);
    expect(sameQuestion(q('www.Test.com', 28), 12, sent, 12, len)).toBe(false);
    expect(sameQuestion(q('wwwTest.c.om'), 12, sent, 12, len)).toBe(false);
  });
  it('does not fold case in QTYPE bytes', () => {
    // TYPE 0x41 vs 0x61 differ only by the 0x20 bit: must not compare equal.
    expect(sameQuestion(q('www.Test.com', 0x61), 12, q("www.Test.com", 0x41), 12, len)).toBe(false);
  });
});
