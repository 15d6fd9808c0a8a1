// Counts keyed by data from outside (NSID identities a server sends, response-code names in a
// saved report). Plain objects would let a key such as "__proto__" or "constructor" change the
// object itself, and a server sending a new identity per answer would grow a table without
// bound, so these tables are Maps while counting, capped, and become plain records only through
// Object.fromEntries (which defines own properties, never a prototype).

/** Distinct keys a tally keeps; the rest are summed under OTHER_KEY. */
export const TALLY_CAP = 100;
/** Where counts of keys beyond the cap go. */
export const OTHER_KEY = '(other)';

/** Add `n` to `key` in a capped Map: a new key past `cap` distinct keys counts under OTHER_KEY. */
export function tallyAdd(m: Map<string, number>, key: string, n: number, cap: number = TALLY_CAP): void {
  const have = m.get(key);
  if (have !== undefined) m.set(key, have + n);
  else if (m.size < cap || key === OTHER_KEY) m.set(key, n);
  else m.set(OTHER_KEY, (m.get(OTHER_KEY) ?? 0) + n);
}

/**
 * Merge count records (each possibly hostile: only finite non-negative numbers count) into one,
 * keeping the `cap` largest keys and summing the rest under OTHER_KEY. Deterministic order:
 * by count, then key.
 */
export function mergeTallies(parts: Iterable<Readonly<Record<string, number>> | ReadonlyMap<string, number> | undefined>, cap: number = TALLY_CAP): Record<string, number> {
  const all = new Map<string, number>();
  for (const p of parts) {
    if (p === undefined || p === null) continue;
    const entries = p instanceof Map ? p.entries() : Object.entries(p as Record<string, number>);
    for (const [k, v] of entries) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) continue;
      all.set(k, (all.get(k) ?? 0) + v);
    }
  }
  if (all.size <= cap) return Object.fromEntries(all);
  const other = all.get(OTHER_KEY) ?? 0;
  all.delete(OTHER_KEY);
  const sorted = [...all.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const kept = sorted.slice(0, cap - 1);
  const rest = sorted.slice(cap - 1).reduce((s, [, v]) => s + v, other);
  return Object.fromEntries([...kept, [OTHER_KEY, rest]]);
}
