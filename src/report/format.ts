// Formatting shared by every renderer and by the gate and baseline messages: one latency
// formatter (formatUs), counts, shares, and values in a gate's unit.
import { addRcodes, countOf, rcodeCode, type RcodeCounts } from '../results/counters.js';

/**
 * Every response code any of `parts` counted, summed. A saved report's keys are outside data:
 * addRcodes defines them as own properties, and readers use countOf, so a code named
 * "constructor" or "__proto__" is only a name (issue 11 item 14).
 */
export function allRcodes(parts: Iterable<RcodeCounts>): RcodeCounts {
  const all: RcodeCounts = {};
  for (const p of parts) addRcodes(all, p);
  return all;
}

/** Response codes in numeric order (as dnsperf prints them), names that are no RCODE last. */
export function rcodeOrder(r: RcodeCounts): string[] {
  const rank = (k: string): number => rcodeCode(k) ?? 1_000_000;
  return Object.keys(r).filter((k) => countOf(r, k) > 0).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
}

/**
 * Microseconds as a short human duration with three significant digits and no trailing zeros:
 * 412us, 1.25ms, 1ms, 12.3ms, 2.003s (negative: -1.25ms). The one latency formatter of every output.
 */
export function formatUs(us: number): string {
  if (us < 0) return `-${formatUs(-us)}`;
  if (us < 1000) return `${Math.round(us)}us`;
  if (us < 1_000_000) return `${trimmed(us / 1000, us < 10_000 ? 2 : 1)}ms`;
  return `${trimmed(us / 1_000_000, 3)}s`;
}

export function formatCount(n: number): string {
  const r = Math.round(n);
  // What toLocaleString('en-US') prints, without its first call's ~10 ms of ICU set-up in every
  // run (docs/performance.md "Startup"); it still handles NaN, Infinity and 1e21 and above.
  if (!Number.isFinite(r) || Math.abs(r) >= 1e21) return r.toLocaleString('en-US');
  const digits = String(Math.abs(r));
  let out = '';
  for (let i = digits.length; i > 0; i -= 3) out = (i > 3 ? ',' : '') + digits.slice(Math.max(0, i - 3), i) + out;
  return r < 0 ? `-${out}` : out;
}

export function formatPct(n: number, d: number): string {
  return d > 0 ? `${((100 * n) / d).toFixed(2)}%` : '0.00%';
}

// --- values in a gate's unit (gate and baseline lines) -------------------------------------

/** The unit a gate value is written in (results/sections.ts Unit). */
type Unit = 's' | 'ms' | 'us' | '%' | '';

const DIVISOR: Record<Unit, number> = { s: 1e6, ms: 1e3, us: 1, '%': 1, '': 1 };
const DECIMALS: Record<Unit, number> = { s: 6, ms: 3, us: 1, '%': 3, '': 1 };

/** A canonical value (µs for latency) in the gate's unit. */
export function toUnit(canonical: number, unit: Unit): number {
  return canonical / DIVISOR[unit];
}

/** `v` with at most `decimals` decimals and no trailing zeros ("-0" reads "0"). */
export function trimmed(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  const t = s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
  return t === '-0' ? '0' : t;
}

/** A value already in `unit`, with the unit appended: 3.41ms, 0.05%, 51234.5. */
export function formatIn(v: number, unit: Unit): string {
  return `${trimmed(v, DECIMALS[unit])}${unit}`;
}

/** formatIn with an explicit sign: +1.41ms, -0.088%. */
export function signed(v: number, unit: Unit): string {
  const s = formatIn(Math.abs(v), unit);
  return v > 0 ? `+${s}` : v < 0 && s.replace(/[^1-9]/g, '') !== '' ? `-${s}` : s;
}

/** A value in a metric's natural unit ('us' latency, '%' share, '' count or qps). */
export function formatNatural(v: number, unit: 'us' | '%' | ''): string {
  return unit === 'us' ? formatUs(v) : formatIn(v, unit);
}

export function signedNatural(v: number, unit: 'us' | '%' | ''): string {
  const s = formatNatural(Math.abs(v), unit);
  return v > 0 ? `+${s}` : v < 0 ? `-${s}` : s;
}

/** The natural unit of a key metric by name (the --repeat spread table): qps plain, loss %, latency us. */
export function unitOfMetric(name: string): 'us' | '%' | '' {
  if (name === 'qps' || /^(sent|completed|lost|timeouts|truncated|late|mismatched|malformed|interrupted)$/.test(name) || name.startsWith('rcode.')) return '';
  return name === 'loss' ? '%' : 'us';
}
