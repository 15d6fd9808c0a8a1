// A worker thread's side of a session: it runs one or more engine loops (more than one when -T
// exceeds the cores, so extra loops cost no isolate), owns their timers, merges their results per
// target, and talks to the main thread through `post`. It never prints. Constructed with fake
// timers it runs in a unit test without any thread (test/engine-fake-clock.test.ts).
import type { QueryViews } from './channel.js';
import { threadCpuMs, threadWaitMs } from './cpu.js';
import { EngineLoop, type LoopHost } from './loop.js';
import type { FromWorker, HostRun, HostSetup, LiveCounts, SocketInfo } from './protocol.js';
import { Recorder } from './recorder.js';
import type { EngineTimers, TimerHandle } from './timers.js';
import { mergeRunData } from '../results/merge.js';
import type { RunData } from '../results/model.js';

/** Housekeeping (timeouts, final intervals) at most this far apart, ms. */
const MAX_TICK_MS = 100;

export interface HostDeps {
  timers: EngineTimers;
  /** Clock reading -> epoch ms (performance.timeOrigin + t in production). */
  toEpochMs(t: number): number;
  fromEpochMs(epochMs: number): number;
  /** This thread's CPU ms so far, or null when unknown. */
  cpuMs?: () => number | null;
  /** This thread's run-queue wait ms so far (runnable, no CPU free), or null when unknown. */
  waitMs?: () => number | null;
}

interface ActiveRun {
  spec: HostRun;
  startAt: number;
  started: boolean;
  startTimer: TimerHandle | null;
  partials: Map<number, RunData[]>;
  progressIndex: number;
  /** Per loop, per target: live counts at the last progress boundary. */
  lastLive: LiveCounts[][];
  cpuAtStart: number | null;
  cpuAtProgress: number | null;
  waitAtProgress: number | null;
  interrupted: boolean;
}

export class WorkerHost implements LoopHost {
  readonly timers: EngineTimers;
  private readonly loops: EngineLoop[];
  private readonly q: QueryViews;
  private setupRecorders: Recorder[][] = [];
  private active: ActiveRun | null = null;
  private readonly dirty = new Set<EngineLoop>();
  private refillScheduled = false;
  private readonly wakes = new Map<EngineLoop, number>();
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private nextTickAt = 0;
  private readonly tickMs: number;
  private verboseBuffer = '';
  private firstRun = true;
  private readonly cpu: () => number | null;
  private readonly wait: () => number | null;

  constructor(
    private readonly setup: HostSetup,
    private readonly post: (msg: FromWorker) => void,
    private readonly deps: HostDeps,
  ) {
    this.timers = deps.timers;
    this.cpu = deps.cpuMs ?? threadCpuMs;
    this.wait = deps.waitMs ?? (deps.cpuMs !== undefined ? () => null : threadWaitMs);
    this.q = {
      wire: Buffer.from(setup.queries.wire),
      offsets: new Uint32Array(setup.queries.offsets),
      questionLengths: new Uint16Array(setup.queries.questionLengths),
    };
    this.loops = setup.loops.map((l) => new EngineLoop(l, setup, this.q, this));
    // Sweep timeouts often enough that a loss is seen within ~5% of -t (and at least every 100 ms).
    this.tickMs = Math.min(MAX_TICK_MS, Math.max(1, setup.timeoutMs / 20));
  }

  toEpochMs = (t: number): number => this.deps.toEpochMs(t);

  /** Open every loop's channels; the sockets for the report. Throws a ConnectError (one line). */
  async open(): Promise<SocketInfo[]> {
    const now = this.timers.now();
    const setupRecorder = (): Recorder =>
      new Recorder({ paced: false, intervalMs: 1e12, timeoutMs: this.setup.timeoutMs, startAt: now, toEpochMs: this.toEpochMs });
    const sockets: SocketInfo[] = [];
    for (const loop of this.loops) {
      const recs = this.setup.targets.map(setupRecorder);
      this.setupRecorders.push(recs);
      sockets.push(...(await loop.open(recs)));
    }
    return sockets;
  }

