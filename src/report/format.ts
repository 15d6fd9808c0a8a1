// Small formatting helpers shared by the renderers.
import type { RcodeCounts } from '../results/counters.js';

const ORDER = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

/** Response codes in numeric order (as dnsperf prints them), unknown ones after. */
export function rcodeOrder(r: RcodeCounts): string[] {
  const rank = (k: string): number => {
    const i = ORDER.indexOf(k);
    return i >= 0 ? i : 100 + Number(k.replace(/\D/g, '') || 0);
  };
  return Object.keys(r).filter((k) => r[k]! > 0).sort((a, b) => rank(a) - rank(b));
}

/** Microseconds as a short human duration: 412us, 1.25ms, 2.003s. */
export function formatUs(us: number): string {
  if (us < 1000) return `${Math.round(us)}us`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}ms`;
  return `${(us / 1_000_000).toFixed(3)}s`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatPct(n: number, d: number): string {
  return d > 0 ? `${((100 * n) / d).toFixed(2)}%` : '0.00%';
}
