// --csv: the interval series of every target, one row per target per interval, for spreadsheets.
// Pure: Report in, string out. RFC 4180: CRLF line ends, a header row, and fields containing a
// comma, a double quote or a line break quoted with the quotes doubled. Text fields that a
// spreadsheet would run as a formula (=, +, -, @ first) get a leading apostrophe (OWASP CSV
// injection); labels from -s cannot start so, but a saved report may have been edited. Other
// controls (ESC, BEL, NUL, C1, the bidi overrides) are no CSV syntax and no label has them, but
// `cat r.csv` would send them to a terminal (an OSC sequence retitles it, CSI moves the cursor):
// they are shown as \x1b, \u{202e} like in every other output (report/escape.ts); tab, CR and LF
// stay, quoted, as RFC 4180 allows.
import type { Report } from '../results/report.js';
import { countOf } from '../results/counters.js';
import { allRcodes, rcodeOrder } from './format.js';
import { terminalText } from './escape.js';

export const CSV_COLUMNS = ['target', 'label', 't', 'duration', 'sent', 'completed', 'lost', 'qps', 'p50_us', 'p90_us', 'p99_us', 'max_us'] as const;

/** Controls other than tab, CR and LF, DEL, C1, and the invisible direction changers (escape.ts). */
const CSV_UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * One RFC 4180 field: a finite number as is (NaN/Infinity as an empty cell); text with its
 * terminal controls shown visibly, formula starts defused, and quoted when it holds , " CR or LF.
 */
export function csvField(value: string | number): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const safe = value.replace(CSV_UNSAFE, (c) => terminalText(c));
  const text = /^[=+\-@\t\r]/.test(safe) ? `'${safe}` : safe;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const row = (fields: Array<string | number>): string => fields.map(csvField).join(',') + '\r\n';
const fixed = (n: number, digits: number): number => Number(n.toFixed(digits));

export function renderCsv(report: Report): string {
  const codes = rcodeOrder(allRcodes(report.targets.flatMap((t) => t.intervals.map((iv) => iv.rcodes))));
  let out = row([...CSV_COLUMNS, ...codes]);
  for (const t of report.targets) {
    for (const iv of t.intervals) {
      const c = iv.counters;
      out += row([
        t.server,
        t.label,
        fixed(iv.t, 3),
        fixed(iv.durationSec, 3),
        c.sent,
        c.completed,
        c.lost,
        fixed(iv.qps, 3),
        // An interval without an answer has no latency: empty cells (a spreadsheet skips them), not 0.
        ...(c.completed > 0 ? [iv.latency.p50, iv.latency.p90, iv.latency.p99, iv.latency.max] : ['', '', '', '']),
        ...codes.map((k) => countOf(iv.rcodes, k)),
      ]);
    }
  }
  return out;
}
