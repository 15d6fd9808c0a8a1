// --rrset-order: what the order of the records in the answers says about how the server orders
// them (BIND's rrset-order: fixed, cyclic, random; "none" keeps the zone-file order). Pure: the
// tally of orders seen (results/checks.ts) in, a verdict with its evidence out.
//
//   fixed   one order only.
//   cyclic  only rotations of one order, every rotation seen, each record first about 1/n of the
//           time (chi-square of the first places against uniform does not reject at 1%).
//   random  orders that are not rotations, and neither the orders seen nor the first places are
//           uneven (chi-square p >= 0.001 for both). The orders are tested against uniform over the
//           orders the server was seen to produce: BIND's random draws from a subset (12 of the 24
//           orders of four records, /work/shared/rig/NETNS.md), so uniform over all n! would
//           wrongly reject it.
//   uneven  anything else: some rotations only, or shares a uniform choice would not give.
// Debian's BIND is built without fixed ordering: `order fixed` answers cyclically, and this shows it.
import type jstatPkg from 'jstat';
import { lazyRequire } from '../util/lazy-require.js';
import type { OrderCount, OrderTally } from './checks.js';

const jstat = lazyRequire<typeof jstatPkg>('jstat');

export type OrderVerdict = 'fixed' | 'cyclic' | 'random' | 'uneven';

/** p-value below which a spread of first places (or of orders) is called uneven. */
export const UNEVEN_P = 0.001;
/** For cyclic, the first places are held to a stricter test (a strict rotation is very even). */
export const CYCLIC_P = 0.01;

export interface RrsetOrderReport {
  /** "name TYPE" as queried. */
  query: string;
  /** Answers tallied (two or more records each). */
  answers: number;
  /** The distinct records seen, in the most frequent order. */
  records: string[];
  /** How often each record came first, and its share of the answers (0..1). */
  firstPlace: Array<{ record: string; count: number; share: number }>;
  /** Distinct orders seen (with otherOrders > 0: at least this many). */
  distinctOrders: number;
  /** n! for n records (null above 20 records). */
  possibleOrders: number | null;
  verdict: OrderVerdict;
  /** Chi-square p-value of the orders' counts against uniform over the orders seen (random), else null. */
  pValue: number | null;
  /** Chi-square p-value of the first places against uniform over the records (null with one order). */
  firstPlacePValue: number | null;
  /** The verdict's evidence, in words. */
  evidence: string;
  /** Answers whose records were another set than `records` (a changing RRset; not in the counts above). */
  otherSets: number;
  /** The tally itself (kept so merged reports can redo the analysis). */
  orders: OrderCount[];
  otherOrders: number;
}

/** Upper tail of the chi-square distribution: P(X >= stat) with `dof` degrees of freedom. */
export function chiSquarePValue(stat: number, dof: number): number {
  if (dof <= 0) return 1;
  const p = 1 - jstat().jStat.chisquare.cdf(stat, dof);
  return Math.min(1, Math.max(0, p));
}

/** Pearson's chi-square statistic of `observed` against equal expected counts. */
export function chiSquareUniform(observed: readonly number[]): number {
  const total = observed.reduce((s, v) => s + v, 0);
  if (total === 0 || observed.length === 0) return 0;
  const e = total / observed.length;
  return observed.reduce((s, o) => s + ((o - e) * (o - e)) / e, 0);
}

function factorial(n: number): number | null {
  if (n > 20) return null;
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

/** True when `b` is `a` rotated (same length). */
function isRotation(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const start = b.indexOf(a[0]!);
  if (start < 0) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[(start + i) % b.length]) return false;
  return true;
}

/** Records for the evidence text: blank-separated, or ' | ' when a record has blanks itself (TXT, MX). */
const list = (r: readonly string[]): string => r.join(r.some((x) => x.includes(' ')) ? ' | ' : ' ');
const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
const pText = (p: number): string => (p < 0.0001 ? 'p<0.0001' : `p=${p.toFixed(4)}`);

/** The verdict for one name from its tally. */
export function analyzeOrders(t: OrderTally): RrsetOrderReport {
  const orders = t.orders;
  const main = orders[0]?.order ?? [];
  const n = main.length;
  const set = [...main].sort().join('\u0000');
  const same = orders.filter((o) => o.order.length === n && [...o.order].sort().join('\u0000') === set);
  const otherSets = orders.filter((o) => !same.includes(o)).reduce((s, o) => s + o.count, 0);
  const answers = same.reduce((s, o) => s + o.count, 0);
  const firstCounts = new Map(main.map((r) => [r, 0]));
  for (const o of same) firstCounts.set(o.order[0]!, (firstCounts.get(o.order[0]!) ?? 0) + o.count);
  const firstPlace = main.map((r) => ({ record: r, count: firstCounts.get(r)!, share: answers > 0 ? firstCounts.get(r)! / answers : 0 }));
  const distinct = same.length;
  const possible = factorial(n);
  const firsts = firstPlace.map((f) => f.count);
  const firstP = distinct > 1 ? chiSquarePValue(chiSquareUniform(firsts), n - 1) : null;
  const firstText = firstPlace.map((f) => `${f.record} ${pct(f.share)}`).join(', ');
  const base = {
    query: t.query, answers, records: main, firstPlace, distinctOrders: distinct, possibleOrders: possible,
    otherSets, orders, otherOrders: t.otherOrders,
  };
  const of = `${distinct}${t.otherOrders > 0 ? '+' : ''} of ${possible ?? `${n}!`} possible orders`;

  if (answers === 0) {
    return { ...base, verdict: 'uneven', pValue: null, firstPlacePValue: null, evidence: 'no answer with the same records twice' };
  }
  if (distinct === 1 && t.otherOrders === 0) {
    return { ...base, verdict: 'fixed', pValue: null, firstPlacePValue: null, evidence: `${answers} answers, always ${list(main)}` };
  }
  const rotations = t.otherOrders === 0 && same.every((o) => isRotation(main, o.order));
  if (rotations) {
    const cyclic = distinct === n && firstP !== null && firstP >= CYCLIC_P;
    return {
      ...base,
      verdict: cyclic ? 'cyclic' : 'uneven',
      pValue: null,
      firstPlacePValue: firstP,
      evidence:
        `${answers} answers, ${distinct} orders, all rotations of ${list(main)}` +
        (distinct < n ? ` (only ${distinct} of the ${n} rotations)` : '') +
        `; first place ${firstText} (${pText(firstP ?? 1)} against 1/${n} each)`,
    };
  }
  const orderP = chiSquarePValue(chiSquareUniform(same.map((o) => o.count)), distinct - 1);
  const random = orderP >= UNEVEN_P && (firstP === null || firstP >= UNEVEN_P);
  return {
    ...base,
    verdict: random ? 'random' : 'uneven',
    pValue: orderP,
    firstPlacePValue: firstP,
    evidence:
      `${answers} answers, ${of} (not only rotations); orders ${pText(orderP)} against uniform over the ${distinct} seen; ` +
      `first place ${firstText} (${pText(firstP ?? 1)} against 1/${n} each)`,
  };
}
