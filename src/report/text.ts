// dnsperf 2.x's stdout, line for line: the banner, the "[Status]" lines and the final statistics
// block, label for label and space for space, so scripts that parse dnsperf or queryperf output
// keep working (`grep 'Queries per second' | awk '{ sum += $4 }'`, the snafu wrapper's Version,
// "Started at" and statistics parsers). The format of each line is dnsperf's print_initial_status,
// print_final_status and print_statistics (src/dnsperf.c, 2.10 to 2.14). Pure: Report in, string out.
import type { Report, TargetReport } from '../results/report.js';
import { oneLine, shellCommand } from '../util/shell.js';
import { rcodeOrder } from './format.js';
import { terminalText, terminalToken } from './escape.js';

const pct = (n: number, d: number): string => (d > 0 ? ((100 * n) / d).toFixed(2) : '0.00');

/** Microseconds as dnsperf prints them: `%u.%06u` of a whole number of µs (truncated, as its integer µs are). */
export function secondsUs(us: number): string {
  const whole = Math.max(0, Math.floor(us));
  return `${Math.floor(whole / 1e6)}.${String(whole % 1e6).padStart(6, '0')}`;
}

/**
 * The version as it goes on dnsperf's "Version X" line: ours with `+dnsbench` appended, e.g.
 * `0.1.0+dnsbench`. One \S+ word, so `Version (\S+)` parsers read it; valid SemVer (build
 * metadata) and PEP 440 (a local version), so version parsers accept it; and it cannot be
 * mistaken for a dnsperf release (README "Reading the output").
 */
export function dnsperfVersion(version: string): string {
  return `${version}+dnsbench`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * C's ctime() (asctime's "%.3s %.3s%3d %.2d:%.2d:%.2d %d") in local time, without its newline:
 * `Sun Nov 29 14:38:06 2026`, `Mon Aug  1 11:16:31 2021` (the day is space-padded). This is the
 * "[Status] Started at:" format that wrappers hand to dateutil.
 */
export function ctime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`;
}

/** dnsperf's "Statistics:" block, through the blank line after "Latency StdDev". */
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
  // With no answer dnsperf prints zeros here (and our tables say n/a); its integer µs truncate.
  const l = t.latency;
  const none = l.count === 0;
  lines.push(`  Average Latency (s):  ${secondsUs(none ? 0 : l.mean)} (min ${secondsUs(none ? 0 : l.min)}, max ${secondsUs(none ? 0 : l.max)})`);
  // dnsperf prints the standard deviation only when there are two samples or more.
  if (c.completed > 1) lines.push(`  Latency StdDev (s):   ${(l.stddev / 1e6).toFixed(6)}`);
  lines.push('');
  return lines.join('\n') + '\n';
}

export interface StatusInfo {
  version: string;
  command: readonly string[];
  /** --title: printed in this header only when the run has several targets (see renderTitle). */
  title?: string | null;
  server: string;
  startedAtMs: number;
  timeLimitSec: number | null;
  passes: number | null;
  /** More than one target: the header is ours around dnsperf's lines, so the title may head it. */
  several?: boolean;
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
    several: report.targets.length > 1,
  };
}

/** "[Status] Stopping after ..." as dnsperf words it: "3.000000 seconds", "1 run through file", "... or N runs ...". */
export function stoppingAfter(timeLimitSec: number | null, passes: number | null): string {
  const parts: string[] = [];
  if (timeLimitSec !== null) parts.push(`${secondsUs(Math.round(timeLimitSec * 1e6))} seconds`);
  if (passes !== null) parts.push(`${passes} run${passes === 1 ? '' : 's'} through file`);
  return `[Status] Stopping after ${parts.join(' or ')}`;
}

/** dnsperf's banner and "[Status]" preamble, printed when a target's run starts. */
export function renderStatusHeader(s: StatusInfo): string {
  const lines = [
    'DNS Performance Testing Tool',
    `Version ${terminalToken(dnsperfVersion(s.version))}`,
    '',
    `[Status] Command line: ${shellCommand(s.command)}`,
    // Ours, so only where the layout is ours anyway (several targets); one target's title follows dnsperf's block.
    ...(s.title && s.several ? [`[Status] Title: ${terminalText(oneLine(s.title))}`] : []),
    `[Status] Sending queries (to ${terminalText(s.server)})`,
    `[Status] Started at: ${ctime(s.startedAtMs)}`,
    stoppingAfter(s.timeLimitSec, s.passes),
  ];
  return lines.join('\n') + '\n';
}

/** What a target's footer needs to say why it ended. */
export interface EndInfo {
  timeLimitSec: number | null;
  passes: number | null;
  /** Queries in the query set (the segment's, with --segment): passes x queries = a full run. */
  queries: number;
  /** The run was stopped by Ctrl-C (or SIGTERM/SIGHUP). */
  interrupted: boolean;
}

/**
 * Why sending ended, in dnsperf's words (print_final_status): "interruption" after Ctrl-C,
 * "end of file" when the -n passes were all sent, else "time limit".
 */
export function endReason(t: TargetReport, e: EndInfo): 'interruption' | 'end of file' | 'time limit' {
  if (e.interrupted || t.counters.interrupted > 0) return 'interruption';
  if (e.passes !== null && (e.timeLimitSec === null || t.counters.sent >= e.passes * e.queries)) return 'end of file';
  return 'time limit';
}

/** How the run ended (dnsperf: "[Status] Testing complete (time limit)") and the blank line after it. */
export function renderStatusFooter(t: TargetReport, e: EndInfo): string {
  return `[Status] Testing complete (${endReason(t, e)})\n\n`;
}

/** --title for a one-target run, after dnsperf's block (never inside it). */
export function renderTitle(title: string | null): string {
  return title ? `Title: ${terminalText(oneLine(title))}\n` : '';
}
