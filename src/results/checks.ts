// What the answer checks count (--expect, --rrset-order; engine/checks.ts does the checking), in
// the additive form the results model merges: workers, targets and hosts add up exactly. Keys
// come from servers (record data, names), so everything is bounded: 5 examples, MAX_ORDER_NAMES
// names, MAX_ORDERS orders per name and MAX_ORDER_CHARS of their text, the rest counted, never kept.

/** Wrong answers shown per target (issue 12: "up to 5 examples"). */
export const MAX_WRONG_EXAMPLES = 5;
/** Queried names whose answer order is tallied; answers for further names are counted as dropped. */
export const MAX_ORDER_NAMES = 100;
/** Distinct orders kept per name (6! = 720 covers every order of up to 6 records). */
export const MAX_ORDERS = 720;
/**
 * Characters of record text in the orders kept, over all names: the counts above alone allow
 * 100 names x 720 orders x 1000 records, and a server shuffling 120 AAAA records per answer made
 * an 8 s run hold 3 GB and write a 320 MB report that `dnsbench report` refuses (over 256 MiB).
 * 16 Mi characters keep every order of 100 names with 8 AAAA records each.
 */
export const MAX_ORDER_CHARS = 16 * 1024 * 1024;

/** One wrong answer: "www.view.test A: got 203.0.113.1, expected 198.51.100.1". */
export interface WrongAnswerExample {
  /** "name TYPE" as queried. */
  query: string;
  /** What came back: the RCODE when it differs, else the records (canonical, sorted). */
  got: string;
  expected: string;
}

/** One order of an answer's records and how often it was seen. */
export interface OrderCount {
  /** The records of the queried type in answer order (canonical text). */
  order: string[];
  count: number;
}

/** The answer orders seen for one queried name and type (answers with two or more records only). */
export interface OrderTally {
  /** "name TYPE" as queried (lower case). */
  query: string;
  /** Answers tallied (each had >= 2 records of the type). */
  answers: number;
  /** Distinct orders, most frequent first; at most MAX_ORDERS. */
  orders: OrderCount[];
  /** Answers whose order was not among the kept ones (past MAX_ORDERS distinct orders or MAX_ORDER_CHARS). */
  otherOrders: number;
}

/** The additive result of the answer checks for one target. */
export interface ChecksData {
  /** --expect was on. */
  expect: boolean;
  /** --expect: answers compared with an expectation (right or wrong; wrong ones are counters.wrongAnswer). */
  checked: number;
  /** The first wrong answers (at most MAX_WRONG_EXAMPLES). */
  examples: WrongAnswerExample[];
  /** --rrset-order: per queried name; null when the flag was off. */
  orders: OrderTally[] | null;
  /** --rrset-order: answers for names beyond MAX_ORDER_NAMES (not tallied). */
  ordersDropped: number;
}

const SEP = '\u0000';

/** Counts on a worker's hot path (Maps), handed over as ChecksData by toData(). */
export class ChecksCollector {
  checked = 0;
  readonly examples: WrongAnswerExample[] = [];
  private readonly orders: Map<string, { answers: number; counts: Map<string, number>; other: number }> | null;
  private dropped = 0;
  /** Characters of the order keys kept (MAX_ORDER_CHARS). */
  private chars = 0;

  constructor(
    private readonly expect: boolean,
    rrsetOrder: boolean,
  ) {
    this.orders = rrsetOrder ? new Map() : null;
  }

  /** Keep the example when fewer than MAX_WRONG_EXAMPLES different ones are kept. */
  wrong(e: () => WrongAnswerExample): void {
    if (this.examples.length >= MAX_WRONG_EXAMPLES) return;
    const x = e();
    if (!this.examples.some((k) => k.query === x.query && k.got === x.got && k.expected === x.expected)) this.examples.push(x);
  }

