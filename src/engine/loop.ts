// One -T send/receive loop: its channels (sockets or connections) for every target, its share of
// the window and the rate, and the shared query sequence. It never prints: results, progress and
// -v lines go to its host (host.ts), which owns the timers. A loop lives as long as its session;
// each run gives it new recorders, a new sequence and a new schedule.
//
// Several targets (--interleave): every target gets the same query stream (the file in order,
// the same passes), its own channels and window, and with -Q the same rate. The paced sends form
// one round-robin stream: target t's k-th query is due at start + (k + t/n) periods. A target
// whose window is full holds back only its own queries; it never stalls the others. Per-target
// state lives in typed arrays indexed by target, so the hot path allocates nothing per query.
import type { ChannelContext, ChannelOwner, DnsChannel, QueryViews } from './channel.js';
import { describeQuery } from './describe.js';
import { ChannelFeatures } from './features.js';
import type { HostSetup, LoopSetup, SocketInfo, WorkerTarget } from './protocol.js';
import { Recorder } from './recorder.js';
import type { EngineTimers } from './timers.js';
import { NOT_READY, STREAM_END, StreamCursor } from './stream-cursor.js';
import { TcpFallback } from './transports/fallback.js';
import { transportFactory } from './transports/registry.js';
import { reconnectorOf, streamTarget } from './transports/tcp.js';
import type { RunData } from '../results/model.js';
import { GIVE_UP_AFTER_FAILURES } from './give-up.js';
import { TsigSigner } from '../tsig/tsig.js';
import './transports/builtin.js';

/** Queries taken from the shared sequence at a time (one atomic add per chunk, not per query). */
const CHUNK = 64;
/**
 * Whole slots in a span of `x` periods, rounding up: a span of exactly k periods (computed in
 * floating point from times like base + k * P) must give k, not k + 1.
 */
const ceilSlots = (x: number): number => Math.ceil(x - 1e-9);

/** How soon a paced target whose window is full looks again for answers that free it (ms). */
const BLOCKED_RECHECK_MS = 0.5;

/**
 * Paced runs on a transport with a send schedule (native UDP): queries due in the next AHEAD_MS
 * are handed over at once and leave from C at their due times, so the engine wakes once per
 * AHEAD_MS, not once per query (docs/performance.md "Fixed rates"). At most half of a channel's
 * window is taken ahead, so a full window still means the server holds half of it or more.
 */
const AHEAD_MS = 20;
/**
 * ...and the engine wakes this much before the next slot it has not handed over, so that slot
 * goes to the schedule too (whose timer is armed ahead by its wake-up latency) instead of being
 * sent by the engine's own, later, wake-up.
 */
const AHEAD_LEAD_MS = 1;

/** Each channel's first burst (closed loop): then +1 per answer up to its window (slow start). */
const INITIAL_RAMP = 32;

/**
 * ...and, whether or not answers come, at least +2 per ms since the start (RAMP_PER_MS), looked
 * at every RAMP_WAKE_MS while a channel is held below its window: dnsperf's first window pauses
 * ~1 ms every other query while nothing has been answered, so it reaches -q against a server that
 * answers nothing. Growth by answers alone kept 32 outstanding there, not -q: against a dead (or
 * dropping, or TSIG-failing) server, -q 100 -t 1 sent 32 queries a second where dnsperf sent 100.
 */
const RAMP_PER_MS = 2;
const RAMP_WAKE_MS = 1;


/**
 * Where a loop is in its life. Transport events (a reconnection, an answer) may arrive in any
 * phase; only `sending` and `draining` act on them, so nothing that happens before the start (a
 * server closing each connection on accept) can end a run that has not begun (issue 11.12).
 */
const Phase = {
  /** Channels open, no run yet (or between runs of a session). */
  notStarted: 0,
  sending: 1,
  /** Sending ended; waiting for the outstanding queries. */
  draining: 2,
  finished: 3,
} as const;
type Phase = (typeof Phase)[keyof typeof Phase];

/** What a loop asks of its host. */
export interface LoopHost {
  readonly timers: EngineTimers;
  /** Send more from this loop once the current event-loop turn's answers have been read. */
  refillSoon(loop: EngineLoop): void;
  /** Wake this loop (pace) at clock time `at`. */
  wakeAt(loop: EngineLoop, at: number): void;
  /** The run is over on this loop: its per-target results. */
  finished(loop: EngineLoop, partials: RunData[]): void;
  /** -v lines (already formatted, newline-terminated). */
  verbose(lines: string): void;
  /** Clock reading -> epoch ms. */
  toEpochMs(t: number): number;
}

