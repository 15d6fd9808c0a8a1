// DNS over UDP through the native addon (native/, docs/native-udp.md): the socket belongs to C.
// Queries queue in `transmit`-free fashion (send() records the ID and query index only) and leave
// in `flush`, once per event-loop turn, as zero-copy sendmmsg batches straight from the shared
// query set with the 2-byte ID in its own iovec. Answers arrive by recvmmsg into a fixed ring and
// are checked where they lie (no Buffer per answer), timed by the kernel's receive timestamp
// (SO_TIMESTAMPNS) against a send time read in C right before each sendmmsg: the latency is the
// server's and the network's, not the event loop's.
import { constants } from 'node:os';
import { copyQuery, DnsChannel, type ChannelContext } from '../channel.js';
import { INFLIGHT } from '../idtable.js';
import { clockOffsetMs } from '../native/addon.js';
import { FLAG_FROM_TARGET, FLAG_TRUNCATED, META, type NativeUdpAddon, type NativeUdpSocket } from '../native/api.js';
import { registerTransport } from './registry.js';
import { formatHostPort } from '../../util/hostport.js';

/**
 * Most messages per sendmmsg. Every message of one call gets the time read just before the call
 * and the kernel sends them one after another (2-4 µs each on loopback, delivery included), so the
 * k-th is charged up to k x that much of our own sending as latency; 16 bounds that at ~50 µs (8
 * cost ~7% more CPU per query at full speed, 16 ~2%, against 32). The addon sends the first
 * message of each batch alone (it may pay for waking the server). docs/native-udp.md "Clock".
 */
const SEND_CAP = 16;
/** Receive ring: messages per recvmmsg. */
const RING_SLOTS = 64;
/**
 * Most queries a channel holds in its send schedule (the addon holds up to 4096): the engine
 * hands over at most half a window anyway (engine/loop.ts AHEAD_MS).
 */
const SCHEDULE_MAX = 1024;

/**
 * How much earlier than its query's send time (ms) an answer may seem to arrive and still be its
 * answer: the send time is CLOCK_MONOTONIC read before sendmmsg, the arrival the kernel's
 * CLOCK_REALTIME stamp moved onto CLOCK_MONOTONIC by an offset read per batch, good to a few µs
 * (docs/native-udp.md). A real answer comes a round trip later (>= ~8 µs on loopback).
 */
const ARRIVED_BEFORE_SENT_MS = 0.02;

/** sendRaw's results that mean "the socket buffer is full, try again on onWritable" (native/api.ts). */
const RAW_BLOCKED = new Set([-constants.errno.EAGAIN, -constants.errno.EWOULDBLOCK, -constants.errno.ENOBUFS]);

export class NativeUdpChannel extends DnsChannel {
  private readonly sock: NativeUdpSocket;
  private readonly offset: number;
  /** Queued by send(), sent by flush(): DNS IDs, query indexes, charged-from times. */
  private pendIds: Uint16Array;
  private pendQi: Int32Array;
  private pendCharged: Float64Array;
  /** Signed queries (-y) only: each queued query's message, built and signed in send(). */
  private pendMsg: (Buffer | undefined)[] = [];
  private pendN = 0;
  private readonly sentAt: Float64Array;
  private blocked = false;
  private readonly ring: Uint8Array;
  private readonly meta: Float64Array;
  private readonly slotSize: number;
  private readonly local: string;
  private readonly remote: string;
  private closed = false;
  // The send schedule (paced runs): a FIFO mirror of the addon's, IDs and due times (clock ms),
  // plus the entries taken since the last flush, handed over there in one schedule() call.
  private readonly schIds = new Uint16Array(SCHEDULE_MAX);
  private readonly schDue = new Float64Array(SCHEDULE_MAX);
  private schHead = 0;
  private schCount = 0;
  private schStaged = 0;
  private readonly stIds = new Uint16Array(SCHEDULE_MAX);
  private readonly stQi = new Int32Array(SCHEDULE_MAX);
  private readonly stDue = new Float64Array(SCHEDULE_MAX);
  private readonly schOut = new Float64Array(SCHEDULE_MAX);
  /**
   * 1 for an ID whose query has not left yet: it waits in the addon's schedule, or in pendIds
   * after a send stopped on EAGAIN/ENOBUFS. No answer to it can be real, and it cannot time out.
   */
  private readonly notSent = new Uint8Array(65536);
  /** IDs flagged in notSent: the schedule's and pendIds' (the answer check skips the lookup at 0). */
  private notSentCount = 0;
  /** A scheduled query whose turn comes this much (ms) after its due time is not sent (loop.ts horizon). */
  private scheduleLateMs = 1;

