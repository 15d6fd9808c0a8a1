// One worker thread's share of the run: its sockets (channels), its slice of the window and rate,
// and the shared query sequence. It never prints: results, intervals and verbose lines go out
// through `post`.
import { clock, fromEpochMs, toEpochMs } from './clock.js';
import type { FromWorker, WorkerSetup } from './protocol.js';
import { Recorder } from './recorder.js';
import type { ChannelOwner, DnsChannel, QueryViews } from './channel.js';
import { describeQuery } from './describe.js';
import { openChannels } from './open-channels.js';
import type { TcpFallback } from './fallback.js';

/** Queries taken from the shared sequence at a time (one atomic add per chunk, not per query). */
const CHUNK = 64;

/**
 * Several targets (--interleave): every target gets the same query stream (the file in order, the
 * same passes), its own sockets and window (setup.socketWindows, per target), and, with -Q, the
 * same rate. The paced sends form one round-robin stream: stream slot k goes to target k mod n,
 * so target t's i-th query is due at (i + t/n) periods. A target whose window is full holds back
 * only its own queries (charged from their due time); it never stalls the others, so a dead
 * backend cannot drag the VIP's figures down to its timeout rate. Per-target state lives in typed
 * arrays indexed by target, so the hot path allocates nothing more than with one target.
 */
export class WorkerEngine implements ChannelOwner {
  /** Target-major: target t owns channels [t * socketsPerTarget, (t + 1) * socketsPerTarget). */
  private readonly channels: DnsChannel[] = [];
  /** --tcp-fallback TCP legs. */
  private legs: TcpFallback[] = [];
  private readonly recorders: Recorder[];
  private readonly q: QueryViews;
  /** One shared sequence per target (BigInt64Array(targets)). */
  private readonly sequence: BigInt64Array;
  private readonly targetCount: number;
  private readonly socketsPerTarget: number;
  /** Plain arrays of small integers (V8 keeps them as SMIs, so `%` below stays integer math). */
  private readonly chunkNext: number[];
  private readonly chunkEnd: number[];
  /** 1 while the target still has queries to send. */
  private readonly targetSending: Uint8Array;
  private targetsSending = 0;
  private readonly targetSendEndedAt: Float64Array;

  private sending = false;
  private finished = false;
  private startAt = 0;
  private sendEndedAt = 0;
  private endAt = Infinity;
  /** Open-loop schedule (-Q): target t's k-th query of this worker is due at startAt + (k + t/n) * periodMs. */
  private readonly periodMs: number;
  private readonly scheduled: Float64Array;
  private readonly nextDueAt: Float64Array;
  /** Per target: the channel to try first (round-robin over the target's sockets). */
  private readonly rr: Int32Array;
  private interval = 0;
  private timer: NodeJS.Timeout | null = null;
  private verboseLines: string[] = [];
  readonly verbose?: ChannelOwner['verbose'];

  constructor(
    private readonly setup: WorkerSetup,
    private readonly post: (msg: FromWorker) => void,
  ) {
    this.q = {
      wire: Buffer.from(setup.queries.wire),
      offsets: new Uint32Array(setup.queries.offsets),
      questionLengths: new Uint16Array(setup.queries.questionLengths),
    };
    this.sequence = new BigInt64Array(setup.sequence);
    const n = setup.targets.length;
    this.targetCount = n;
    this.socketsPerTarget = setup.socketWindows.length;
    this.chunkNext = new Array<number>(n).fill(0);
    this.chunkEnd = new Array<number>(n).fill(0);
    this.targetSending = new Uint8Array(n);
    this.targetSendEndedAt = new Float64Array(n);
    this.scheduled = new Float64Array(n);
    this.nextDueAt = new Float64Array(n);
    this.rr = new Int32Array(n);
    this.periodMs = setup.rate === null ? 0 : 1000 / setup.rate;
    this.recorders = setup.targets.map(() => new Recorder(setup.rate !== null));
    if (setup.verbose) this.verbose = this.verboseLine;
  }

  /** Open, bind and connect every socket before the start signal, so setup is not timed. */
  async open(): Promise<Array<{ local: string; remote: string; target: number }>> {
    const opened = await openChannels(this.setup, this.q, this.recorders, this);
    this.channels.push(...opened.channels);
    this.legs = opened.legs;
    return this.channels.map((ch) => ({ ...ch.endpoints(), target: ch.target }));
  }