/** One run as a loop sees it. */
export interface LoopRun {
  /** Queries per second per target for this loop, or null for as fast as the window allows. */
  rate: number | null;
  /** With a rate: it rises linearly from 0 to `rate` over this many ms, then holds; null = constant. */
  rampMs: number | null;
  timeLimitMs: number | null;
  /** Per target over every loop, or null when only time-limited. */
  totalQueries: number | null;
  intervalMs: number;
  /** Clock time the run starts. */
  startAt: number;
  sequence: BigInt64Array;
}

export class EngineLoop implements ChannelOwner {
  /** Target-major: target t owns channels [t * socketsPerTarget, (t + 1) * socketsPerTarget). */
  readonly channels: DnsChannel[] = [];
  /** --tcp-fallback TCP legs. */
  private legs: TcpFallback[] = [];
  /**
   * Aborted by close(): open() may still be connecting then (another thread failed to open, and
   * the session closes). A worker's isolate ends with its session, but on the session's own thread
   * (engine/inline.ts) a connection finished after close() would stay open and keep the process.
   */
  private readonly closing = new AbortController();
  private recorders: Recorder[] = [];
  private readonly targetCount: number;
  private readonly socketsPerTarget: number;
  private readonly now: () => number;
  readonly verbose?: ChannelOwner['verbose'];

  // --- per run -------------------------------------------------------------------------------
  private run: LoopRun | null = null;
  private phase: Phase = Phase.notStarted;
  private sendEndedAt = 0;
  private endAt = Infinity;
  /**
   * The time limit's end (clock ms; Infinity without -l). endAt is earlier only while -n has taken
   * every query and the last ones wait in send schedules (stopTarget).
   */
  private limitAt = Infinity;
  /** Closed loop: clock time the slow start began, or -1 once every channel has its whole window. */
  private rampFrom = -1;
  /**
   * A slow-start wake-up was asked for this run. The host keeps one wake-up per loop (the
   * earliest), so it may have taken the time limit's place: fillAll asks for that one again.
   */
  private rearmEndWake = false;
  /** Per target: queries a send schedule gave back unsent (their slots passed), sent first. */
  private returned: number[][] = [];
  /** Plain arrays of small integers (V8 keeps them as SMIs, so `%` below stays integer math). */
  private chunkNext: number[] = [];
  private chunkEnd: number[] = [];
  /** 1 while the target still has queries to send. */
  private targetSending = new Uint8Array(0);
  private targetsSending = 0;
  private targetSendEndedAt = new Float64Array(0);
  /** 1 once the target's queries (-n passes, or the streamed file) are all taken. */
  private outOfQueries = new Uint8Array(0);

  // --- pacing (-Q), per target ---------------------------------------------------------------
  private periodMs = 0;
  /** Catch-up horizon: a slot later than this is not sent late; the schedule resumes from now. */
  private horizonMs = 1;
  /** Ramp (capacity --ramp, like resperf): the rate rises from 0 to 1000/periodMs over rampMs,
   *  from clock time rampStart, then holds. 0 = a constant rate. */
  private rampMs = 0;
  private rampStart = 0;
  /** Schedule origin of each target (moves forward when the schedule resumes after a stall). */
  private base = new Float64Array(0);
  /** Slots scheduled so far per target (since its origin). */
  private slot = new Float64Array(0);
  private nextDueAt = new Float64Array(0);
  /** Due time of the first slot that found every window full, or -1 (coordinated omission). */
  private blockedDue = new Float64Array(0);
  /** Clock time a due query first found every window full, or -1. */
  private blockedSince = new Float64Array(0);
  /** The due time the next query sent is charged from (a full window made it wait), or -1. */
  private chargeFrom = new Float64Array(0);
  /** Per target: the channel to try first (round-robin over the target's sockets). */
  private rr = new Int32Array(0);
  /** Per target: the clock time pacing found the streamed file not read that far yet, or -1. */
  private streamWaitFrom = new Float64Array(0);

  /** A streamed query set's chunks (null when the whole set is in memory). */
  private readonly cursor: StreamCursor | null;
  /** Connections given up this run (no time limit and GIVE_UP_AFTER_FAILURES failures in a row). */
  private givenUp = new Uint8Array(0);
  /** Paced and sending: channels that can keep answers unread until readDeferred() do. */
  private deferring = false;
  /** Paced: queries may be handed to a channel's send schedule ahead of their due times. */
  private ahead = false;

  private verboseLines: string[] = [];

  constructor(
    private readonly setup: LoopSetup,
    private readonly common: HostSetup,
    private readonly q: QueryViews,
    private readonly host: LoopHost,
  ) {
    this.targetCount = common.targets.length;
    this.socketsPerTarget = setup.socketWindows.length;
    this.now = host.timers.now;
    if (common.verbose) this.verbose = this.verboseLine;
    const ring = common.queries.ring;
    this.cursor = ring === undefined ? null : new StreamCursor(ring, this.targetCount, () => this.host.refillSoon(this), this.now, (t, visit) => this.outstanding(t, visit), setup.loop * this.targetCount);
  }

