// What every transport shares: the ID table, the window, and the checks a response must pass
// before it counts. A transport (engine/transports/: UDP, TCP, DoT, DoH, native UDP) subclasses
// DnsChannel, implements `transmit` (put these bytes on the wire) and calls `deliver` with each
// DNS message it receives. A batching transport may queue in `transmit` and send in `flush`,
// which the engine calls once per event-loop turn after it has sent what was due.
import { FALLBACK, FREE, IdTable, INFLIGHT, TIMED_OUT } from './idtable.js';
import type { Recorder } from './recorder.js';
import type { ChannelFeatures } from './features.js';
import { AnswerChecks } from './checks.js';
import type { WorkerTarget, WorkerTransport } from './protocol.js';
import { newRecordScan, walkMessage } from './wire.js';
import { tallyAdd } from '../results/tally.js';
import { FOREIGN_SOURCES_KEPT } from '../results/transport.js';

/** The pre-encoded query set as a worker sees it (shared memory, read-only). */
export interface QueryViews {
  /** Every message back to back, each with ID 0. */
  wire: Buffer;
  /** Message i is wire[offsets[i] .. offsets[i+1]). */
  offsets: Uint32Array;
  /** Byte length of message i's question section (it starts at byte 12). */
  questionLengths: Uint16Array;
}

/** What a channel reports back to the engine loop that owns it. */
export interface ChannelOwner {
  /** A slot became free (answer, truncation, abort) or a connection came back: the owner may send more. */
  slotFreed(channel: DnsChannel): void;
  /** Only set with -v: one line per finished query (outcome: an RCODE number or a word; latency ms). */
  verbose?(channel: DnsChannel, outcome: string, queryIndex: number, latencyMs: number): void;
  /**
   * A query taken by scheduleAt was not sent (its slot came too late, and was counted skipped): the
   * owner sends it in a later slot, so -n still sends every query of every pass.
   */
  returnQuery?(channel: DnsChannel, queryIndex: number): void;
}

/** Where --tcp-fallback sends a query whose UDP answer had TC=1. */
export interface FallbackLeg {
  /** Send query `id` of `channel` over TCP; false when it cannot (then the TC answer is a loss). */
  take(channel: DnsChannel, id: number): boolean;
}

/** Everything a transport needs to open one channel (see transports/registry.ts). */
export interface ChannelContext {
  target: WorkerTarget;
  /** Index of the target (several with --interleave). */
  targetIndex: number;
  /** This channel's share of -q. */
  window: number;
  /** -a address for this socket, or null for the kernel's choice. */
  localAddress: string | null;
  /** -x port for this socket, or null for an ephemeral one. */
  localPort: number | null;
  /** -b in bytes, or null for the OS default. */
  bufferBytes: number | null;
  /** The EDNS UDP payload size advertised (the largest UDP answer to expect), or null without EDNS (512). */
  udpPayloadSize: number | null;
  /** Give up on a connection (TCP + TLS handshake) after this long, ms. */
  connectTimeoutMs: number;
  /** Aborted when the channel's loop closes: a connection still being made is given up then. */
  signal?: AbortSignal;
  transport: WorkerTransport;
  q: QueryViews;
  recorder: Recorder;
  owner: ChannelOwner;
  /** The engine's clock (performance.now() ms, or a fake one in tests). */
  now: () => number;
}

/**
 * A fresh copy of query `queryIndex` with DNS ID `id` patched in: the one place a query leaves
 * the shared set. A fresh buffer per send because a transport may still hold the previous one
 * (libuv queues a datagram when the socket buffer is full; TCP writes are asynchronous).
 */
export function copyQuery(q: QueryViews, queryIndex: number, id: number): Buffer {
  const start = q.offsets[queryIndex]!;
  const len = q.offsets[queryIndex + 1]! - start;
  const buf = Buffer.allocUnsafe(len);
  q.wire.copy(buf, 0, start, start + len);
  buf[0] = id >>> 8;
  buf[1] = id & 0xff;
  return buf;
}

