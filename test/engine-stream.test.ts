// The engine's side of a streamed query set on a fake clock: the real WorkerHost, loops,
// channels and recorders, a ring filled by hand (as the main thread's reader would), and a fake
// wire. A loop whose next chunk is not there yet waits without spinning, and with -Q that wait is
// neither send lag nor skipped slots; chunks still referenced by outstanding queries stay pinned;
// transport events before the start change nothing.
import { describe, expect, it } from 'vitest';
import { DnsChannel, type ChannelContext } from '../src/engine/channel.js';
import { WorkerHost } from '../src/engine/host.js';
import type { FromWorker, HostRun, HostSetup } from '../src/engine/protocol.js';
import { registerTransport } from '../src/engine/transports/registry.js';
import { buildQuerySet } from '../src/queryset/load.js';
import { chunkTag, createRing, PUBLISHED, RingViews, WAIT_MS, type RingShared } from '../src/queryset/ring.js';
import type { RunData } from '../src/results/model.js';
import { expectRunAccounted } from './support/accounting.js';
import { FakeTimers } from './support/fake-engine.js';

const EPOCH = 1_700_000_000_000;
let transportNo = 0;

/** Publishes queries into the ring as stream.ts does: chunk g into slot g mod slots. */
class HandProducer {
  private g = 0;
  private next = 0;
  readonly v: RingViews;
  private readonly messages: Buffer[];
  constructor(readonly ring: RingShared, count: number) {
    this.v = new RingViews(ring);
    this.v.control.fill(0);
    Atomics.store(this.v.end, 0, -1n);
    const text = Array.from({ length: count }, (_, i) => `h${i}.test.com A`).join('\n');
    const qs = buildQuerySet(Buffer.from(text), 'hand', { recursionDesired: true, edns: null });
    const wire = Buffer.from(qs.wire);
    const off = new Uint32Array(qs.offsets);
    this.messages = Array.from({ length: qs.count }, (_, i) => wire.subarray(off[i], off[i + 1]));
  }
  /** Publishes the next `n` queries in chunks of at most perSlot; false if a slot is still held. */
  publish(n: number): boolean {
    const v = this.v;
    while (n > 0) {
      const s = this.g % v.slots;
      if (Atomics.load(v.control, v.refsAt(s)) !== 0) return false;
      const k = Math.min(n, v.perSlot);
      let at = s * v.slotBytes;
      for (let j = 0; j < k; j++) {
        const m = this.messages[this.next++ % this.messages.length]!;
        v.offsets[s * v.stride + j] = at;
        v.questionLengths[s * v.stride + j] = m.length - 12;
        v.wire.set(m, at);
        at += m.length;
      }
      v.offsets[s * v.stride + k] = at;
      Atomics.store(v.control, v.countAt(s), k);
      Atomics.store(v.control, v.refsAt(s), 1);
      Atomics.store(v.control, v.tagAt(s), chunkTag(this.g++));
      Atomics.add(v.control, PUBLISHED, 1);
      Atomics.notify(v.control, PUBLISHED);
      n -= k;
    }
    return true;
  }
  heldSlots(): number {
    let held = 0;
    for (let s = 0; s < this.v.slots; s++) if (Atomics.load(this.v.control, this.v.refsAt(s)) !== 0) held++;
    return held;
  }
}

/** One loop, one fake socket, the given ring; the fake server answers after `latencyMs` (null: never). */
async function streamEngine(o: { ring: RingShared; window: number; latencyMs: (i: number) => number | null; timeoutMs?: number }) {
  const timers = new FakeTimers();
  const sent: number[] = [];
  const channels: DnsChannel[] = [];
  const mode = `fake-stream-${++transportNo}`;
  class FakeChannel extends DnsChannel {
    constructor(ctx: ChannelContext) {
      super(ctx);
      channels.push(this);
    }
    endpoints(): { local: string; remote: string } {
      return { local: 'fake', remote: 'server' };
    }
    protected transmit(msg: Buffer, _id: number): void {
      const at = timers.now();
      sent.push(at);
      const latency = o.latencyMs(sent.length - 1);
      if (latency === null) return;
      const answer = Buffer.from(msg);
      answer[2] = answer[2]! | 0x80;
      timers.at(at + latency, () => this.deliver(answer, 0, answer.length, timers.now()));
    }
    close(): void {}
    /** A transport event, as a reconnection reports one. */
    poke(): void {
      this.owner.slotFreed(this);
    }
  }
  registerTransport(mode, async (ctx) => new FakeChannel(ctx));
  const ring = o.ring;
  const setup: HostSetup = {
    host: 0,
    loops: [{ loop: 0, socketWindows: [o.window], firstSocket: 0, localPort: null }],
    targets: [{ host: '192.0.2.1', port: 53, family: 4 }],
    timeoutMs: o.timeoutMs ?? 1000,
    bufferBytes: null,
    localAddresses: [],
    transport: { mode, tcpFallback: false, tsig: null, nsid: false, tls: { insecure: false, ca: null, sni: null }, doh: { path: '/dns-query', authority: null, method: 'GET' } },
    verbose: false,
    encode: { recursionDesired: true, edns: null },
    nativePath: null,
    queries: { count: ring.slots * (ring.perSlot + 1), wire: ring.wire, offsets: ring.offsets, questionLengths: ring.questionLengths, ring },
  };
  const messages: FromWorker[] = [];
  let done: RunData[] | undefined;
  const host = new WorkerHost(setup, (m) => {
    messages.push(m);
    if (m.type === 'done') done = m.partials;
  }, { timers, toEpochMs: (t) => EPOCH + t, fromEpochMs: (e) => e - EPOCH, cpuMs: () => null });
  await host.open();
  return {
    timers,
    sent,
    messages,
    channel: channels[0] as FakeChannel,
    get done() {
      return done;
    },
    run(r: { rate: number | null; timeLimitMs: number | null }): void {
      const spec: HostRun = {
        run: 1, rates: [r.rate], timeLimitMs: r.timeLimitMs, totalQueries: null, intervalMs: 100, progressMs: 1000,
        startAtEpochMs: EPOCH + timers.now(), sequence: new SharedArrayBuffer(8),
      };
      host.run(spec);
      timers.advance(0);
    },
  };
}

