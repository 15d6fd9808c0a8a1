// The embedded authoritative responder: one UDP socket answering from a Zone, with seeded fault
// injection. It shares a 2-core machine with the load generator, so the hot path is a hand parse of
// the header and question, one Map lookup of a pre-encoded response, a copy and a 2-byte ID patch.
import { Buffer } from 'node:buffer';
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { RunError, UsageError } from '../errors.js';
import { RCODE, buildAnswer, buildHeaderOnly, responseLimit } from './answer.js';
import { faultyReply } from './fault-reply.js';
import { listenHint } from './listen-error.js';
import type { Capacity } from './capacity.js';
import { FaultAction, makeFaultPlan, randomSeed, validateFaults, type FaultPlan, type Faults } from './faults.js';
import { QueryStatus, newParsedQuery, parseQuery } from './query.js';
import type { Zone } from './zone.js';
import { formatHostPort } from '../util/hostport.js';

export interface ResponderOptions {
  /** Loopback by default; '::1' for IPv6. */
  address?: string;
  /** 0 picks a free port; read it back from Responder.port. */
  port?: number;
  zone: Zone;
  /** Missing knobs are 0. */
  faults?: Partial<Faults>;
  /** Seed for the fault draws and garbage bytes; random (and reported as Responder.seed) if omitted. */
  seed?: number;
  /** --capacity: admission and queueing delay, shared with the TCP listener (src/serve/capacity.ts). */
  capacity?: Capacity;
}

/**
 * Counters since start. Every received datagram lands in exactly one of overCapacity, answered,
 * dropped, truncated, garbage, wrongId, servfail, malformed or errors, so they add up to `received`.
 */
export interface ResponderStats {
  received: number;
  /** Sent a proper reply (any RCODE, including REFUSED and NOTIMP). */
  answered: number;
  /** Dropped by the drop fault. */
  dropped: number;
  /** Dropped because the --capacity token bucket was empty (before any other handling). */
  overCapacity: number;
  truncated: number;
  garbage: number;
  wrongId: number;
  servfail: number;
  /** Could not be parsed: answered FORMERR, or ignored when there was not even a query header. */
  malformed: number;
  /** Internal failures while handling a datagram (should stay 0; the responder carries on regardless). */
  errors: number;
  /** Replies the kernel refused (e.g. ENOBUFS); not part of the sum above, the query was already counted. */
  sendErrors: number;
}

export interface Responder {
  readonly address: string;
  readonly port: number;
  /** The fault seed in use, so a run can be replayed. */
  readonly seed: number;
  stats(): ResponderStats;
  close(): Promise<void>;
}

/** Bound on cached responses: question bytes come from the network, so the cache must not grow forever. */
const MAX_CACHED = 50_000;
/** Larger socket buffers absorb the load generator's bursts (Linux caps them at net.core.*mem_max). */
const SOCKET_BUFFER = 4 << 20;

