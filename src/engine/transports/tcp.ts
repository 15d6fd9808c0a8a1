// DNS over TCP (RFC 7766) and, with a TLS dialer, over TLS (RFC 7858, dot-channel.ts): one
// connection per channel with pipelined queries, each message framed by a 2-byte length (RFC 1035
// 4.2.2). A read may hold part of a message or several; FrameReader puts them back together.
//
// When the server closes or resets the connection, the queries outstanding on it are counted as
// lost (aborted) at once, not resent (see Counters.aborted), and the channel reconnects: at once
// after a connection that carried answers, then backing off from 50 ms to 1 s while connecting
// keeps failing (a connection closed before any answer counts as a failure: a server that closes
// every connection on accept would otherwise be hammered in a tight loop). A run without -l gives
// a connection up after GIVE_UP_AFTER_FAILURES failures in a row (engine/give-up.ts), so it ends.
// Every attempt, success and setup time is recorded (dnsperf's connection statistics).
import type { EventEmitter } from 'node:events';
import net from 'node:net';
import { DnsChannel, type ChannelContext } from '../channel.js';
import type { Recorder } from '../recorder.js';
import { formatHostPort } from '../../util/hostport.js';
import { frame, FrameReader } from './framing.js';

/** Where a stream connection goes, and from where. */
export interface StreamTarget {
  host: string;
  port: number;
  localAddress: string | null;
  /** -x: the channel's local port (TCP reconnections reuse it), or null for an ephemeral one. */
  localPort: number | null;
  /** Give up on a connection (TCP + TLS handshake) after this long. */
  connectTimeoutMs: number;
  /** Aborted when the channel's loop closes: a connection still being made is given up at once. */
  signal?: AbortSignal;
}

/** Opens a socket; `ready` is the event after which DNS messages may flow. */
export interface Dialer {
  /** "TCP" or "TLS", for messages. */
  readonly name: string;
  dial(t: StreamTarget): { socket: net.Socket; ready: 'connect' | 'secureConnect' };
  /** A one-line explanation of a failed first connection (certificate errors need advice). */
  explain?(err: NodeJS.ErrnoException, t: StreamTarget): string | null;
}

export const tcpDialer: Dialer = {
  name: 'TCP',
  dial(t) {
    const socket = net.connect({
      host: t.host,
      port: t.port,
      ...(t.localAddress !== null ? { localAddress: t.localAddress } : {}),
      ...(t.localPort !== null ? { localPort: t.localPort } : {}),
    });
    return { socket, ready: 'connect' };
  },
};

const MAX_BACKOFF_MS = 1000;

/** The delay before reconnection attempt number `failures + 1`: 0, then 50 ms doubling to 1 s. */
export function backoffMs(failures: number): number {
  return failures === 0 ? 0 : Math.min(MAX_BACKOFF_MS, 50 * 2 ** (failures - 1));
}

/**
 * Re-establishes a lost connection: at once after a connection that carried answers, then
 * backing off (backoffMs) while attempts fail or connections close before any answer; stops for
 * good at stop(), or gives up after `limitFailures(n)` failures in a row (then `gaveUp` is set
 * and `onGiveUp` called). A connection that arrives after stop() goes to `discard`.
 */
export class Reconnector<T> implements ReconnectControl {
  private failures = 0;
  private maxFailures = Infinity;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private stopped = false;
  /** Set when the connection was given up (not by stop()). */
  gaveUp = false;

  constructor(
    private readonly connect: () => Promise<T>,
    private readonly connected: (value: T) => void,
    private readonly discard: (value: T) => void,
    private readonly onGiveUp: () => void = () => undefined,
  ) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Failed attempts (or answerless connections) in a row. */
  get failuresInARow(): number {
    return this.failures;
  }

  /**
   * Give up after `n` failures in a row (Infinity: never). A new run sets it (engine/loop.ts), and
   * the count starts again with it.
   */
  limitFailures(n: number): void {
    this.maxFailures = n;
    this.failures = 0;
  }

