// An engine loop's side of a streamed query set (queryset/stream.ts, queryset/ring.ts): per
// target it takes whole chunks from the shared ring (an Atomics.add on the target's chunk
// counter, so the loops of every worker share the file without handing out a query twice) and
// releases a chunk once no outstanding query of this loop refers to it any more.
//
// Why the pins: a channel keeps only the query's index until the query ends, and reads the
// question from the ring to check the answer (and -v lines, the --tcp-fallback retry). So a chunk
// stays this loop's while any of its queries is outstanding on the loop's channels; the loop
// walks their outstanding queries (at most its window) when it takes a chunk and on every tick.
// A chunk used up but still referenced by a few queries (the ones a server dropped, waiting for
// -t) would hold its whole slot for seconds; those few are moved to this consumer's spill slot
// (their ID tables' query index rewritten: everything runs on this thread) and the chunk goes
// back. Only a chunk with many stragglers (heavy loss) stays pinned; then the ring can fill and
// the report's note says so.
//
// A chunk that is not ready yet (the main thread has not read that far) never blocks the event
// loop and is never spun on: the loop waits with Atomics.waitAsync and is woken when a chunk is
// published; the wait is summed in the ring (WAIT_MS) for the report's note, not as send lag.
import { chunkTag, PRODUCER_BLOCKED, PUBLISHED, RELEASED, RingViews, WAIT_MS, WAIT_RING_MS, WAITS, type RingShared } from '../queryset/ring.js';
import { waitAsync } from '../util/wait-async.js';

/** next(): the stream has ended for this target (every pass was sent). */
export const STREAM_END = -1;
/** next(): the target's next chunk is not ready; the loop is woken when one is published. */
export const NOT_READY = -2;

export class StreamCursor {
  readonly v: RingViews;
  private claimed: BigInt64Array | null = null;
  /** Per target: the slot being sent from, or -1. */
  private readonly cur: Int32Array;
  /** Per target: the next query index to send and the end of the current chunk (ring indices). */
  private readonly nextIdx: Float64Array;
  private readonly endIdx: Float64Array;
  /** Per target: the chunk number claimed but not yet there, or -1. */
  private readonly pending: Float64Array;
  /** Per target, per slot: 1 while this loop holds the chunk there (taken, not released). */
  private readonly held: Uint8Array[];
  /** Per target: how many slots it holds. */
  private readonly heldCount: Int32Array;
  /** Scratch: per slot (the spill slot counted at index `slots`), outstanding queries referring to it. */
  private readonly refs: Int32Array;
  /** Per target: queries in its spill slot (0 when it has none, or no spill slot). */
  private readonly spilled: Int32Array;
  /** Scratch for rebuilding a spill slot. */
  private readonly scratch: Buffer;
  private readonly scratchQ: Uint16Array;
  private readonly scratchEnd: Int32Array;
  private readonly moving: Array<{ query: Int32Array; id: number }> = [];
  private readonly order: Array<{ query: Int32Array; id: number }> = [];
  private readonly movingSlots: Uint8Array;
  /** Scratch: bytes of each candidate chunk's stragglers. */
  private readonly sizeOf: Float64Array;
  /** Per target: clock time it found its next chunk not ready, or -1. */
  private readonly waitingSince: Float64Array;
  /** Per target: 1 when that wait began with the ring full (the producer waiting for a free slot). */
  private readonly waitRing: Uint8Array;
  private waitPending = false;

  constructor(
    shared: RingShared,
    private readonly targets: number,
    /** Called (from a promise) when a chunk may have been published: the loop should try again. */
    private readonly wake: () => void,
    private readonly now: () => number,
    /**
     * Calls `visit` for every query of target t outstanding on this loop: the ID table's query
     * array (query[id] is the query's index in the ring, which the cursor may rewrite) and the ID.
     */
    private readonly outstanding: (t: number, visit: (query: Int32Array, id: number) => void) => void,
    /** This loop's first consumer number (loop index x targets): its spill slots follow the ring's. */
    private readonly consumerBase = 0,
  ) {
    this.v = new RingViews(shared);
    const slots = this.v.slots;
    this.cur = new Int32Array(targets).fill(-1);
    this.nextIdx = new Float64Array(targets);
    this.endIdx = new Float64Array(targets);
    this.pending = new Float64Array(targets).fill(-1);
    this.held = Array.from({ length: targets }, () => new Uint8Array(slots));
    this.heldCount = new Int32Array(targets);
    this.refs = new Int32Array(slots + 1);
    this.spilled = new Int32Array(targets);
    this.scratch = Buffer.alloc(this.v.slotBytes);
    this.scratchQ = new Uint16Array(this.v.perSlot);
    this.scratchEnd = new Int32Array(this.v.perSlot);
    this.movingSlots = new Uint8Array(slots);
    this.sizeOf = new Float64Array(slots);
    this.waitingSince = new Float64Array(targets).fill(-1);
    this.waitRing = new Uint8Array(targets);
  }

