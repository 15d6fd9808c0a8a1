// The answer checks as a Report shows them: the additive ChecksData (results/checks.ts) with the
// rrset-order verdicts derived once (results/rrset-order.ts), and back for `dnsbench merge`.
import type { ChecksData, WrongAnswerExample } from './checks.js';
import { analyzeOrders, type RrsetOrderReport } from './rrset-order.js';

/** --expect / --rrset-order results of one target, as reported (absent without those flags). */
export interface AnswerChecksReport {
  /** --expect: answers compared, how many were wrong (= counters.wrongAnswer), the first few; null when off. */
  expect: { checked: number; wrong: number; examples: WrongAnswerExample[] } | null;
  /** --rrset-order: a verdict per queried name with two or more records; null when off. */
  rrsetOrder: { names: RrsetOrderReport[]; dropped: number } | null;
}

/** The report section from the additive data (verdicts derived here, once). */
export function answerChecksReport(d: ChecksData, wrong: number): AnswerChecksReport {
  return {
    expect: d.expect ? { checked: d.checked, wrong, examples: d.examples } : null,
    rrsetOrder: d.orders === null ? null : { names: d.orders.map(analyzeOrders).sort((a, b) => (a.query < b.query ? -1 : a.query > b.query ? 1 : 0)), dropped: d.ordersDropped },
  };
}

/**
 * Back to the additive form (for `dnsbench merge`, and to recheck a saved report). The input may
 * come from a file: anything not in its documented shape is left out (mergeChecks checks the rest).
 */
export function checksDataOf(r: AnswerChecksReport): ChecksData {
  const e = r.expect !== null && typeof r.expect === 'object' ? r.expect : null;
  const o = r.rrsetOrder !== null && typeof r.rrsetOrder === 'object' && Array.isArray(r.rrsetOrder.names) ? r.rrsetOrder : null;
  const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
  return {
    expect: e !== null,
    checked: n(e?.checked),
    examples: Array.isArray(e?.examples) ? e!.examples : [],
    orders:
      o === null
        ? null
        : o.names
            .filter((x) => x !== null && typeof x === 'object')
            .map((x) => ({ query: x.query, answers: n(x.answers) + n(x.otherSets), orders: Array.isArray(x.orders) ? x.orders : [], otherOrders: n(x.otherOrders) })),
    ordersDropped: n(o?.dropped),
  };
}
