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

/**
 * One -v line in dnsperf's format (src/dnsperf.c: do_recv, process_timeouts, cancel_queries):
 * - an answer: `> NOERROR www.example.com A 0.000231` (RCODE name, the query, latency in s.µs);
 * - a timeout: `> T www.example.com A`; a query outstanding at Ctrl-C: `> I www.example.com A`.
 * dnsperf prints the input line as written; we print the query in presentation form ("name
 * type", no trailing dot), which is the same line for a file in that form. Outcomes dnsperf does
 * not have keep the shape: `> TRUNCATED name type 0.000231` (a TC=1 answer, counted lost) and
 * `> ABORTED name type` (its TCP, DoT or DoH connection closed under it).
 * `outcome`: an RCODE number as a string, or 'timeout' | 'interrupted' | 'truncated' | 'aborted'.
 */
export function describeQuery(q: QueryViews, queryIndex: number, outcome: string, latencyMs: number): string {
  const query = questionText(q, queryIndex);
  if (/^\d+$/.test(outcome)) return `> ${rcodeName(Number(outcome))} ${query} ${secondsOf(latencyMs)}`;
  switch (outcome) {
    case 'timeout':
      return `> T ${query}`;
    case 'interrupted':
      return `> I ${query}`;
    case 'truncated':
      return `> TRUNCATED ${query} ${secondsOf(latencyMs)}`;
    default:
      return `> ${outcome.toUpperCase()} ${query}`;
  }
}

/** Milliseconds as dnsperf's `%u.%06u` seconds (whole microseconds, truncated). */
function secondsOf(ms: number): string {
  const us = Math.max(0, Math.floor(ms * 1000));
  return `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
}
