// The accounting identity every result must satisfy, asserted in one place (README "Reading the
// output"): every query sent is completed, lost or interrupted, and every loss has a kind.
import { expect } from 'vitest';
import type { Counters } from '../../src/results/counters.js';

/** Assert sent = completed + lost + interrupted and lost = timedOut + truncated + aborted + wrongAnswer (--expect). */
export function expectAccounted(
  c: Pick<Counters, 'sent' | 'completed' | 'lost' | 'interrupted' | 'timedOut' | 'truncated' | 'aborted'> & { wrongAnswer?: number },
  what = 'counters',
): void {
  expect(c.sent, `${what}: sent = completed + lost + interrupted`).toBe(c.completed + c.lost + c.interrupted);
  expect(c.lost, `${what}: lost = timedOut + truncated + aborted + wrongAnswer`).toBe(c.timedOut + c.truncated + c.aborted + (c.wrongAnswer ?? 0));
}

/** The identity for a whole run and for each of its intervals (which count by send time). */
export function expectRunAccounted(r: { counters: Counters; intervals: ReadonlyArray<{ counters: Counters }> }, what = 'run'): void {
  expectAccounted(r.counters, what);
  r.intervals.forEach((iv, i) => expectAccounted(iv.counters, `${what} interval ${i}`));
  const sum = (k: keyof Counters): number => r.intervals.reduce((s, iv) => s + iv.counters[k], 0);
  expect(sum('sent'), `${what}: the intervals add up to the run`).toBe(r.counters.sent);
  expect(sum('completed')).toBe(r.counters.completed);
  expect(sum('lost')).toBe(r.counters.lost);
}