/** Lets Atomics.waitAsync promises settle, then runs what they scheduled on the fake clock. */
async function settle(timers: FakeTimers): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    timers.advance(0);
  }
}

describe('a loop on a streamed query set (fake clock)', () => {
  it('with -Q, waiting for the file is neither send lag nor skipped slots', async () => {
    const ring = createRing(8, 8192, 64);
    const producer = new HandProducer(ring, 5000);
    const e = await streamEngine({ ring, window: 20, latencyMs: () => 1 });
    producer.publish(100);
    e.run({ rate: 1000, timeLimitMs: 1000 });
    // 100 queries at 1000 qps last 100 ms; the reader is then "slow" until 500 ms.
    e.timers.advance(500);
    await settle(e.timers);
    expect(e.sent).toHaveLength(100);
    expect(e.done).toBeUndefined();
    // The file catches up: chunks as the ring frees its slots.
    for (let t = 500; t < 1100; t += 10) {
      producer.publish(64);
      await settle(e.timers);
      e.timers.advance(10);
    }
    e.timers.advance(3000);
    const r = e.done![0]!;
    expectRunAccounted(r);
    // 100 before the wait, then 1000 qps again from 500 ms to the 1 s limit.
    expect(r.counters.sent).toBeGreaterThanOrEqual(595);
    expect(r.counters.sent).toBeLessThanOrEqual(605);
    expect(r.pacing!.skipped).toBe(0);
    expect(r.pacing!.lag.max).toBeLessThan(2000); // µs; the 400 ms wait is not lag
    // The wait is recorded in the ring for the report's note instead.
    expect(Atomics.load(producer.v.control, WAIT_MS)).toBeGreaterThanOrEqual(390);
  });

  it('without a spill slot, keeps a chunk while an outstanding query refers to it, and gives it back after', async () => {
    // Query 3 is never answered (times out at 1 s); every other one is answered in 1 ms.
    const ring = createRing(4, 4096, 8);
    const producer = new HandProducer(ring, 100);
    const e = await streamEngine({ ring, window: 4, latencyMs: (i) => (i === 3 ? null : 1), timeoutMs: 1000 });
    producer.publish(32); // fills all four slots
    e.run({ rate: null, timeLimitMs: 2000 });
    e.timers.advance(50);
    await settle(e.timers);
    // Slot 0 is pinned by query 3; the others were used up and given back.
    expect(e.sent).toHaveLength(32);
    expect(producer.heldSlots()).toBe(1);
    expect(producer.publish(8)).toBe(false); // slot 0 (chunk 4's) is still held
    e.timers.advance(1100); // query 3 times out
    await settle(e.timers);
    expect(producer.publish(8)).toBe(true);
    await settle(e.timers);
    e.timers.advance(1000);
    await settle(e.timers);
    e.timers.advance(1000);
    const r = e.done![0]!;
    expect(r.counters.sent).toBe(40);
    expect(r.counters.timedOut).toBe(1);
    expect(producer.heldSlots()).toBe(0); // the end of the run gives back everything
    expectRunAccounted(r);
  });

  it('moves the few stragglers of a used-up chunk to its spill slot, so the chunk goes back at once', async () => {
    // Query 3 is answered after 300 ms, every other one after 1 ms; slot 0 would be held 300 ms.
    const ring = createRing(4, 4096, 8, 1);
    const producer = new HandProducer(ring, 100);
    const e = await streamEngine({ ring, window: 4, latencyMs: (i) => (i === 3 ? 300 : 1), timeoutMs: 1000 });
    producer.publish(32);
    e.run({ rate: null, timeLimitMs: 2000 });
    e.timers.advance(50);
    await settle(e.timers);
    expect(e.sent).toHaveLength(32);
    // Every chunk is back, slot 0 included: query 3 now lives in the spill slot.
    expect(producer.heldSlots()).toBe(0);
    expect(producer.publish(8)).toBe(true);
    await settle(e.timers);
    e.timers.advance(2500);
    await settle(e.timers);
    e.timers.advance(1000);
    const r = e.done![0]!;
    // The late answer was checked against the moved copy of its question: completed, not mismatched.
    expect(r.counters.sent).toBe(40);
    expect(r.counters.completed).toBe(40);
    expect(r.counters.mismatched).toBe(0);
    expect(r.latency.max).toBeGreaterThanOrEqual(300_000);
    expectRunAccounted(r);
  });

  it('transport events before the start (a reconnection) do nothing; the run starts as planned', async () => {
    const ring = createRing(4, 4096, 8);
    const producer = new HandProducer(ring, 100);
    const e = await streamEngine({ ring, window: 4, latencyMs: () => 1 });
    producer.publish(16);
    for (let i = 0; i < 5; i++) {
      e.channel.poke();
      e.timers.advance(20);
    }
    expect(e.sent).toHaveLength(0);
    expect(e.messages.filter((m) => m.type === 'done')).toHaveLength(0);
    e.run({ rate: null, timeLimitMs: 500 });
    e.timers.advance(100);
    expect(e.sent).toHaveLength(16);
    e.timers.advance(1000);
    expect(e.done![0]!.counters.completed).toBe(16);
  });
});
