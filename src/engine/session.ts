// The main-thread side of the engine: a long-lived session. openSession starts the worker
// threads and opens every socket once; each run() releases every loop at one common start and
// resolves with the per-target results; close() ends the threads. Runs of one session reuse the
// same workers, sockets and source ports (a load balancer sees the same clients at every step of
// a capacity search or --repeat). Merging is results/merge.ts's job; nothing here prints.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { RunError } from '../errors.js';
import type { QuerySet } from '../queryset/types.js';
import type { EncodeOptions } from '../queryset/types.js';
import { mergeRunData } from '../results/merge.js';
import type { RunData } from '../results/model.js';
import type { GeneratorReport } from '../results/report.js';
import type { EngineThread, FromWorker, HostRun, HostSetup, LiveCounts, LoopSetup, SocketInfo, ToWorker, WorkerTarget, WorkerTransport } from './protocol.js';
import { split, type WorkerPlan } from './split.js';
import { udpReceiveDrops } from './udp-drops.js';
import { dropWarmWorkers, takeWarmWorker, WORKER_URL } from './warm.js';

/** What a session is opened with (the parts of the config that fix sockets and threads). */
export interface SessionSpec {
  targets: WorkerTarget[];
  /** One entry per -T loop: its sockets' windows (per target) and first socket index. */
  plans: WorkerPlan[];
  querySet: QuerySet;
  timeoutMs: number;
  bufferBytes: number | null;
  localAddresses: string[];
  localPort: number | null;
  transport: WorkerTransport;
  verbose: boolean;
  encode: EncodeOptions;
  /** The native addon's path (precise timers; native UDP when transport.io is 'native'), or null. */
  nativePath: string | null;
  /** Worker threads to spread the loops over; default min(loops, available cores). */
  workers?: number;
  /**
   * Run the first thread's loops on the calling thread (engine/inline.ts) rather than in a worker
   * of its own: for a caller with nothing else to do during runs. Ignored while another session
   * of this process runs one. Default false.
   */
  inline?: boolean;
}

/** One run of a session. */
export interface SessionRun {
  /** Queries per second per target (split over the loops), or null for as fast as the window allows. */
  rate: number | null;
  /** With a rate: rise linearly from 0 to it over this many ms, then hold (resperf's ramp). */
  rampMs?: number | null;
  timeLimitMs: number | null;
  /** Total queries per target, or null when only time-limited. */
  totalQueries: number | null;
  /**
   * -n passes through the file, or null; a streamed query set counts passes itself (its size is
   * not known before it is read), so it uses this instead of totalQueries.
   */
  passes?: number | null;
  /** Length of the report's intervals, ms. */
  intervalMs: number;
  /** Length of the live progress intervals (-S, or 1 s), ms. */
  progressMs: number;
  /** Epoch ms at which sending starts (--start-at); default: 20 ms from now. */
  startAtEpochMs?: number;
}

/** One progress interval, merged over every worker (counts by event time, dnsperf -S meaning). */
/** How far ahead of now a run's common start is set (ms). */
const START_LEAD_MS = 5;

export interface Progress {
  index: number;
  /** Epoch ms. */
  startMs: number;
  durationMs: number;
  /** Per target. */
  targets: LiveCounts[];
}

export interface RunHooks {
  progress?(p: Progress): void;
  verbose?(lines: string): void;
}

export interface SessionResult {
  /** Per target, merged over every loop. */
  targets: RunData[];
  generator: GeneratorReport;
  /** Epoch ms the run was scheduled to start. */
  startAtEpochMs: number;
}

export interface EngineSession {
  /** Every socket (or first connection) of the session: local -> remote, per target. */
  readonly sockets: readonly SocketInfo[];
  readonly workers: number;
  readonly loops: number;
  /** One run; rejects with RunError when a worker fails. Abort = Ctrl-C (outstanding -> interrupted). */
  run(r: SessionRun, hooks?: RunHooks, signal?: AbortSignal): Promise<SessionResult>;
  close(): Promise<void>;
}


/**
 * Start the worker threads and open every channel. Rejects with RunError (one line, e.g. a TCP
 * connection refused or a certificate not trusted) when a channel cannot be opened; the threads
 * started are ended first.
 */
