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

/** Back to the additive form (for `dnsbench merge`). */
export function checksDataOf(r: AnswerChecksReport): ChecksData {
  return {
    expect: r.expect !== null,
    checked: r.expect?.checked ?? 0,
    examples: r.expect?.examples ?? [],
    orders: r.rrsetOrder === null ? null : r.rrsetOrder.names.map((n) => ({ query: n.query, answers: n.answers + n.otherSets, orders: n.orders, otherOrders: n.otherOrders })),
    ordersDropped: r.rrsetOrder?.dropped ?? 0,
  };
}