  constructor(addon: NativeUdpAddon, ctx: ChannelContext) {
    super(ctx);
    const { target } = ctx;
    this.sock = addon.open({
      family: target.family,
      host: target.host,
      port: target.port,
      localAddress: ctx.localAddress,
      localPort: ctx.localPort,
      bufferBytes: ctx.bufferBytes,
      // Unconnected, so a reply from another address or port (a multihomed server, NAT, a DSR
      // balancer) is seen and counted as foreignSource instead of dropped by the kernel unseen.
      connect: false,
      sendCap: SEND_CAP,
    });
    this.offset = clockOffsetMs(addon);
    this.sock.setQueries(new Uint8Array(ctx.q.wire.buffer, ctx.q.wire.byteOffset, ctx.q.wire.length), ctx.q.offsets);
    const cap = Math.min(65536, Math.max(ctx.window, 1));
    this.pendIds = new Uint16Array(cap);
    this.pendQi = new Int32Array(cap);
    this.pendCharged = new Float64Array(cap);
    this.sentAt = new Float64Array(cap);
    // A slot holds the largest answer a client may get: 512 without EDNS, the advertised size with it.
    this.slotSize = Math.max(512, Math.min(65535, ctx.udpPayloadSize ?? 512));
    this.ring = new Uint8Array(RING_SLOTS * this.slotSize);
    this.meta = new Float64Array(RING_SLOTS * META.stride);
    const l = this.sock.local();
    this.local = formatHostPort(l.address, l.port);
    this.remote = formatHostPort(target.host, target.port);
    ctx.recorder.sources.add(this.local);
    this.sock.start({
      ring: this.ring,
      slotSize: this.slotSize,
      slots: RING_SLOTS,
      meta: this.meta,
      onReadable: (n) => this.onReadable(n),
      onWritable: () => {
        this.blocked = false;
        this.flush();
      },
      onError: (_code, _address, count) => this.recorder.event('socketErrors', this.now(), count),
    });
  }

  endpoints(): { local: string; remote: string } {
    return { local: this.local, remote: this.remote };
  }

  /**
   * Queue query `queryIndex`; it leaves in flush(). A signed query (-y) is built and signed here
   * (before any clock read, so the HMAC is not charged as latency) and leaves by sendRaw in
   * flush(), held like the others while the socket buffer is full: counted sent only once the
   * kernel took it, as a query that never left is neither sent nor lost.
   */
  override send(queryIndex: number, chargedFrom: number): void {
    const t = this.table;
    const id = t.acquire();
    t.query[id] = queryIndex;
    const msg = this.features === null ? undefined : this.features.prepare(copyQuery(this.q, queryIndex, id), id);
    // Not on the wire yet: the send time is set in flush(); until then the sweep sees "now".
    t.sentAt[id] = this.now();
    if (this.pendN === this.pendIds.length) this.grow();
    this.notSent[id] = 1;
    this.notSentCount++;
    const n = this.pendN++;
    this.pendIds[n] = id;
    this.pendQi[n] = queryIndex;
    this.pendCharged[n] = chargedFrom;
    if (msg !== undefined) this.pendMsg[n] = msg;
  }

