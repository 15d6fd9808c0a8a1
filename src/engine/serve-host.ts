// One engine thread's side of the session protocol (engine/protocol.ts): opens a WorkerHost for
// its setup and answers the session's messages on `port`. A worker thread serves its parentPort
// (engine/worker.ts); the session's own thread serves one end of a MessageChannel
// (engine/inline.ts). Both run exactly this code, so a loop behaves the same on either.
import type { MessagePort } from 'node:worker_threads';
import { fromEpochMs, toEpochMs } from './clock.js';
import { WorkerHost } from './host.js';
import type { FromWorker, HostSetup, ToWorker } from './protocol.js';
import { engineTimers } from './precise-timers.js';
import { ConnectError } from './transports/tcp.js';
import { loadNativeUdpAt } from './native/addon.js';
import { registerNativeUdp } from './transports/native-udp.js';

/** The port an engine thread talks to its session on: a worker's parentPort or a channel end. */
export type HostPort = Pick<MessagePort, 'postMessage' | 'on' | 'close'>;

/**
 * Opens this thread's loops for `setup` and answers the session's messages on `port` until a
 * 'close' message (answered with 'closed', then the port is closed). Posts 'ready' with the
 * sockets once every channel is open, or 'failed' with one line when one cannot be. Throws what
 * loading the native addon at setup.nativePath throws (the session checked it already).
 */
export function serveHost(port: HostPort, setup: HostSetup): void {
  const post = (msg: FromWorker): void => port.postMessage(msg);
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
