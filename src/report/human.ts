// The human view of a report on a terminal: per target dnsperf's status lines and statistics
// block (line for line, so scripts that parse dnsperf keep working), then our own lines (title,
// tables, notes), then the comparison and the notes of the whole run. A live run prints the same
// pieces as they happen (commands/live.ts); `dnsbench report` prints them all at once through
// renderHuman. With one target nothing of ours precedes or interrupts dnsperf's block. Every
// piece escapes what came from outside (labels, titles, notes, NSIDs: src/report/terminal.ts).
import type { Report, TargetReport } from '../results/report.js';
import { DEFAULT_WIDTH, renderComparison } from './compare-table.js';
import { renderTables } from './table.js';
import { renderStatistics, renderStatusFooter, renderStatusHeader, renderTitle, statusInfo, type EndInfo } from './text.js';
import { renderConnectionStatistics, renderTransportNotes } from './transport.js';
import { renderAnswerChecks, renderOps } from './ops-text.js';
import { terminalText, terminalToken } from './escape.js';
import { forTerminal } from './terminal.js';

export { DEFAULT_WIDTH };

/** "=== label (server) ===" before each target when there are several (never for one: dnsperf parity). */
export function targetBanner(report: { targets: readonly unknown[] }, t: { label: string; server: string }): string {
  return report.targets.length > 1 ? `=== ${terminalToken(t.label)} (${terminalToken(t.server)}) ===\n` : '';
}

/** What a target's block needs besides the target: why it ended, and where the title goes. */
export interface BlockContext extends EndInfo {
  title: string | null;
  /** Several targets: the title heads the run instead of following one target's block. */
  several: boolean;
  /** The rate rose from 0 to the target (capacity --ramp): what was offered is an average, not a shortfall. */
  ramp?: boolean;
}

/** The block context of a saved (or just finished) report. */
export function blockContext(report: Report): BlockContext {
  return {
    timeLimitSec: report.config.timeLimitSec,
    passes: report.config.passes,
    queries: report.querySet.count,
    interrupted: report.notes.some((n) => n.startsWith('Interrupted')),
    title: report.title,
    several: report.targets.length > 1,
    ramp: report.capacity?.method === 'ramp',
  };
}

/**
 * One target's results: the status footer and dnsperf's statistics block (with its connection
 * statistics over TCP, DoT and DoH), then ours: the title of a one-target run, tables and notes.
 */
export function renderTargetBlock(target: TargetReport, ctx: BlockContext): string {
  const t = forTerminal(target);
  return (
    renderStatusFooter(t, ctx) +
    renderStatistics(t) +
    renderConnectionStatistics(t) +
    (ctx.several ? '' : renderTitle(ctx.title)) +
    renderTables(t, ctx.ramp === true) +
    renderTransportNotes(t) +
    renderAnswerChecks(t) +
    '\n'
  );
}

/**
 * After the targets: which I/O path ran, the comparison against the first (with several, fitted
 * to `width` columns) and the run's notes.
 */
export function renderTail(saved: Report, width = DEFAULT_WIDTH): string {
  const report = forTerminal(saved);
  // "native", or "dgram (native addon unavailable: REASON)" (issue 9). The config is not escaped
  // wholesale (forTerminal skips it): this one string is.
  // A bare "native" says nothing to someone who has not read docs/native-udp.md: name the calls.
  const io = report.config.io === undefined ? undefined : String(report.config.io);
  let out = io !== undefined ? `I/O:          ${terminalText(io === 'native' ? 'native (sendmmsg/recvmmsg addon; docs/native-udp.md)' : io)}\n` : '';
  out += renderOps(report);
  if (report.comparison) out += renderComparison(report.comparison, width) + '\n';
  for (const n of report.notes) out += `Note: ${n}\n`;
  return out;
}

/**
 * The whole human view of a saved (or just finished) report, each target under its own heading.
 * `origins` (same length as the targets) names the saved run each target came from when several
 * runs were combined (`dnsbench report a.json b.json`): each block's status lines (command line,
 * "Stopping after", title, end reason) are then that run's, not the first run's.
 */
export function renderHuman(saved: Report, width = DEFAULT_WIDTH, origins?: readonly Report[]): string {
  const report = forTerminal(saved);
  const ctx = blockContext(report);
  const several = report.targets.length > 1;
  let out = '';
  if (report.mode === 'interleave' && several) {
    // An interleaved run printed one header for all targets: so does its re-rendering.
    out += renderStatusHeader({ ...statusInfo(report, report.targets[0]!), server: report.targets.map((t) => t.server).join(', ') });
    for (const t of report.targets) out += targetBanner(report, t) + renderTargetBlock(t, ctx);
  } else {
    report.targets.forEach((t, i) => {
      const origin = origins?.[i];
      const src = origin === undefined ? report : forTerminal(origin);
      const info = origin === undefined ? statusInfo(report, t) : { ...statusInfo(src, t), several };
      const tctx = origin === undefined ? ctx : { ...blockContext(src), several };
      out += targetBanner(report, t) + renderStatusHeader(info) + renderTargetBlock(t, tctx);
    });
  }
  return out + renderTail(report, width);
}
