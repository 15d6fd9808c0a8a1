// What every transport shares: the ID table, the window, and the checks a response must pass
// before it counts. A transport (UDP, TCP, DoT, DoH) subclasses DnsChannel and implements only
// `transmit` (put these bytes on the wire) and calls `deliver` with each DNS message it receives.
import { FALLBACK, FREE, IdTable, INFLIGHT, TIMED_OUT } from './idtable.js';
import type { Recorder } from './recorder.js';
import { clock } from './clock.js';
import type { ChannelFeatures } from './features.js';

export interface QueryViews {
  wire: Buffer;
  offsets: Uint32Array;
  questionLengths: Uint16Array;
}

/** What a channel reports back to the worker engine that owns it. */
export interface ChannelOwner {
  /** A slot became free (answer, truncation or timeout): the owner may send more. */
  slotFreed(channel: DnsChannel): void;
  /** Only set with -v: one line per finished query. */
  verbose?(channel: DnsChannel, outcome: string, queryIndex: number, latencyMs: number): void;
}

/** Where --tcp-fallback sends a query whose UDP answer had TC=1. */
export interface FallbackLeg {
  /** Send query `id` of `channel` over TCP; false when it cannot (then the TC answer is a loss). */
  take(channel: DnsChannel, id: number): boolean;
}

export abstract class DnsChannel {
  readonly table: IdTable = new IdTable();
  /**
   * Outstanding queries the engine may keep on this channel now: the window, or 0 while a
   * connection (TCP, DoT, DoH) is down and being re-established.
   */
  limit: number;
  /** TSIG and NSID, or null: a plain run pays one null check per sent query and per answer. */
  features: ChannelFeatures | null = null;
  /** --tcp-fallback, or null; only looked at when an answer has TC=1. */
  fallback: FallbackLeg | null = null;
  /** Index of the target this channel sends to (several with --interleave); set by its owner. */
  target = 0;

  constructor(
    readonly window: number,
    protected readonly q: QueryViews,
    readonly recorder: Recorder,
    protected readonly owner: ChannelOwner,
  ) {
    this.limit = window;
  }

  /** Local -> remote endpoints, for the report. */
  abstract endpoints(): { local: string; remote: string };
  /** Put one DNS message on the wire (framing, if any, is the transport's business). */
  protected abstract transmit(msg: Buffer): void;
  abstract close(): void;

  get inflight(): number {
    return this.table.inflight;
  }

  send(queryIndex: number, intendedAt: number): void {
    const q = this.q;
    const start = q.offsets[queryIndex]!;
    const len = q.offsets[queryIndex + 1]! - start;
    // A fresh buffer per send: if the kernel's send buffer is full, libuv queues the datagram and
    // still references it, so a reused buffer could be overwritten before it leaves.
    const buf = Buffer.allocUnsafe(len);
    q.wire.copy(buf, 0, start, start + len);
    const t = this.table;
    const id = t.acquire();
    buf[0] = id >>> 8;
    buf[1] = id & 0xff;
    t.query[id] = queryIndex;
    t.intendedAt[id] = intendedAt;
    const c = this.recorder.c;
    c.sent++;
    c.requestBytes += len;
    // Signed before the clock is read, so the HMAC is not charged to the server's latency.
    const out = this.features === null ? buf : this.features.prepare(buf, id);
    t.sentAt[id] = clock();
    this.transmit(out);
  }

  /** Time out queries older than timeoutMs, oldest first; returns how many were freed. */
  sweep(now: number, timeoutMs: number): number {
    const t = this.table;
    let freed = 0;
    for (let id = t.oldest(); id !== -1 && now - t.sentAt[id]! >= timeoutMs; id = t.oldest()) {
      t.release(id, TIMED_OUT);
      this.recorder.c.timedOut++;
      this.recorder.c.lost++;
      freed++;
      if (this.owner.verbose) this.owner.verbose(this, 'timeout', t.query[id]!, now - t.sentAt[id]!);
    }
    return freed;
  }

  /**
   * The connection carrying every outstanding query is gone (closed or reset by the server): each
   * is lost at once, counted as aborted. Resending would hide the failure and send twice.
   */
  protected abortAll(): void {
    const t = this.table;
    const c = this.recorder.c;
    let freed = 0;
    for (let id = t.oldest(); id !== -1; id = t.oldest()) {
      t.release(id, FREE);
      c.aborted++;
      c.lost++;
      freed++;
      if (this.owner.verbose) this.owner.verbose(this, 'aborted', t.query[id]!, clock() - t.sentAt[id]!);
    }
    if (freed > 0) this.owner.slotFreed(this);
  }