  /** True between begin() and the end of the run. */
  private get running(): boolean {
    return this.phase === Phase.sending || this.phase === Phase.draining;
  }

  private get sending(): boolean {
    return this.phase === Phase.sending;
  }

  get index(): number {
    return this.setup.loop;
  }

  /**
   * Open, bind and connect every channel before any run starts, so setup is never timed. The
   * recorders given count what happens while connecting (attempts, setup latency); they become
   * the first run's. Throws the transport's ConnectError (one line) when a channel cannot open.
   */
  async open(first: Recorder[]): Promise<SocketInfo[]> {
    const s = this.setup;
    const c = this.common;
    const tr = c.transport;
    this.recorders = first;
    const signer = tr.tsig === null ? null : new TsigSigner(tr.tsig);
    const legs = new Map<string, TcpFallback>();
    const open = transportFactory(tr.mode === 'udp' && tr.io === 'native' ? 'native-udp' : tr.mode);
    let port = s.localPort;
    for (let t = 0; t < this.targetCount; t++) {
      const target: WorkerTarget = c.targets[t]!;
      for (let k = 0; k < this.socketsPerTarget; k++) {
        const n = c.localAddresses.length;
        // Socket k of this loop binds to -a address (firstSocket + k) mod n: the addresses are
        // spread round-robin over all sockets of the session; -x ports are consecutive.
        const localAddress = n === 0 ? null : c.localAddresses[(s.firstSocket + k) % n]!;
        const ctx: ChannelContext = {
          target, targetIndex: t, window: s.socketWindows[k]!, localAddress, localPort: port,
          bufferBytes: c.bufferBytes, udpPayloadSize: c.encode.edns?.udpSize ?? null, connectTimeoutMs: c.timeoutMs, transport: tr, q: this.q,
          recorder: first[t]!, owner: this, now: this.now, signal: this.closing.signal,
        };
        const ch = await open(ctx);
        if (this.closing.signal.aborted) {
          // Closed while this channel was opening: it goes, and nothing more is opened.
          ch.close();
          throw new Error('the session closed while its channels were opening');
        }
        if (signer !== null || tr.nsid) ch.features = new ChannelFeatures(signer, tr.nsid, () => ch.recorder);
        if (tr.tcpFallback) {
          // One leg per target and local address: a view chosen by client address must see the
          // TCP retry come from the same address.
          const key = `${t}/${localAddress ?? ''}`;
          let leg = legs.get(key);
          if (leg === undefined) {
            leg = new TcpFallback({ ...streamTarget(ctx), localPort: null }, this.q, first[t]!, this.now);
            legs.set(key, leg);
          }
          ch.fallback = leg;
        }
        this.channels.push(ch);
        if (port !== null) port++;
      }
    }
    this.legs = [...legs.values()];
    return this.channels.map((ch) => ({ ...ch.endpoints(), target: ch.target }));
  }

