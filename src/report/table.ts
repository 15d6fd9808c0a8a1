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
    // No answer, no latency: "n/a", never a 0us that reads as instant answers.
    const us = (v: number): string => (l.count > 0 ? formatUs(v) : 'n/a');
    table.push([name, us(p.p50), us(p.p90), us(p.p99), us(p['p99.9']), us(l.max), us(l.mean)]);
  }
  let out = table.toString() + '\n';
  if (t.correctedLatency) {
    out += '* corrected: a query that had to wait for a free slot in the window (the server held it) is\n';
    out += '  timed from its scheduled send time, so that wait counts (coordinated omission); the rest\n';
    out += '  from their send time. The generator\'s own lateness is the send lag below, never latency.\n';
  }
  return out;
}

export function renderCounterTable(t: TargetReport, ramp = false): string {
  const c = t.counters;
  // Replies from another source are rare and only possible over UDP: their column appears when
  // there were some, so the usual table stays as narrow as dnsperf users know it.
  const foreign = (c.foreignSource ?? 0) > 0;
  const table = new Table({
    ...plain,
    head: ['timed out', 'truncated', 'late', 'mismatched', 'malformed', 'socket errors', ...(foreign ? ['foreign source'] : [])],
  });
  table.push([
    `${formatCount(c.timedOut)} (${formatPct(c.timedOut, c.sent)})`,
    `${formatCount(c.truncated)} (${formatPct(c.truncated, c.sent)})`,
    formatCount(c.late),
    formatCount(c.mismatched),
    formatCount(c.malformed),
    formatCount(c.socketErrors),
    ...(foreign ? [formatCount(c.foreignSource)] : []),
  ]);
  let out = table.toString() + '\n';
  if (t.targetQps !== null && ramp) {
    // A linear ramp from 0 offers about half its top on average: a percentage of the top would
    // read as a shortfall.
    out += `Rate: ramp from 0 to ${formatCount(t.targetQps)} qps, offered ${formatCount(t.sendRate)} qps on average, answered ${formatCount(t.qps)} qps\n`;
  } else if (t.targetQps !== null) {
    out += `Rate: target ${formatCount(t.targetQps)} qps, offered ${formatCount(t.sendRate)} qps (${formatPct(t.sendRate, t.targetQps)} of target), answered ${formatCount(t.qps)} qps\n`;
  }
  const p = t.pacing;
  if (p !== undefined) {
    const lag = p.lag.count > 0 ? `send lag p50 ${formatUs(p.lag.percentiles.p50)}, p99 ${formatUs(p.lag.percentiles.p99)}` : 'no paced sends';
    // The two causes named in dnsperf's terms: the generator's own lateness, and -q queries all
    // outstanding (the server held them). windowFullSec is summed over workers.
    const skipped = p.skipped > 0
      ? `; ${formatCount(p.skipped)} scheduled queries skipped: ${formatCount(p.skipped - p.skippedWindowFull)} because the generator was late, ` +
        `${formatCount(p.skippedWindowFull)} while all -q queries were outstanding (${p.windowFullSec.toFixed(2)} s)`
      : '';
    out += `Pacing: ${lag}${skipped}\n`;
  }
  return out;
}

export function renderTables(t: TargetReport, ramp = false): string {
  return renderLatencyTable(t) + renderCounterTable(t, ramp);
}
