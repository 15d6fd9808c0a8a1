// The per-socket ID table: DNS ID = slot, as in dnsperf, so matching a response is one array
// lookup. Two structures keep every operation O(1):
// - a FIFO of free IDs: the 65,536 in a random order (shuffled as they are first used), then an
//   ID goes to the back when released, so it is reused as late as possible (65536 - window sends
//   later), which lets a late response be recognised as late instead of being mistaken for the
//   answer to a new query;
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
  /**
   * -Q: the clock time corrected latency counts from, for a query a full window made wait; -1 for
   * its send time. Allocated at the first such query (0.5 MB a socket saved otherwise).
   */
  charged: Float64Array | null = null;
  /** Index of the query in the query set. */
  readonly query = new Int32Array(SIZE);
  inflight = 0;

  // The outstanding list, doubly linked through 16-bit links: an ID is its own "none" (no query
  // links to itself), so the links take 256 KB a socket instead of 512 KB as Int32 with -1.
  private readonly prev = new Uint16Array(SIZE);
  private readonly next = new Uint16Array(SIZE);
  private head = -1;
  private tail = -1;
  /**
   * IDs are handed out in a random order, shuffled as they are first used (Fisher-Yates run
   * forward, one step per fresh ID): a table costs nothing to make. Shuffling all 65,536 up front
   * took ~5 ms of a thread's start (interpreted, first table) and ~0.9 ms per further socket, so
   * ~50 ms of each thread's start at -T 100 -c 100. `order[i]` holds the ID at position i XOR i,
   * so the all-zero array a table starts with is the identity.
   */
  private readonly order = new Uint16Array(SIZE);
  /** Fresh IDs handed out so far (positions of `order` used). */
  private fresh = 0;
  /** Released IDs, oldest first (a ring): reused only once every fresh ID has been used. */
  private readonly free = new Uint16Array(SIZE);
  private freeHead = 0;
  private freeCount = 0;

  /** `random` returns [0, 1) (Math.random; tests pass a fixed one). */
  constructor(private readonly random: () => number = Math.random) {}

  /** Take the least recently used free ID (a fresh one while any is left) and append it to the outstanding list. */
  acquire(): number {
    let id: number;
    if (this.fresh < SIZE) {
      // Step k of a forward Fisher-Yates shuffle: a uniform pick among the positions not yet used.
      const k = this.fresh++;
      const j = k + Math.floor(this.random() * (SIZE - k));
      const order = this.order;
      id = order[j]! ^ j;
      order[j] = order[k]! ^ k ^ j;
    } else {
      if (this.freeCount === 0) throw new Error('ID table exhausted: more than 65536 outstanding on one socket');
      id = this.free[this.freeHead]!;
      this.freeHead = (this.freeHead + 1) & (SIZE - 1);
      this.freeCount--;
    }
    this.state[id] = INFLIGHT;
    const tail = this.tail;
    this.prev[id] = tail === -1 ? id : tail;
    this.next[id] = id;
    if (tail === -1) this.head = id;
    else this.next[tail] = id;
    this.tail = id;
    this.inflight++;
    return id;
  }

  /** Remove an outstanding ID; `as` is FREE (answered) or TIMED_OUT. */
  release(id: number, as: typeof FREE | typeof TIMED_OUT): void {
    const p = this.prev[id]!;
    const n = this.next[id]!;
    const first = p === id;
    const last = n === id;
    if (first) this.head = last ? -1 : n;
    else this.next[p] = last ? p : n;
    if (last) this.tail = first ? -1 : p;
    else this.prev[n] = first ? n : p;
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
    // fn must not change the list; the last ID links to itself.
    for (let id = this.head; id !== -1; ) {
      fn(id);
      const n = this.next[id]!;
      id = n === id ? -1 : n;
    }
  }

  /** Record that query `id` is charged from clock time `at` (>= 0), or from its send time (-1). */
  chargeFrom(id: number, at: number): void {
    if (at >= 0) (this.charged ??= new Float64Array(SIZE).fill(-1))[id] = at;
    else if (this.charged !== null) this.charged[id] = -1;
  }

  /** The clock time query `id`'s corrected latency counts from. */
  chargedFrom(id: number): number {
    const c = this.charged === null ? -1 : this.charged[id]!;
    return c < 0 ? this.sentAt[id]! : c;
  }
}
