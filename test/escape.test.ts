// Text from outside reaching a terminal or a document (issue 11, items 18-19): titles, labels,
// notes, server data and query-file lines are escaped (control characters shown visibly, long
// tokens cut, one line each) in every terminal output, and HTML/link/image/table syntax is
// escaped in every Markdown cell and heading.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli-main.js';
import { cut, markdownText, terminalText } from '../src/report/escape.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { renderJson } from '../src/report/json.js';
import type { Report } from '../src/results/report.js';
import type { Responder } from '../src/serve/responder.js';
import { runServe } from '../src/serve/run.js';
import { captureConsole, ROOT, runCli } from './support/cli.js';
import { vipFixtureReport as fixtureReport } from './support/report-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-escape-'));

const ESC = '\x1b';
/** A title that tries everything at once: a forged statistics line, an OSC window title, a CSI
 *  clear-screen, a C1 CSI, a bidi override, HTML and Markdown links. */
const TITLE = `nightly\n  Queries per second:   999999.000000\n${ESC}]0;pwned\x07${ESC}[2J\x9b31m\u202eevil <script>alert(1)</script> [x](javascript:alert(1)) ![i](http://x/i.png) <!-- | \`code\``;
const LABELS = [`vip${ESC}[31m`, 'dns1\r\nNote: forged', `<img src=x onerror=alert(3)>|[l](javascript:1)`];

/** Any control character a terminal acts on, other than the line feeds between lines. */
/** Markdown that would act: a link or image, a code span (not backslash-escaped). Pipes: counted per row. */
const UNESCAPED_MD = /(?<!\\)(\]\(|!\[|`)/;
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function hostileReport(): Report {
  const r = fixtureReport();
  r.title = TITLE;
  r.targets.forEach((t, i) => (t.label = LABELS[i]!));
  r.notes = [`a note\n[Status] Testing complete (forged)${ESC}]8;;http://evil${ESC}\\link`];
  r.command = ['dnsbench', '--title', TITLE];
  r.targets[0]!.nsid = { [`ns1${ESC}[5m`]: 10, '(none)': 5 };
  delete r.comparison;
  return r;
}

describe('escape.ts', () => {
  it('shows C0, DEL, C1, ESC sequences and bidi overrides visibly, keeps ordinary text', () => {
    expect(terminalText(`a\nb\tc\r${ESC}[2J\x7f\x9b\u202e\u2028ü€𝄞\\.`)).toBe('a\\nb\\tc\\r\\x1b[2J\\x7f\\x9b\\u{202e}\\u{2028}ü€𝄞\\.');
    expect(CONTROL.test(terminalText(TITLE))).toBe(false);
    expect(terminalText(TITLE)).not.toContain('\n');
  });

  it('cuts long tokens with a marker, never above the bound, and is idempotent', () => {
    const long = 'A'.repeat(10 * 1024 * 1024);
    const c = cut(long, 80);
    expect(c.length).toBeLessThanOrEqual(80);
    expect(c).toMatch(/^A+…\[\+\d+ chars\]$/);
    expect(Number(/\+(\d+)/.exec(c)![1]) + c.indexOf('…')).toBe(long.length);
    expect(cut(c, 80)).toBe(c);
    expect(terminalText(terminalText(TITLE, 50), 50)).toBe(terminalText(TITLE, 50));
    // Escaping makes a character longer; the marker still counts the original characters left out.
    const escs = terminalText(ESC.repeat(1000), 50);
    expect(escs.length).toBeLessThanOrEqual(50);
    expect(escs).toMatch(/^(\\x1b)+…\[\+(\d+) chars\]$/);
    expect((escs.match(/\\x1b/g) ?? []).length + Number(/\+(\d+)/.exec(escs)![1])).toBe(1000);
    // A surrogate pair is never split.
    const pairs = '𝄞'.repeat(100);
    expect(cut(pairs, 31).includes('\ud834…')).toBe(false);
  });

  it('Markdown: HTML, comments, links, images, emphasis, code and pipes become text', () => {
    const m = markdownText(TITLE);
    for (const raw of ['<script>', '<!--', '<img']) expect(m).not.toContain(raw);
    expect(m).not.toMatch(UNESCAPED_MD);
    expect(m).toContain('&lt;script&gt;');
    expect(m).toContain('\\[x\\](javascript:alert(1))');
    expect(m).toContain('!\\[i\\](http://x/i.png)');
    expect(m).toContain('&lt;!-- \\| \\`code\\`');
    expect(m).not.toContain('\n');
  });
});

