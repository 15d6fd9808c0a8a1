// Messages between the main thread (pool.ts) and worker threads (worker.ts). Everything here is
// structured-clone data; histograms travel as compressed base64 strings.
import type { Counters, RcodeCounts } from '../results/counters.js';
import type { EncodeOptions } from '../queryset/types.js';
import type { TransportConfig } from '../transport-config.js';

/** The transport config as a worker needs it: the --tls-ca file already read (PEM text). */
export type WorkerTransport = Omit<TransportConfig, 'tls'> & { tls: TransportConfig['tls'] & { ca: string | null } };

export interface LatencySums {
  count: number;
  /** Microseconds. min is Infinity while count is 0. */
  min: number;
  max: number;
  sum: number;
  sumSquares: number;
}

export interface WorkerInterval {
  /** Interval number from the run start (0-based). */
  index: number;
  /** Epoch milliseconds at the interval start. */
  startMs: number;
  durationMs: number;
  counters: Counters;
  rcodes: RcodeCounts;
  histogram: string;
}

/** A worker's result for one target. Every field is additive or a min/max of times. */
export interface WorkerPartial {
  counters: Counters;
  rcodes: RcodeCounts;
  latency: LatencySums;
  histogram: string;
  corrected: { sums: LatencySums; histogram: string } | null;
  intervals: WorkerInterval[];
  /** Epoch milliseconds (fractional; from the monotonic clock anchored once to the epoch). */
  startedAt: number;
  sendEndedAt: number;
  /** 0 when nothing completed. */
  lastCompletionAt: number;
  endedAt: number;
  /** TCP/DoT/DoH connection setup latency, microseconds (count 0 over UDP). Absent in old reports. */
  connect?: LatencySums;
  /** --nsid: completed answers per server identity. */
  nsid?: Record<string, number>;
  /** Distinct local address:port pairs this worker used (sockets and connections). */
  sourcePairs?: number;
}

export interface WorkerTarget {
  host: string;
  port: number;
  family: 4 | 6;
}

/** What one worker is given: its share of every global total. */
export interface WorkerSetup {
  workerIndex: number;
  targets: WorkerTarget[];
  /** When several targets are given to one worker (--interleave), each gets the same query
   *  stream, sockets, window and rate, and paced sends go to them round-robin (worker-engine.ts). */
  /** Sockets this worker opens per target, and the window of each. */
  socketWindows: number[];
  /** Queries per second for this worker, or null for as fast as the window allows. */
  rate: number | null;
  timeoutMs: number;
  /** Stop sending after this long (ms), or null. */
  timeLimitMs: number | null;
  /** Total queries per target over all workers (passes x query count), or null when only time-limited. */
  totalQueries: number | null;
  intervalMs: number;
  bufferBytes: number | null;
  /** -a: socket k of the run (counted over all workers) binds to localAddresses[k mod n]. */
  localAddresses: string[];
  /** Index of this worker's first socket among all sockets of the run. */
  firstSocket: number;
  /** First local port of this worker's sockets (consecutive), or null for ephemeral ports. */
  localPort: number | null;
  transport: WorkerTransport;
  verbose: boolean;
  encode: EncodeOptions;
  queries: {
    count: number;
    wire: SharedArrayBuffer;
    offsets: SharedArrayBuffer;
    questionLengths: SharedArrayBuffer;
  };
  /** BigInt64Array(targets): per target, the next global query sequence number, shared by every worker. */
  sequence: SharedArrayBuffer;
}

export type ToWorker = { type: 'start'; startAtEpochMs: number } | { type: 'interrupt' };

export type FromWorker =
  | { type: 'ready'; sockets: Array<{ local: string; remote: string; target: number }> }
  | { type: 'interval'; target: number; interval: WorkerInterval }
  | { type: 'verbose'; lines: string }
  | { type: 'done'; partials: WorkerPartial[] }
  | { type: 'failed'; message: string };
