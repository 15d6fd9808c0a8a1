// Error and status lines carry paths as the user typed them, and a path may hold a line break or
// an escape sequence: `-d $'q\nQueries per second: 999999'` used to print a second stderr line
// that a script grepping for "Queries per second:" took as the result. A message is one line; only
// a bad file's `file:line: reason` list is several, each line escaped on its own.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorLines, main } from '../src/cli-main.js';
import { renderJson } from '../src/report/json.js';
import { captureConsole } from './support/cli.js';
import { vipFixtureReport } from './support/report-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-error-lines-'));

async function stderrOf(args: string[]): Promise<{ code: number; lines: string[] }> {
  const con = captureConsole();
  const code = await main(args, con);
  return { code, lines: con.stderr.trimEnd().split('\n') };
}

describe('a line break in a path cannot start a line of its own', () => {
  it('errorLines: a string is one line (LF and ESC shown), a list is one line each', () => {
    expect(errorLines('no such file "q\nQueries per second: 9\u001b[2J"')).toBe('dnsbench: no such file "q\\nQueries per second: 9\\x1b[2J"\n');
    expect(errorLines(['a.txt:1: bad', 'a.txt: 1 bad line'])).toBe('dnsbench: a.txt:1: bad\na.txt: 1 bad line\n');
  });

  it('-d naming a missing file with a line break: one line', async () => {
    const r = await stderrOf(['-s', '127.0.0.1:9', '-d', 'nope\nQueries per second:   999999', '-n', '1']);
    expect(r.code).toBe(2);
    expect(r.lines).toEqual(['dnsbench: -d/--datafile: no such file "nope\\nQueries per second:   999999"']);
  });

  it('a bad query file whose name has a line break: its bad line and the total, two lines, none forged', async () => {
    const file = join(dir, 'q\nQueries per second: 1.txt');
    writeFileSync(file, 'x..y A\n');
    const r = await stderrOf(['-s', '127.0.0.1:9', '-d', file, '-n', '1']);
    expect(r.code).toBe(2);
    expect(r.lines).toHaveLength(2);
    expect(r.lines[0]).toMatch(/^dnsbench: .*q\\nQueries per second: 1\.txt:1: empty label in name "x\.\.y"$/);
    expect(r.lines[1]).toMatch(/q\\nQueries per second: 1\.txt: 1 bad line; fix or remove them$/);
    expect(r.lines.some((l) => l.startsWith('Queries per second'))).toBe(false);
  });

  it('"dnsbench: wrote FILE" shows the line break and ESC of the file name', async () => {
    const saved = join(dir, 'saved.json');
    writeFileSync(saved, renderJson(vipFixtureReport()));
    const out = join(dir, 'r\u001b]0;pwn\u0007\nFAKE.json');
    const con = captureConsole();
    expect(await main(['report', saved, '--json', out], con)).toBe(0);
    expect(con.stderr).toBe(`dnsbench: wrote ${dir}/r\\x1b]0;pwn\\x07\\nFAKE.json\n`);
  });
});
