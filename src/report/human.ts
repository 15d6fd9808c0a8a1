// The human view of a report on a terminal: per target dnsperf's status lines and statistics
// block (label for label, so scripts that parse dnsperf keep working), our tables and notes,
// then the comparison and the notes of the whole run. A live run prints the same pieces as they
// happen (commands/live.ts); `dnsbench report` prints them all at once through renderHuman.
import type { Report, TargetReport } from '../results/report.js';
import { renderComparison } from './compare-table.js';
import { renderTables } from './table.js';
import { renderStatistics, renderStatusFooter, renderStatusHeader, statusInfo } from './text.js';
import { renderConnectionStatistics, renderTransportNotes } from './transport.js';

/** "=== label (server) ===" before each target when there are several (never for one: dnsperf parity). */
export function targetBanner(report: { targets: readonly unknown[] }, t: { label: string; server: string }): string {
  return report.targets.length > 1 ? `=== ${t.label} (${t.server}) ===\n` : '';
}

/** One target's results: the status footer, dnsperf's statistics block, our tables and notes. */
export function renderTargetBlock(t: TargetReport, timeLimitSec: number | null): string {
  return renderStatusFooter(t, timeLimitSec) + renderStatistics(t) + renderConnectionStatistics(t) + renderTables(t) + renderTransportNotes(t) + '\n';
}

/** After the targets: the comparison against the first (with several) and the run's notes. */
export function renderTail(report: Report): string {
  // Which I/O path ran (issue 9): "native", or "dgram (native addon unavailable: REASON)".
  let out = report.config.io !== undefined ? `I/O:          ${report.config.io}\n` : '';
  if (report.comparison) out += renderComparison(report.comparison) + '\n';
  for (const n of report.notes) out += `Note: ${n}\n`;
  return out;
}

/** The whole human view of a saved (or just finished) report, each target under its own heading. */
export function renderHuman(report: Report): string {
  let out = '';
  if (report.mode === 'interleave' && report.targets.length > 1) {
    // An interleaved run printed one header for all targets: so does its re-rendering.
    out += renderStatusHeader({ ...statusInfo(report, report.targets[0]!), server: report.targets.map((t) => t.server).join(', ') });
    for (const t of report.targets) out += targetBanner(report, t) + renderTargetBlock(t, report.config.timeLimitSec);
  } else {
    for (const t of report.targets) out += targetBanner(report, t) + renderStatusHeader(statusInfo(report, t)) + renderTargetBlock(t, report.config.timeLimitSec);
  }
  return out + renderTail(report);
}
