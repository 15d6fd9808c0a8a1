// The session's own thread as one of its engine threads. A plain run's main thread has nothing to
// do while the loops run but forward progress, so its first thread's loops run there instead of in
// one more worker: an isolate fewer to boot (~60 ms and ~0.05 CPU-s of every run's start on this
// project's 2-core machines, ~10 MB; docs/performance.md "Startup"). It speaks the workers'
// protocol over a MessageChannel and runs the same serveHost, so a loop behaves the same here.
//
// One per process: the native timer is one per thread (native/ptimer.c), and a second session
// (a later target of a sequential run) takes workers only. A bug that throws inside the loops here
// ends the process, where in a worker it would fail the run; the code is the same either way.
import { EventEmitter } from 'node:events';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { EngineThread, FromWorker, HostSetup, ToWorker } from './protocol.js';
import { serveHost } from './serve-host.js';
import { preloadHistograms } from '../results/histogram.js';

let inUse = false;

/**
 * This thread as an engine thread for `setup`, or null when another session already runs one here
 * (until its terminate()). Emits 'message' as a Worker does; 'error' (on a later turn) when the
 * setup cannot be served, e.g. the native addon fails to load.
 */
export function claimInlineThread(setup: HostSetup): EngineThread | null {
  if (inUse) return null;
  inUse = true;
  return new InlineThread(setup);
}

class InlineThread extends EventEmitter implements EngineThread {
  private readonly port: MessagePort;
  /** Resolves once the host has answered 'close', or its end of the channel has closed. */
  private readonly ended: Promise<void>;
  private closing = false;

  constructor(setup: HostSetup) {
    super();
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.ended = new Promise((resolve) => {
      port1.on('message', (msg: FromWorker) => {
        this.emit('message', msg);
        if (msg.type === 'closed') resolve();
      });
      port1.once('close', () => resolve());
    });
    try {
      // A copy, as a worker gets: the host may keep and change what it is given. The query set
      // itself is in SharedArrayBuffers, which are shared, not copied.
      serveHost(port2, structuredClone(setup));
      // As a worker does before its setup (engine/worker.ts): the histogram classes load while the
      // sockets open and the other threads get ready, not at the run's first answer.
      setImmediate(preloadHistograms);
    } catch (err) {
      port2.close();
      setImmediate(() => this.emit('error', err instanceof Error ? err : new Error(String(err))));
    }
  }

  postMessage(msg: ToWorker): void {
    if (this.closing) return;
    if (msg.type === 'close') this.closing = true;
    this.port.postMessage(msg);
  }

  async terminate(): Promise<number> {
    this.postMessage({ type: 'close' });
    await this.ended;
    this.port.close();
    inUse = false;
    return 0;
  }
}

/** Whether a session of this process runs loops on this thread now (for tests and diagnostics). */
export function inlineThreadInUse(): boolean {
  return inUse;
}