  /** Start a run at `run.startAt` with `recorders` (one per target; the first run's are open()'s). */
  begin(run: LoopRun, recorders: Recorder[]): void {
    const n = this.targetCount;
    // Sources in use carry over: the same sockets serve every run of a session.
    for (let t = 0; t < n; t++) for (const src of this.recorders[t]?.sources ?? []) recorders[t]!.sources.add(src);
    this.recorders = recorders;
    for (const ch of this.channels) ch.recorder = recorders[ch.target]!;
    for (const leg of this.legs) leg.recorder = recorders[0]!;
    this.run = run;
    this.phase = Phase.sending;
    this.ahead = false;
    this.sendEndedAt = 0;
    this.cursor?.begin(run.sequence.buffer as SharedArrayBuffer);
    this.streamWaitFrom = new Float64Array(n).fill(-1);
    this.givenUp = new Uint8Array(this.channels.length);
    // Without a time limit a connection that cannot be re-established is given up, so the run ends.
    for (const ch of this.channels) reconnectorOf(ch)?.limitFailures(run.timeLimitMs === null ? GIVE_UP_AFTER_FAILURES : Infinity);
    this.returned = Array.from({ length: n }, () => []);
    this.chunkNext = new Array<number>(n).fill(0);
    this.chunkEnd = new Array<number>(n).fill(0);
    this.targetSending = new Uint8Array(n).fill(1);
    this.targetsSending = n;
    this.targetSendEndedAt = new Float64Array(n);
    this.outOfQueries = new Uint8Array(n);
    this.rr = new Int32Array(n);
    this.blockedSince = new Float64Array(n).fill(-1);
    this.blockedDue = new Float64Array(n).fill(-1);
    this.chargeFrom = new Float64Array(n).fill(-1);
    // -l and the -Q schedule count from when this loop can first send: a wake-up a few ms after
    // startAt must not eat a short limit (-l 0.001 sent nothing; dnsperf's clock starts as its send
    // loop does), and the schedule must span exactly -l (rate x -l slots).
    const now = Math.max(run.startAt, this.now());
    this.endAt = run.timeLimitMs === null ? Infinity : now + run.timeLimitMs;
    this.limitAt = this.endAt;
    if (this.endAt !== Infinity) this.host.wakeAt(this, this.endAt);
    if (run.rate === null) {
      this.periodMs = 0;
      for (const ch of this.channels) ch.ramp = Math.min(ch.window, INITIAL_RAMP);
      this.rampFrom = now;
      this.rearmEndWake = false;
      this.fillAll();
    } else if (run.rate <= 0) {
      this.rampFrom = -1;
      // More loops than queries per second: this one sends nothing (the others carry the rate).
      this.periodMs = Infinity;
      this.stopSending(now);
    } else {
      this.periodMs = 1000 / run.rate;
      this.rampFrom = -1;
      // Paced: each wake-up reads the answers that arrived since (their times are the kernel's),
      // so a query costs one wake-up, not two (docs/performance.md "Fixed rates").
      this.deferAnswers(true);
      // A streamed file may move a query while it waits (stream-cursor.ts): not handed over ahead.
      this.ahead = this.cursor === null;
      // A slot may be sent at most this late (else the schedule resumes from now): 1 ms keeps
      // any 100 ms within rate/10 + 1% + 1 queries (issue 9), unless the timers cannot wake that
      // precisely, in which case their resolution decides (README "Rate limit").
      this.horizonMs = Math.max(1, this.host.timers.resolutionMs);
      this.rampMs = run.rampMs !== null && run.rampMs > 0 ? run.rampMs : 0;
      this.rampStart = now;
      this.base = new Float64Array(n).fill(now);
      this.slot = new Float64Array(n);
      this.nextDueAt = Float64Array.from({ length: n }, (_, t) => this.dueAt(t, t / n));
      this.pace();
    }
    this.flush();
  }

  /** Housekeeping from the host: timeouts, the time limit, final intervals, the end of the run. */
  tick(now: number): void {
    if (!this.running) return;
    const timeoutMs = this.common.timeoutMs;
    // An answer waiting unread (deferred) is not a timeout.
    if (this.deferring) this.readDeferred();
    for (const ch of this.channels) ch.sweep(now, timeoutMs);
    for (const leg of this.legs) leg.sweep(now, timeoutMs);
    for (const rec of this.recorders) rec.touch(now);
    if (this.cursor !== null) for (let t = 0; t < this.targetCount; t++) this.cursor.releaseUnused(t);
    if (this.sending) {
      this.checkGivenUp(now);
      const ended = now >= this.endAt && this.endSending(now);
      if (!ended) {
        if (this.periodMs === 0) this.fillAll();
        else this.pace();
      }
      this.flush();
    }
    this.flushVerbose();
    if (!this.sending && this.idle()) this.finish();
  }

  /** Sends after answers were read (host.refillSoon) or a wake-up (host.wakeAt). */
  refill(): void {
    if (!this.running) return;
    if (this.sending) {
      this.checkGivenUp(this.now());
      if (!this.sending) {
        if (this.idle()) this.finish();
        return;
      }
      if (this.periodMs === 0) this.fillAll();
      else this.pace();
      this.flush();
      // Deferred answers are read after the queries due now have left, so reading them adds
      // nothing to the send lag; their latency is their kernel arrival time either way.
      if (this.deferring) this.readDeferred();
    } else if (this.idle()) this.finish();
  }

  /** What target t's recorder has counted so far this run, by event time (for progress lines). */
  liveCounts(t: number): { sent: number; completed: number; lost: number } {
    return this.recorders[t]?.live ?? { sent: 0, completed: 0, lost: 0 };
  }

  /** Ctrl-C: stop sending; outstanding queries count as interrupted. */
  interrupt(): void {
    if (!this.running) return;
    // Nothing more leaves, not even what fell due in this turn.
    if (this.sending) this.stopSending(this.now(), false);
    for (const ch of this.channels) ch.interruptAll();
    this.finish();
  }

  close(): void {
    this.closing.abort();
    for (const ch of this.channels) ch.close();
    for (const leg of this.legs) leg.close();
  }

