// The real engine (WorkerHost -> EngineLoop -> DnsChannel -> Recorder) on a fake clock, with a fake
// transport whose "server" answers, drops or stalls on command. No thread, no socket, no real
// time: pacing, timeouts, late answers and interleave become deterministic and run in
// milliseconds. Only the wire and the clock are fake; every counting path is production code.
import { DnsChannel, type ChannelContext } from '../../src/engine/channel.js';
import { WorkerHost } from '../../src/engine/host.js';
import type { FromWorker, HostRun, HostSetup, LoopSetup } from '../../src/engine/protocol.js';
import type { EngineTimers, TimerHandle } from '../../src/engine/timers.js';
import { registerTransport } from '../../src/engine/transports/registry.js';
import { buildQuerySet } from '../../src/queryset/load.js';
import type { RunData } from '../../src/results/model.js';

/** A clock that moves only when told, and the timers that run on it. */
export class FakeTimers implements EngineTimers {
  t = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private soonQueue: Array<() => void> = [];
  /** A perfect timer by default; `lateMs` makes each timer fire up to that much late (seeded). */
  readonly resolutionMs = 0;
  readonly now = (): number => this.t;
  private rnd = 0x2545f491;

  constructor(private readonly lateMs = 0) {}

  at(atMs: number, fn: () => void): TimerHandle {
    const id = ++this.seq;
    let late = 0;
    if (this.lateMs > 0) {
      // xorshift32: the same lateness sequence on every run.
      this.rnd ^= this.rnd << 13;
      this.rnd ^= this.rnd >>> 17;
      this.rnd ^= this.rnd << 5;
      late = ((this.rnd >>> 0) / 0xffffffff) * this.lateMs;
    }
    this.timers.set(id, { at: Math.max(atMs, this.t) + late, fn });
    return { id };
  }

  cancel(h: TimerHandle): void {
    this.timers.delete((h as { id: number }).id);
  }

  soon(fn: () => void): void {
    this.soonQueue.push(fn);
  }

  /**
   * The thread was busy (or descheduled) for `ms`: the clock jumps, and every timer due meanwhile
   * fires late, at the new time, as a real event loop's would.
   */
  stall(ms: number): void {
    this.t += ms;
    for (const e of this.timers.values()) if (e.at < this.t) e.at = this.t;
  }

