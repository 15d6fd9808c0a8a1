// Numbers in gate and baseline lines: in the unit the user wrote, with only the digits that
// carry information (latencies are whole microseconds, so 3 decimals of ms are exact).
import type { Metric } from './metrics.js';
import type { Unit } from './parse.js';

const DIVISOR: Record<Unit, number> = { s: 1e6, ms: 1e3, us: 1, '%': 1, '': 1 };
const DECIMALS: Record<Unit, number> = { s: 6, ms: 3, us: 1, '%': 3, '': 1 };

/** A canonical value (us for latency) in the gate's unit. */
export function toUnit(canonical: number, unit: Unit): number {
  return canonical / DIVISOR[unit];
}

export function trimmed(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  const t = s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
  return t === '-0' ? '0' : t;
}

/** A value already in `unit`, with the unit appended: 3.41ms, 0.05%, 51234.5. */
export function formatIn(v: number, unit: Unit): string {
  return `${trimmed(v, DECIMALS[unit])}${unit}`;
}

export function signed(v: number, unit: Unit): string {
  const s = formatIn(Math.abs(v), unit);
  return v > 0 ? `+${s}` : v < 0 && s.replace(/[^1-9]/g, '') !== '' ? `-${s}` : s;
}

/** The unit a metric is shown in when the user gave none (baselines): us, % or plain. */
export function naturalUnit(m: Metric): 'us' | '%' | '' {
  return m.kind === 'latency' ? 'us' : m.kind === 'share' ? '%' : '';
}

/** Microseconds as the shortest readable unit (baseline lines): 412us, 1.25ms, 2.003s. */
export function autoLatency(us: number): string {
  const a = Math.abs(us);
  if (a < 1000) return formatIn(us, 'us');
  if (a < 1_000_000) return `${trimmed(us / 1000, 3)}ms`;
  return `${trimmed(us / 1e6, 6)}s`;
}

export function formatNatural(v: number, unit: 'us' | '%' | ''): string {
  return unit === 'us' ? autoLatency(v) : formatIn(v, unit);
}

export function signedNatural(v: number, unit: 'us' | '%' | ''): string {
  const s = formatNatural(Math.abs(v), unit);
  return v > 0 ? `+${s}` : v < 0 ? `-${s}` : s;
}