  start(startAtEpochMs: number): void {
    const delay = Math.max(0, fromEpochMs(startAtEpochMs) - clock());
    setTimeout(() => this.begin(), delay);
  }

  interrupt(): void {
    if (this.finished) return;
    if (this.sending) this.stopSending(clock());
    for (const ch of this.channels) ch.interruptAll();
    this.finish();
  }

  slotFreed(_channel: DnsChannel): void {
    if (this.sending) {
      // Refill once per event-loop turn, after every answer libuv had ready has been read, rather
      // than one query per answer: the server then receives queries in bursts it can batch
      // (knotd's recvmmsg), and we pay the time-limit check once per burst. Measured against
      // knotd: +25% qps over refilling per answer.
      if (!this.refillPending) {
        this.refillPending = true;
        setImmediate(this.refill);
      }
    } else if (this.idle()) this.finish();
  }

  private refillPending = false;
  private readonly refill = (): void => {
    this.refillPending = false;
    if (!this.sending) return;
    if (this.setup.rate === null) for (const ch of this.channels) this.fill(ch);
    else this.pace();
  };

  private begin(): void {
    // Ctrl-C may arrive between "ready" and the common start time: then there is nothing to do.
    if (this.finished) return;
    const now = clock();
    this.startAt = now;
    this.sending = true;
    this.targetSending.fill(1);
    this.targetsSending = this.targetCount;
    if (this.setup.timeLimitMs !== null) this.endAt = now + this.setup.timeLimitMs;
    for (let t = 0; t < this.targetCount; t++) this.nextDueAt[t] = now + (t / this.targetCount) * this.periodMs;
    // Paced runs need a fine tick to release queries on schedule; otherwise the tick only sweeps
    // timeouts, closes intervals and checks the time limit.
    this.timer = setInterval(() => this.tick(), this.setup.rate === null ? 10 : 1);
    if (this.setup.rate === null) this.fillAll();
    else this.pace();
    this.tick();
  }

  private tick(): void {
    if (this.finished) return;
    const now = clock();
    for (const ch of this.channels) ch.sweep(now, this.setup.timeoutMs);
    for (const leg of this.legs) leg.sweep(now, this.setup.timeoutMs);
    if (this.sending && now >= this.endAt) this.stopSending(now);
    if (this.sending) {
      if (this.setup.rate === null) this.fillAll();
      else this.pace();
    }
    const index = Math.floor((now - this.startAt) / this.setup.intervalMs);
    while (this.interval < index) this.closeInterval(this.setup.intervalMs);
    this.flushVerbose();
    if (!this.sending && this.idle()) this.finish();
  }

  /** As fast as the window allows: top the channel up. */
  private fill(ch: DnsChannel): void {
    // The time limit is checked per batch, not per query: a batch is at most one window long and
    // usually a single query (one answer frees one slot).
    const now = clock();
    if (now >= this.endAt) return this.stopSending(now);
    const t = ch.target;
    while (ch.inflight < ch.limit) {
      const qi = this.nextQuery(t);
      if (qi < 0) return;
      ch.send(qi, 0);
    }
  }

  /** Top up every channel one query per channel per round, so several targets start (and are
   *  refilled after a timeout sweep) in turn rather than one whole window after another. */
  private fillAll(): void {
    const now = clock();
    if (now >= this.endAt) return this.stopSending(now);
    for (let more = true; more && this.sending; ) {
      more = false;
      for (const ch of this.channels) {
        if (ch.inflight >= ch.limit) continue;
        const qi = this.nextQuery(ch.target);
        if (qi < 0) continue;
        ch.send(qi, 0);
        more = true;
      }
    }
  }