export abstract class DnsChannel {
  readonly table: IdTable = new IdTable();
  readonly window: number;
  /**
   * Outstanding queries the engine may keep on this channel now: the window, or 0 while a
   * connection (TCP, DoT, DoH) is down and being re-established.
   */
  limit: number;
  /**
   * Slow start (set by the engine for closed-loop runs): outstanding queries allowed now, which
   * grows by one per answer up to the window, so the first burst does not overflow the server's
   * socket buffer (knotd's default 208 KB dropped 6-30 of a 200-query first burst; dnsperf ramps
   * too). Infinity: no ramp.
   */
  ramp = Infinity;
  /** TSIG and NSID, or null: a plain run pays one null check per sent query and per answer. */
  features: ChannelFeatures | null = null;
  /** --tcp-fallback, or null; only looked at when an answer has TC=1. */
  fallback: FallbackLeg | null = null;
  /** --expect / --rrset-order (engine/checks.ts), or null: one null check per answer. */
  readonly checks: AnswerChecks | null;
  /** Index of the target this channel sends to (several with --interleave). */
  readonly target: number;
  /** Where outcomes are counted; the engine gives each run of a session a new one. */
  recorder: Recorder;
  protected readonly q: QueryViews;
  protected readonly owner: ChannelOwner;
  protected readonly now: () => number;
  /** Where the walk of the last answer left what it found (reused: no allocation per answer). */
  private readonly scan = newRecordScan();

  constructor(ctx: ChannelContext) {
    this.window = ctx.window;
    this.limit = ctx.window;
    this.target = ctx.targetIndex;
    this.recorder = ctx.recorder;
    this.q = ctx.q;
    this.owner = ctx.owner;
    this.now = ctx.now;
    this.checks = ctx.transport.checks ? new AnswerChecks(ctx.transport.checks, ctx.q, () => this.recorder) : null;
  }

  /** Local -> remote endpoints, for the report. */
  abstract endpoints(): { local: string; remote: string };
  /** Put one DNS message on the wire (framing, if any, is the transport's business). */
  protected abstract transmit(msg: Buffer, id: number): void;
  abstract close(): void;

  /** Send what transmit queued; called once per event-loop turn by the engine. Default: nothing queued. */
  flush(): void {}

  /**
   * Paced runs: `on` lets answers wait (with their arrival times) until readDeferred(), so a
   * query costs one wake-up (its send), not two. Only a transport that times answers by the
   * kernel's clock may defer (native UDP); the default ignores it: latency would grow otherwise.
   */
  deferAnswers(_on: boolean): void {}

  /** Read the answers that waited (deferAnswers). Default: nothing waits. */
  readDeferred(): void {}

  /**
   * Paced runs: whether this channel can take a query now to send at a later due time
   * (scheduleAt). Default: no; a transport that can send on time without the engine's wake-up
   * (native UDP: a timerfd in C) says yes.
   */
  canScheduleAhead(): boolean {
    return false;
  }

  /**
   * Take query `queryIndex` (an ID now, like send) to leave at clock time `due` (ms, later than
   * now); it is counted as sent, with its send lag, when it has left, and not sent at all when its
   * turn comes more than `lateMs` late (the -Q ceiling). Only after canScheduleAhead().
   */
  scheduleAt(_queryIndex: number, _due: number, _lateMs: number): void {
    throw new Error('this transport has no send schedule');
  }

  /** The latest due time of a query taken by scheduleAt and not yet sent, or -1. */
  lastScheduledDue(): number {
    return -1;
  }

  /**
   * Sending ends. With `sendDue` (the time limit, the end of -n), a query taken by scheduleAt whose
   * due time has come leaves now, as its timer would have in this same event-loop turn. Any other
   * not sent is dropped (its ID freed); one whose due time had passed counts as a skipped slot
   * (Ctrl-C passes false: nothing more leaves). Default: nothing is scheduled.
   */
  stopSchedule(_sendDue: boolean): void {}

  get inflight(): number {
    return this.table.inflight;
  }

  /**
   * Send query `queryIndex`. `chargedFrom` is the clock time (ms) corrected latency counts from
   * (a due time a full window made the query wait past), or -1 for its send time.
   */
  send(queryIndex: number, chargedFrom: number): void {
    const t = this.table;
    const id = t.acquire();
    t.query[id] = queryIndex;
    const len = this.q.offsets[queryIndex + 1]! - this.q.offsets[queryIndex]!;
    const buf = copyQuery(this.q, queryIndex, id);
    // Signed before the clock is read, so the HMAC is not charged to the server's latency.
    const out = this.features === null ? buf : this.features.prepare(buf, id);
    const now = this.now();
    t.sentAt[id] = now;
    t.chargeFrom(id, chargedFrom);
    this.recorder.sent(now, len + (out.length - buf.length));
    this.transmit(out, id);
  }

