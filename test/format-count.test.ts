// formatCount groups digits as toLocaleString('en-US') does, without ICU's set-up cost.
import { describe, expect, it } from 'vitest';
import { formatCount } from '../src/report/format.js';

describe('formatCount', () => {
  it('matches en-US grouping for every length, sign and rounding', () => {
    for (const n of [0, 7, 99, 999, 1000, 9999, 12345, 100000, 999999, 1234567, -1, -1000, -1234567, 999.5, 1234.4, 2 ** 53, 1e20, 1e21, 1e300]) {
      expect(formatCount(n)).toBe(Math.round(n).toLocaleString('en-US'));
    }
  });

  it('keeps what toLocaleString prints for values that are not numbers of people', () => {
    expect(formatCount(Number.NaN)).toBe('NaN');
    expect(formatCount(Infinity)).toBe('∞');
    expect(formatCount(-Infinity)).toBe('-∞');
    // A negative zero is shown as 0, not "-0".
    expect(formatCount(-0.4)).toBe('0');
  });
});
