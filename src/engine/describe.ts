// Text form of a query for -v lines: "name type", decoded from the pre-encoded wire message
// (only used in verbose mode, never on the normal hot path).
import { typeToMnemonic } from '../queryset/rrtypes.js';
import type { QueryViews } from './channel.js';
import { rcodeName } from '../results/counters.js';

export function questionText(q: QueryViews, queryIndex: number): string {
  let p = q.offsets[queryIndex]! + 12;
  const labels: string[] = [];
  for (let len = q.wire[p]!; len !== 0; len = q.wire[p]!) {
    let label = '';
    for (let i = 1; i <= len; i++) {
      const b = q.wire[p + i]!;
      // RFC 1035 5.1 presentation form: escape '.', '\', and anything not printable ASCII.
      if (b === 0x2e || b === 0x5c) label += '\\' + String.fromCharCode(b);
      else if (b < 0x21 || b > 0x7e) label += '\\' + String(b).padStart(3, '0');
      else label += String.fromCharCode(b);
    }
    labels.push(label);
    p += len + 1;
  }
  const qtype = (q.wire[p + 1]! << 8) | q.wire[p + 2]!;
  return `${labels.length === 0 ? '.' : labels.join('.')} ${typeToMnemonic(qtype)}`;
}

/** `> NOERROR www.example.com A 0.000231` (dnsperf -v style; latency in seconds). */
export function describeQuery(q: QueryViews, queryIndex: number, outcome: string, latencyMs: number): string {
  const label = /^\d+$/.test(outcome) ? rcodeName(Number(outcome)) : outcome.toUpperCase();
  return `> ${label} ${questionText(q, queryIndex)} ${(latencyMs / 1000).toFixed(6)}`;
}