  /** The connection carried an answer: the next loss reconnects at once. */
  succeeded(): void {
    this.failures = 0;
  }

  /** A connection closed before carrying any answer: counts as a failed attempt for the backoff. */
  closedUnused(): void {
    this.failures++;
  }

  /** Schedule an attempt (no-op while one is scheduled or running, after stop, or once given up). */
  start(): void {
    if (this.stopped || this.busy) return;
    if (this.failures >= this.maxFailures) return this.giveUp();
    this.busy = true;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect().then(
        (value) => {
          this.busy = false;
          if (this.stopped) this.discard(value);
          else this.connected(value);
        },
        () => {
          this.busy = false;
          this.failures++;
          this.start();
        },
      );
    }, backoffMs(this.failures));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private giveUp(): void {
    if (this.gaveUp) return;
    this.gaveUp = true;
    this.stop();
    this.onGiveUp();
  }
}

/** What the engine loop may ask of a channel's reconnection. */
export interface ReconnectControl {
  readonly gaveUp: boolean;
  limitFailures(n: number): void;
}

/** A channel that re-establishes its connection (TCP, DoT, DoH). */
export interface Reconnecting {
  readonly reconnector: ReconnectControl;
}

/** The channel's reconnection, or null for a connectionless one (UDP). */
export function reconnectorOf(ch: object): ReconnectControl | null {
  return 'reconnector' in ch && ch.reconnector instanceof Reconnector ? ch.reconnector : null;
}

/** "addr:port" of a socket's local end (IPv6 in brackets), as the report lists sources. */
export function localEndpoint(socket: { localAddress?: string | undefined; localPort?: number | undefined }): string {
  return formatHostPort(socket.localAddress ?? '?', socket.localPort ?? 0);
}

/** A connection being set up: a socket, or an HTTP/2 session (doh-channel.ts). */
interface Connecting extends EventEmitter {
  destroy(err?: Error): void;
}

/**
 * Resolves `conn` once it emits `ready`, with its setup time in ms (from `started`); rejects on its
 * first error or, destroying it, after timeoutMs or when `signal` aborts (its loop closed: on the
 * session's own thread nothing else would end a connection still being made; engine/inline.ts).
 * `what` names the connection in the timeout error.
 */
export function whenReady<T extends Connecting>(
  conn: T,
  ready: string,
  started: number,
  timeoutMs: number,
  what: string,
  now: () => number,
  signal?: AbortSignal,
): Promise<{ conn: T; ms: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const err: NodeJS.ErrnoException = new Error(`no ${what} connection within ${timeoutMs} ms`);
      err.code = 'ETIMEDOUT';
      conn.destroy(err);
    }, timeoutMs);
    const onAbort = (): void => onError(new Error(`the ${what} connection was given up: its channel closed`));
    const settle = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onError = (err: Error): void => {
      settle();
      conn.off('error', onError);
      conn.destroy();
      reject(err);
    };
    conn.once('error', onError);
    conn.once(ready, () => {
      settle();
      conn.off('error', onError);
      resolve({ conn, ms: now() - started });
    });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Connect once (counting the attempt in `rec()`): the ready socket and its setup time in ms. */
export async function connectStream(dialer: Dialer, t: StreamTarget, rec: () => Recorder, now: () => number): Promise<{ socket: net.Socket; ms: number }> {
  const started = now();
  rec().event('connAttempts', started);
  const { socket, ready } = dialer.dial(t);
  const { ms } = await whenReady(socket, ready, started, t.connectTimeoutMs, dialer.name, now, t.signal);
  socket.setNoDelay(true);
  return { socket, ms };
}

/** The first connection of a channel failed; the message is the whole one-line explanation. */
export class ConnectError extends Error {
  override readonly name = 'ConnectError';
}

/** A one-line reason for a failed first connection; `what` names the transport. */
export function connectFailure(what: string, err: NodeJS.ErrnoException, t: StreamTarget): string {
  const hint = err.code === 'ECONNREFUSED' ? ' (is a DNS server listening for TCP there?)' : '';
  return `cannot connect over ${what} to ${where(t)}: ${err.message.replace(/^connect /, '')}${hint}`;
}

