import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import dnsPacket from 'dns-packet';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { FaultAction, makeFaultPlan, validateFaults, type Faults } from '../src/serve/faults.js';
import { startResponder, type Responder } from '../src/serve/responder.js';
import { loadZoneFile, type Zone } from '../src/serve/zone.js';
import { UdpClient, makeQuery, sleep } from './serve-client.js';

const zone: Zone = loadZoneFile(fileURLToPath(new URL('../zones/demo.zone', import.meta.url)));
let client: UdpClient;
let responder: Responder | undefined;

beforeAll(async () => {
  client = await UdpClient.open();
});
afterEach(async () => {
  await responder?.close();
  responder = undefined;
  await client.drain(10); // nothing from one test may leak into the next
});
afterAll(async () => {
  await client?.close();
});

async function withFaults(faults: Partial<Faults>, seed = 1): Promise<Responder> {
  responder = await startResponder({ zone, port: 0, faults, seed });
  return responder;
}

describe('fault knobs', () => {
  it('drop 1.0: no answer within 300 ms', async () => {
    const r = await withFaults({ drop: 1 });
    client.send(makeQuery('www.demo.test', 'A'), r.port);
    expect(await client.next(300)).toBeNull();
    expect(r.stats()).toMatchObject({ received: 1, dropped: 1, answered: 0 });
  });

  it('truncate 1.0: TC set, no records, question and ID echoed', async () => {
    const r = await withFaults({ truncate: 1 });
    const reply = dnsPacket.decode(await client.ask(makeQuery('www.demo.test', 'A', { id: 321 }), r.port));
    expect(reply.id).toBe(321);
    expect(reply.flag_tc).toBe(true);
    expect(reply.answers).toEqual([]);
    expect(reply.questions![0]!.name).toBe('www.demo.test');
    expect(r.stats().truncated).toBe(1);
  });

  it('garbage 1.0: bytes that do not decode as DNS', async () => {
    const r = await withFaults({ garbage: 1 });
    for (let i = 0; i < 20; i++) {
      const raw = await client.ask(makeQuery(`h${i}.demo.test`, 'A', { id: 1000 + i }), r.port);
      expect(() => dnsPacket.decode(raw)).toThrow();
      expect(raw.readUInt16BE(0)).toBe(1000 + i); // the client's ID table accepts it; its parser must not
    }
    expect(r.stats().garbage).toBe(20);
  });

  it('wrongId 1.0: a well-formed answer with a different ID', async () => {
    const r = await withFaults({ wrongId: 1 });
    for (const id of [0, 1, 0x7fff, 0xffff]) {
      const reply = dnsPacket.decode(await client.ask(makeQuery('www.demo.test', 'A', { id }), r.port));
      expect(reply.id).not.toBe(id);
      expect(reply.answers).toHaveLength(1);
    }
  });

  it('servfail 1.0: SERVFAIL with no records', async () => {
    const r = await withFaults({ servfail: 1 });
    const reply = dnsPacket.decode(await client.ask(makeQuery('www.demo.test', 'A'), r.port)) as ReturnType<typeof dnsPacket.decode> & { rcode: string };
    expect(reply.rcode).toBe('SERVFAIL');
    expect(reply.answers).toEqual([]);
  });

  it('delay 50 ms: every reply arrives at least 50 ms after the query, without serialising them', async () => {
    const r = await withFaults({ delayMs: 50 });
    const start = performance.now();
    for (let i = 0; i < 10; i++) client.send(makeQuery(`h${i}.demo.test`, 'A', { id: i }), r.port);
    const ids: number[] = [];
    for (let i = 0; i < 10; i++) {
      const reply = await client.next(1000);
      expect(reply).not.toBeNull();
      expect(performance.now() - start).toBeGreaterThanOrEqual(50);
      ids.push(reply!.readUInt16BE(0));
    }
    // Ten 50 ms delays run concurrently: well under 10 x 50 ms in total.
    expect(performance.now() - start).toBeLessThan(400);
    expect(ids.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('drop 0.1 over 2000 queries: 6-14% dropped, and the client sees exactly the rest', async () => {
    const r = await withFaults({ drop: 0.1 }, 12345);
    const total = 2000;
    const batch = 50; // small bursts so loopback itself never drops anything
    let received = 0;
    for (let sent = 0; sent < total; sent += batch) {
      for (let i = 0; i < batch; i++) client.send(makeQuery(`h${(sent + i) % 500}.demo.test`, 'A', { id: sent + i }), r.port);
      // Let the responder (same process) take in the whole batch, then collect what it answered.
      for (let tries = 0; tries < 500 && r.stats().received < sent + batch; tries++) await sleep(1);
      for (let tries = 0; tries < batch && received < r.stats().answered; tries++) {
        if (!(await client.next(300))) break;
        received++;
      }
    }
    received += (await client.drain(100)).length;
    const s = r.stats();
    expect(s.received).toBe(total);
    expect(s.dropped / total).toBeGreaterThanOrEqual(0.06);
    expect(s.dropped / total).toBeLessThanOrEqual(0.14);
    expect(received).toBe(total - s.dropped);
    expect(s.answered).toBe(total - s.dropped);
  });
});

describe('fault plan', () => {
  it('replays the same faults for the same seed and different ones for another seed', () => {
    const f = validateFaults({ drop: 0.1, garbage: 0.1 });
    const run = (seed: number): number[] => {
      const plan = makeFaultPlan(f, seed);
      return Array.from({ length: 1000 }, () => plan.draw());
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('gives each knob its own share when several are on (one draw per query)', () => {
    const plan = makeFaultPlan(validateFaults({ drop: 0.25, truncate: 0.25, wrongId: 0.25 }), 99);
    const counts = new Map<number, number>();
    for (let i = 0; i < 40_000; i++) {
      const a = plan.draw();
      counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    for (const action of [FaultAction.drop, FaultAction.truncate, FaultAction.wrongId, FaultAction.none]) {
      expect(counts.get(action)! / 40_000).toBeCloseTo(0.25, 1);
    }
    expect(makeFaultPlan(validateFaults({ delayMs: 10 }), 1).active).toBe(false);
  });

  it('rejects out-of-range knobs with a UsageError naming the flag', () => {
    expect(() => validateFaults({ drop: 1.5 })).toThrow(UsageError);
    expect(() => validateFaults({ drop: 1.5 })).toThrow(/--drop must be a ratio from 0 to 1/);
    expect(() => validateFaults({ wrongId: -0.1 })).toThrow(/--wrong-id/);
    expect(() => validateFaults({ delayMs: Number.NaN })).toThrow(/--delay/);
    expect(() => validateFaults({ drop: 0.6, garbage: 0.6 })).toThrow(/add up to 1.2/);
    expect(validateFaults({ drop: 1 })).toEqual({ drop: 1, delayMs: 0, truncate: 0, garbage: 0, wrongId: 0, servfail: 0 });
  });
});