  /** Run everything due up to now + ms, in time order (then id order); `soon` callbacks after each. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (let guard = 0; guard < 10_000_000; guard++) {
      this.drainSoon();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (next === undefined || e[1].at < next[1].at)) next = e;
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
    this.drainSoon();
  }

  private drainSoon(): void {
    for (let guard = 0; this.soonQueue.length > 0 && guard < 1_000_000; guard++) {
      const q = this.soonQueue;
      this.soonQueue = [];
      for (const fn of q) fn();
    }
  }
}

/** What the fake server does with each query, per target. */
export interface FakeServer {
  /** Answer after this many ms; null drops the query. Called once per query sent. */
  latencyMs(query: { target: number; sentAt: number; index: number }): number | null;
  /** Response code to answer with (default 0, NOERROR). */
  rcode?: number;
}

/** Every query the fake wire carried: when, to which target, which query of the set. */
export interface Sent {
  target: number;
  at: number;
  queryIndex: number;
}

export interface FakeEngine {
  timers: FakeTimers;
  sent: Sent[];
  /** Start a run now; results arrive in `done` as the clock advances. */
  run(o: { rate: number | null; rampMs?: number | null; timeLimitMs: number | null; totalQueries?: number | null; intervalMs?: number; startInMs?: number }): void;
  /** The per-target results of the last run, once it ended (else undefined). */
  readonly done: RunData[] | undefined;
  interrupt(): void;
  /** The session's 'close': every channel closes. */
  close(): void;
  messages: FromWorker[];
}

let fakeIndex = 0;

/**
 * A WorkerHost with `loops` loops and `socketsPerLoop` fake sockets (window each) per target,
 * driven by `server`. `queries` names the query set (default 100 A queries).
 */
export async function fakeEngine(o: {
  targets?: number;
  loops?: number;
  socketsPerLoop?: number;
  window?: number;
  timeoutMs?: number;
  queries?: number;
  /** Timers fire up to this many ms late (a starved generator). */
  lateMs?: number;
  /**
   * The channels have a send schedule (DnsChannel.scheduleAt), as native UDP does: a query taken
   * ahead leaves from its own timer at its due time, or not at all when that timer fires more than
   * the horizon late (timers.stall), and is counted when the channel next looks (sweep, answer).
   */
  schedule?: boolean;
  /** The schedule's timer fires this much after the k-th query's due time (ms; a busy event loop), default 0. */
  scheduleLagMs?: (k: number) => number;
  server: FakeServer;
}): Promise<FakeEngine> {
  const timers = new FakeTimers(o.lateMs ?? 0);
  const sent: Sent[] = [];
  const mode = `fake-${++fakeIndex}`;
  let scheduledCount = 0;
  const server = o.server;
  /** A query in a fake send schedule: left at `at` (clock ms), 'dropped' (too late or cancelled), or null (waiting). */
  interface Scheduled {
    id: number;
    due: number;
    lateMs: number;
    at: number | 'dropped' | null;
  }
  class FakeChannel extends DnsChannel {
    private readonly schedule: Scheduled[] = [];
    /** 1 for a scheduled ID not sent yet (as NativeUdpChannel.notSent): the sweep stops there. */
    private readonly notSent = new Uint8Array(65536);
    constructor(ctx: ChannelContext) {
      super(ctx);
    }
    override canScheduleAhead(): boolean {
      return o.schedule === true && this.schedule.length < 1024;
    }
    override scheduleAt(queryIndex: number, due: number, lateMs: number): void {
      const t = this.table;
      const id = t.acquire();
      t.query[id] = queryIndex;
      t.sentAt[id] = due;
      t.chargeFrom(id, -1);
      const e: Scheduled = { id, due, lateMs, at: null };
      this.schedule.push(e);
      this.notSent[id] = 1;
      timers.at(due + (o.scheduleLagMs?.(scheduledCount++) ?? 0), () => {
        if (e.at !== null) return;
        const now = timers.now();
        if (now - due > lateMs) {
          e.at = 'dropped';
          return;
        }
        e.at = now;
        this.wire(id, now, () => this.collect());
      });
    }
    override lastScheduledDue(): number {
      return this.schedule.length === 0 ? -1 : this.schedule[this.schedule.length - 1]!.due;
    }
    override stopSchedule(sendDue: boolean): void {
      const now = timers.now();
      for (const e of this.schedule) {
        if (e.at !== null) continue;
        // As the addon's cancelScheduled(true): what is due, and not past its horizon, leaves now.
        if (sendDue && e.due <= now && now - e.due <= e.lateMs) {
          e.at = now;
          this.wire(e.id, now, () => this.collect());
        } else e.at = 'dropped';
      }
      this.collect();
    }
    override sweep(now: number, timeoutMs: number): number {
      this.collect();
      return super.sweep(now, timeoutMs, this.schedule.length > 0 ? this.notSent : null);
    }
    /** What the schedule did, oldest first, as NativeUdpChannel.collectScheduled counts it. */
    private collect(): void {
      const t = this.table;
      const now = timers.now();
      let freed = false;
      while (this.schedule.length > 0 && this.schedule[0]!.at !== null) {
        const e = this.schedule.shift()!;
        this.notSent[e.id] = 0;
        const qi = t.query[e.id]!;
        const at = e.at;
        if (typeof at === 'number') {
          t.sentAt[e.id] = at;
          this.recorder.sent(at, this.q.offsets[qi + 1]! - this.q.offsets[qi]!);
          this.recorder.paced(at - e.due);
          continue;
        }
        t.release(e.id, 0);
        freed = true;
        if (e.due <= now) {
          this.recorder.skip(1, false);
          this.owner.returnQuery?.(this, qi);
        }
      }
      if (freed) this.owner.slotFreed(this);
    }
    /** Query `id` goes on the fake wire at `at`; its answer (if any) comes back through deliver, after `before`. */
    private wire(id: number, at: number, before: () => void = () => {}): void {
      const queryIndex = this.table.query[id]!;
      sent.push({ target: this.target, at, queryIndex });
      const latency = server.latencyMs({ target: this.target, sentAt: at, index: sent.length - 1 });
      if (latency === null) return;
      const start = this.q.offsets[queryIndex]!;
      const answer = Buffer.from(this.q.wire.subarray(start, this.q.offsets[queryIndex + 1]!));
      answer[0] = id >>> 8;
      answer[1] = id & 0xff;
      answer[2] = answer[2]! | 0x80;
      answer[3] = (answer[3]! & 0xf0) | (server.rcode ?? 0);
      timers.at(at + latency, () => {
        before();
        this.deliver(answer, 0, answer.length, timers.now());
      });
    }
    endpoints(): { local: string; remote: string } {
      return { local: `fake:${this.target}`, remote: `server:${this.target}` };
    }
    protected transmit(msg: Buffer, id: number): void {
      const at = timers.now();
      const queryIndex = this.table.query[id]!;
      sent.push({ target: this.target, at, queryIndex });
      const latency = server.latencyMs({ target: this.target, sentAt: at, index: sent.length - 1 });
      if (latency === null) return;
      // The answer: the query with QR set and the RCODE filled in (same ID, same question).
      const answer = Buffer.from(msg);
      answer[2] = answer[2]! | 0x80;
      answer[3] = (answer[3]! & 0xf0) | (server.rcode ?? 0);
      timers.at(at + latency, () => this.deliver(answer, 0, answer.length, timers.now()));
    }
    close(): void {}
  }
  registerTransport(mode, async (ctx) => new FakeChannel(ctx));

  const lines = Array.from({ length: o.queries ?? 100 }, (_, i) => `h${i}.test.com A`).join('\n');
  const qs = buildQuerySet(Buffer.from(lines), 'fake.txt', { recursionDesired: true, edns: null });
  const loops = o.loops ?? 1;
  const perLoop = o.socketsPerLoop ?? 1;
  const loopSetups: LoopSetup[] = Array.from({ length: loops }, (_, i) => ({
    loop: i,
    socketWindows: new Array<number>(perLoop).fill(o.window ?? 10),
    firstSocket: i * perLoop,
    localPort: null,
  }));
  const targets = Array.from({ length: o.targets ?? 1 }, (_, t) => ({ host: `192.0.2.${t + 1}`, port: 53, family: 4 as const }));
  const setup: HostSetup = {
    host: 0,
    loops: loopSetups,
    targets,
    timeoutMs: o.timeoutMs ?? 1000,
    bufferBytes: null,
    localAddresses: [],
    transport: {
      mode, tcpFallback: false, tsig: null, nsid: false,
      tls: { insecure: false, ca: null, sni: null }, doh: { path: '/dns-query', authority: null, method: 'GET' },
    },
    verbose: false,
    encode: { recursionDesired: true, edns: null },
    nativePath: null,
    queries: { count: qs.count, wire: qs.wire, offsets: qs.offsets, questionLengths: qs.questionLengths },
  };
  const messages: FromWorker[] = [];
  let done: RunData[] | undefined;
  const EPOCH = 1_700_000_000_000;
  const host = new WorkerHost(
    setup,
    (m) => {
      messages.push(m);
      if (m.type === 'done') done = m.partials;
    },
    { timers, toEpochMs: (t) => EPOCH + t, fromEpochMs: (e) => e - EPOCH, cpuMs: () => null },
  );
  await host.open();
  let runId = 0;
  return {
    timers,
    sent,
    messages,
    get done() {
      return done;
    },
    run(r) {
      done = undefined;
      sent.length = 0;
      const spec: HostRun = {
        run: ++runId,
        rates: Array.from({ length: loops }, (_, i) => (r.rate === null ? null : Math.floor(r.rate / loops) + (i < r.rate % loops ? 1 : 0))),
        rampMs: r.rampMs ?? null,
        timeLimitMs: r.timeLimitMs,
        totalQueries: r.totalQueries ?? null,
        intervalMs: r.intervalMs ?? 100,
        progressMs: 1000,
        startAtEpochMs: EPOCH + timers.now() + (r.startInMs ?? 0),
        sequence: new SharedArrayBuffer(8 * targets.length),
      };
      host.run(spec);
      timers.advance(0);
    },
    interrupt() {
      host.interrupt(runId);
    },
    close() {
      host.close();
    },
  };
}
