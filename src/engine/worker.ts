// The worker thread's entry: worker_threads messages <-> WorkerHost (autocannon's lib/worker.js
// pattern). Nothing else lives here, so the host runs without a thread in unit tests.
import { parentPort, workerData } from 'node:worker_threads';
import { fromEpochMs, toEpochMs } from './clock.js';
import { WorkerHost } from './host.js';
import type { FromWorker, HostSetup, ToWorker } from './protocol.js';
import { engineTimers } from './precise-timers.js';
import { ConnectError } from './transports/tcp.js';
import { loadNativeUdpAt } from './native/addon.js';
import { registerNativeUdp } from './transports/native-udp.js';
import { preloadHistograms } from '../results/histogram.js';

const port = parentPort!;
const post = (msg: FromWorker): void => port.postMessage(msg);

/** Opens this worker's loops for `setup` and answers the main thread's messages. */
function start(setup: HostSetup): void {
  // The main thread chose the native path (and checked the build); load it here too.
  const addon = setup.nativePath === null ? null : loadNativeUdpAt(setup.nativePath);
  if (addon !== null && setup.transport.io === 'native') registerNativeUdp(addon);
  const timers = engineTimers(addon);
  const host = new WorkerHost(setup, post, { timers, toEpochMs, fromEpochMs });
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'run') host.run(msg.spec);
    else if (msg.type === 'interrupt') host.interrupt(msg.run);
    else if (msg.type === 'close') {
      host.close();
      addon?.timerClose();
      post({ type: 'closed' });
      port.close();
    }
  });
  host.open().then(
    (sockets) => post({ type: 'ready', sockets }),
    (err: NodeJS.ErrnoException) =>
      post({ type: 'failed', message: err instanceof ConnectError ? err.message : `cannot open socket: ${err.message}${bindHint(err)}` }),
  );
}

// The histogram classes load now: a warm worker is still waiting for its setup, and a run's first
// answers then find them ready (results/histogram.ts).
preloadHistograms();

if (workerData !== null) start(workerData as HostSetup);
else {
  // Started warm (engine/warm.ts): the setup comes as the first message.
  port.once('message', (msg: ToWorker) => {
    if (msg.type === 'setup') start(msg.setup);
    else port.close();
  });
}

/**
 * What to change when a local bind fails: the two errors a user's -x or -a causes. The native
 * path reports the errno name in its message, dgram in err.code, so both are looked at.
 */
function bindHint(err: NodeJS.ErrnoException): string {
  const is = (code: string): boolean => err.code === code || err.message.includes(`(${code})`) || err.message.includes(` ${code} `);
  if (is('EADDRINUSE')) return '; with -x the sockets take consecutive local ports from it: choose a free range, or leave -x out';
  if (is('EADDRNOTAVAIL')) return '; -a must be an address of this host (see ip addr; any 127.x.y.z works on Linux)';
  return '';
}