  /** A new run: `claimed` is its per-target chunk counters (BigInt64Array over the SAB). */
  begin(claimed: SharedArrayBuffer): void {
    this.claimed = new BigInt64Array(claimed);
    this.cur.fill(-1);
    this.nextIdx.fill(0);
    this.endIdx.fill(0);
    this.pending.fill(-1);
    for (const h of this.held) h.fill(0);
    this.heldCount.fill(0);
    this.spilled.fill(0);
    this.waitingSince.fill(-1);
  }

  /** The index (in the ring) of target t's next query, STREAM_END, or NOT_READY. */
  next(t: number): number {
    const k = this.nextIdx[t]!;
    if (k < this.endIdx[t]!) {
      this.nextIdx[t] = k + 1;
      return k;
    }
    return this.take(t);
  }

  /**
   * Whether target t's next query is there, without taking it: 0 (next() will return it),
   * STREAM_END, or NOT_READY (the loop is woken when a chunk is published).
   */
  peek(t: number): number {
    if (this.nextIdx[t]! < this.endIdx[t]!) return 0;
    const r = this.take(t);
    if (r < 0) return r;
    // take() handed out the chunk's first query: put it back.
    this.nextIdx[t] = r;
    return 0;
  }

  /**
   * Gives back target t's chunks that no outstanding query refers to, and those only a few refer
   * to after moving those few to its spill slot (on every tick, and per chunk taken).
   */
  releaseUnused(t: number): void {
    if (this.heldCount[t] === 0) return;
    const v = this.v;
    const refs = this.refs;
    refs.fill(0);
    const stride = v.stride;
    const slots = v.slots;
    this.outstanding(t, (query, id) => {
      const s = Math.floor(query[id]! / stride);
      refs[s < slots ? s : slots]!++;
    });
    this.release(t, refs);
    if (this.heldCount[t]! > 1) this.evacuate(t);
  }

  /**
   * Releases target t's chunks with no reference in `refs` (null: none has). The chunk being sent
   * from stays until it is used up.
   */
  private release(t: number, refs: Int32Array | null): void {
    const held = this.held[t]!;
    const cur = this.cur[t]!;
    const curLeft = this.nextIdx[t]! < this.endIdx[t]!;
    for (let s = 0; s < held.length && this.heldCount[t]! > 0; s++) {
      if (held[s] === 0 || (refs !== null && refs[s]! > 0) || (s === cur && curLeft)) continue;
      this.drop(t, s);
    }
  }

  private drop(t: number, s: number): void {
    this.held[t]![s] = 0;
    this.heldCount[t] = this.heldCount[t]! - 1;
    if (s === this.cur[t]) this.cur[t] = -1;
    this.releaseSlot(s);
  }