export async function startResponder(opts: ResponderOptions): Promise<Responder> {
  const address = opts.address ?? '127.0.0.1';
  const port = opts.port ?? 0;
  if (isIP(address) === 0) throw new UsageError(`--address must be an IP address, got '${address}'`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got ${port}`);
  const seed = opts.seed ?? randomSeed();
  const plan = makeFaultPlan(validateFaults(opts.faults), seed);

  const socket = dgram.createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4' });
  await bind(socket, address, port);
  try {
    socket.setRecvBufferSize(SOCKET_BUFFER);
    socket.setSendBufferSize(SOCKET_BUFFER);
  } catch {
    // Only a performance hint; the default buffers work.
  }

  const handler = new Handler(socket, opts.zone, plan, opts.capacity ?? null);
  socket.on('message', handler.onMessage);
  // Asynchronous send failures (e.g. ENOBUFS under load) arrive here; they must not kill the process.
  socket.on('error', () => void handler.stats.sendErrors++);

  const bound = socket.address();
  let closing: Promise<void> | null = null;
  return {
    address: bound.address,
    port: bound.port,
    seed,
    stats: () => ({ ...handler.stats }),
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        handler.stop();
        socket.close(() => resolve());
      });
      return closing;
    },
  };
}

function bind(socket: dgram.Socket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      try {
        socket.close();
      } catch {
        // already closed
      }
      const where = formatHostPort(address, port);
      reject(new RunError(`cannot listen on udp ${where}: ${listenHint(err)}`));
    };
    socket.once('error', onError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

class Handler {
  readonly stats: ResponderStats = {
    received: 0, overCapacity: 0, answered: 0, dropped: 0, truncated: 0, garbage: 0, wrongId: 0, servfail: 0, malformed: 0, errors: 0, sendErrors: 0,
  };
  /** Reused for every datagram: the handler is synchronous, so one parse result is live at a time. */
  private readonly query = newParsedQuery();
  /** Encoded response (ID 0, RD/CD clear) per exact question bytes + EDNS variant. */
  private readonly cache = new Map<string, Buffer>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly socket: dgram.Socket,
    private readonly zone: Zone,
    private readonly plan: FaultPlan,
    private readonly capacity: Capacity | null,
  ) {}

  /** Arrow property so it can be passed to socket.on without bind(). */
  readonly onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    this.stats.received++;
    // An overloaded server drops before it reads the query (its socket buffer is full).
    if (this.capacity !== null && !this.capacity.admit(performance.now())) {
      this.stats.overCapacity++;
      return;
    }
    try {
      this.handle(msg, rinfo);
    } catch {
      // A bug must not take the responder down mid-benchmark; the counter makes it visible.
      this.stats.errors++;
    }
  };

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private handle(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const q = parseQuery(msg, this.query);
    // Source port 0 cannot be replied to (and dgram.send would throw).
    if (q.status === QueryStatus.ignore || rinfo.port === 0) {
      this.stats.malformed++;
      return;
    }
    if (q.status === QueryStatus.formErr) {
      this.stats.malformed++;
      this.send(buildHeaderOnly(msg, RCODE.formErr), rinfo);
      return;
    }
    if (q.status === QueryStatus.notImp) {
      this.stats.answered++;
      this.send(buildHeaderOnly(msg, RCODE.notImp), rinfo);
      return;
    }

    const action = this.plan.active ? this.plan.draw() : FaultAction.none;
    const reply = faultyReply(action, msg, q, this.plan, () => this.cachedCopy(msg), this.stats);
    if (reply !== null) this.send(reply, rinfo);
  }

  /** A fresh copy of the cached response for this question, building it on a miss. */
  private cachedCopy(msg: Buffer): Buffer {
    const q = this.query;
    // latin1 maps bytes 1:1 to chars, so the key is the exact question bytes (case included, since the
    // echoed question must match), plus what changes the encoding: EDNS state, DO, and the size limit.
    const key = msg.toString('latin1', 12, q.questionEnd) + String.fromCharCode(q.edns * 2 + (q.dnssecOk ? 1 : 0), responseLimit(q));
    let cached = this.cache.get(key);
    if (cached === undefined) {
      cached = buildAnswer(this.zone, msg, q);
      // Clearing is crude but bounded and O(1) amortised; a benchmark's working set refills it at once.
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(key, cached);
    }
    const out = Buffer.allocUnsafe(cached.length);
    cached.copy(out, 0);
    return out;
  }

  private send(reply: Buffer, rinfo: dgram.RemoteInfo): void {
    const delayMs = this.plan.delayMs + (this.capacity?.delayMs() ?? 0);
    if (delayMs <= 0) {
      this.transmit(reply, rinfo);
      return;
    }
    // Timers can fire up to a millisecond early (libuv's clock is in whole ms), so re-arm until the
    // full delay has passed: a test asserting ">= delay" must never see less.
    const due = performance.now() + delayMs;
    const fire = (): void => {
      this.timers.delete(timer);
      const left = due - performance.now();
      if (left > 0) {
        timer = setTimeout(fire, Math.ceil(left));
        this.timers.add(timer);
        return;
      }
      this.transmit(reply, rinfo);
    };
    let timer = setTimeout(fire, delayMs);
    this.timers.add(timer);
  }

  private transmit(reply: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.stopped) return;
    try {
      this.socket.send(reply, rinfo.port, rinfo.address);
    } catch {
      this.stats.sendErrors++;
    }
  }
}