  /** Start a run (sending begins at spec.startAtEpochMs on every loop). */
  run(spec: HostRun): void {
    if (this.active !== null) throw new Error(`run ${spec.run} started while run ${this.active.spec.run} is active`);
    const startAt = this.deps.fromEpochMs(spec.startAtEpochMs);
    const run: ActiveRun = {
      spec, startAt, started: false, startTimer: null, partials: new Map(), progressIndex: 0,
      lastLive: this.loops.map(() => this.setup.targets.map(() => ({ sent: 0, completed: 0, lost: 0 }))),
      cpuAtStart: null, cpuAtProgress: null, waitAtProgress: null, interrupted: false,
    };
    this.active = run;
    run.startTimer = this.timers.at(startAt, () => this.begin(run));
  }

  /** Ctrl-C: every loop stops; outstanding queries count as interrupted. */
  interrupt(runId: number): void {
    const run = this.active;
    if (run === null || run.spec.run !== runId) return;
    run.interrupted = true;
    // Interrupted before the common start: begin at once so every target still gets a (zero) result.
    if (!run.started) {
      if (run.startTimer !== null) this.timers.cancel(run.startTimer);
      this.begin(run);
    }
    for (const loop of this.loops) loop.interrupt();
  }

  /** Close every channel (the session is over); a run still waiting for its start never begins. */
  close(): void {
    if (this.timer !== null) this.timers.cancel(this.timer);
    this.timer = null;
    // A worker's isolate ends with its session, but on the session's own thread (engine/inline.ts)
    // the start timer would still fire, and the loops would send on closed channels.
    const run = this.active;
    if (run !== null && run.startTimer !== null) this.timers.cancel(run.startTimer);
    this.active = null;
    for (const loop of this.loops) loop.close();
  }

  private begin(run: ActiveRun): void {
    if (run.started || this.active !== run) return;
    run.started = true;
    run.startTimer = null;
    // The run starts when this thread actually begins (a timer fires a little after its time);
    // the report's start and the first interval are that moment, so nothing is charged for it.
    const startAt = Math.max(run.startAt, this.timers.now());
    run.cpuAtStart = run.cpuAtProgress = this.cpu();
    run.waitAtProgress = this.wait();
    const spec = run.spec;
    const sequence = new BigInt64Array(spec.sequence);
    this.nextTickAt = this.timers.now() + this.tickMs;
    this.loops.forEach((loop, i) => {
      const rate = spec.rates[i] ?? null;
      const recs = this.setup.targets.map(
        () => new Recorder({ paced: rate !== null, intervalMs: spec.intervalMs, timeoutMs: this.setup.timeoutMs, startAt, toEpochMs: this.toEpochMs }),
      );
      if (this.firstRun) recs.forEach((r, t) => r.adoptSetup(this.setupRecorders[i]![t]!));
      loop.begin({ rate, rampMs: spec.rampMs ?? null, timeLimitMs: spec.timeLimitMs, totalQueries: spec.totalQueries, intervalMs: spec.intervalMs, startAt, sequence }, recs);
    });
    this.firstRun = false;
    this.setupRecorders = [];
    this.arm();
  }

  // --- LoopHost ------------------------------------------------------------------------------

  refillSoon(loop: EngineLoop): void {
    this.dirty.add(loop);
    if (this.refillScheduled) return;
    this.refillScheduled = true;
    this.timers.soon(this.refillDirty);
  }

  private readonly refillDirty = (): void => {
    this.refillScheduled = false;
    const loops = [...this.dirty];
    this.dirty.clear();
    for (const loop of loops) loop.refill();
  };

  wakeAt(loop: EngineLoop, at: number): void {
    const have = this.wakes.get(loop);
    if (have !== undefined && have <= at) return;
    this.wakes.set(loop, at);
    if (at < this.timerAt) this.arm();
  }

