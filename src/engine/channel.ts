// What every transport shares: the ID table, the window, and the checks a response must pass
// before it counts. A transport (UDP, TCP, DoT, DoH) subclasses DnsChannel and implements only
// `transmit` (put these bytes on the wire) and calls `deliver` with each DNS message it receives.
import { FREE, IdTable, INFLIGHT, TIMED_OUT } from './idtable.js';
import type { Recorder } from './recorder.js';
import { clock } from './clock.js';

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

export abstract class DnsChannel {
  readonly table: IdTable = new IdTable();
  /** Index of the target this channel sends to (several with --interleave); set by its owner. */
  target = 0;

  constructor(
    readonly window: number,
    protected readonly q: QueryViews,
    readonly recorder: Recorder,
    protected readonly owner: ChannelOwner,
  ) {}

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
    t.sentAt[id] = clock();
    this.transmit(buf);
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
    t.release(id, FREE);
    if ((msg[2]! & 0x02) !== 0) {
      // TC=1: the server wants the client to retry over TCP; without fallback it is no answer.
      rec.c.truncated++;
      rec.c.lost++;
      if (this.owner.verbose) this.owner.verbose(this, 'truncated', qi, now - t.sentAt[id]!);
    } else {
      const rcode = msg[3]! & 0x0f;
      rec.complete(now, t.sentAt[id]!, t.intendedAt[id]!, rcode, msg.length);
      if (this.owner.verbose) this.owner.verbose(this, String(rcode), qi, now - t.sentAt[id]!);
    }
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
