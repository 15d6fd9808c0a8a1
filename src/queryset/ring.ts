// The shared ring a streamed query file flows through: the main thread (stream.ts) encodes chunks
// of queries into its slots, the engine loops in the worker threads (engine/stream-cursor.ts)
// take whole chunks and send them. Memory stays bounded by the ring, whatever the file's size.
//
// Layout (every array is a view of a SharedArrayBuffer):
// - wire: `slots` regions of `slotBytes` bytes; chunk g lives in slot g mod slots.
// - offsets (Uint32) and questionLengths (Uint16): `perSlot + 1` entries per slot; query j of slot s
//   has the engine's query index s * (perSlot + 1) + j, so offsets[qi] .. offsets[qi + 1] bound its
//   message exactly as in an in-memory set (the channels cannot tell the difference).
// - control (Int32): PUBLISHED and RELEASED counters (what waiters wait on), the waits the loops
//   report, and per slot: the tag of the chunk it holds, its query count and how many targets
//   have not released it yet.
// - end (BigInt64): the number of chunks of this run once the producer knows it, else -1.
// - after the `slots` slots, `spillSlots` more (wire, offsets, questionLengths only): one per
//   consumer (loop x target), where a loop moves the few outstanding queries that still pin a
//   chunk it has used up, so the chunk can go back (engine/stream-cursor.ts).
//
// Handshake: the producer fills slot s only when refs[s] is 0, writes the data, sets refs to the
// number of targets, stores the chunk's tag (Atomics.store, which orders the plain writes before
// it), then bumps PUBLISHED and notifies. A consumer that claimed chunk g (an Atomics.add on its
// target's counter) reads the tag of slot g mod slots; when it is g's, the chunk is there. When
// no outstanding query refers to a chunk any more, the consumer decrements refs and bumps RELEASED.

/** control[] indices. */
export const PUBLISHED = 0;
export const RELEASED = 1;
/** Milliseconds the loops waited for a chunk that was not ready (summed over loops). */
export const WAIT_MS = 2;
/** How many times a loop found its next chunk not ready. */
export const WAITS = 3;
/** 1 while the producer waits for a free slot (the ring is full), 0 while it reads. */
export const PRODUCER_BLOCKED = 4;
/** Part of WAIT_MS: waits that began while the ring was full (chunks still pinned), not reading. */
export const WAIT_RING_MS = 5;
const HEADER = 6;

/** The ring as it crosses to the worker threads (structured-clone data). */
export interface RingShared {
  wire: SharedArrayBuffer;
  offsets: SharedArrayBuffer;
  questionLengths: SharedArrayBuffer;
  control: SharedArrayBuffer;
  end: SharedArrayBuffer;
  slots: number;
  /** Most queries in one slot. */
  perSlot: number;
  slotBytes: number;
  /** Spill slots after the producer's: one per consumer (loop x target). */
  spillSlots: number;
}

/** Typed views of a RingShared. */
export class RingViews {
  readonly wire: Uint8Array;
  readonly offsets: Uint32Array;
  readonly questionLengths: Uint16Array;
  readonly control: Int32Array;
  readonly end: BigInt64Array;
  readonly slots: number;
  readonly perSlot: number;
  readonly slotBytes: number;
  readonly spillSlots: number;
  /** Entries per slot in offsets/questionLengths (perSlot + 1). */
  readonly stride: number;

  constructor(readonly shared: RingShared) {
    this.wire = new Uint8Array(shared.wire);
    this.offsets = new Uint32Array(shared.offsets);
    this.questionLengths = new Uint16Array(shared.questionLengths);
    this.control = new Int32Array(shared.control);
    this.end = new BigInt64Array(shared.end);
    this.slots = shared.slots;
    this.perSlot = shared.perSlot;
    this.slotBytes = shared.slotBytes;
    this.spillSlots = shared.spillSlots;
    this.stride = shared.perSlot + 1;
  }

  tagAt(s: number): number {
    return HEADER + s;
  }
  countAt(s: number): number {
    return HEADER + this.slots + s;
  }
  refsAt(s: number): number {
    return HEADER + 2 * this.slots + s;
  }
}

/** The tag slot g mod slots holds for chunk g: never 0 (an empty slot), and g - slots has another. */
export function chunkTag(g: number): number {
  return (g % 0x3fffffff) + 1;
}

/**
 * A ring of `slots` slots of `slotBytes` bytes and at most `perSlot` queries each, plus
 * `spillSlots` of the same size for the consumers. slotBytes must hold the largest message.
 */
export function createRing(slots: number, slotBytes: number, perSlot: number, spillSlots = 0): RingShared {
  const all = slots + spillSlots;
  const offsets = new SharedArrayBuffer(all * (perSlot + 1) * 4);
  // The native UDP path checks, when it opens, that every adjacent pair of offsets bounds a
  // message of 2..65535 bytes inside the wire buffer (and each message again when it sends it).
  // Before the first chunk the ring holds none, so it starts as a ladder of 2-byte "messages"
  // (2 x entries <= the wire's size, since a slot holds perSlot + 1 <= slotBytes / 2 of them).
  const o = new Uint32Array(offsets);
  for (let k = 0; k < o.length; k++) o[k] = 2 * k;
  return {
    wire: new SharedArrayBuffer(all * slotBytes),
    offsets,
    questionLengths: new SharedArrayBuffer(all * (perSlot + 1) * 2),
    control: new SharedArrayBuffer((HEADER + 3 * slots) * 4),
    end: new SharedArrayBuffer(8),
    slots,
    perSlot,
    slotBytes,
    spillSlots,
  };
}

/** Empties the ring for a new run (no consumer may be using it). */
export function resetRing(v: RingViews): void {
  v.control.fill(0);
  Atomics.store(v.end, 0, -1n);
}