  finished(loop: EngineLoop, partials: RunData[]): void {
    const run = this.active;
    if (run === null) return;
    run.partials.set(loop.index, partials);
    this.wakes.delete(loop);
    if (run.partials.size < this.loops.length) return;
    this.flushVerbose();
    this.emitProgress(run, this.timers.now(), true);
    const merged = this.setup.targets.map((_, t) => mergeRunData([...run.partials.values()].map((p) => p[t]!)));
    const cpuNow = this.cpu();
    const cpuMs = cpuNow !== null && run.cpuAtStart !== null ? cpuNow - run.cpuAtStart : null;
    this.active = null;
    if (this.timer !== null) this.timers.cancel(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
    this.post({ type: 'done', run: run.spec.run, partials: merged, cpuMs, wallMs: this.timers.now() - run.startAt });
  }

  verbose(lines: string): void {
    this.verboseBuffer += lines;
  }

  // --- timers --------------------------------------------------------------------------------

  /** One timer for every loop: the earliest of housekeeping, the next progress boundary and any wake. */
  private arm(): void {
    const run = this.active;
    if (run === null || !run.started) return;
    let at = Math.min(this.nextTickAt, run.startAt + (run.progressIndex + 1) * run.spec.progressMs);
    for (const w of this.wakes.values()) if (w < at) at = w;
    if (this.timer !== null) {
      if (at >= this.timerAt) return;
      this.timers.cancel(this.timer);
    }
    this.timerAt = at;
    this.timer = this.timers.at(at, this.onTimer);
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.timerAt = Infinity;
    const run = this.active;
    if (run === null) return;
    const now = this.timers.now();
    for (const [loop, at] of [...this.wakes]) {
      if (at > now) continue;
      this.wakes.delete(loop);
      loop.refill();
    }
    if (this.active !== run) return;
    if (now >= this.nextTickAt) {
      this.nextTickAt = now + this.tickMs;
      for (const loop of this.loops) loop.tick(now);
      this.flushVerbose();
    }
    if (this.active !== run) return;
    this.emitProgress(run, now, false);
    this.arm();
  };

  /** Post every progress interval that has ended by `now`; when `final`, also the cut last one. */
  private emitProgress(run: ActiveRun, now: number, final: boolean): void {
    const ms = run.spec.progressMs;
    for (;;) {
      const start = run.startAt + run.progressIndex * ms;
      const end = start + ms;
      if (end > now) {
        // The run ended inside this interval: post what it holds (always at least one interval).
        if (final && (now > start || run.progressIndex === 0)) this.postProgress(run, start, Math.max(0, now - start));
        return;
      }
      this.postProgress(run, start, ms);
    }
  }

  private postProgress(run: ActiveRun, start: number, durationMs: number): void {
    const targets = this.setup.targets.map((_, t) => {
      const sum: LiveCounts = { sent: 0, completed: 0, lost: 0 };
      this.loops.forEach((loop, i) => {
        const live = loop.liveCounts(t);
        const last = run.lastLive[i]![t]!;
        sum.sent += live.sent - last.sent;
        sum.completed += live.completed - last.completed;
        sum.lost += live.lost - last.lost;
        run.lastLive[i]![t] = { ...live };
      });
      return sum;
    });
    const cpu = this.cpu();
    const cpuMs = cpu !== null && run.cpuAtProgress !== null ? cpu - run.cpuAtProgress : null;
    run.cpuAtProgress = cpu;
    const wait = this.wait();
    const waitMs = wait !== null && run.waitAtProgress !== null ? wait - run.waitAtProgress : null;
    run.waitAtProgress = wait;
    this.post({ type: 'progress', run: run.spec.run, index: run.progressIndex, startMs: this.toEpochMs(start), durationMs, targets, cpuMs, waitMs });
    run.progressIndex++;
  }

  private flushVerbose(): void {
    if (this.verboseBuffer === '' || this.active === null) return;
    this.post({ type: 'verbose', run: this.active.spec.run, lines: this.verboseBuffer });
    this.verboseBuffer = '';
  }
}