  private grow(): void {
    const size = Math.min(65536, this.pendIds.length * 2);
    const ids = new Uint16Array(size);
    ids.set(this.pendIds);
    const qi = new Int32Array(size);
    qi.set(this.pendQi);
    const ch = new Float64Array(size);
    ch.set(this.pendCharged);
    this.pendIds = ids;
    this.pendQi = qi;
    this.pendCharged = ch;
  }

  /**
   * The addon can send at the due time from C (a timerfd), so the engine need not wake for each
   * query: paced runs whose answers wait unread (kernel timestamps), unsigned, with room.
   */
  override canScheduleAhead(): boolean {
    return this.deferred && this.features === null && !this.closed && this.schCount < SCHEDULE_MAX;
  }

  override scheduleAt(queryIndex: number, due: number, lateMs: number): void {
    this.scheduleLateMs = lateMs;
    const t = this.table;
    const id = t.acquire();
    t.query[id] = queryIndex;
    // Not on the wire yet: until it is, the sweep and the window see it as sent at its due time.
    t.sentAt[id] = due;
    t.chargeFrom(id, -1);
    const j = (this.schHead + this.schCount) % SCHEDULE_MAX;
    this.notSent[id] = 1;
    this.notSentCount++;
    this.schIds[j] = id;
    this.schDue[j] = due;
    this.schCount++;
    const k = this.schStaged++;
    this.stIds[k] = id;
    this.stQi[k] = queryIndex;
    // The addon's clock (CLOCK_MONOTONIC ms): the engine's minus the offset.
    this.stDue[k] = due - this.offset;
  }

  override lastScheduledDue(): number {
    return this.schCount === 0 ? -1 : this.schDue[(this.schHead + this.schCount - 1) % SCHEDULE_MAX]!;
  }

  override stopSchedule(sendDue: boolean): void {
    if (this.closed || this.schCount === 0) return;
    this.handOver();
    this.sock.cancelScheduled(sendDue);
    this.collectScheduled();
  }

  /** The queries taken since the last flush go to the addon's schedule. */
  private handOver(): void {
    const n = this.schStaged;
    if (n === 0) return;
    this.schStaged = 0;
    this.sock.schedule(this.stIds, this.stQi, this.stDue, n, this.scheduleLateMs);
  }

  /**
   * What the schedule did since the last look, in order: a query sent gets its send time (and is
   * counted sent, with its lag); one not sent frees its ID (a skipped slot when it was due, a
   * socket error when the kernel refused it). Called before answers are read, so an answer always
   * finds its query's real send time.
   */
  private collectScheduled(): void {
    if (this.schCount === 0 || this.closed) return;
    const n = this.sock.takeSent(this.schOut);
    if (n === 0) return;
    const t = this.table;
    const offsets = this.q.offsets;
    const rec = this.recorder;
    const now = this.now();
    let freed = false;
    for (let i = 0; i < n; i++) {
      const h = this.schHead;
      const id = this.schIds[h]!;
      const due = this.schDue[h]!;
      this.notSent[id] = 0;
      this.notSentCount--;
      this.schHead = (h + 1) % SCHEDULE_MAX;
      this.schCount--;
      const at = this.schOut[i]!;
      if (at > 0) {
        const sent = at + this.offset;
        t.sentAt[id] = sent;
        const qi = t.query[id]!;
        rec.sent(sent, offsets[qi + 1]! - offsets[qi]!);
        rec.paced(sent - due);
        continue;
      }
      const qi = t.query[id]!;
      t.release(id, 0);
      freed = true;
      if (at < 0) rec.event('socketErrors', now);
      else if (due <= now) {
        // Its slot passed unsent (the loop was late past the horizon): a skipped slot, as when the
        // engine itself is late; the query goes back for a later slot.
        rec.skip(1, false);
        this.owner.returnQuery?.(this, qi);
      }
    }
    if (freed) this.owner.slotFreed(this);
  }