  returnQuery(channel: DnsChannel, queryIndex: number): void {
    if (!this.sending) return;
    const t = channel.target;
    if (this.targetSending[t] === 0) {
      // -n: the target had taken its last query, and this one never left: it is sent in the
      // target's next slot, so every query of every pass is sent (as on the engine's own path,
      // where a late slot never uses up a query), and the time limit is the run's own again.
      if (this.outOfQueries[t] === 0) return;
      this.targetSending[t] = 1;
      this.targetsSending++;
      this.endAt = this.limitAt;
    }
    // Bounded by the schedule (at most SCHEDULE_MAX per channel are ever out).
    this.returned[t]!.push(queryIndex);
  }

  slotFreed(channel: DnsChannel): void {
    if (channel.ramp < channel.window) channel.ramp++;
    // Refill once per event-loop turn, after every answer libuv had ready has been read, rather
    // than one query per answer: the server then receives queries in bursts it can batch
    // (knotd's recvmmsg), and the time-limit check is paid once per burst. Measured against
    // knotd: +25% qps over refilling per answer. Before the start (a reconnection while the
    // session waits for its first run) there is nothing to do.
    // While deferring, answers are read at the next wake-up (refill, pace, tick), which uses the freed slots.
    if (this.running && !this.deferring) this.host.refillSoon(this);
  }

  private flush(): void {
    for (const ch of this.channels) ch.flush();
  }

  /** Reads the waiting answers of every channel with queries out (one recvmmsg each; none for the others). */
  private readDeferred(): void {
    for (const ch of this.channels) if (ch.inflight > 0) ch.readDeferred();
  }

  /** Paced runs defer answers to the next wake-up (one wake-up a query, not two); others read each at once. */
  private deferAnswers(on: boolean): void {
    this.deferring = on;
    for (const ch of this.channels) ch.deferAnswers(on);
  }

  /**
   * As fast as the window allows: top up every channel, one query per channel per round, so
   * several targets start (and are refilled after a timeout sweep) in turn rather than one whole
   * window after another. The time limit is checked once per call, not per query.
   */
  private fillAll(): void {
    const now = this.now();
    if (now >= this.endAt) return this.stopSending(now);
    if (this.rampFrom >= 0) this.rampByTime(now);
    else if (this.rearmEndWake && this.endAt !== Infinity) this.host.wakeAt(this, this.endAt);
    for (let more = true; more && this.sending; ) {
      more = false;
      for (const ch of this.channels) {
        if (ch.inflight >= ch.limit || ch.inflight >= ch.ramp) continue;
        const qi = this.nextQuery(ch.target);
        if (qi < 0) continue;
        ch.send(qi, -1);
        more = true;
      }
    }
  }

  /**
   * Slow start's floor by time (RAMP_PER_MS): raise each channel's ramp to it, and wake again in
   * RAMP_WAKE_MS while one is still below its window. The host keeps one wake-up per loop, the
   * earliest, so once the ramp is done the time limit's wake-up is asked for again (here, and by
   * fillAll after any later wake-up: one asked for while a ramp wake-up was pending is dropped).
   */
  private rampByTime(now: number): void {
    const floor = INITIAL_RAMP + Math.floor((now - this.rampFrom) * RAMP_PER_MS);
    let below = false;
    for (const ch of this.channels) {
      if (ch.ramp >= ch.window) continue;
      if (ch.ramp < floor) ch.ramp = Math.min(ch.window, floor);
      if (ch.ramp < ch.window) below = true;
    }
    if (below) {
      this.rearmEndWake = true;
      this.host.wakeAt(this, Math.min(now + RAMP_WAKE_MS, this.endAt));
    } else {
      this.rampFrom = -1;
      if (this.endAt !== Infinity) this.host.wakeAt(this, this.endAt);
    }
  }

