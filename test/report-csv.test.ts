// --csv: the interval series, one row per target per interval, RFC 4180. Parsed back with a
// strict RFC 4180 reader, every number equals the report's, and hostile labels survive quoting.
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvField, renderCsv } from '../src/report/csv.js';
import { vipFixtureReport as fixtureReport, HOSTILE_LABELS } from './support/report-fixtures.js';

/** RFC 4180: CRLF records, quoted fields with doubled quotes. Throws on anything else. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quote');
        field += text.slice(i, q);
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    } else {
      const m = /[,\r\n"]/.exec(text.slice(i));
      const end = m ? i + m.index : text.length;
      if (text[end] === '"') throw new Error(`bare quote at ${end}`);
      field = text.slice(i, end);
      i = end;
    }
    row.push(field);
    if (text[i] === ',') i++;
    else if (text.startsWith('\r\n', i)) {
      rows.push(row);
      row = [];
      i += 2;
    } else if (i < text.length) throw new Error(`expected , or CRLF at ${i}`);
  }
  if (row.length > 0) throw new Error('last record has no CRLF');
  return rows;
}

describe('renderCsv', () => {
  const report = fixtureReport();

  it('has the documented columns, then one column per response code seen', () => {
    const [head] = parseCsv(renderCsv(report));
    expect(head).toEqual([...CSV_COLUMNS, 'NOERROR', 'SERVFAIL', 'NXDOMAIN']);
  });

  it('one row per target per interval, with the report numbers', () => {
    const [head, ...rows] = parseCsv(renderCsv(report));
    const intervals = report.targets.flatMap((t) => t.intervals.map((iv) => ({ t, iv })));
    expect(rows).toHaveLength(intervals.length);
    rows.forEach((r, i) => {
      const { t, iv } = intervals[i]!;
      const get = (name: string): string => r[head!.indexOf(name)]!;
      expect(r).toHaveLength(head!.length);
      expect(get('target')).toBe(t.server);
      expect(get('label')).toBe(t.label);
      expect(Number(get('t'))).toBeCloseTo(iv.t, 3);
      expect(Number(get('duration'))).toBeCloseTo(iv.durationSec, 3);
      expect(Number(get('sent'))).toBe(iv.counters.sent);
      expect(Number(get('completed'))).toBe(iv.counters.completed);
      expect(Number(get('lost'))).toBe(iv.counters.lost);
      expect(Number(get('qps'))).toBeCloseTo(iv.qps, 3);
      expect(Number(get('p50_us'))).toBe(iv.latency.p50);
      expect(Number(get('p90_us'))).toBe(iv.latency.p90);
      expect(Number(get('p99_us'))).toBe(iv.latency.p99);
      expect(Number(get('max_us'))).toBe(iv.latency.max);
      for (const code of ['NOERROR', 'SERVFAIL', 'NXDOMAIN']) expect(Number(get(code))).toBe(iv.rcodes[code] ?? 0);
    });
  });

  it('ends every record with CRLF and is deterministic (golden file)', async () => {
    const text = renderCsv(report);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(renderCsv(fixtureReport())).toBe(text);
    await expect(text).toMatchFileSnapshot('./fixtures/golden/intervals.csv');
  });

  it('quotes labels with commas, quotes and markup so they read back unchanged', () => {
    const hostile = fixtureReport({ hostile: true });
    const [, ...rows] = parseCsv(renderCsv(hostile));
    expect([...new Set(rows.map((r) => r[1]))]).toEqual(HOSTILE_LABELS);
    expect(renderCsv(hostile)).toContain('"a""b\'c&d,e"');
  });

  it('defuses text a spreadsheet would run as a formula, leaves numbers alone', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('-1+1')).toBe("'-1+1");
    expect(csvField(-3)).toBe('-3');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField(Number.NaN)).toBe('');
  });
});

describe('csvField and terminal controls (a saved report is outside input)', () => {
  it('shows ESC, BEL, NUL, C1 and bidi overrides visibly, so `cat r.csv` cannot drive the terminal', () => {
    // An OSC sequence that would retitle the terminal, as a hand-edited report's host could carry.
    expect(csvField('h\u001b]0;pwn\u0007')).toBe('h\\x1b]0;pwn\\x07');
    expect(csvField('a\u0000b\u009bc\u202ed')).toBe('a\\x00b\\x9bc\\u{202e}d');
    // ...and an escaped control can still not start a formula.
    expect(csvField('\u0000=1+1')).toBe('\\x00=1+1');
    expect(csvField('=1\u001b')).toBe("'=1\\x1b");
  });

  it('renders no raw control character but CR LF line ends for a report whose label and server carry them', () => {
    const r = fixtureReport();
    const t = r.targets[0]!;
    const evil = { ...r, targets: [{ ...t, label: 'x\u001b[2J\u0007', server: '\u001b]0;pwn\u0007' }, ...r.targets.slice(1)] };
    const text = renderCsv(evil);
    expect(text).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/u);
    expect(parseCsv(text)[1]!.slice(0, 2)).toEqual(['\\x1b]0;pwn\\x07', 'x\\x1b[2J\\x07']);
  });
});