  override sweep(now: number, timeoutMs: number): number {
    this.collectScheduled();
    if (this.blocked) this.dropHeld(now, timeoutMs, true);
    // What has not left (the addon's timer has not got round to it, or the socket buffer was full)
    // cannot time out, or it would be counted lost without ever being counted sent, and its ID
    // freed while it may still be sent under it. Queries taken after it are younger still.
    return super.sweep(now, timeoutMs, this.notSentCount > 0 ? this.notSent : null);
  }

  /**
   * Queries held behind a full socket buffer (EAGAIN/ENOBUFS) since `timeoutMs` or longer never
   * left: like a message the kernel refused (flush), they are not sent and their IDs are freed,
   * each counted as a socket error when `asErrors`. They cannot time out (they were never sent),
   * and without this a socket that never drains would hold the run open for ever. Oldest first:
   * pendIds is in the order the queries were taken.
   */
  private dropHeld(now: number, timeoutMs: number, asErrors: boolean): void {
    const t = this.table;
    let k = 0;
    while (k < this.pendN && now - t.sentAt[this.pendIds[k]!]! >= timeoutMs) k++;
    if (k === 0) return;
    for (let i = 0; i < k; i++) {
      const id = this.pendIds[i]!;
      this.notSent[id] = 0;
      this.notSentCount--;
      t.release(id, 0);
    }
    this.shiftPending(k);
    if (this.pendN === 0) this.blocked = false;
    if (asErrors) this.recorder.event('socketErrors', now, k);
    this.owner.slotFreed(this);
  }

  /** Ctrl-C: what waits behind a full socket buffer never left, so it is not interrupted either. */
  override interruptAll(): void {
    if (this.pendN > 0) this.dropHeld(Infinity, 0, false);
    super.interruptAll();
  }

  override flush(): void {
    if (this.schStaged > 0 && !this.closed) this.handOver();
    if (this.pendN === 0 || this.blocked || this.closed) return;
    if (this.features !== null) return this.flushSigned();
    const n = this.pendN;
    const sentAt = this.sentAt.length >= n ? this.sentAt : new Float64Array(n);
    const t = this.table;
    // The ID table is where a query's index lives: with a streamed file the loop may have moved a
    // query still waiting here (EAGAIN) to another place in the ring (engine/stream-cursor.ts).
    for (let i = 0; i < n; i++) this.pendQi[i] = t.query[this.pendIds[i]!]!;
    const done = this.sock.sendBatch(this.pendIds, this.pendQi, n, sentAt);
    const offsets = this.q.offsets;
    for (let i = 0; i < done; i++) {
      const qi = this.pendQi[i]!;
      this.left(this.pendIds[i]!, sentAt[i]!, this.pendCharged[i]!, offsets[qi + 1]! - offsets[qi]!);
    }
    if (done < n) {
      // EAGAIN/ENOBUFS: the rest waits for onWritable, in order.
      this.shiftPending(done);
      this.blocked = true;
    } else this.pendN = 0;
  }

  /**
   * Pending query `id` has been handed to the kernel: `at` is its send time (addon clock, ms), or
   * -errno when the kernel refused it for good. Either way it is no longer waiting; a refused one
   * never left, so it is not counted sent (a socket error, its ID freed).
   */
  private left(id: number, at: number, chargedFrom: number, bytes: number): void {
    const t = this.table;
    this.notSent[id] = 0;
    this.notSentCount--;
    if (at < 0) {
      t.release(id, 0);
      this.recorder.event('socketErrors', this.now());
      this.owner.slotFreed(this);
      return;
    }
    const now = at + this.offset;
    t.sentAt[id] = now;
    t.chargeFrom(id, chargedFrom);
    this.recorder.sent(now, bytes);
  }

