// Where a finished Report goes: the human view on stdout (unless --quiet or --json -), and the
// files asked for. Renderers are pure; this is the only module that writes report files.
import type { BenchConfig } from '../config.js';
import type { Report } from '../results/report.js';
import { renderStatistics, renderStatusFooter, renderStatusHeader, statusInfo } from '../report/text.js';
import { renderTables } from '../report/table.js';
import { renderConnectionStatistics, renderTransportNotes } from '../report/transport.js';
import { renderJson } from '../report/json.js';
import { writeFileAtomic } from '../io.js';
import type { Console } from './console.js';
import { comparisonOf, writeShareFiles } from './share.js';
import { renderComparison } from '../report/compare-table.js';
import { forTerminal } from '../report/terminal.js';
import { terminalToken } from '../report/escape.js';

/**
 * The human view of a report. A live run has already printed each target's status header when
 * it started (before any -S lines, as dnsperf does); a re-rendered report prints it here.
 */
export function renderHuman(saved: Report, o: { headers: boolean } = { headers: true }): string {
  const report = forTerminal(saved); // titles, labels, notes, server data: escaped, one line each
  let out = '';
  const limit = typeof report.config['timeLimitSec'] === 'number' ? (report.config['timeLimitSec'] as number) : null;
  for (const t of report.targets) {
    if (o.headers) out += targetBanner(report, t) + renderStatusHeader(statusInfo(report, t));
    // An interleaved run printed one header for all targets: name each block here.
    else if (report.mode === 'interleave') out += targetBanner(report, t);
    out += renderStatusFooter(t, limit) + renderStatistics(t) + renderConnectionStatistics(t);
    out += renderTables(t) + renderTransportNotes(t) + '\n';
  }
  const comparison = comparisonOf(report);
  if (comparison) out += renderComparison(comparison) + '\n';
  for (const n of report.notes) out += `Note: ${n}\n`;
  return out;
}

/** "=== label (server) ===" before each target when there are several. */
export function targetBanner(report: { targets: readonly unknown[] }, t: { label: string; server: string }): string {
  return report.targets.length > 1 || t.label !== t.server.replace(/:\d+$/, '') ? `=== ${terminalToken(t.label)} (${terminalToken(t.server)}) ===\n` : '';
}

export function emitOutputs(report: Report, config: Pick<BenchConfig, 'quiet' | 'json' | 'html' | 'csv'>, con: Console): void {
  const human = !config.quiet && config.json !== '-';
  if (human) con.out(renderHuman(report, { headers: false }));
  if (config.json === '-') con.out(renderJson(report));
  else if (config.json !== null) {
    writeFileAtomic(config.json, renderJson(report));
    if (!config.quiet) con.err(`dnsbench: wrote ${config.json}\n`);
  }
  writeShareFiles(report, config, con);
}
