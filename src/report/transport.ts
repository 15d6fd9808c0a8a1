// The human view of transports, TSIG and EDNS extras. Pure: TargetReport in, string out.
// renderConnectionStatistics is dnsperf's "Connection Statistics" block, label for label, printed
// after the statistics block for TCP, DoT and DoH runs (and UDP runs whose TC answers fell back
// to TCP); renderTransportNotes adds one line per feature that was in play.
import type { TargetReport } from '../results/report.js';
import { OTHER_KEY } from '../results/tally.js';
import { formatCount, formatPct } from './format.js';

const sec = (us: number): string => (us / 1e6).toFixed(6);

export function renderConnectionStatistics(t: TargetReport): string {
  const c = t.connections;
  if (!c) return '';
  const l = c.latency;
  return [
    'Connection Statistics:',
    '',
    `  Reconnections:        ${c.reconnects}`,
    '',
    `  Average Latency (s):  ${sec(l.mean)} (min ${sec(l.min)}, max ${sec(l.max)})`,
    `  Latency StdDev (s):   ${sec(l.stddev)}`,
    '',
    '',
  ].join('\n');
}

export function renderTransportNotes(t: TargetReport): string {
  const c = t.counters;
  const lines: string[] = [];
  const addresses = new Set(t.sockets.map((s) => s.local.replace(/:\d+$/, ''))).size;
  if (t.sourcePairs !== undefined) {
    lines.push(`Sources:      ${formatCount(t.sourcePairs)} local address/port pair(s) from ${addresses} address(es)`);
  }
  if (t.connections) {
    const failed = t.connections.attempts - t.connections.successes;
    lines.push(
      `Connections:  ${formatCount(t.connections.attempts)} attempted, ${formatCount(t.connections.successes)} established` +
        `${failed > 0 ? `, ${formatCount(failed)} failed` : ''}, ${formatCount(t.connections.reconnects)} reconnection(s)`,
    );
  }
  const tc = c.truncated + c.tcpFallbacks;
  if (tc > 0) {
    lines.push(
      `Truncation:   ${formatCount(tc)} answer(s) with TC=1 (${formatPct(tc, c.sent)} of queries sent); ` +
        `${formatCount(c.tcpFallbacks)} retried over TCP, ${formatCount(c.truncated)} counted lost`,
    );
  }
  if (c.aborted > 0) {
    lines.push(
      `Aborted:      ${formatCount(c.aborted)} quer${c.aborted === 1 ? 'y' : 'ies'} lost with a closed connection or failed stream` +
        `${c.httpErrors > 0 ? ` (${formatCount(c.httpErrors)} HTTP status other than 200)` : ''}`,
    );
  }
  if (c.tsigFailed > 0) {
    lines.push(
      `TSIG:         ${formatCount(c.tsigFailed)} response(s) failed verification (BADKEY ${formatCount(c.tsigBadKey)}, ` +
        `BADSIG ${formatCount(c.tsigBadSig)}, BADTIME ${formatCount(c.tsigBadTime)}); none counted as completed`,
    );
  }
  if (t.nsid) lines.push(`NSID:         ${nsidLine(t.nsid)}`);
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}

/** Identities the NSID line names; the rest are summed (the JSON keeps up to 100). */
const NSID_SHOWN = 10;

/**
 * "ns1 5,003 (50.03%), ns2 4,997 (49.97%)": the most frequent identities first, at most
 * NSID_SHOWN of them, then the rest summed; the report's own "(other)" (identities past the
 * cap, results/tally.ts) is named as such.
 */
export function nsidLine(nsid: Readonly<Record<string, number>>): string {
  const entries = Object.entries(nsid).filter(([, v]) => typeof v === 'number' && Number.isFinite(v));
  const total = entries.reduce((a, [, v]) => a + v, 0);
  const other = entries.find(([k]) => k === OTHER_KEY)?.[1] ?? 0;
  const named = entries.filter(([k]) => k !== OTHER_KEY).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const shown = named.slice(0, NSID_SHOWN);
  const restCount = named.length - shown.length;
  const rest = named.slice(NSID_SHOWN).reduce((a, [, v]) => a + v, 0);
  const parts = shown.map(([k, v]) => `${k} ${formatCount(v)} (${formatPct(v, total)})`);
  if (restCount > 0) parts.push(`${restCount} more ${formatCount(rest)} (${formatPct(rest, total)})`);
  if (other > 0) parts.push(`${OTHER_KEY} ${formatCount(other)} (${formatPct(other, total)}; identities past the report's cap)`);
  return parts.join(', ');
}