  /** Drops the first k pending entries (sent, refused or dropped), keeping the rest in order. */
  private shiftPending(k: number): void {
    const n = this.pendN;
    this.pendIds.copyWithin(0, k, n);
    this.pendQi.copyWithin(0, k, n);
    this.pendCharged.copyWithin(0, k, n);
    if (this.features !== null) this.pendMsg.copyWithin(0, k, n).fill(undefined, n - k, n);
    this.pendN = n - k;
  }

  /**
   * Signed queries (-y, built per query in send()): one sendRaw each, in order, as flush() sends
   * the others: one the kernel refuses for good is not sent (a socket error, its ID freed); at
   * EAGAIN/ENOBUFS it and those after it wait for onWritable, or dropHeld after -t.
   */
  private flushSigned(): void {
    const n = this.pendN;
    let i = 0;
    for (; i < n; i++) {
      const msg = this.pendMsg[i]!;
      const at = this.sock.sendRaw(msg);
      if (RAW_BLOCKED.has(at)) {
        this.blocked = true;
        break;
      }
      this.left(this.pendIds[i]!, at, this.pendCharged[i]!, msg.length);
    }
    this.shiftPending(i);
  }

  /** Never called: send() queues every query, signed ones too, and flush() sends them. */
  protected transmit(_msg: Buffer, _id: number): void {
    throw new Error('native UDP sends from flush()');
  }

  private deferred = false;

  /**
   * The kernel timestamps each answer as it arrives (SO_TIMESTAMPNS), so reading it at the next
   * wake-up instead of at once changes no latency, only when its slot frees.
   */
  override deferAnswers(on: boolean): void {
    // Without kernel timestamps an answer's time is when it is read: it must be read at once.
    if (on && this.sock.timestamps !== 'kernel') return;
    if (this.closed || on === this.deferred) return;
    this.deferred = on;
    this.sock.setDeferred(on);
  }

  override readDeferred(): void {
    if (!this.deferred || this.closed) return;
    // Queries the schedule sent get their send times before their answers count. The schedule
    // only runs while answers are deferred, so this is the one way its answers come in.
    this.collectScheduled();
    // Bounded: a socket cannot make one wake-up read forever.
    for (let round = 0; round < 64; round++) {
      const n = this.sock.recv();
      if (n > 0) this.onReadable(n);
      if (n < RING_SLOTS || this.closed) return;
    }
  }

  private onReadable(n: number): void {
    const meta = this.meta;
    const size = this.slotSize;
    const table = this.table;
    for (let i = 0; i < n; i++) {
      const m = i * META.stride;
      const len = meta[m + META.length]!;
      const at = meta[m + META.arrival]! + this.offset;
      if ((meta[m + META.flags]! & FLAG_FROM_TARGET) === 0) {
        this.foreignReply(this.sock.sourceOf(i), at);
        continue;
      }
      // Cut by the slot: not a whole message, so not an answer.
      if ((meta[m + META.flags]! & FLAG_TRUNCATED) !== 0) {
        this.recorder.event('malformed', at);
        continue;
      }
      if (len >= 2) {
        const id = (this.ring[i * size]! << 8) | this.ring[i * size + 1]!;
        // An ID whose query has not left yet (it waits in the schedule, or behind a full socket
        // buffer), or an answer that reached the socket before its query left (read later, once
        // the query had gone): a guess or a forgery, never this query's answer. Counted as the
        // answer, it would complete a query before it left, and the real answer would then be
        // the one turned away.
        if ((this.notSentCount > 0 && this.notSent[id] === 1) || (table.state[id] === INFLIGHT && at < table.sentAt[id]! - ARRIVED_BEFORE_SENT_MS)) {
          this.recorder.event('mismatched', at);
          continue;
        }
      }
      this.deliver(this.ring, i * size, len, at);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
  }
}

/** Register the native path under 'native-udp' for this thread's loaded addon. */
export function registerNativeUdp(addon: NativeUdpAddon): void {
  registerTransport('native-udp', async (ctx) => new NativeUdpChannel(addon, ctx));
}
