// The human view of transports, TSIG and EDNS extras. Pure: TargetReport in, string out.
// renderConnectionStatistics is dnsperf's "Connection Statistics" block, label for label, printed
// after the statistics block for TCP, DoT and DoH runs (and UDP runs whose TC answers fell back
// to TCP); renderTransportNotes adds one line per feature that was in play.
import type { TargetReport } from '../results/report.js';
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
  if (t.nsid) {
    const total = Object.values(t.nsid).reduce((a, b) => a + b, 0);
    const parts = Object.entries(t.nsid)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([k, v]) => `${k} ${formatCount(v)} (${formatPct(v, total)})`);
    lines.push(`NSID:         ${parts.join(', ')}`);
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}
