// DNS over TCP (RFC 7766) and, with a TLS dialer, over TLS (RFC 7858, dot-channel.ts): one
// connection per channel with pipelined queries, each message framed by a 2-byte length (RFC 1035
// 4.2.2). A read may hold part of a message or several; FrameReader puts them back together.
//
// When the server closes or resets the connection, the queries outstanding on it are counted as
// lost (aborted) at once, not resent (see Counters.aborted), and the channel reconnects: at once
// the first time, then backing off from 50 ms to 1 s while connecting keeps failing. Every
// attempt, success and setup time is recorded (dnsperf's connection statistics).
import type { EventEmitter } from 'node:events';
import net from 'node:net';
import { clock } from './clock.js';
import { DnsChannel, type ChannelOwner, type QueryViews } from './channel.js';
import type { Recorder } from './recorder.js';

/** Where a stream connection goes, and from where. */
export interface StreamTarget {
  host: string;
  port: number;
  localAddress: string | null;
  /** -x: the channel's local port (TCP reconnections reuse it), or null for an ephemeral one. */
  localPort: number | null;
  /** Give up on a connection (TCP + TLS handshake) after this long. */
  connectTimeoutMs: number;
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

/**
 * Re-establishes a lost connection: at once the first time, then backing off from 50 ms to 1 s
 * while attempts keep failing; stops for good at stop(). A connection that arrives after stop()
 * goes to `discard`.
 */
export class Reconnector<T> {
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private stopped = false;

  constructor(
    private readonly connect: () => Promise<T>,
    private readonly connected: (value: T) => void,
    private readonly discard: (value: T) => void,
  ) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Schedule an attempt (no-op while one is scheduled or running, or after stop). */
  start(): void {
    if (this.stopped || this.busy) return;
    this.busy = true;
    const delay = this.failures === 0 ? 0 : Math.min(MAX_BACKOFF_MS, 50 * 2 ** (this.failures - 1));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect().then(
        (value) => {
          this.busy = false;
          this.failures = 0;
          if (this.stopped) this.discard(value);
          else this.connected(value);
        },
        () => {
          this.busy = false;
          this.failures++;
          this.start();
        },
      );
    }, delay);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** "addr:port" of a socket's local end (IPv6 in brackets), as the report lists sources. */
export function localEndpoint(socket: { localAddress?: string | undefined; localPort?: number | undefined }): string {
  const a = socket.localAddress ?? '?';
  return a.includes(':') ? `[${a}]:${socket.localPort}` : `${a}:${socket.localPort}`;
}

/** A connection being set up: a socket, or an HTTP/2 session (doh-channel.ts). */
interface Connecting extends EventEmitter {
  destroy(err?: Error): void;
}

/**
 * Resolves `conn` once it emits `ready`, with its setup time in ms (from `started`); rejects on its
 * first error or, destroying it, after timeoutMs. `what` names the connection in the timeout error.
 */
export function whenReady<T extends Connecting>(conn: T, ready: string, started: number, timeoutMs: number, what: string): Promise<{ conn: T; ms: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const err: NodeJS.ErrnoException = new Error(`no ${what} connection within ${timeoutMs} ms`);
      err.code = 'ETIMEDOUT';
      conn.destroy(err);
    }, timeoutMs);
    const onError = (err: Error): void => {
      clearTimeout(timer);
      conn.destroy();
      reject(err);
    };
    conn.once('error', onError);
    conn.once(ready, () => {
      clearTimeout(timer);
      conn.off('error', onError);
      resolve({ conn, ms: clock() - started });
    });
  });
}

/** Connect once (counting the attempt): the ready socket and its setup time in ms. */
export async function connectStream(dialer: Dialer, t: StreamTarget, rec: Recorder): Promise<{ socket: net.Socket; ms: number }> {
  rec.c.connAttempts++;
  const started = clock();
  const { socket, ready } = dialer.dial(t);
  const { ms } = await whenReady(socket, ready, started, t.connectTimeoutMs, dialer.name);
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
  return t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

/** 2-byte length framing (RFC 1035 4.2.2, RFC 7766 8): bytes in, whole messages out. */
export class FrameReader {
  private pending: Buffer | null = null;

  constructor(private readonly onMessage: (msg: Buffer) => void) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let off = 0;
    while (buf.length - off >= 2) {
      const len = (buf[off]! << 8) | buf[off + 1]!;
      if (buf.length - off - 2 < len) break;
      // A view, not a copy: the channel reads the message before this returns.
      this.onMessage(buf.subarray(off + 2, off + 2 + len));
      off += 2 + len;
    }
    // Keep the tail of a message cut by the read (a copy, so the chunk is not pinned).
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
  }

  reset(): void {
    this.pending = null;
  }
}

/** The message with its 2-byte length prefix. */
export function frame(msg: Buffer): Buffer {
  const out = Buffer.allocUnsafe(msg.length + 2);
  out[0] = msg.length >>> 8;
  out[1] = msg.length & 0xff;
  msg.copy(out, 2);
  return out;
}

export class TcpChannel extends DnsChannel {
  private socket: net.Socket | null = null;
  private readonly reader = new FrameReader((msg) => this.deliver(msg));
  private readonly reconnector = new Reconnector(
    () => connectStream(this.dialer, this.dest, this.recorder),
    ({ socket, ms }) => {
      this.attach(socket, ms, true);
      this.owner.slotFreed(this);
    },
    ({ socket }) => socket.destroy(),
  );
  private firstLocal = '';
  private corked = false;

  private constructor(
    private readonly dialer: Dialer,
    private readonly dest: StreamTarget,
    window: number,
    q: QueryViews,
    recorder: Recorder,
    owner: ChannelOwner,
  ) {
    super(window, q, recorder, owner);
  }

  /** Connect before the run starts (setup is not timed); a failure is a one-line error. */
  static async open(dialer: Dialer, target: StreamTarget, window: number, q: QueryViews, recorder: Recorder, owner: ChannelOwner): Promise<TcpChannel> {
    const ch = new TcpChannel(dialer, target, window, q, recorder, owner);
    try {
      const { socket, ms } = await connectStream(dialer, target, recorder);
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
    // The engine sends only while limit > 0, i.e. while connected.
    const socket = this.socket!;
    // Queries sent in the same tick (a window's worth at the start, one per answer of a read that
    // held many) leave in one writev instead of one syscall each.
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(this.uncork, socket);
    }
    socket.write(frame(msg));
  }

  private readonly uncork = (socket: net.Socket): void => {
    this.corked = false;
    socket.uncork();
  };

  close(): void {
    this.reconnector.stop();
    this.socket?.destroy();
    this.socket = null;
  }

  private attach(socket: net.Socket, ms: number, reconnect: boolean): void {
    this.socket = socket;
    const local = localEndpoint(socket);
    if (this.firstLocal === '') this.firstLocal = local;
    this.recorder.connected(ms, local, reconnect);
    socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
    socket.on('error', () => void this.recorder.c.socketErrors++);
    socket.on('close', () => this.onClose(socket));
    this.limit = this.window;
  }

  private onClose(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.limit = 0;
    this.reader.reset();
    if (this.reconnector.isStopped) return;
    this.abortAll();
    this.reconnector.start();
  }
}
