// What crosses between the main thread (session.ts) and a worker thread (host.ts): the setup a
// worker is started with, and the messages of each run. Everything is structured-clone data;
// results travel in the additive form of results/model.ts (histograms as compressed base64).
import type { RunData } from '../results/model.js';
import type { EncodeOptions } from '../queryset/types.js';
import type { TsigKey } from '../tsig/key.js';
import type { CheckSpec } from './checks.js';
import type { RingShared } from '../queryset/ring.js';

/** A server to send to (resolved address). */
export interface WorkerTarget {
  host: string;
  port: number;
  family: 4 | 6;
}

/** The transport as the engine needs it (config.ts builds it from the flags, --tls-ca already read). */
export interface WorkerTransport {
  /** A registered transport name (-m: udp, tcp, dot, doh). */
  mode: string;
  /** --tcp-fallback (UDP only). */
  tcpFallback: boolean;
  /** -y, or null. */
  tsig: TsigKey | null;
  /** --nsid. */
  nsid: boolean;
  /** DoT and DoH: certificate checks; `ca` is the PEM text of --tls-ca, or null for Node's CAs. */
  tls: { insecure: boolean; ca: string | null; sni: string | null };
  /** DoH request shape (RFC 8484). */
  doh: { path: string; authority: string | null; method: 'GET' | 'POST' };
  /** UDP I/O: 'native' (sendmmsg/recvmmsg addon, engine/transports/native-udp.ts) or 'dgram' (Node's sockets). */
  io?: 'native' | 'dgram';
  /** --expect / --rrset-order (engine/checks.ts); absent or null when neither is on. */
  checks?: CheckSpec | null;
}

/** One -T send/receive loop: its sockets per target and where they sit among all sockets. */
export interface LoopSetup {
  /** Index of this loop among all loops of the session (0-based). */
  loop: number;
  /** Window of each socket this loop opens per target. */
  socketWindows: number[];
  /** Index of this loop's first socket among all sockets (for -a spreading and -x ports). */
  firstSocket: number;
  /** First local port of this loop's sockets (consecutive), or null for ephemeral ports. */
  localPort: number | null;
}

/** What a worker thread is started with (workerData). */
export interface HostSetup {
  /** Index of this worker thread. */
  host: number;
  /** The send/receive loops this thread runs (more than one when -T exceeds the cores). */
  loops: LoopSetup[];
  targets: WorkerTarget[];
  timeoutMs: number;
  bufferBytes: number | null;
  /** -a: socket k of the session binds to localAddresses[k mod n]. */
  localAddresses: string[];
  transport: WorkerTransport;
  verbose: boolean;
  encode: EncodeOptions;
  /** The native addon to load in the worker (its precise timer, and the native UDP path when io is 'native'), or null. */
  nativePath: string | null;
  /** The query set; with `ring` (a streamed file), wire/offsets/questionLengths are the ring's. */
  queries: {
    count: number;
    wire: SharedArrayBuffer;
    offsets: SharedArrayBuffer;
    questionLengths: SharedArrayBuffer;
    ring?: RingShared;
  };
}

/** One run of a session, as a worker thread is told it. */
export interface HostRun {
  /** Run number within the session (1-based). */
  run: number;
  /** Per loop of this host: its queries per second per target, or null for as fast as the window allows. */
  rates: Array<number | null>;
  /**
   * With rates: the rate rises linearly from 0 to each loop's rate over this many ms, then holds
   * (resperf's ramp); null or absent for a constant rate.
   */
  rampMs?: number | null;
  /** Stop sending after this long (ms), or null. */
  timeLimitMs: number | null;
  /** Total queries per target over all loops (passes x query count), or null when only time-limited. */
  totalQueries: number | null;
  /** Length of the report's intervals, ms. */
  intervalMs: number;
  /** Length of the live progress intervals (-S, or 1 s), ms. */
  progressMs: number;
  /** Epoch ms at which every loop of every worker starts sending. */
  startAtEpochMs: number;
  /** BigInt64Array(targets): per target, the next global query sequence number, shared by every loop. */
  sequence: SharedArrayBuffer;
}

/** Live counts of one progress interval for one target, by event time (dnsperf -S meaning). */
export interface LiveCounts {
  sent: number;
  completed: number;
  lost: number;
}

export interface SocketInfo {
  local: string;
  remote: string;
  target: number;
}

export type ToWorker =
  /** A warm worker's setup (engine/warm.ts); others get theirs as workerData. */
  | { type: 'setup'; setup: HostSetup }
  | { type: 'run'; spec: HostRun }
  | { type: 'interrupt'; run: number }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; sockets: SocketInfo[] }
  | { type: 'failed'; message: string }
  /** One progress interval closed on this worker: per target counts, and this thread's CPU ms and
   *  run-queue wait ms in it (null if unknown). */
  | { type: 'progress'; run: number; index: number; startMs: number; durationMs: number; targets: LiveCounts[]; cpuMs: number | null; waitMs?: number | null }
  | { type: 'verbose'; run: number; lines: string }
  /** The run ended on this worker: per target, its loops' results merged. */
  | { type: 'done'; run: number; partials: RunData[]; cpuMs: number | null; wallMs: number }
  | { type: 'closed' };

/**
 * One engine thread as the session sees it: a worker_threads Worker, or the session's own thread
 * serving the same protocol over a MessageChannel (engine/inline.ts).
 */
export interface EngineThread {
  postMessage(msg: ToWorker): void;
  on(event: 'message', listener: (msg: FromWorker) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  /** Ends the thread (after its 'close' message has released its sockets); resolves when it has. */
  terminate(): Promise<unknown>;
}
