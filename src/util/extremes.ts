// The largest and smallest of a series of any length. Math.max(...values) passes every element as
// a call argument, and V8 throws RangeError ("Maximum call stack size exceeded") past roughly
// 125 000 of them: a soak run's interval series (-l 10800 --interval 0.05 is 216 000) or a saved
// report of that size ended as "internal error". Every series that grows with the run or with
// outside input goes through these instead.

/** The largest of `values`; `empty` when there are none (NaN is skipped, not propagated). */
export function maxOf(values: Iterable<number>, empty = -Infinity): number {
  let m = -Infinity;
  let any = false;
  for (const v of values) {
    if (!(v <= m)) {
      if (Number.isNaN(v)) continue;
      m = v;
    }
    any = true;
  }
  return any ? m : empty;
}

/** The smallest of `values`; `empty` when there are none (NaN is skipped, not propagated). */
export function minOf(values: Iterable<number>, empty = Infinity): number {
  let m = Infinity;
  let any = false;
  for (const v of values) {
    if (!(v >= m)) {
      if (Number.isNaN(v)) continue;
      m = v;
    }
    any = true;
  }
  return any ? m : empty;
}
