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

export class WorkerEngine implements ChannelOwner {
  private readonly channels: DnsChannel[] = [];
  /** --tcp-fallback TCP legs. */
  private legs: TcpFallback[] = [];
  private readonly recorders: Recorder[];
  private readonly q: QueryViews;
  private readonly sequence: BigInt64Array;
  private chunkNext = 0;
  private chunkEnd = 0;

  private sending = false;
  private finished = false;
  private startAt = 0;
  private sendEndedAt = 0;
  private endAt = Infinity;
  /** Open-loop schedule (-Q): the k-th query of this worker is due at startAt + k * periodMs. */
  private readonly periodMs: number;
  private scheduled = 0;
  private nextDueAt = 0;
  private rr = 0;
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
    this.periodMs = setup.rate === null ? 0 : 1000 / setup.rate;
    this.recorders = setup.targets.map(() => new Recorder(setup.rate !== null));
    if (setup.verbose) this.verbose = this.verboseLine;
  }

  /** Open, bind and connect every socket before the start signal, so setup is not timed. */
  async open(): Promise<Array<{ local: string; remote: string }>> {
    const opened = await openChannels(this.setup, this.q, this.recorders, this);
    this.channels.push(...opened.channels);
    this.legs = opened.legs;
    return this.channels.map((ch) => ch.endpoints());
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
    if (this.setup.timeLimitMs !== null) this.endAt = now + this.setup.timeLimitMs;
    this.nextDueAt = now;
    // Paced runs need a fine tick to release queries on schedule; otherwise the tick only sweeps
    // timeouts, closes intervals and checks the time limit.
    this.timer = setInterval(() => this.tick(), this.setup.rate === null ? 10 : 1);
    if (this.setup.rate === null) for (const ch of this.channels) this.fill(ch);
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
      if (this.setup.rate === null) for (const ch of this.channels) this.fill(ch);
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
    while (ch.inflight < ch.limit) {
      const qi = this.nextQuery();
      if (qi < 0) return;
      ch.send(qi, 0);
    }
  }

  /** Open loop (-Q): send every query whose scheduled time has come, round-robin over channels. */
  private pace(): void {
    const n = this.channels.length;
    let now = clock();
    if (now >= this.endAt) return this.stopSending(now);
    while (this.sending && this.nextDueAt <= now) {
      let ch: DnsChannel | undefined;
      for (let i = 0; i < n; i++) {
        const c = this.channels[(this.rr + i) % n]!;
        if (c.inflight < c.limit) {
          ch = c;
          this.rr = (this.rr + i + 1) % n;
          break;
        }
      }
      // Every window is full: the due queries wait, and their latency is charged from the due
      // time (coordinated-omission correction), so a slow server cannot hide behind the window.
      if (ch === undefined) return;
      const qi = this.nextQuery();
      if (qi < 0) return;
      ch.send(qi, this.nextDueAt);
      this.scheduled++;
      this.nextDueAt = this.startAt + this.scheduled * this.periodMs;
      now = clock();
    }
  }

  private nextQuery(): number {
    if (this.chunkNext === this.chunkEnd) {
      const total = this.setup.totalQueries ?? Number.MAX_SAFE_INTEGER;
      const base = Number(Atomics.add(this.sequence, 0, BigInt(CHUNK)));
      if (base >= total) {
        this.stopSending(clock());
        return -1;
      }
      this.chunkNext = base;
      this.chunkEnd = Math.min(base + CHUNK, total);
    }
    return this.chunkNext++ % this.setup.queries.count;
  }

  private stopSending(now: number): void {
    if (!this.sending) return;
    this.sending = false;
    this.sendEndedAt = now;
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
    const times = { startedAt: toEpochMs(this.startAt), sendEndedAt: toEpochMs(this.sendEndedAt), endedAt: toEpochMs(now) };
    this.post({ type: 'done', partials: this.recorders.map((r) => r.partial(times, toEpochMs)) });
  }

  private verboseLine = (_ch: DnsChannel, outcome: string, queryIndex: number, latencyMs: number): void => {
    this.verboseLines.push(describeQuery(this.q, queryIndex, outcome, latencyMs));
  };

  private flushVerbose(): void {
    if (this.verboseLines.length === 0) return;
    this.post({ type: 'verbose', lines: this.verboseLines.join('\n') + '\n' });
    this.verboseLines = [];
  }
}