  /**
   * Open loop (-Q): send every query whose time has come, one per target per round (the
   * round-robin stream), each on the target's next channel with room. -Q is a ceiling, not a
   * schedule to catch up on: a slot later than the horizon is not sent late; the schedule
   * resumes from now and the slots missed are counted as skipped (dnsperf#224's burst, fixed).
   */
  private pace(): void {
    const n = this.targetCount;
    const P = this.periodMs;
    const H = this.horizonMs;
    let now = this.now();
    // Answers left unread (deferred) are read at most once here, when a full window needs them.
    let readNow = this.deferring;
    if (now >= this.endAt && this.endSending(now)) return;
    let wake = Infinity;
    const aheadUntil = this.ahead ? now + AHEAD_MS : now;
    for (let more = true; more && this.sending; ) {
      more = false;
      for (let t = 0; t < n; t++) {
        if (this.targetSending[t] === 0) continue;
        let due = this.nextDueAt[t]!;
        // The schedule ends at the time limit: a slot due at or after it is not this run's.
        if (due >= this.endAt) continue;
        if (due > now) {
          if (due <= aheadUntil && this.scheduleAhead(t, due)) {
            more = true;
            continue;
          }
          // Never a wake-up already past: when the schedule cannot take the slot (half the window
          // out), the next look is at its due time.
          const at = this.ahead && due - AHEAD_LEAD_MS > now ? due - AHEAD_LEAD_MS : due;
          if (at < wake) wake = at;
          continue;
        }
        const cursor = this.cursor;
        if (cursor !== null) {
          // A streamed file: is its next query there? (Looked at, not taken: a skipped slot must
          // not use up a query.)
          const ready = cursor.peek(t);
          if (ready === STREAM_END) {
            this.stopTarget(t, now);
            continue;
          }
          if (ready === NOT_READY) {
            // Not read this far yet: the loop is woken when it is.
            if (this.streamWaitFrom[t]! < 0) this.streamWaitFrom[t] = now;
            continue;
          }
          if (this.streamWaitFrom[t]! >= 0) {
            // Waiting for the file is neither send lag nor skipped slots (the report notes the wait
            // apart): the grid moves so that this slot is due now.
            this.streamWaitFrom[t] = -1;
            this.base[t] = now - (this.slot[t]! + t / n) * P;
            due = now;
            this.nextDueAt[t] = now;
          }
        }
        let ch = this.freeChannel(t);
        if (ch === undefined && readNow) {
          readNow = false;
          this.readDeferred();
          ch = this.freeChannel(t);
          now = this.now();
        }
        if (ch === undefined) {
          // Every window of this target is full: its due queries wait for the server. The first
          // one is charged from its due time (corrected latency); the others go on.
          if (this.blockedSince[t]! < 0) {
            this.blockedSince[t] = now;
            this.blockedDue[t] = due;
          }
          // Answers that free the window may be waiting unread (deferred): look again soon.
          if (now + BLOCKED_RECHECK_MS < wake) wake = now + BLOCKED_RECHECK_MS;
          continue;
        }
        const rec = this.recorders[t]!;
        if (this.blockedSince[t]! >= 0) {
          // A slot is free again: the wait since the first blocked due time is the server's doing,
          // charged to the next query sent (coordinated omission), whenever its slot comes.
          rec.windowFullMs += now - this.blockedSince[t]!;
          this.blockedSince[t] = -1;
          this.chargeFrom[t] = this.blockedDue[t]!;
        }
        if (now - due > H) {
          // Too late to send on schedule (the window held it, or this loop was late): every slot
          // more than the horizon late (and before the time limit) is skipped and counted; the
          // schedule keeps its grid (a ramp's grid is the ramp's), so what is sent is always within
          // H of its due time and no 100 ms carries a burst.
          const missed = ceilSlots(this.slotsBetween(due, Math.min(now - H, this.endAt)));
          rec.skip(missed, this.chargeFrom[t]! >= 0);
          this.slot[t] = this.slot[t]! + missed;
          due = this.dueAt(t, this.slot[t]! + t / n);
          this.nextDueAt[t] = due;
          if (due >= this.endAt) continue;
          if (due > now) {
            // The next slot on the grid is still to come (the period is longer than the horizon).
            if (due < wake) wake = due;
            continue;
          }
        }
        const qi = this.nextQuery(t);
        if (qi < 0) continue;
        ch.send(qi, this.chargeFrom[t]!);
        this.chargeFrom[t] = -1;
        rec.paced(now - due);
        const k = this.slot[t]! + 1;
        this.slot[t] = k;
        this.nextDueAt[t] = this.dueAt(t, k + t / n);
        more = true;
      }
      now = this.now();
    }
    if (this.sending && wake !== Infinity) this.host.wakeAt(this, wake);
  }

  /**
   * Hands target t's next slot (due at `due`, later than now) to a channel's send schedule: one
   * that has one, with under half its window taken; not while a full window holds the target back
   * (the query sent after that is charged from its due time, which only the engine does). Returns
   * false when none can take it: the slot is then sent by the engine when due.
   */
  private scheduleAhead(t: number, due: number): boolean {
    if (this.blockedSince[t]! >= 0 || this.chargeFrom[t]! >= 0) return false;
    const c = this.pickChannel(t, true);
    if (c === undefined) return false;
    const qi = this.nextQuery(t);
    if (qi < 0) return false;
    c.scheduleAt(qi, due, this.horizonMs);
    const k = this.slot[t]! + 1;
    this.slot[t] = k;
    this.nextDueAt[t] = this.dueAt(t, k + t / this.targetCount);
    return true;
  }

  /** The target's next channel with a free slot (round-robin), or undefined when all are full. */
  private freeChannel(t: number): DnsChannel | undefined {
    return this.pickChannel(t, false);
  }

