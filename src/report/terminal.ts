// A Report made safe for a terminal before the human renderers see it: every string in it (title,
// command, labels, servers, notes, gate lines, NSID and rcode keys) escaped and bounded by
// src/report/escape.ts. Saved reports are other people's files, and NSIDs come from servers.
import type { Report } from '../results/report.js';
import { terminalDeep } from './escape.js';

/** Keys whose values are never shown as text (encoded histograms) or not rendered by the text view. */
const SKIP = new Set(['histogram', 'intervals', 'config']);

/** The report with every outside string escaped for a terminal; numbers and structure unchanged. */
export function forTerminal<T extends Partial<Report>>(report: T): T {
  return terminalDeep(report, SKIP);
}
