// The main-thread side of the engine: start one worker per plan entry, release them together,
// relay intervals and verbose lines to the caller's hooks, and collect each worker's partial
// results. Merging is not done here (results/merge.ts is the one place for that).
import { Worker } from 'node:worker_threads';
import { RunError } from '../errors.js';
import type { QuerySet } from '../queryset/types.js';
import type { FromWorker, WorkerInterval, WorkerPartial, WorkerSetup, WorkerTarget, WorkerTransport } from './protocol.js';
import type { WorkerPlan } from './split.js';

export interface EngineOptions {
  targets: WorkerTarget[];
  plans: WorkerPlan[];
  querySet: QuerySet;
  /** null when only time-limited. */
  passes: number | null;
  timeLimitMs: number | null;
  timeoutMs: number;
  intervalMs: number;
  bufferBytes: number | null;
  localAddresses: string[];
  localPort: number | null;
  transport: WorkerTransport;
  verbose: boolean;
  encode: WorkerSetup['encode'];
}

export interface EngineHooks {
  /** Sockets are open and the run is about to start. */
  onReady?(sockets: Array<{ local: string; remote: string; target: number }>): void;
  /** One worker closed one interval for one target. */
  onInterval?(worker: number, target: number, interval: WorkerInterval): void;
  onVerbose?(lines: string): void;
}

/** Per worker, per target. */
export type EnginePartials = WorkerPartial[][];

const workerUrl = new URL('./worker.js', import.meta.url);

export async function runEngine(o: EngineOptions, hooks: EngineHooks = {}, signal?: AbortSignal): Promise<EnginePartials> {
  // One query sequence per target: with --interleave every target walks the query file on its own.
  const sequence = new SharedArrayBuffer(8 * o.targets.length);
  const workers = o.plans.map((plan, i) => {
    const setup: WorkerSetup = {
      workerIndex: i,
      targets: o.targets,
      socketWindows: plan.socketWindows,
      rate: plan.rate,
      timeoutMs: o.timeoutMs,
      timeLimitMs: o.timeLimitMs,
      totalQueries: o.passes === null ? null : o.passes * o.querySet.count,
      intervalMs: o.intervalMs,
      bufferBytes: o.bufferBytes,
      localAddresses: o.localAddresses,
      firstSocket: plan.firstSocket,
      localPort: o.localPort === null ? null : o.localPort + plan.firstSocket * o.targets.length,
      transport: o.transport,
      verbose: o.verbose,
      encode: o.encode,
      queries: {
        count: o.querySet.count,
        wire: o.querySet.wire,
        offsets: o.querySet.offsets,
        questionLengths: o.querySet.questionLengths,
      },
      sequence,
    };
    return new Worker(workerUrl, { workerData: setup });
  });

  const partials: EnginePartials = new Array(workers.length);
  const sockets: Array<{ local: string; remote: string; target: number }> = [];
  let ready = 0;
  let done = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const interrupt = (): void => workers.forEach((w) => w.postMessage({ type: 'interrupt' }));
      signal?.addEventListener('abort', interrupt, { once: true });
      workers.forEach((w, i) => {
        w.on('error', (err) => reject(new RunError(`worker ${i} failed: ${err.message}`)));
        w.on('exit', (code) => {
          if (partials[i] === undefined) reject(new RunError(`worker ${i} exited (code ${code}) before reporting results`));
        });
        w.on('message', (msg: FromWorker) => {
          switch (msg.type) {
            case 'ready':
              sockets.push(...msg.sockets);
              if (++ready === workers.length) {
                hooks.onReady?.(sockets);
                // A common start a little ahead, so every worker begins within the same millisecond.
                const startAtEpochMs = Date.now() + 20;
                workers.forEach((x) => x.postMessage({ type: 'start', startAtEpochMs }));
                if (signal?.aborted) interrupt();
              }
              break;
            case 'interval':
              hooks.onInterval?.(i, msg.target, msg.interval);
              break;
            case 'verbose':
              hooks.onVerbose?.(msg.lines);
              break;
            case 'done':
              partials[i] = msg.partials;
              if (++done === workers.length) {
                signal?.removeEventListener('abort', interrupt);
                resolve();
              }
              break;
            case 'failed':
              reject(new RunError(msg.message));
              break;
          }
        });
      });
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return partials;
}