  /** One answer's records for `query`, in answer order (>= 2 of them). */
  order(query: string, records: readonly string[]): void {
    const m = this.orders;
    if (m === null) return;
    let t = m.get(query);
    if (t === undefined) {
      if (m.size >= MAX_ORDER_NAMES) {
        this.dropped++;
        return;
      }
      t = { answers: 0, counts: new Map(), other: 0 };
      m.set(query, t);
    }
    t.answers++;
    const key = records.join(SEP);
    const have = t.counts.get(key);
    if (have !== undefined) t.counts.set(key, have + 1);
    else if (t.counts.size < MAX_ORDERS && this.chars + key.length <= MAX_ORDER_CHARS) {
      t.counts.set(key, 1);
      this.chars += key.length;
    } else t.other++;
  }

  toData(): ChecksData {
    return {
      expect: this.expect,
      checked: this.checked,
      examples: [...this.examples],
      orders:
        this.orders === null
          ? null
          : [...this.orders].map(([query, t]) => ({
              query,
              answers: t.answers,
              orders: sortOrders([...t.counts].map(([k, count]) => ({ order: k.split(SEP), count }))),
              otherOrders: t.other,
            })),
      ordersDropped: this.dropped,
    };
  }
}

function sortOrders(list: OrderCount[]): OrderCount[] {
  return list.sort((a, b) => b.count - a.count || (a.order.join(SEP) < b.order.join(SEP) ? -1 : 1));
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * Several ChecksData as one (exact: counts add). Parts may come from saved reports, so shapes
 * are checked and the caps applied again. Undefined when no part has checks.
 */
export function mergeChecks(parts: ReadonlyArray<ChecksData | undefined>): ChecksData | undefined {
  const present = parts.filter((p): p is ChecksData => p !== undefined && p !== null && typeof p === 'object');
  if (present.length === 0) return undefined;
  const examples: WrongAnswerExample[] = [];
  for (const x of present.flatMap((p) => (Array.isArray(p.examples) ? p.examples : []))) {
    if (examples.length >= MAX_WRONG_EXAMPLES) break;
    if (x === null || typeof x !== 'object' || typeof x.query !== 'string' || typeof x.got !== 'string' || typeof x.expected !== 'string') continue;
    if (!examples.some((k) => k.query === x.query && k.got === x.got && k.expected === x.expected)) examples.push({ query: x.query, got: x.got, expected: x.expected });
  }
  const anyOrders = present.some((p) => Array.isArray(p.orders));
  let dropped = present.reduce((s, p) => s + (isCount(p.ordersDropped) ? p.ordersDropped : 0), 0);
  const byQuery = new Map<string, { answers: number; counts: Map<string, number>; other: number }>();
  let chars = 0;
  for (const p of present) {
    if (!Array.isArray(p.orders)) continue;
    for (const t of p.orders) {
      if (t === null || typeof t !== 'object' || typeof t.query !== 'string' || !isCount(t.answers)) continue;
      let into = byQuery.get(t.query);
      if (into === undefined) {
        if (byQuery.size >= MAX_ORDER_NAMES) {
          dropped += t.answers;
          continue;
        }
        into = { answers: 0, counts: new Map(), other: 0 };
        byQuery.set(t.query, into);
      }
      into.answers += t.answers;
      into.other += isCount(t.otherOrders) ? t.otherOrders : 0;
      for (const o of Array.isArray(t.orders) ? t.orders : []) {
        if (o === null || !Array.isArray(o.order) || !isCount(o.count) || !o.order.every((r) => typeof r === 'string')) continue;
        const key = o.order.join(SEP);
        const have = into.counts.get(key);
        if (have !== undefined) into.counts.set(key, have + o.count);
        else if (into.counts.size < MAX_ORDERS && chars + key.length <= MAX_ORDER_CHARS) {
          into.counts.set(key, o.count);
          chars += key.length;
        } else into.other += o.count;
      }
    }
  }
  return {
    expect: present.some((p) => p.expect === true),
    checked: present.reduce((s, p) => s + (isCount(p.checked) ? p.checked : 0), 0),
    examples,
    orders: anyOrders
      ? [...byQuery].map(([query, t]) => ({
          query,
          answers: t.answers,
          orders: sortOrders([...t.counts].map(([k, count]) => ({ order: k.split(SEP), count }))),
          otherOrders: t.other,
        }))
      : null,
    ordersDropped: dropped,
  };
}

