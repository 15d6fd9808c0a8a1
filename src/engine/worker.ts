// Thin adapter: worker_threads messages <-> WorkerEngine (autocannon's lib/worker.js pattern).
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerSetup } from './protocol.js';
import { WorkerEngine } from './worker-engine.js';
import { ConnectError } from './tcp-channel.js';

const port = parentPort!;
const post = (msg: FromWorker): void => port.postMessage(msg);
const engine = new WorkerEngine(workerData as WorkerSetup, post);

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'start') engine.start(msg.startAtEpochMs);
  else if (msg.type === 'interrupt') engine.interrupt();
});

engine.open().then(
  (sockets) => post({ type: 'ready', sockets }),
  (err: NodeJS.ErrnoException) =>
    post({ type: 'failed', message: err instanceof ConnectError ? err.message : `cannot open socket: ${err.message}` }),
);