  /**
   * Moves the stragglers of used-up chunks (at most perSlot/16 each, as many chunks as fit) into
   * target t's spill slot, rewriting their query index, and releases those chunks. The spill
   * slot is rebuilt each time from what is still outstanding in it plus the newcomers, so it
   * never fills with queries that have ended.
   */
  private evacuate(t: number): void {
    const v = this.v;
    const spill = v.slots + this.consumerBase + t;
    if (this.consumerBase + t >= v.spillSlots) return;
    const refs = this.refs;
    const held = this.held[t]!;
    const cur = this.cur[t]!;
    const curLeft = this.nextIdx[t]! < this.endIdx[t]!;
    const few = Math.max(1, v.perSlot >> 4);
    const movingSlots = this.movingSlots;
    movingSlots.fill(0);
    let entries = refs[v.slots]!;
    let candidates = 0;
    for (let s = 0; s < held.length; s++) {
      if (held[s] === 0 || (s === cur && curLeft) || refs[s]! === 0 || refs[s]! > few) continue;
      if (entries + refs[s]! > v.perSlot) break;
      entries += refs[s]!;
      movingSlots[s] = 1;
      candidates++;
    }
    if (candidates === 0) return;
    // What moves: the spill slot's own entries (still outstanding) and each candidate's stragglers.
    const stride = v.stride;
    const moving = this.moving;
    moving.length = 0;
    const sizeOf = this.sizeOf;
    sizeOf.fill(0);
    let spillBytes = 0;
    this.outstanding(t, (query, id) => {
      const qi = query[id]!;
      const s = Math.floor(qi / stride);
      if (s !== spill && (s >= v.slots || movingSlots[s] === 0)) return;
      moving.push({ query, id });
      const len = v.offsets[qi + 1]! - v.offsets[qi]!;
      if (s === spill) spillBytes += len;
      else sizeOf[s] = sizeOf[s]! + len;
    });
    // Whole chunks only (a chunk is released only when every straggler moved), while bytes fit.
    let bytes = spillBytes;
    for (let s = 0; s < v.slots; s++) {
      if (movingSlots[s] === 0) continue;
      if (bytes + sizeOf[s]! > v.slotBytes) movingSlots[s] = 0;
      else bytes += sizeOf[s]!;
    }
    // Copy out (the spill slot's entries first: they must stay), then write back in that order.
    const wire = v.wire;
    const scratch = this.scratch;
    const order = this.order;
    order.length = 0;
    let used = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (const m of moving) {
        const qi = m.query[m.id]!;
        const s = Math.floor(qi / stride);
        if (pass === 0 ? s !== spill : s === spill || movingSlots[s] === 0) continue;
        const start = v.offsets[qi]!;
        const len = v.offsets[qi + 1]! - start;
        scratch.set(wire.subarray(start, start + len), used);
        this.scratchQ[order.length] = v.questionLengths[qi]!;
        used += len;
        this.scratchEnd[order.length] = used;
        order.push(m);
      }
    }
    const base = spill * stride;
    const at = spill * v.slotBytes;
    wire.set(scratch.subarray(0, used), at);
    v.offsets[base] = at;
    order.forEach((m, j) => {
      v.questionLengths[base + j] = this.scratchQ[j]!;
      v.offsets[base + j + 1] = at + this.scratchEnd[j]!;
      m.query[m.id] = base + j;
    });
    this.spilled[t] = order.length;
    moving.length = 0;
    order.length = 0;
    for (let s = 0; s < held.length; s++) if (movingSlots[s] === 1) this.drop(t, s);
  }

  /** The run is over on this loop (nothing outstanding): every chunk held goes back. */
  finish(): void {
    for (let t = 0; t < this.targets; t++) {
      // Unsent queries of the current chunk are simply not sent (time limit or Ctrl-C).
      this.nextIdx[t] = this.endIdx[t]!;
      this.release(t, null);
      if (this.waitingSince[t]! >= 0) this.addWait(t);
    }
  }

  private take(t: number): number {
    const v = this.v;
    const c = v.control;
    // The chunk just used up (and any older one) may go back before the next is claimed; while
    // waiting, every retry (after each answer) gives back what answers have unpinned.
    this.releaseUnused(t);
    let g = this.pending[t]!;
    if (g < 0) {
      g = Number(Atomics.add(this.claimed!, t, 1n));
      this.pending[t] = g;
    }
    // Read before looking, so a chunk published in between wakes the wait below at once.
    const seen = Atomics.load(c, PUBLISHED);
    const s = g % v.slots;
    if (Atomics.load(c, v.tagAt(s)) !== chunkTag(g)) {
      const end = Atomics.load(v.end, 0);
      if (end >= 0n && g >= Number(end)) {
        if (this.waitingSince[t]! >= 0) this.addWait(t);
        return STREAM_END;
      }
      if (this.waitingSince[t]! < 0) {
        this.waitingSince[t] = this.now();
        this.waitRing[t] = Atomics.load(c, PRODUCER_BLOCKED);
        // Tell a producer reading a slow pipe that a loop is waiting for what it has so far.
        Atomics.add(c, WAITS, 1);
        Atomics.notify(c, WAITS);
      }
      this.waitFor(seen);
      return NOT_READY;
    }
    this.pending[t] = -1;
    if (this.waitingSince[t]! >= 0) this.addWait(t);
    const n = Atomics.load(c, v.countAt(s));
    const base = s * v.stride;
    this.cur[t] = s;
    this.nextIdx[t] = base + 1;
    this.endIdx[t] = base + n;
    this.held[t]![s] = 1;
    this.heldCount[t] = this.heldCount[t]! + 1;
    return base;
  }

  private addWait(t: number): void {
    const ms = Math.round(this.now() - this.waitingSince[t]!);
    Atomics.add(this.v.control, WAIT_MS, ms);
    if (this.waitRing[t] === 1) Atomics.add(this.v.control, WAIT_RING_MS, ms);
    this.waitingSince[t] = -1;
  }

  private releaseSlot(s: number): void {
    const c = this.v.control;
    if (Atomics.sub(c, this.v.refsAt(s), 1) === 1) {
      Atomics.add(c, RELEASED, 1);
      Atomics.notify(c, RELEASED);
    }
  }

  /** One wait at a time per loop: any publish wakes it, and the loop tries every target again. */
  private waitFor(seen: number): void {
    if (this.waitPending) return;
    this.waitPending = true;
    const w = waitAsync(this.v.control, PUBLISHED, seen, 1000);
    const done = (): void => {
      this.waitPending = false;
      this.wake();
    };
    if (w.async) void w.value.then(done);
    else void Promise.resolve().then(done);
  }
}
