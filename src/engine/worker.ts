// The worker thread's entry: worker_threads messages <-> WorkerHost (autocannon's lib/worker.js
// pattern), through serveHost, which the session's own thread also runs (engine/inline.ts).
import { parentPort, workerData } from 'node:worker_threads';
import type { HostSetup, ToWorker } from './protocol.js';
import { serveHost } from './serve-host.js';
import { preloadHistograms } from '../results/histogram.js';

const port = parentPort!;

// The histogram classes load now: a warm worker is still waiting for its setup, and a run's first
// answers then find them ready (results/histogram.ts).
preloadHistograms();

if (workerData !== null) serveHost(port, workerData as HostSetup);
else {
  // Started warm (engine/warm.ts): the setup comes as the first message.
  port.once('message', (msg: ToWorker) => {
    if (msg.type === 'setup') serveHost(port, msg.setup);
    else port.close();
  });
}