  /**
   * Time out queries older than timeoutMs, oldest first; returns how many were freed. The sweep
   * stops at the first ID flagged in `notSent` (indexed by ID; null: none), a query taken that has
   * not left yet (a send schedule's, or one behind a full socket buffer): its time starts when it
   * leaves, so neither it nor any query taken after it can have timed out.
   */
  sweep(now: number, timeoutMs: number, notSent: Uint8Array | null = null): number {
    const t = this.table;
    let freed = 0;
    for (let id = t.oldest(); id !== -1 && (notSent === null || notSent[id] === 0) && now - t.sentAt[id]! >= timeoutMs; id = t.oldest()) {
      t.release(id, TIMED_OUT);
      this.recorder.lost(t.sentAt[id]!, 'timedOut', now);
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
    const now = this.now();
    let freed = 0;
    for (let id = t.oldest(); id !== -1; id = t.oldest()) {
      t.release(id, FREE);
      this.recorder.lost(t.sentAt[id]!, 'aborted', now);
      freed++;
      if (this.owner.verbose) this.owner.verbose(this, 'aborted', t.query[id]!, now - t.sentAt[id]!);
    }
    if (freed > 0) this.owner.slotFreed(this);
  }

  /** One outstanding query's stream failed (DoH), or its fallback connection did. */
  abortQuery(id: number): void {
    const t = this.table;
    const state = t.state[id];
    if (state !== INFLIGHT && state !== FALLBACK) return;
    const now = this.now();
    t.release(id, FREE);
    this.recorder.lost(t.sentAt[id]!, 'aborted', now);
    if (this.owner.verbose) this.owner.verbose(this, 'aborted', t.query[id]!, now - t.sentAt[id]!);
    this.owner.slotFreed(this);
  }

  /** Ctrl-C: every outstanding query becomes "interrupted" (-v: dnsperf's `> I name type`). */
  interruptAll(): void {
    const t = this.table;
    const now = this.now();
    for (let id = t.oldest(); id !== -1; id = t.oldest()) {
      t.release(id, FREE);
      this.recorder.interrupted(t.sentAt[id]!);
      if (this.owner.verbose) this.owner.verbose(this, 'interrupted', t.query[id]!, now - t.sentAt[id]!);
    }
  }

  /**
   * A DNS message arrived (already de-framed) from the server: `len` bytes at `off` of `buf`, at
   * clock time `at` (the kernel's receive time where the transport has one). Never throws: bad
   * input is counted.
   */
  protected deliver(buf: Uint8Array, off: number, len: number, at: number): void {
    // RFC 1035 4.1.1: a 12-byte header with QR set.
    if (len < 12 || (buf[off + 2]! & 0x80) === 0) {
      this.recorder.event('malformed', at);
      return;
    }
    const id = (buf[off]! << 8) | buf[off + 1]!;
    const state = this.table.state[id];
    if (state !== INFLIGHT) {
      this.recorder.event(state === TIMED_OUT ? 'late' : 'mismatched', at);
      return;
    }
    this.answer(buf, off, len, id, at);
  }

  /**
   * A datagram came from an address or port other than the server's (a multihomed server
   * answering from another address, DSR, NAT rewriting ports). It is never an answer: counted as
   * foreignSource, and where it came from (`from`, "host:port") is kept for the report's note.
   */
  protected foreignReply(from: string, at: number): void {
    this.recorder.event('foreignSource', at);
    tallyAdd(this.recorder.foreignSources, from, 1, FOREIGN_SOURCES_KEPT);
  }

  /**
   * The checks a response to outstanding query `id` must pass, and its outcome. Also reached from
   * the TCP leg of --tcp-fallback, whose message carries the leg's own ID.
   *
   * - The question: QDCOUNT 1 with the name, type and class asked (RFC 5452 9.1), or QDCOUNT 0,
   *   which RFC 1035 allows in an error answer: then only an error RCODE or TC=1 makes it this
   *   query's answer (NSD's BADKEY, FORMERR from a server without EDNS, header-only REFUSED or
   *   TC=1); a NOERROR answer without a question answers nothing.
   * - The whole message must parse (wire.ts walkMessage): else it is malformed. A TC=1 answer
   *   only needs its header and question, since the rest may have been cut (RFC 1035 4.1.1).
   * - The RCODE is the full 12-bit one: the header's 4 bits and the OPT's EXTENDED-RCODE
   *   (RFC 6891 6.1.3), so BADVERS (16) and BADCOOKIE (23) are never read as NOERROR or YXRRSET.
   * - TSIG verification (RFC 8945) and NSID (RFC 5001) when asked for.
   * A response that fails any check is counted and the query stays outstanding: it times out if
   * nothing better arrives.
   */
  answer(buf: Uint8Array, off: number, len: number, id: number, now: number): void {
    const rec = this.recorder;
    const t = this.table;
    const qi = t.query[id]!;
    const qd = (buf[off + 4]! << 8) | buf[off + 5]!;
    if (qd === 1) {
      const qlen = this.q.questionLengths[qi]!;
      if (len < 12 + qlen) {
        rec.event('malformed', now);
        return;
      }
      if (!sameQuestion(buf, off + 12, this.q.wire, this.q.offsets[qi]! + 12, qlen)) {
        rec.event('mismatched', now);
        return;
      }
    } else if (qd !== 0) {
      rec.event('malformed', now);
      return;
    }
    const scan = this.scan;
    const tc = (buf[off + 2]! & 0x02) !== 0;
    // A TC=1 answer that does not parse past its question is still a truncation (dnspython's
    // Truncated): its records were cut. It is never completed, so nothing rests on them.
    if (!walkMessage(buf, off, len, scan) && !tc) {
      rec.event('malformed', now);
      return;
    }
    const rcode = (buf[off + 3]! & 0x0f) | (scan.extendedRcode << 4);
    if (qd === 0 && rcode === 0 && !tc) {
      rec.event('malformed', now);
      return;
    }
    // TSIG verification and NSID (RFC 8945, RFC 5001); a response that fails verification is
    // counted and dropped, and the query stays outstanding.
    let nsid: string | null = null;
    if (this.features !== null) {
      const msg = Buffer.from(buf.buffer, buf.byteOffset + off, len);
      if (!this.features.accept(msg, scan, id, now)) return;
      nsid = this.features.lastNsid;
    }
    if (tc) return this.truncatedAnswer(id, qi, now);
    if (this.checks !== null && !this.checks.accept(buf, off, len, qi, rcode)) return this.wrongAnswer(id, qi, now);
    t.release(id, FREE);
    rec.complete(now, t.sentAt[id]!, t.chargedFrom(id), rcode, len, nsid);
    if (this.owner.verbose) this.owner.verbose(this, String(rcode), qi, now - t.sentAt[id]!);
    this.owner.slotFreed(this);
  }

  /** --expect found the answer wrong: the query is finished (the server answered) but lost, never completed. */
  private wrongAnswer(id: number, qi: number, now: number): void {
    const t = this.table;
    t.release(id, FREE);
    this.recorder.lost(t.sentAt[id]!, 'wrongAnswer', now);
    if (this.owner.verbose) this.owner.verbose(this, 'wrong', qi, now - t.sentAt[id]!);
    this.owner.slotFreed(this);
  }

  /** TC=1: the server wants the client to retry over TCP (RFC 7766 5); without fallback it is no answer. */
  private truncatedAnswer(id: number, qi: number, now: number): void {
    const t = this.table;
    // The slot stays outstanding in FALLBACK state until the TCP answer (or its timeout) ends it.
    if (this.fallback !== null && t.state[id] === INFLIGHT && this.fallback.take(this, id)) {
      this.recorder.event('tcpFallbacks', now);
      return;
    }
    t.release(id, FREE);
    this.recorder.lost(t.sentAt[id]!, 'truncated', now);
    if (this.owner.verbose) this.owner.verbose(this, 'truncated', qi, now - t.sentAt[id]!);
    this.owner.slotFreed(this);
  }
}

/**
 * Compare the question section of a response (at `at` of `msg`) with the one sent (at `start` of
 * `wire`), ASCII case-insensitively in the name (RFC 4343: DNS names compare case-insensitively;
 * some servers and balancers normalise case), exactly in QTYPE and QCLASS. Label length octets
 * are <= 63, below the letters, so folding only letters can never make two different lengths equal.
 */
export function sameQuestion(msg: Uint8Array, at: number, wire: Uint8Array, start: number, len: number): boolean {
  const nameLen = len - 4;
  for (let i = 0; i < len; i++) {
    const a = msg[at + i]!;
    const b = wire[start + i]!;
    if (a !== b) {
      if (i >= nameLen) return false;
      const la = a | 0x20;
      if (la !== (b | 0x20) || la < 0x61 || la > 0x7a) return false;
    }
  }
  return true;
}