export async function openSession(spec: SessionSpec): Promise<EngineSession> {
  const loops = spec.plans.length;
  const workerCount = Math.max(1, Math.min(loops, spec.workers ?? availableParallelism()));
  // Loop i runs on worker i mod W, so each worker gets an equal share of the loops.
  const byWorker: LoopSetup[][] = Array.from({ length: workerCount }, () => []);
  const perTarget = (p: WorkerPlan): number => p.socketWindows.length;
  let port = spec.localPort;
  spec.plans.forEach((plan, i) => {
    byWorker[i % workerCount]!.push({
      loop: i,
      socketWindows: plan.socketWindows,
      firstSocket: plan.firstSocket,
      localPort: port,
    });
    if (port !== null) port += perTarget(plan) * spec.targets.length;
  });
  // A streamed file: every loop of every target takes chunks from one shared ring.
  const stream = spec.querySet.stream;
  const ring = stream?.ring(loops * spec.targets.length);
  const queries: HostSetup['queries'] =
    ring === undefined
      ? { count: spec.querySet.count, wire: spec.querySet.wire, offsets: spec.querySet.offsets, questionLengths: spec.querySet.questionLengths }
      : { count: ring.slots * (ring.perSlot + 1), wire: ring.wire, offsets: ring.offsets, questionLengths: ring.questionLengths, ring };
  // Loaded only when asked for: it brings the engine loop and the transports into this thread.
  const inline = spec.inline === true ? await import('./inline.js') : null;
  const workers = byWorker.map((ls, w): EngineThread => {
    const setup: HostSetup = {
      host: w,
      loops: ls,
      targets: spec.targets,
      timeoutMs: spec.timeoutMs,
      bufferBytes: spec.bufferBytes,
      localAddresses: spec.localAddresses,
      transport: spec.transport,
      verbose: spec.verbose,
      encode: spec.encode,
      nativePath: spec.nativePath,
      queries,
    };
    const here = w === 0 ? (inline?.claimInlineThread(setup) ?? null) : null;
    if (here !== null) return here;
    const warm = takeWarmWorker();
    if (warm === undefined) return new Worker(WORKER_URL, { workerData: setup });
    warm.postMessage({ type: 'setup', setup });
    return warm;
  });
  dropWarmWorkers();
  const session = new Session(workers, byWorker, spec);
  try {
    await session.ready();
  } catch (e) {
    await session.close();
    throw e;
  }
  return session;
}

class Session implements EngineSession {
  readonly sockets: SocketInfo[] = [];
  readonly loops: number;
  private runs = 0;
  private failure: RunError | null = null;
  private listener: ((w: number, msg: FromWorker) => void) | null = null;
  private closed = false;

  constructor(
    private readonly threads: EngineThread[],
    private readonly loopsByWorker: LoopSetup[][],
    private readonly spec: SessionSpec,
  ) {
    this.loops = spec.plans.length;
    threads.forEach((w, i) => {
      w.on('message', (msg: FromWorker) => this.listener?.(i, msg));
      w.on('error', (err) => this.fail(new RunError(`worker ${i} failed: ${err.message}`)));
      w.on('exit', (code) => {
        if (!this.closed) this.fail(new RunError(`worker ${i} exited (code ${code}) in the middle of a run`));
      });
    });
  }

  get workers(): number {
    return this.threads.length;
  }

  private failHandlers: Array<(e: RunError) => void> = [];

  private fail(e: RunError): void {
    if (this.failure !== null) return;
    this.failure = e;
    for (const h of this.failHandlers) h(e);
  }

