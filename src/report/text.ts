// dnsperf's final statistics block, label for label and space for space, so scripts that parse
// dnsperf or queryperf output keep working (`grep 'Queries per second' | awk '{ sum += $4 }'`).
// Pure: Report in, string out.
import type { Report, TargetReport } from '../results/report.js';
import { rcodeOrder } from './format.js';

const pct = (n: number, d: number): string => (d > 0 ? ((100 * n) / d).toFixed(2) : '0.00');
const sec = (us: number): string => (us / 1e6).toFixed(6);

export function renderStatistics(t: TargetReport): string {
  const c = t.counters;
  const lines: string[] = ['Statistics:', ''];
  lines.push(`  Queries sent:         ${c.sent}`);
  lines.push(`  Queries completed:    ${c.completed} (${pct(c.completed, c.sent)}%)`);
  lines.push(`  Queries lost:         ${c.lost} (${pct(c.lost, c.sent)}%)`);
  if (c.interrupted > 0) lines.push(`  Queries interrupted:  ${c.interrupted} (${pct(c.interrupted, c.sent)}%)`);
  lines.push('');
  const codes = rcodeOrder(t.rcodes).map((k) => `${k} ${t.rcodes[k]} (${pct(t.rcodes[k]!, c.completed)}%)`);
  lines.push(`  Response codes:       ${codes.join(', ')}`);
  const req = c.sent > 0 ? Math.floor(c.requestBytes / c.sent) : 0;
  const resp = c.completed > 0 ? Math.floor(c.responseBytes / c.completed) : 0;
  lines.push(`  Average packet size:  request ${req}, response ${resp}`);
  lines.push(`  Run time (s):         ${t.runTimeSec.toFixed(6)}`);
  lines.push(`  Queries per second:   ${t.qps.toFixed(6)}`);
  lines.push('');
  const l = t.latency;
  lines.push(`  Average Latency (s):  ${sec(l.mean)} (min ${sec(l.min)}, max ${sec(l.max)})`);
  lines.push(`  Latency StdDev (s):   ${sec(l.stddev)}`);
  lines.push('');
  return lines.join('\n') + '\n';
}

/** dnsperf's "[Status]" preamble, for one target. */
export function renderStatusHeader(report: Report, t: TargetReport): string {
  const lines = [
    `DNS Performance Testing Tool`,
    `dnsbench ${report.tool.version}`,
    '',
    `[Status] Command line: ${report.command.join(' ')}`,
    `[Status] Sending queries (to ${t.server})`,
    `[Status] Started at: ${new Date(t.timing.startedAtMs).toString()}`,
  ];
  const limit = report.config['timeLimitSec'];
  const passes = report.config['passes'];
  if (typeof limit === 'number') lines.push(`[Status] Stopping after ${limit.toFixed(6)} seconds${typeof passes === 'number' ? ` or ${passes} passes through file` : ''}`);
  else if (typeof passes === 'number') lines.push(`[Status] Stopping after ${passes} pass${passes === 1 ? '' : 'es'} through file`);
  return lines.join('\n') + '\n';
}

/** How the run ended, from the counters (dnsperf: "[Status] Testing complete (time limit)"). */
export function renderStatusFooter(report: Report, t: TargetReport): string {
  const reason =
    t.counters.interrupted > 0 || report.notes.some((n) => n.startsWith('Interrupted'))
      ? 'interruption'
      : typeof report.config['timeLimitSec'] === 'number' && t.runTimeSec + 0.05 >= (report.config['timeLimitSec'] as number)
        ? 'time limit'
        : 'end of file';
  return `[Status] Testing complete (${reason})\n\n`;
}
