// The human table after dnsperf's block: percentiles dnsperf never had, and the response
// counters it only warned about. Pure: Report in, string out (cli-table3 renders; no colour so
// the output is the same in a pipe and in a file).
import Table from 'cli-table3';
import type { TargetReport } from '../results/report.js';
import { formatCount, formatPct, formatUs } from './format.js';

const plain = { style: { head: [], border: [] } };

export function renderLatencyTable(t: TargetReport): string {
  const rows: Array<[string, TargetReport['latency']]> = [['latency', t.latency]];
  if (t.correctedLatency) rows.push(['corrected*', t.correctedLatency]);
  const table = new Table({ ...plain, head: ['', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean'] });
  for (const [name, l] of rows) {
    const p = l.percentiles;
    table.push([name, formatUs(p.p50), formatUs(p.p90), formatUs(p.p99), formatUs(p['p99.9']), formatUs(l.max), formatUs(l.mean)]);
  }
  let out = table.toString() + '\n';
  if (t.correctedLatency) {
    out += '* corrected: measured from each query\'s scheduled send time (-Q), so time spent waiting for\n';
    out += '  a free slot in the window counts (coordinated omission, as wrk2 reports it)\n';
  }
  return out;
}

export function renderCounterTable(t: TargetReport): string {
  const c = t.counters;
  const table = new Table({ ...plain, head: ['timed out', 'truncated', 'late', 'mismatched', 'malformed', 'socket errors'] });
  table.push([
    `${formatCount(c.timedOut)} (${formatPct(c.timedOut, c.sent)})`,
    `${formatCount(c.truncated)} (${formatPct(c.truncated, c.sent)})`,
    formatCount(c.late),
    formatCount(c.mismatched),
    formatCount(c.malformed),
    formatCount(c.socketErrors),
  ]);
  let out = table.toString() + '\n';
  if (t.targetQps !== null) {
    out += `Rate: target ${formatCount(t.targetQps)} qps, offered ${formatCount(t.sendRate)} qps (${formatPct(t.sendRate, t.targetQps)} of target), answered ${formatCount(t.qps)} qps\n`;
  }
  return out;
}

export function renderTables(t: TargetReport): string {
  return renderLatencyTable(t) + renderCounterTable(t);
}
