// --start-at TIME: RFC 3339 (with an offset) or Unix seconds, refused when past or more than 24 h
// ahead. "Now" is passed in, so no test depends on the wall clock except the CLI one, whose
// margins are minutes.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { MAX_START_AHEAD_MS, parseStartAt, parseTime } from '../src/start-at.js';
import { resolveConfig } from '../src/config.js';
import { expectUsageError } from './support/cli.js';

const NOW = Date.UTC(2026, 4, 1, 12, 0, 0); // 2026-05-01T12:00:00Z

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseTime', () => {
  it('reads RFC 3339 times with Z or an offset, fractions of a second included', () => {
    expect(parseTime('2026-05-01T12:00:30Z')).toBe(NOW + 30_000);
    expect(parseTime('2026-05-01t12:00:30z')).toBe(NOW + 30_000);
    expect(parseTime('2026-05-01 12:00:30Z')).toBe(NOW + 30_000); // RFC 3339 5.6 note: a space
    expect(parseTime('2026-05-01T14:00:30+02:00')).toBe(NOW + 30_000);
    expect(parseTime('2026-05-01T06:30:30-05:30')).toBe(NOW + 30_000);
    expect(parseTime('2026-05-01T12:00:30.25Z')).toBe(NOW + 30_250);
    expect(parseTime('2026-05-01T12:00:30.123456789Z')).toBeCloseTo(NOW + 30_123.456789, 3);
    expect(parseTime('2028-02-29T00:00:00Z')).toBe(Date.UTC(2028, 1, 29));
  });

  it('reads Unix seconds, fractions allowed', () => {
    expect(parseTime(String(NOW / 1000 + 30))).toBe(NOW + 30_000);
    expect(parseTime(`${NOW / 1000 + 30}.5`)).toBe(NOW + 30_500);
  });

  it('refuses times without an offset, local formats and impossible dates', () => {
    for (const bad of ['2026-05-01T12:00:30', '2026-05-01', '12:00', 'tomorrow', '2026-05-01T12:00Z', '+30', '-5', '1e9', '2026-05-01T12:00:30+0200']) {
      expect(usage(() => parseTime(bad))).toMatch(/^--start-at: expected an RFC 3339 time with offset .* or Unix seconds .*, got "/);
    }
    // Date.UTC would quietly turn these into other days or times.
    for (const bad of ['2026-02-30T00:00:00Z', '2027-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-05-01T24:00:00Z', '2026-05-01T12:60:00Z', '2026-06-30T23:59:60Z']) {
      expect(usage(() => parseTime(bad))).toBe(`--start-at: "${bad}" is not a valid date and time`);
    }
    expect(usage(() => parseTime('2026-05-01T12:00:00+24:00'))).toMatch(/invalid UTC offset/);
  });
});

describe('parseStartAt', () => {
  it('accepts a time ahead of now, up to 24 h', () => {
    expect(parseStartAt('2026-05-01T12:01:00Z', NOW)).toBe(NOW + 60_000);
    expect(parseStartAt(String((NOW + MAX_START_AHEAD_MS) / 1000), NOW)).toBe(NOW + MAX_START_AHEAD_MS);
  });

  it('refuses a time in the past, or now, with one line that says how far', () => {
    const m = usage(() => parseStartAt('2026-05-01T11:59:58Z', NOW));
    expect(m).toMatch(/^--start-at 2026-05-01T11:59:58Z: that is 2\.000 s ago \(2026-05-01T11:59:58\.000Z\); give a time in the next 24 h/);
    expect(m).not.toContain('\n');
    expect(usage(() => parseStartAt(String(NOW / 1000), NOW))).toMatch(/that is 0\.000 s ago/);
    expect(usage(() => parseStartAt('2026-04-01T12:00:00Z', NOW))).toMatch(/that is 30 days ago/);
  });

  it('refuses a time more than 24 h ahead', () => {
    expect(usage(() => parseStartAt(String((NOW + MAX_START_AHEAD_MS + 1000) / 1000), NOW))).toMatch(
      /^--start-at \d+: that is 24\.0 h ahead \(2026-05-02T12:00:01\.000Z\); at most 24 h ahead is accepted$/,
    );
  });
});

describe('--start-at on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dnsbench-start-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const q = join(dir, 'q.txt');
  writeFileSync(q, 'a.example A\n');

  it('is stored in the config as epoch ms', async () => {
    const at = new Date(Date.now() + 10 * 60_000).toISOString();
    const c = await resolveConfig({ datafile: q, startAt: at, segment: '2/3' });
    expect(c.startAtMs).toBe(Date.parse(at));
    expect(c.segment).toEqual({ index: 2, count: 3 });
    const none = await resolveConfig({ datafile: q });
    expect(none.startAtMs).toBeNull();
    expect(none.segment).toBeNull();
  });

  it('refuses a past time, a malformed one, and --repeat with exit 2 and one line', async () => {
    await expectUsageError(['-d', q, '--start-at', '2001-01-01T00:00:00Z'], /^dnsbench: --start-at 2001-01-01T00:00:00Z: that is \d+ days ago/);
    await expectUsageError(['-d', q, '--start-at', 'noon'], /^dnsbench: --start-at: expected an RFC 3339 time/);
    const at = new Date(Date.now() + 10 * 60_000).toISOString();
    await expectUsageError(['-d', q, '--start-at', at, '--repeat', '3'], /^dnsbench: --start-at cannot be combined with --repeat/);
  });
});
