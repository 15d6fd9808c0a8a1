// What a live run prints, in a pipe (as scripts see it): several sequential targets each under
// their own heading with their own status lines and statistics (issue 10 item 9), -v lines inside
// the block of the target they belong to, and the comparison fitted to the default width.
// Two knotd servers that answer the same queries differently, so each block can be told apart:
// "knot" serves test.com (NOERROR/NXDOMAIN), "other" serves only demo.test (REFUSED for test.com).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from './support/cli.js';
import { skipWithout, startKnot, type RunningServer } from './support/servers.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-live-'));
const QUERIES = join(dir, 'q.txt');
writeFileSync(QUERIES, 'www.test.com A\nnonexistent.test.com A\nmail.test.com MX\n');

/** Index of the first line at or after `from` that matches; -1 if none. */
function find(lines: readonly string[], re: RegExp, from = 0): number {
  for (let i = from; i < lines.length; i++) if (re.test(lines[i]!)) return i;
  return -1;
}

describe.skipIf(skipWithout('knotd'))('live output of several sequential targets, in a pipe', () => {
  let knot: RunningServer;
  let other: RunningServer;
  beforeAll(async () => {
    [knot, other] = await Promise.all([
      startKnot(),
      startKnot({ zones: [{ name: 'demo.test', file: resolve(ROOT, 'zones/demo.zone') }] }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([knot?.stop(), other?.stop()]);
  });

  it('prints each target\'s status lines, -v lines and statistics together under its own heading', async () => {
    const a = `${knot.host}:${knot.port}`;
    const b = `${other.host}:${other.port}`;
    const r = await runCli(['-s', `knot=${a}`, '-s', `other=${b}`, '-d', QUERIES, '-n', '2', '-v', '-T', '1', '-t', '2', '--title', 'knot vs other']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    // Block 1: knot, from its heading to its statistics, with nothing of the other target inside.
    const h1 = find(lines, /^=== knot /);
    const h2 = find(lines, /^=== other /);
    expect(lines[h1]).toBe(`=== knot (${a}) ===`);
    expect(lines[h2]).toBe(`=== other (${b}) ===`);
    expect(h1).toBe(0);
    expect(h2).toBeGreaterThan(h1);
    const block1 = lines.slice(h1, h2);
    const block2 = lines.slice(h2, find(lines, /^Comparison against knot/));
    expect(block1).toContain(`[Status] Sending queries (to ${a})`);
    expect(block1).toContain('[Status] Title: knot vs other');
    expect(block1.filter((l) => l === 'Statistics:')).toHaveLength(1);
    expect(block1.find((l) => l.startsWith('  Response codes:'))).toMatch(/NOERROR 4 \(66\.67%\), NXDOMAIN 2 \(33\.33%\)/);
    expect(block1.filter((l) => l.startsWith('> '))).toHaveLength(6);
    for (const l of block1.filter((x) => x.startsWith('> '))) expect(l).toMatch(/^> (NOERROR|NXDOMAIN) \S+ (A|MX) \d+\.\d{6}$/);
    const own = (block: string[]): string => block.filter((l) => !l.startsWith('[Status] Command line:')).join('\n');
    expect(own(block1)).not.toContain(b);
    // Block 2: the other server's, in the same order: heading, status, -v lines, footer, statistics.
    const order = [/^=== other /, /^\[Status\] Sending queries \(to /, /^> REFUSED /, /^\[Status\] Testing complete \(end of file\)$/, /^Statistics:$/, /^ {2}Response codes: +REFUSED 6 \(100\.00%\)$/];
    let at = 0;
    for (const re of order) {
      const i = find(block2, re, at);
      expect(i, `${re} after line ${at} of\n${block2.join('\n')}`).toBeGreaterThanOrEqual(at);
      at = i;
    }
    expect(own(block2)).not.toContain(a);
    expect(block2.filter((l) => l === 'Statistics:')).toHaveLength(1);
    // The comparison follows both blocks and fits the default width of a pipe (100 columns).
    const cmp = find(lines, /^Comparison against knot/);
    expect(cmp).toBeGreaterThan(h2);
    // (The notes after it are one line each, wrapped by the terminal: "other" answered REFUSED,
    // which has its own note.)
    const notes = lines.findIndex((l, i) => i > cmp && l.startsWith('Note: '));
    expect(lines[notes], lines.slice(cmp).join('\n')).toMatch(/^Note: other: 6 of 6 answers \(100\.00%\) were REFUSED/);
    for (const l of lines.slice(cmp, notes)) expect(l.length, l).toBeLessThanOrEqual(100);
  });

  it('one target: nothing before the banner, the title after dnsperf\'s block, the command line quoted', async () => {
    const r = await runCli(['-s', `knot=${knot.host}:${knot.port}`, '-d', QUERIES, '-1', '-T', '1', '--title', "knot's 'quoted' run"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('DNS Performance Testing Tool');
    expect(lines[3]).toBe(`[Status] Command line: dnsbench -s knot=${knot.host}:${knot.port} -d ${QUERIES} -1 -T 1 --title 'knot'\\''s '\\''quoted'\\'' run'`);
    expect(r.stdout).not.toMatch(/^===/m);
    expect(lines).toContain('[Status] Stopping after 1 run through file');
    const stddev = find(lines, /^ {2}Latency StdDev \(s\):/);
    expect(lines[stddev + 1]).toBe('');
    expect(lines[stddev + 2]).toBe("Title: knot's 'quoted' run");
  });
});