  /**
   * Target t's next channel, round-robin over its sockets, that has a free slot or (`ahead`) a
   * send schedule and under half its window taken; undefined when none has.
   */
  private pickChannel(t: number, ahead: boolean): DnsChannel | undefined {
    const s = this.socketsPerTarget;
    const base = t * s;
    const first = this.rr[t]!;
    for (let i = 0; i < s; i++) {
      const j = (first + i) % s;
      const c = this.channels[base + j]!;
      if (ahead ? c.inflight * 2 < c.limit && c.canScheduleAhead() : c.inflight < c.limit) {
        this.rr[t] = (j + 1) % s;
        return c;
      }
    }
    return undefined;
  }

  /**
   * The next query index for target t: from its shared sequence, or from the stream's chunks;
   * -1 when it has sent all, NOT_READY while a streamed file is not read that far.
   */
  private nextQuery(t: number): number {
    if (this.targetSending[t] === 0) return -1;
    const back = this.returned[t]!;
    if (back.length > 0) return back.shift()!;
    const cursor = this.cursor;
    if (cursor !== null) {
      const qi = cursor.next(t);
      if (qi === STREAM_END) {
        this.outOfQueries[t] = 1;
        this.stopTarget(t, this.now());
        return -1;
      }
      return qi;
    }
    if (this.chunkNext[t] === this.chunkEnd[t]) {
      const run = this.run!;
      const total = run.totalQueries ?? Number.MAX_SAFE_INTEGER;
      const base = Number(Atomics.add(run.sequence, t, BigInt(CHUNK)));
      if (base >= total) {
        this.outOfQueries[t] = 1;
        this.stopTarget(t, this.now());
        return -1;
      }
      this.chunkNext[t] = base;
      this.chunkEnd[t] = Math.min(base + CHUNK, total);
    }
    const k = this.chunkNext[t]!;
    this.chunkNext[t] = k + 1;
    return k % this.common.queries.count;
  }

  /**
   * Clock time at which slot position x is due (target t's k-th slot is x = k + t/n, the
   * round-robin stream). Constant rate: base + x periods. Ramp: the rate at time τ after the start
   * is r(τ) = R τ / T (R = 1/periodMs, T = rampMs), so N(τ) = R τ² / 2T slots are due by τ ≤ T
   * and R T / 2 + R (τ - T) after; this is N's inverse.
   */
  private dueAt(t: number, x: number): number {
    if (this.rampMs === 0) return this.base[t]! + x * this.periodMs;
    const R = 1 / this.periodMs;
    const T = this.rampMs;
    const half = (R * T) / 2;
    return this.rampStart + (x <= half ? Math.sqrt((2 * T * x) / R) : T + (x - half) / R);
  }

  /** Slot positions due from clock time `from` to `to`: (to - from) / period, or N(to) - N(from) on a ramp. */
  private slotsBetween(from: number, to: number): number {
    return this.rampMs === 0 ? (to - from) / this.periodMs : this.rampSlotsBy(to) - this.rampSlotsBy(from);
  }

  /** Ramp: slot positions due by clock time `at` (N above; the inverse of dueAt). */
  private rampSlotsBy(at: number): number {
    const R = 1 / this.periodMs;
    const T = this.rampMs;
    const tau = Math.max(0, at - this.rampStart);
    return tau <= T ? (R * tau * tau) / (2 * T) : (R * T) / 2 + R * (tau - T);
  }

  /** Target t has sent its share (-n passes); sending ends when every target has. */
  private stopTarget(t: number, now: number): void {
    if (this.targetSending[t] === 0) return;
    this.targetSending[t] = 0;
    this.targetSendEndedAt[t] = now;
    if (--this.targetsSending > 0) return;
    // Every query is taken (-n): those still in a send schedule leave at their due times, and
    // sending ends once the last of them has had its horizon to leave (the time limit moves there:
    // the addon's timer and this loop's may fire in either order within one event-loop turn). One
    // due already but not reported yet (the addon's timer was late) gets its horizon from now;
    // one that does not leave comes back (returnQuery, endSending).
    let last = -1;
    for (const ch of this.channels) last = Math.max(last, ch.lastScheduledDue());
    if (last >= 0 && this.sending) {
      last = Math.max(last, now);
      this.endAt = Math.min(this.limitAt, last + this.horizonMs);
      for (let i = 0; i < this.targetCount; i++) this.targetSendEndedAt[i] = Math.max(this.targetSendEndedAt[i]!, last);
      this.host.wakeAt(this, this.endAt);
    } else this.stopSending(now);
  }

  /**
   * The clock reached endAt: sending ends (true), unless endAt was -n's wait for the send schedules
   * (stopTarget) and a query in one did not leave: it comes back to its target, which sends it in
   * its next slot (false: sending goes on, until the time limit if there is one).
   */
  private endSending(now: number): boolean {
    if (this.endAt < this.limitAt) {
      // Collected while still sending, so what did not leave is given back (returnQuery).
      for (const ch of this.channels) ch.stopSchedule(true);
      if (this.targetsSending > 0 && now < this.endAt) return false;
    }
    this.stopSending(now);
    return true;
  }

