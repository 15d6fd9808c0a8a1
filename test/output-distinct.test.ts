// A careless command line must not destroy a file: two output flags naming one file (the second
// silently replaced the first: `--json r.out --csv r.out` kept only the CSV), or an output naming
// an input (`-d queries.txt --csv queries.txt` replaced the query file with the CSV; `dnsbench
// report r.json --html r.json` replaced the saved run with HTML). Each is one line naming both
// flags, exit 2, before a single query is sent, and every file is left as it was.
import { copyFileSync, linkSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli-main.js';
import { renderJson } from '../src/report/json.js';
import type { Responder } from '../src/serve/responder.js';
import { runServe } from '../src/serve/run.js';
import { captureConsole, ROOT, runCli } from './support/cli.js';
import { vipFixtureReport } from './support/report-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-distinct-'));
let responder: Responder;
beforeAll(async () => {
  responder = await runServe({ address: '127.0.0.1', port: 0, faults: {} }, () => {});
});
afterAll(() => responder.close());

async function refused(args: string[], pattern: RegExp): Promise<void> {
  const con = captureConsole();
  const code = await main(args, con);
  expect(code, con.stderr).toBe(2);
  const lines = con.stderr.trimEnd().split('\n');
  expect(lines, con.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(con.stderr).not.toMatch(/internal error|\n\s+at /);
}

const queries = (name: string): string => {
  const file = join(dir, name);
  copyFileSync(join(ROOT, 'querysets/demo.txt'), file);
  return file;
};

describe('outputs that would replace each other or an input are refused before the run', () => {
  it('two outputs naming one file, spelled differently', async () => {
    const out = join(dir, 'same.out');
    const q = queries('q1.txt');
    await refused(
      ['-s', `127.0.0.1:${responder.port}`, '-d', q, '-n', '1', '--json', out, '--csv', join(dir, '.', 'same.out')],
      /^dnsbench: --csv .*same\.out: the same file as --json .*same\.out; give each output its own file$/,
    );
    expect(responder.stats().received).toBe(0);
  });

  it('an output naming the query file, also through a hard link; the query file is untouched', async () => {
    const q = queries('q2.txt');
    const before = readFileSync(q, 'utf8');
    const args = ['-s', `127.0.0.1:${responder.port}`, '-d', q, '-n', '1'];
    await refused([...args, '--csv', q], /^dnsbench: --csv .*q2\.txt: the same file as -d\/--datafile .*q2\.txt, which it would replace/);
    const hard = join(dir, 'q2-link.md');
    linkSync(q, hard);
    await refused([...args, '--markdown', hard], /^dnsbench: --markdown .*q2-link\.md: the same file as -d\/--datafile/);
    expect(readFileSync(q, 'utf8')).toBe(before);
    expect(responder.stats().received).toBe(0);
  });

  it('dnsbench report: an output naming a report it reads', async () => {
    const saved = join(dir, 'saved.json');
    const text = renderJson(vipFixtureReport());
    writeFileSync(saved, text);
    await refused(['report', saved, '--html', saved], /^dnsbench: --html .*saved\.json: the same file as report .*saved\.json, which it would replace/);
    expect(readFileSync(saved, 'utf8')).toBe(text);
  });

  // --baseline and --tls-ca are inputs too: `--baseline last.json --json last.json` replaced the
  // baseline with the run being judged (the next run then compares with it), and `report` wrote
  // --markdown over its own --baseline.
  it('an output naming the --baseline (run and report) or the --tls-ca file; both are untouched', async () => {
    const base = join(dir, 'base.json');
    const text = renderJson(vipFixtureReport());
    writeFileSync(base, text);
    const q = queries('q4.txt');
    const run = ['-s', `vip=127.0.0.1:${responder.port}`, '-d', q, '-n', '1', '--baseline', base, '--max-regression', 'qps=50%'];
    await refused([...run, '--json', base], /^dnsbench: --json .*base\.json: the same file as --baseline .*base\.json, which it would replace/);
    const saved = join(dir, 'saved2.json');
    writeFileSync(saved, text);
    await refused(
      ['report', saved, '--baseline', base, '--max-regression', 'qps=50%', '--markdown', base],
      /^dnsbench: --markdown .*base\.json: the same file as --baseline .*base\.json, which it would replace/,
    );
    expect(readFileSync(base, 'utf8')).toBe(text);
    const ca = join(dir, 'ca.pem');
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(ca, pem);
    await refused(
      ['-s', `127.0.0.1:${responder.port}`, '-d', q, '-n', '1', '-m', 'dot', '--tls-ca', ca, '--csv', ca],
      /^dnsbench: --csv .*ca\.pem: the same file as --tls-ca .*ca\.pem, which it would replace/,
    );
    expect(readFileSync(ca, 'utf8')).toBe(pem);
    expect(responder.stats().received).toBe(0);
  });

  it('with --json - (stdout is the JSON alone), another output to stdout is refused', async () => {
    const q = queries('q5.txt');
    await refused(
      ['-s', `127.0.0.1:${responder.port}`, '-d', q, '-n', '1', '--json', '-', '--markdown', '/dev/stdout'],
      /^dnsbench: --markdown \/dev\/stdout: stdout carries the JSON report \(--json -\) and nothing else; give --markdown a file$/,
    );
    const saved = join(dir, 'saved3.json');
    writeFileSync(saved, renderJson(vipFixtureReport()));
    await refused(['report', saved, '--json', '/dev/stdout', '--csv', '/dev/fd/1'], /^dnsbench: --csv \/dev\/fd\/1: stdout carries the JSON report \(--json -\)/);
    expect(responder.stats().received).toBe(0);
  });

  it('devices take any number of outputs: /dev/null for all of them still runs', async () => {
    // The run itself needs the built worker threads: dist/bin.js in a child process.
    const r = await runCli(['-s', `127.0.0.1:${responder.port}`, '-d', queries('q3.txt'), '-n', '1', '-t', '2', '--quiet', '--json', '/dev/null', '--csv', '/dev/null', '--html', '/dev/null']);
    expect(r.code, r.stderr).toBe(0);
    expect(responder.stats().received).toBeGreaterThan(0);
  });
});