  /** Open loop (-Q): send every query whose scheduled time has come: one per target per round
   *  (the round-robin stream), each on the target's next socket with room. */
  private pace(): void {
    const n = this.targetCount;
    let now = clock();
    if (now >= this.endAt) return this.stopSending(now);
    for (let more = true; more && this.sending; now = clock()) {
      more = false;
      for (let t = 0; t < n; t++) {
        const due = this.nextDueAt[t]!;
        if (due > now) continue;
        // Every window of this target is full: its due queries wait, and their latency is charged
        // from the due time (coordinated-omission correction), so a slow server cannot hide
        // behind the window. The other targets go on.
        const ch = this.freeChannel(t);
        if (ch === undefined) continue;
        const qi = this.nextQuery(t);
        if (qi < 0) continue;
        ch.send(qi, due);
        const k = this.scheduled[t]! + 1;
        this.scheduled[t] = k;
        this.nextDueAt[t] = this.startAt + (k + t / n) * this.periodMs;
        more = true;
      }
    }
  }

  /** The target's next socket with a free slot (round-robin), or undefined when all are full. */
  private freeChannel(t: number): DnsChannel | undefined {
    const s = this.socketsPerTarget;
    const base = t * s;
    const first = this.rr[t]!;
    for (let i = 0; i < s; i++) {
      const j = (first + i) % s;
      const c = this.channels[base + j]!;
      if (c.inflight < c.limit) {
        this.rr[t] = (j + 1) % s;
        return c;
      }
    }
    return undefined;
  }

  /** The next query index for target t from its shared sequence, or -1 when it has sent all. */
  private nextQuery(t: number): number {
    if (this.targetSending[t] === 0) return -1;
    if (this.chunkNext[t] === this.chunkEnd[t]) {
      const total = this.setup.totalQueries ?? Number.MAX_SAFE_INTEGER;
      const base = Number(Atomics.add(this.sequence, t, BigInt(CHUNK)));
      if (base >= total) {
        this.stopTarget(t, clock());
        return -1;
      }
      this.chunkNext[t] = base;
      this.chunkEnd[t] = Math.min(base + CHUNK, total);
    }
    const k = this.chunkNext[t]!;
    this.chunkNext[t] = k + 1;
    return k % this.setup.queries.count;
  }

  /** Target t has sent its share (-n passes); sending ends when every target has. */
  private stopTarget(t: number, now: number): void {
    if (this.targetSending[t] === 0) return;
    this.targetSending[t] = 0;
    this.targetSendEndedAt[t] = now;
    if (--this.targetsSending === 0) this.stopSending(now);
  }

  private stopSending(now: number): void {
    if (!this.sending) return;
    this.sending = false;
    this.sendEndedAt = now;
    for (let t = 0; t < this.targetCount; t++) if (this.targetSending[t] === 1) this.stopTarget(t, now);
  }

  private idle(): boolean {
    for (const ch of this.channels) if (ch.inflight > 0) return false;
    return true;
  }

  private closeInterval(durationMs: number): void {
    const startMs = toEpochMs(this.startAt + this.interval * this.setup.intervalMs);
    this.recorders.forEach((rec, target) => {
      const interval = rec.closeInterval(this.interval, startMs, durationMs);
      this.post({ type: 'interval', target, interval });
    });
    this.interval++;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== null) clearInterval(this.timer);
    const now = clock();
    if (this.sendEndedAt === 0) this.sendEndedAt = now;
    this.closeInterval(now - (this.startAt + this.interval * this.setup.intervalMs));
    this.flushVerbose();
    for (const ch of this.channels) ch.close();
    for (const leg of this.legs) leg.close();
    const partials = this.recorders.map((r, t) => {
      const sendEndedAt = this.targetSendEndedAt[t]! > 0 ? this.targetSendEndedAt[t]! : this.sendEndedAt;
      return r.partial({ startedAt: toEpochMs(this.startAt), sendEndedAt: toEpochMs(sendEndedAt), endedAt: toEpochMs(now) }, toEpochMs);
    });
    this.post({ type: 'done', partials });
  }

  private verboseLine = (ch: DnsChannel, outcome: string, queryIndex: number, latencyMs: number): void => {
    const line = describeQuery(this.q, queryIndex, outcome, latencyMs);
    // With several targets (--interleave), say which server the line is about.
    this.verboseLines.push(this.targetCount > 1 ? `${line} ${ch.endpoints().remote}` : line);
  };

  private flushVerbose(): void {
    if (this.verboseLines.length === 0) return;
    this.post({ type: 'verbose', lines: this.verboseLines.join('\n') + '\n' });
    this.verboseLines = [];
  }
}