  /**
   * Sending ends at `now`. `sendDue` (false only for Ctrl-C): queries in a send schedule whose due
   * time has come leave first, as their timer would have in this event-loop turn.
   */
  private stopSending(now: number, sendDue = true): void {
    if (!this.sending) return;
    this.phase = Phase.draining;
    // Queries in a send schedule that have not left by now never will (their slots were due by the
    // end, or the run was interrupted).
    if (this.ahead) for (const ch of this.channels) ch.stopSchedule(sendDue);
    this.ahead = false;
    // Draining reads each answer as it comes (the run ends with the last one).
    if (this.deferring) {
      this.readDeferred();
      this.deferAnswers(false);
    }
    this.sendEndedAt = now;
    for (let t = 0; t < this.targetCount; t++) {
      // A target that had sent all its queries (-n) had no more slots to miss.
      const wasSending = this.targetSending[t] === 1;
      if (wasSending) this.stopTarget(t, now);
      // Every slot due by the end of the schedule and not sent was missed: those a full window
      // held back (it was full until now), or those this loop was too late for.
      const P = this.periodMs;
      if (wasSending && P > 0 && P !== Infinity) {
        const end = Math.min(now, this.endAt);
        const rec = this.recorders[t]!;
        const blocked = this.blockedSince[t]! >= 0;
        if (blocked) rec.windowFullMs += now - this.blockedSince[t]!;
        const from = blocked ? this.blockedDue[t]! : this.nextDueAt[t]!;
        // Slots due in [from, end).
        if (from < end) rec.skip(ceilSlots(this.slotsBetween(from, end)), blocked);
        this.blockedSince[t] = -1;
      }
    }
    if (this.idle()) this.host.refillSoon(this);
  }

  private idle(): boolean {
    for (const ch of this.channels) if (ch.inflight > 0) return false;
    return true;
  }

  /**
   * Calls `visit` with the query array and ID of every query of target t outstanding on this
   * loop's channels (a --tcp-fallback retry keeps its UDP slot, so it is among them): the streamed
   * chunks they live in must stay, or the queries move (StreamCursor rewrites query[id]).
   */
  private outstanding(t: number, visit: (query: Int32Array, id: number) => void): void {
    const s = this.socketsPerTarget;
    for (let i = t * s; i < (t + 1) * s; i++) {
      const table = this.channels[i]!.table;
      if (table.inflight > 0) table.forEachOutstanding((id) => visit(table.query, id));
    }
  }

  /**
   * A target whose every connection was given up (no -l, GIVE_UP_AFTER_FAILURES failed attempts
   * in a row) stops sending: the queries it did not send are not sent, and the report says so.
   */
  private checkGivenUp(now: number): void {
    const s = this.socketsPerTarget;
    for (let t = 0; t < this.targetCount; t++) {
      if (this.targetSending[t] === 0) continue;
      let dead = 0;
      for (let i = t * s; i < (t + 1) * s; i++) {
        const ch = this.channels[i]!;
        if (reconnectorOf(ch)?.gaveUp !== true) continue;
        dead++;
        if (this.givenUp[i] === 0) {
          this.givenUp[i] = 1;
          this.recorders[t]!.gaveUp(now);
        }
      }
      if (dead === s) this.stopTarget(t, now);
    }
  }

  private finish(): void {
    if (!this.running) return;
    this.phase = Phase.finished;
    const now = this.now();
    const run = this.run!;
    this.cursor?.finish();
    if (this.sendEndedAt === 0) this.sendEndedAt = now;
    this.flushVerbose();
    const partials = this.recorders.map((r, t) => {
      const sendEndedAt = this.targetSendEndedAt[t]! > 0 ? this.targetSendEndedAt[t]! : this.sendEndedAt;
      return r.finish({ startedAt: run.startAt, sendEndedAt, endedAt: now }, this.host.toEpochMs);
    });
    this.host.finished(this, partials);
  }

  private verboseLine = (ch: DnsChannel, outcome: string, queryIndex: number, latencyMs: number): void => {
    const line = describeQuery(this.q, queryIndex, outcome, latencyMs);
    // With several targets (--interleave), say which server the line is about.
    this.verboseLines.push(this.targetCount > 1 ? `${line} ${ch.endpoints().remote}` : line);
  };

  private flushVerbose(): void {
    if (this.verboseLines.length === 0) return;
    this.host.verbose(this.verboseLines.join('\n') + '\n');
    this.verboseLines = [];
  }
}