  /** Resolves when every worker has opened its sockets. */
  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      let ready = 0;
      const byWorker: SocketInfo[][] = this.threads.map(() => []);
      this.failHandlers = [reject];
      this.listener = (w, msg) => {
        if (msg.type === 'failed') this.fail(new RunError(msg.message));
        else if (msg.type === 'ready') {
          byWorker[w] = msg.sockets;
          if (++ready === this.threads.length) {
            this.listener = null;
            this.failHandlers = [];
            // In loop order (so socket k is the k-th socket of the session), whatever the threads.
            const all = byWorker.flat();
            this.sockets.push(...all);
            resolve();
          }
        }
      };
    });
  }

  async run(r: SessionRun, hooks: RunHooks = {}, signal?: AbortSignal): Promise<SessionResult> {
    if (this.closed) throw new Error('session is closed');
    if (this.failure !== null) throw this.failure;
    const runId = ++this.runs;
    const loops = this.loops;
    const rates = r.rate === null ? null : split(r.rate, loops);
    // The generator's own receive-buffer drops, before and after the run (Linux; engine/udp-drops.ts).
    const locals = this.sockets.map((s) => s.local);
    const dropsBefore = udpReceiveDrops(locals);
    const sequence = new SharedArrayBuffer(8 * this.spec.targets.length);
    const stream = this.spec.querySet.stream;
    if (stream !== undefined) {
      // The first chunks are read (and checked) before any worker is told to start: a bad line
      // there refuses the run with nothing sent. The sequence counts chunks, not queries.
      await stream.startRun(stream.ring(loops * this.spec.targets.length), {
        targets: this.spec.targets.length,
        passes: r.passes ?? null,
        claimed: sequence,
      });
    }
    // A common start a little ahead, so every worker begins within the same millisecond (a
    // postMessage reaches a waiting worker in well under 1 ms; one that gets it later starts as it
    // does, and its -l counts from there: loop.ts begin).
    const startAtEpochMs = r.startAtEpochMs ?? Date.now() + START_LEAD_MS;
    const W = this.threads.length;
    const pendingProgress = new Map<number, Array<{ w: number; startMs: number; durationMs: number; targets: LiveCounts[]; cpuMs: number | null; waitMs: number | null }>>();
    const cpuIntervals: GeneratorReport['intervals'] = [];
    const done: Array<{ partials: RunData[]; cpuMs: number | null; wallMs: number } | undefined> = new Array(W);
    let doneCount = 0;
    let nextProgress = 0;

    const result = new Promise<SessionResult>((resolve, reject) => {
      this.failHandlers = [reject];
      this.listener = (w, msg) => {
        if (msg.type === 'failed') return this.fail(new RunError(msg.message));
        if (!('run' in msg) || msg.run !== runId) return;
        switch (msg.type) {
          case 'verbose':
            hooks.verbose?.(msg.lines);
            break;
          case 'progress': {
            const list = pendingProgress.get(msg.index) ?? [];
            list.push({ w, startMs: msg.startMs, durationMs: msg.durationMs, targets: msg.targets, cpuMs: msg.cpuMs, waitMs: msg.waitMs ?? null });
            pendingProgress.set(msg.index, list);
            // In order, once every worker has closed the interval.
            for (let got = pendingProgress.get(nextProgress); got !== undefined && got.length === W; got = pendingProgress.get(nextProgress)) {
              pendingProgress.delete(nextProgress);
              const merged: Progress = {
                index: nextProgress,
                startMs: Math.min(...got.map((g) => g.startMs)),
                durationMs: Math.max(...got.map((g) => g.durationMs)),
                targets: this.spec.targets.map((_, t) => ({
                  sent: got.reduce((s, g) => s + g.targets[t]!.sent, 0),
                  completed: got.reduce((s, g) => s + g.targets[t]!.completed, 0),
                  lost: got.reduce((s, g) => s + g.targets[t]!.lost, 0),
                })),
              };
              const cpu = new Array<number>(W).fill(0);
              for (const g of got) cpu[g.w] = g.cpuMs ?? 0;
              // Run-queue wait only when every worker could read it (Linux schedstat).
              const wait = got.every((g) => g.waitMs !== null) ? new Array<number>(W).fill(0) : null;
              if (wait !== null) for (const g of got) wait[g.w] = g.waitMs!;
              cpuIntervals.push({ index: merged.index, startMs: merged.startMs, durationMs: merged.durationMs, cpuMs: cpu, ...(wait !== null ? { waitMs: wait } : {}) });
              hooks.progress?.(merged);
              nextProgress++;
            }
            break;
          }
          case 'done':
            done[w] = { partials: msg.partials, cpuMs: msg.cpuMs, wallMs: msg.wallMs };
            if (++doneCount === W) {
              this.listener = null;
              this.failHandlers = [];
              const dropsAfter = dropsBefore === null ? null : udpReceiveDrops(locals);
              resolve({
                targets: this.spec.targets.map((_, t) => mergeRunData(done.map((d) => d!.partials[t]!))),
                generator: {
                  workers: W,
                  loops,
                  cpuMs: done.map((d) => d!.cpuMs ?? 0),
                  wallMs: Math.max(...done.map((d) => d!.wallMs)),
                  intervals: cpuIntervals,
                  ...(dropsBefore !== null && dropsAfter !== null ? { receiveDrops: Math.max(0, dropsAfter - dropsBefore) } : {}),
                },
                startAtEpochMs,
              });
            }
            break;
        }
      };
    });

    const interrupt = (): void => this.post({ type: 'interrupt', run: runId });
    signal?.addEventListener('abort', interrupt, { once: true });
    this.loopsByWorker.forEach((ls, w) => {
      const spec: HostRun = {
        run: runId,
        rates: ls.map((l) => (rates === null ? null : rates[l.loop]!)),
        rampMs: r.rampMs ?? null,
        timeLimitMs: r.timeLimitMs,
        totalQueries: stream === undefined ? r.totalQueries : null,
        intervalMs: r.intervalMs,
        progressMs: r.progressMs,
        startAtEpochMs,
        sequence,
      };
      this.threads[w]!.postMessage({ type: 'run', spec } satisfies ToWorker);
    });
    if (signal?.aborted) interrupt();
    try {
      return await result;
    } finally {
      signal?.removeEventListener('abort', interrupt);
      stream?.stopRun();
    }
  }

  private post(msg: ToWorker): void {
    for (const w of this.threads) w.postMessage(msg);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listener = null;
    // Channels close in the workers (sockets released at once); terminate() ends the isolates.
    this.post({ type: 'close' });
    await Promise.all(this.threads.map((w) => w.terminate()));
  }
}
