// The per-socket ID table: DNS ID = slot, as in dnsperf, so matching a response is one array
// lookup. Two structures keep every operation O(1):
// - a FIFO of free IDs: an ID goes to the back when released, so it is reused as late as
//   possible (65536 - window sends later), which lets a late response be recognised as late
//   instead of being mistaken for the answer to a new query;
// - an intrusive doubly linked list of outstanding IDs in send order: the timeout is the same for
//   every query, so the oldest query is always the next to expire and the sweep stops at the
//   first one still within its timeout (dnsperf's oldest-first sweep).

export const FREE = 0;
export const INFLIGHT = 1;
/** Released by a timeout; a response for it now is "late" until the ID is reused. */
export const TIMED_OUT = 2;
/**
 * Still outstanding, but its TC=1 answer handed it to the TCP leg (--tcp-fallback): only the TCP
 * answer can complete it, and it times out from its original send like any query.
 */
export const FALLBACK = 3;

const SIZE = 65536;

export class IdTable {
  readonly state = new Uint8Array(SIZE);
  /** performance.now() (ms) when the query went out. */
  readonly sentAt = new Float64Array(SIZE);
  /** When the schedule meant it to go out (== sentAt when not rate-limited). */
  readonly intendedAt = new Float64Array(SIZE);
  /** Index of the query in the query set. */
  readonly query = new Int32Array(SIZE);
  inflight = 0;

  private readonly prev = new Int32Array(SIZE);
  private readonly next = new Int32Array(SIZE);
  private head = -1;
  private tail = -1;
  private readonly free = new Uint16Array(SIZE);
  private freeHead = 0;
  private freeCount = SIZE;

  constructor(random: () => number = Math.random) {
    // Shuffled once so IDs are not predictable in sequence; the FIFO keeps them spread after that.
    for (let i = 0; i < SIZE; i++) this.free[i] = i;
    for (let i = SIZE - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = this.free[i]!;
      this.free[i] = this.free[j]!;
      this.free[j] = t;
    }
  }

  /** Take the least recently used free ID and append it to the outstanding list. */
  acquire(): number {
    if (this.freeCount === 0) throw new Error('ID table exhausted: more than 65536 outstanding on one socket');
    const id = this.free[this.freeHead]!;
    this.freeHead = (this.freeHead + 1) & (SIZE - 1);
    this.freeCount--;
    this.state[id] = INFLIGHT;
    this.prev[id] = this.tail;
    this.next[id] = -1;
    if (this.tail === -1) this.head = id;
    else this.next[this.tail] = id;
    this.tail = id;
    this.inflight++;
    return id;
  }

  /** Remove an outstanding ID; `as` is FREE (answered) or TIMED_OUT. */
  release(id: number, as: typeof FREE | typeof TIMED_OUT): void {
    const p = this.prev[id]!;
    const n = this.next[id]!;
    if (p === -1) this.head = n;
    else this.next[p] = n;
    if (n === -1) this.tail = p;
    else this.prev[n] = p;
    this.state[id] = as;
    this.free[(this.freeHead + this.freeCount) & (SIZE - 1)] = id;
    this.freeCount++;
    this.inflight--;
  }

  /** The outstanding ID sent longest ago, or -1. */
  oldest(): number {
    return this.head;
  }

  /** Calls fn with every outstanding ID, oldest first (O(outstanding); not for the hot path). */
  forEachOutstanding(fn: (id: number) => void): void {
    for (let id = this.head; id !== -1; id = this.next[id]!) fn(id);
  }
}
