// --tcp-fallback: a UDP answer with TC=1 sends its query again over TCP (RFC 7766 5, what a stub
// resolver does), and the query completes with the TCP answer, timed from the original UDP send.
//
// One leg per worker, target and local address (a view chosen by client address must see the TCP
// retry from the same address), connected when the first truncated answer needs it and kept open.
// The query keeps its UDP slot (state FALLBACK) until the end: the UDP window still bounds what is
// outstanding, the UDP timeout still applies from the first send, and Ctrl-C still counts it. The
// leg only carries messages; every outcome is counted on the UDP channel. A leg whose connection
// fails loses its queries at once (aborted) and, for a second after a failed connect, declines new
// ones, so the truncated answers count as lost instead of hammering a closed port.
import type net from 'node:net';
import { copyQuery, type DnsChannel, type FallbackLeg, type QueryViews } from '../channel.js';
import { FALLBACK, FREE, IdTable, INFLIGHT } from '../idtable.js';
import type { Recorder } from '../recorder.js';
import { frame, FrameReader } from './framing.js';
import { connectStream, localEndpoint, tcpDialer, type StreamTarget } from './tcp.js';

const RETRY_AFTER_FAILURE_MS = 1000;

export class TcpFallback implements FallbackLeg {
  private socket: net.Socket | null = null;
  private connecting = false;
  private connectedOnce = false;
  private failedAt = -Infinity;
  private closed = false;
  /** The leg's own IDs on its connection; each maps back to a UDP channel's slot. */
  private readonly ids = new IdTable();
  private readonly origin: Array<DnsChannel | undefined> = [];
  private readonly originId = new Int32Array(65536);
  private readonly originSentAt = new Float64Array(65536);
  /** Messages written while the connection is being set up (sent once it is). */
  private queued: Buffer[] = [];
  private readonly reader = new FrameReader((buf, off, len) => this.onMessage(buf, off, len));
  /** Where connection events are counted; the engine gives each run of a session a new one. */
  recorder: Recorder;

  constructor(
    private readonly target: StreamTarget,
    private readonly q: QueryViews,
    recorder: Recorder,
    private readonly now: () => number,
  ) {
    this.recorder = recorder;
  }

  take(ch: DnsChannel, udpId: number): boolean {
    if (this.closed || this.ids.inflight >= 65535) return false;
    if (this.socket === null && !this.connecting) {
      if (this.now() - this.failedAt < RETRY_AFTER_FAILURE_MS) return false;
      this.connect();
    }
    const t = ch.table;
    const id = this.ids.acquire();
    const buf = copyQuery(this.q, t.query[udpId]!, id);
    this.ids.sentAt[id] = t.sentAt[udpId]!;
    this.origin[id] = ch;
    this.originId[id] = udpId;
    this.originSentAt[id] = t.sentAt[udpId]!;
    t.state[udpId] = FALLBACK;
    const out = frame(ch.features === null ? buf : ch.features.resign(buf, udpId));
    if (this.socket !== null) this.socket.write(out);
    else this.queued.push(out);
    return true;
  }

  /** Forget leg IDs whose UDP slot has timed out by now (the UDP channel counted the loss). */
  sweep(now: number, timeoutMs: number): void {
    const ids = this.ids;
    for (let id = ids.oldest(); id !== -1 && now - ids.sentAt[id]! >= timeoutMs; id = ids.oldest()) {
      ids.release(id, FREE);
      this.origin[id] = undefined;
    }
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.socket = null;
    this.queued = [];
  }

  private connect(): void {
    this.connecting = true;
    connectStream(tcpDialer, this.target, () => this.recorder, this.now).then(
      ({ socket, ms }) => {
        this.connecting = false;
        if (this.closed) return void socket.destroy();
        this.socket = socket;
        this.recorder.connected(this.now(), ms, localEndpoint(socket), this.connectedOnce);
        this.connectedOnce = true;
        socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
        socket.on('error', () => this.recorder.event('socketErrors', this.now()));
        socket.on('close', () => this.lost(socket));
        for (const m of this.queued) socket.write(m);
        this.queued = [];
      },
      () => {
        this.connecting = false;
        this.failedAt = this.now();
        this.queued = [];
        this.abortAll();
      },
    );
  }

  private lost(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.reader.reset();
    if (!this.closed) this.abortAll();
  }

  /** The connection is gone: every query it carried is lost (aborted) on its UDP channel. */
  private abortAll(): void {
    const ids = this.ids;
    for (let id = ids.oldest(); id !== -1; id = ids.oldest()) {
      ids.release(id, FREE);
      const ch = this.origin[id];
      this.origin[id] = undefined;
      if (ch !== undefined && ch.table.sentAt[this.originId[id]!] === this.originSentAt[id]) ch.abortQuery(this.originId[id]!);
    }
  }

  private onMessage(buf: Buffer, off: number, len: number): void {
    const now = this.now();
    if (len < 12 || (buf[off + 2]! & 0x80) === 0) {
      this.recorder.event('malformed', now);
      return;
    }
    const id = (buf[off]! << 8) | buf[off + 1]!;
    if (this.ids.state[id] !== INFLIGHT) {
      this.recorder.event('mismatched', now);
      return;
    }
    const ch = this.origin[id]!;
    const udpId = this.originId[id]!;
    const sentAt = this.originSentAt[id]!;
    this.ids.release(id, FREE);
    this.origin[id] = undefined;
    // The UDP slot may have timed out (and been reused) while the TCP answer was on its way.
    if (ch.table.state[udpId] !== FALLBACK || ch.table.sentAt[udpId] !== sentAt) {
      this.recorder.event('late', now);
      return;
    }
    ch.answer(buf, off, len, udpId, now);
  }
}