  /** One outstanding query's stream failed (DoH), or its fallback connection did. */
  abortQuery(id: number): void {
    const t = this.table;
    const state = t.state[id];
    if (state !== INFLIGHT && state !== FALLBACK) return;
    t.release(id, FREE);
    this.recorder.c.aborted++;
    this.recorder.c.lost++;
    if (this.owner.verbose) this.owner.verbose(this, 'aborted', t.query[id]!, clock() - t.sentAt[id]!);
    this.owner.slotFreed(this);
  }

  /** Ctrl-C: every outstanding query becomes "interrupted". */
  interruptAll(): void {
    const t = this.table;
    for (let id = t.oldest(); id !== -1; id = t.oldest()) {
      t.release(id, FREE);
      this.recorder.c.interrupted++;
    }
  }

  /** A DNS message arrived (already de-framed). Never throws: bad input is counted. */
  protected deliver(msg: Buffer): void {
    const now = clock();
    const rec = this.recorder;
    // RFC 1035 4.1.1: a 12-byte header with QR set.
    if (msg.length < 12 || (msg[2]! & 0x80) === 0) {
      rec.c.malformed++;
      return;
    }
    const id = (msg[0]! << 8) | msg[1]!;
    const t = this.table;
    const state = t.state[id];
    if (state !== INFLIGHT) {
      if (state === TIMED_OUT) rec.c.late++;
      else rec.c.mismatched++;
      return;
    }
    this.answer(msg, id, now);
  }

  /**
   * The checks a response to outstanding query `id` must pass, and its outcome. Also reached from
   * the TCP leg of --tcp-fallback, whose message carries the leg's own ID.
   */
  answer(msg: Buffer, id: number, now: number): void {
    const rec = this.recorder;
    const t = this.table;
    const qi = t.query[id]!;
    const qlen = this.q.questionLengths[qi]!;
    // QDCOUNT must be 1 and the question must be the one we asked (RFC 5452 9.1: match ID,
    // name, type and class). A response that fails this is not an answer: the query stays
    // outstanding, and times out if nothing better arrives.
    if (msg[4] !== 0 || msg[5] !== 1 || msg.length < 12 + qlen) {
      rec.c.malformed++;
      return;
    }
    if (!sameQuestion(msg, this.q.wire, this.q.offsets[qi]! + 12, qlen)) {
      rec.c.mismatched++;
      return;
    }
    // TSIG verification and NSID (RFC 8945, RFC 5001); a response that fails verification is
    // counted and dropped, and the query stays outstanding.
    if (this.features !== null && !this.features.accept(msg, id)) return;
    if ((msg[2]! & 0x02) !== 0) return this.truncatedAnswer(id, qi, now);
    t.release(id, FREE);
    const rcode = msg[3]! & 0x0f;
    rec.complete(now, t.sentAt[id]!, t.intendedAt[id]!, rcode, msg.length);
    if (this.owner.verbose) this.owner.verbose(this, String(rcode), qi, now - t.sentAt[id]!);
    this.owner.slotFreed(this);
  }

  /** TC=1: the server wants the client to retry over TCP (RFC 7766 5); without fallback it is no answer. */
  private truncatedAnswer(id: number, qi: number, now: number): void {
    const t = this.table;
    const c = this.recorder.c;
    // The slot stays outstanding in FALLBACK state until the TCP answer (or its timeout) ends it.
    if (this.fallback !== null && t.state[id] === INFLIGHT && this.fallback.take(this, id)) {
      c.tcpFallbacks++;
      return;
    }
    t.release(id, FREE);
    c.truncated++;
    c.lost++;
    if (this.owner.verbose) this.owner.verbose(this, 'truncated', qi, now - t.sentAt[id]!);
    this.owner.slotFreed(this);
  }
}

/**
 * Compare the question section of a response with the one sent, ASCII case-insensitively in the
 * name (RFC 4343: DNS names compare case-insensitively; some servers and balancers normalise
 * case), exactly in QTYPE and QCLASS. Label length octets are <= 63, below the letters, so
 * folding only letters can never make two different lengths equal.
 */
export function sameQuestion(msg: Uint8Array, wire: Uint8Array, start: number, len: number): boolean {
  const nameLen = len - 4;
  for (let i = 0; i < len; i++) {
    const a = msg[12 + i]!;
    const b = wire[start + i]!;
    if (a !== b) {
      if (i >= nameLen) return false;
      const la = a | 0x20;
      if (la !== (b | 0x20) || la < 0x61 || la > 0x7a) return false;
    }
  }
  return true;
}