export function where(t: { host: string; port: number }): string {
  return formatHostPort(t.host, t.port);
}

/** The stream target of a channel context (TCP, DoT, DoH and the fallback leg connect to it). */
export function streamTarget(ctx: ChannelContext): StreamTarget {
  return { host: ctx.target.host, port: ctx.target.port, localAddress: ctx.localAddress, localPort: ctx.localPort, connectTimeoutMs: ctx.connectTimeoutMs, ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}) };
}

export class TcpChannel extends DnsChannel implements Reconnecting {
  private socket: net.Socket | null = null;
  /** The current connection has carried an answer (for the reconnection backoff). */
  private answered = false;
  private readonly reader = new FrameReader((buf, off, len) => {
    if (!this.answered) {
      this.answered = true;
      this.reconnector.succeeded();
    }
    this.deliver(buf, off, len, this.now());
  });
  readonly reconnector = new Reconnector(
    () => connectStream(this.dialer, this.dest, () => this.recorder, this.now),
    ({ socket, ms }) => {
      this.attach(socket, ms, true);
      this.owner.slotFreed(this);
    },
    ({ socket }) => socket.destroy(),
    // Given up: the engine loop hears of it on its next refill and stops the target if need be.
    () => this.owner.slotFreed(this),
  );
  private firstLocal = '';
  /** Framed queries written since the last flush (sent in one writev). */
  private pending: Buffer[] = [];
  private readonly dest: StreamTarget;

  private constructor(
    private readonly dialer: Dialer,
    ctx: ChannelContext,
  ) {
    super(ctx);
    this.dest = streamTarget(ctx);
  }

  /** Connect before the run starts (setup is not timed); a failure is a one-line ConnectError. */
  static async open(dialer: Dialer, ctx: ChannelContext): Promise<TcpChannel> {
    const ch = new TcpChannel(dialer, ctx);
    const target = ch.dest;
    try {
      const { socket, ms } = await connectStream(dialer, target, () => ch.recorder, ch.now);
      ch.attach(socket, ms, false);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new ConnectError(dialer.explain?.(err, target) ?? connectFailure(dialer.name, err, target));
    }
    return ch;
  }

  endpoints(): { local: string; remote: string } {
    return { local: this.firstLocal, remote: where(this.dest) };
  }

  protected transmit(msg: Buffer): void {
    // Queued until flush(): queries sent in the same turn (a window's worth at the start, one per
    // answer of a read that held many) leave in one writev instead of one syscall each.
    this.pending.push(frame(msg));
  }

  override flush(): void {
    if (this.pending.length === 0) return;
    // The engine sends only while limit > 0, i.e. while connected; a connection lost since the
    // queries were queued has aborted them already.
    const socket = this.socket;
    const out = this.pending;
    this.pending = [];
    if (socket === null) return;
    if (out.length === 1) socket.write(out[0]!);
    else {
      socket.cork();
      for (const b of out) socket.write(b);
      socket.uncork();
    }
  }

  close(): void {
    this.reconnector.stop();
    this.socket?.destroy();
    this.socket = null;
  }

  private attach(socket: net.Socket, ms: number, reconnect: boolean): void {
    this.socket = socket;
    this.answered = false;
    const local = localEndpoint(socket);
    if (this.firstLocal === '') this.firstLocal = local;
    this.recorder.connected(this.now(), ms, local, reconnect);
    socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
    socket.on('error', () => this.recorder.event('socketErrors', this.now()));
    socket.on('close', () => this.onClose(socket));
    this.limit = this.window;
  }

  private onClose(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.limit = 0;
    this.reader.reset();
    this.pending = [];
    if (this.reconnector.isStopped) return;
    if (!this.answered) this.reconnector.closedUnused();
    this.abortAll();
    this.reconnector.start();
  }
}
