// dnsperf's final statistics block, label for label and space for space, so scripts that parse
// dnsperf or queryperf output keep working (`grep 'Queries per second' | awk '{ sum += $4 }'`).
// Pure: Report in, string out.
import type { Report, TargetReport } from '../results/report.js';
import { rcodeOrder } from './format.js';
import { terminalText, terminalToken } from './escape.js';

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

export interface StatusInfo {
  version: string;
  command: readonly string[];
  /** --title, printed after the command line when given. */
  title?: string | null;
  server: string;
  startedAtMs: number;
  timeLimitSec: number | null;
  passes: number | null;
}

export function statusInfo(report: Report, t: TargetReport): StatusInfo {
  return {
    version: report.tool.version,
    command: report.command,
    title: report.title,
    server: t.server,
    startedAtMs: t.timing.startedAtMs,
    timeLimitSec: report.config.timeLimitSec,
    passes: report.config.passes,
  };
}

/**
 * dnsperf's "[Status]" preamble, printed when a target's run starts. The command, title and server
 * may come from a saved report: each is one escaped line (src/report/escape.ts).
 */
export function renderStatusHeader(s: StatusInfo): string {
  const lines = [
    'DNS Performance Testing Tool',
    `dnsbench ${terminalToken(s.version)}`,
    '',
    `[Status] Command line: ${s.command.map((a) => terminalText(a)).join(' ')}`,
    ...(s.title ? [`[Status] Title: ${terminalText(s.title)}`] : []),
    `[Status] Sending queries (to ${terminalText(s.server)})`,
    `[Status] Started at: ${new Date(s.startedAtMs).toString()}`,
  ];
  if (s.timeLimitSec !== null) {
    lines.push(`[Status] Stopping after ${s.timeLimitSec.toFixed(6)} seconds${s.passes !== null ? ` or ${s.passes} passes through file` : ''}`);
  } else if (s.passes !== null) {
    lines.push(`[Status] Stopping after ${s.passes} pass${s.passes === 1 ? '' : 'es'} through file`);
  }
  return lines.join('\n') + '\n';
}

/** How the run ended (dnsperf: "[Status] Testing complete (time limit)"). */
export function renderStatusFooter(t: TargetReport, timeLimitSec: number | null): string {
  const reason =
    t.counters.interrupted > 0
      ? 'interruption'
      : timeLimitSec !== null && t.runTimeSec + 0.05 >= timeLimitSec
        ? 'time limit'
        : 'end of file';
  return `[Status] Testing complete (${reason})\n\n`;
}
