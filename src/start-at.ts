// `--start-at TIME`: when several generators (hosts, pods) should start sending together. The
// value is an absolute wall-clock time, so generators launched at different moments agree on it;
// their clocks must be synchronized (NTP/chrony), and `merge` reports how far apart the actual
// starts were.
import { UsageError } from './errors.js';

/** Latest start accepted, from now: a day covers any scheduled run; more is likely a typo. */
export const MAX_START_AHEAD_MS = 24 * 3600 * 1000;

// RFC 3339 section 5.6 date-time: full-date "T" full-time, the offset required ("Z" or +hh:mm).
// The section's note allows a space or a lower-case "t" for the "T", and "z" for "Z".
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;
const UNIX_SECONDS = /^\d{1,12}(\.\d{1,9})?$/;

/**
 * Parses an RFC 3339 time with an offset (`2026-05-01T12:00:00Z`, `2026-05-01T14:00:00.250+02:00`)
 * or Unix seconds (`1777636800`, fractions allowed) into epoch milliseconds (fractional).
 * Does not check the range (see parseStartAt).
 * @throws UsageError naming the flag and the accepted forms.
 */
export function parseTime(value: string, flag = '--start-at'): number {
  const s = value.trim();
  const forms = 'an RFC 3339 time with offset (e.g. 2026-05-01T12:00:00Z or 2026-05-01T14:00:00+02:00) or Unix seconds (e.g. 1777636800.5)';
  if (UNIX_SECONDS.test(s)) return Number(s) * 1000;
  const m = RFC3339.exec(s);
  if (!m) throw new UsageError(`${flag}: expected ${forms}, got "${value}"`);
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((k) => Number(m[k]));
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  // Date.UTC would roll 2026-02-30 over to March 2 silently; a typo must not become another day.
  // A leap second (:60, allowed by RFC 3339) has no epoch value of its own: refused too.
  if (month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth || hour! > 23 || minute! > 59 || second! > 59) {
    throw new UsageError(`${flag}: "${value}" is not a valid date and time`);
  }
  let ms = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!) + (m[7] ? Number(m[7]) * 1000 : 0);
  if (m[9]) {
    const offH = Number(m[10]);
    const offM = Number(m[11]);
    if (offH > 23 || offM > 59) throw new UsageError(`${flag}: "${value}" has an invalid UTC offset`);
    ms -= (m[9] === '+' ? 1 : -1) * (offH * 60 + offM) * 60_000;
  }
  return ms;
}

/**
 * `--start-at`: parses `value` (see parseTime) and checks it is ahead of `nowMs` by at most 24 h.
 * Returns epoch milliseconds.
 * @throws UsageError (one line) for a malformed value, a time in the past or too far ahead.
 */
export function parseStartAt(value: string, nowMs: number = Date.now(), flag = '--start-at'): number {
  const at = parseTime(value, flag);
  const iso = new Date(at).toISOString();
  if (at <= nowMs) {
    throw new UsageError(
      `${flag} ${value}: that is ${describeSpan(nowMs - at)} ago (${iso}); give a time in the next 24 h, ` +
        'and check this host\'s clock (NTP/chrony) if it should not be in the past',
    );
  }
  if (at - nowMs > MAX_START_AHEAD_MS) {
    throw new UsageError(`${flag} ${value}: that is ${describeSpan(at - nowMs)} ahead (${iso}); at most 24 h ahead is accepted`);
  }
  return at;
}

function describeSpan(ms: number): string {
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(s < 10 ? 3 : 0)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${Math.round(s / 86_400)} days`;
}