describe('hostile titles, labels, notes and NSIDs through every output of `report`', () => {
  const file = join(dir, 'hostile.json');
  writeFileSync(file, renderJson(hostileReport()));

  it('text: one statistics block per target, no control characters, no forged lines', async () => {
    const con = captureConsole();
    const md = join(dir, 'h.md');
    const code = await main(['report', file, '--gate', 'qps>0', '--gate', 'p99<1us', '--markdown', md, '--junit', join(dir, 'h.xml'), '--html', join(dir, 'h.html'), '--csv', join(dir, 'h.csv')], con);
    expect(code, con.stderr).toBe(1); // p99<1us fails: the gate lines (with hostile labels) are printed
    for (const out of [con.stdout, con.stderr]) expect(CONTROL.test(out), JSON.stringify(out.match(CONTROL))).toBe(false);
    expect(con.stdout.match(/^ {2}Queries per second:/gm)).toHaveLength(3);
    expect(con.stdout).not.toMatch(/^\s*Queries per second:\s+999999/m);
    expect(con.stdout).not.toMatch(/^Note: forged/m);
    expect(con.stdout).not.toMatch(/^\[Status\] Testing complete \(forged\)/m);
    expect(con.stdout).toContain('[Status] Title: nightly\\n  Queries per second:   999999.000000\\n\\x1b]0;pwned\\x07');
    expect(con.stdout).toContain('=== vip\\x1b[31m (');
    expect(con.stdout).toMatch(/FAIL vip\\x1b\[31m:p99<1us/);
    expect(con.stdout).toContain('ns1\\x1b[5m');

    const markdown = readFileSync(md, 'utf8');
    for (const raw of ['<script', '<img', '<!--', ESC]) expect(markdown).not.toContain(raw);
    expect(markdown).not.toMatch(UNESCAPED_MD);
    for (const table of markdown.split('\n\n').filter((b) => b.startsWith('|'))) {
      const rows = table.split('\n').filter((l) => l.startsWith('|'));
      const pipes = (l: string): number => (l.replace(/\\\|/g, '').match(/\|/g) ?? []).length;
      for (const r of rows) expect(pipes(r), r).toBe(pipes(rows[0]!));
    }
    // Headings and quotes stay one line each: every line is a heading, table row, quote, or text.
    expect(markdown.split('\n').filter((l) => l.startsWith('### '))).toHaveLength(1);

    const junit = readFileSync(join(dir, 'h.xml'), 'utf8');
    expect(CONTROL.test(junit.replace(/\n/g, ''))).toBe(false);
    expect(junit).not.toContain('<script');
    expect(readFileSync(join(dir, 'h.html'), 'utf8')).not.toContain('<script>alert(1)');
  });

  it('renderMarkdown escapes every cell and heading of a gated report', () => {
    const r = hostileReport();
    r.gates = {
      passed: false,
      results: [{ target: LABELS[2]!, gate: 'p99<1us`|<b>', metric: 'p99', op: '<', threshold: 1, unit: 'us', measured: 5, passed: false, message: '<!-- hide everything | [x](javascript:1)' }],
    } as unknown as Report['gates'];
    const md = renderMarkdown(r);
    for (const raw of ['<script', '<img', '<!--', '<b>']) expect(md).not.toContain(raw);
    expect(md).not.toMatch(UNESCAPED_MD);
    expect(md).toContain('p99&lt;1us\\`\\|&lt;b&gt;');
  });
});

describe('live runs and query files', () => {
  let responder: Responder;
  beforeAll(async () => {
    responder = await runServe({ address: '127.0.0.1', port: 0, faults: {} }, () => {});
  });
  afterAll(() => responder.close());

  it('a --title with a newline and escape sequences cannot forge a statistics line', async () => {
    const r = await runCli(['-s', `127.0.0.1:${responder.port}`, '-d', join(ROOT, 'querysets/demo.txt'), '-n', '1', '--title', TITLE]);
    expect(r.code, r.stderr).toBe(0);
    expect(CONTROL.test(r.stdout)).toBe(false);
    expect(r.stdout.match(/^ {2}Queries per second:/gm)).toHaveLength(1);
    expect(r.stdout).not.toMatch(/^\s*Queries per second:\s+999999/m);
  });

  it('a 10 MB type token gives a short error line; escape sequences in a bad line are shown, not sent', async () => {
    const q = join(dir, 'bad.txt');
    writeFileSync(q, `www.demo.test ${'X'.repeat(10 * 1024 * 1024)}\nwww.demo.test A${ESC}]0;pwned\x07\nbad..name${ESC}[2J A\n`);
    const r = await runCli(['-s', `127.0.0.1:${responder.port}`, '-d', q, '-n', '1']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.length).toBeLessThan(1000);
    expect(CONTROL.test(r.stderr.replace(/\n/g, ''))).toBe(false);
    const lines = r.stderr.trimEnd().split('\n');
    // A line over 64 KiB is refused for its length (README "Query files"), in one short line.
    expect(lines[0]).toMatch(/^dnsbench: .*bad\.txt:1: no line end within 65536 bytes \(expected one "name type" query per line; is this a query file\?\)$/);
    expect(lines[1]).toMatch(/bad\.txt:2: unknown query type "A\\x1b\]0;pwned\\x07"$/);
    expect(lines[2]).toMatch(/bad\.txt:3: empty label in name "bad\.\.name\\x1b\[2J"$/);
  });

  it('error messages quoting a flag value escape it', async () => {
    const con = captureConsole();
    expect(await main(['-d', join(ROOT, 'querysets/demo.txt'), '-s', `evil${ESC}]0;x\x07`], con)).toBe(2);
    expect(con.stderr).toContain('\\x1b]0;x\\x07');
    expect(CONTROL.test(con.stderr.replace(/\n/g, ''))).toBe(false);
  });
});
