// `dnsbench merge -`: reports found in a stream as generators print them (--json -) and as
// `kubectl logs --prefix` collects them: concatenated, prefixed, interleaved line by line between
// pods, mixed with other log lines; truncated reports named and refused; every input bounded.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli-main.js';
import { InputError } from '../src/errors.js';
import { readReportStream, ReportStreamScanner, type StreamLimits, type StreamScan } from '../src/results/load-stream.js';
import type { Report } from '../src/results/report.js';
import { renderJson } from '../src/report/json.js';
import { fixtureReport, fixtureTarget, samples } from './support/report-fixtures.js';
import { captureConsole } from './support/cli.js';

const T0 = 1_700_000_000_000;
const gen = (i: number, n = 3): Report => {
  const r = fixtureReport([fixtureTarget(samples(300 + i, 100, 5000, i), { t0: T0 + i * 3, durationMs: 2000 })], {
    hostname: `gen-${i}`,
    title: `générateur ✓ ${i}`, // multi-byte UTF-8, to be split across chunks
  });
  r.segment = { index: i, count: n, fileQueries: 300 };
  r.querySet.count = 100;
  return r;
};
const reports = [gen(1), gen(2), gen(3)];
const pretty = reports.map(renderJson);

function scan(text: string | Buffer, o: { chunk?: number; limits?: Partial<StreamLimits> } = {}): StreamScan {
  const limits = { maxBytes: 64 * 1024 * 1024, maxReports: 100, maxOpenSources: 100, ...o.limits };
  const s = new ReportStreamScanner('<stdin>', limits);
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const step = o.chunk ?? bytes.length;
  for (let at = 0; at < bytes.length; at += step) s.push(bytes.subarray(at, at + step));
  return s.end();
}

const hosts = (r: StreamScan): string[] => r.reports.map((x) => x.report.machine.hostname);
const prefix = (pod: string, text: string): string =>
  text.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '').map((l) => `[pod/${pod}/dnsbench] ${l}\n`).join('');

function scanError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('finding reports in a stream', () => {
  it('concatenated pretty-printed reports, whole and in 7-byte chunks (UTF-8 split mid-character)', () => {
    for (const chunk of [undefined, 7, 4096]) {
      const r = scan(pretty.join(''), { chunk });
      expect(hosts(r)).toEqual(['gen-1', 'gen-2', 'gen-3']);
      expect(r.reports.map((x) => x.report.title)).toEqual(['générateur ✓ 1', 'générateur ✓ 2', 'générateur ✓ 3']);
      expect(r.reports[0]!.report).toEqual(JSON.parse(pretty[0]!));
      expect(r.reports.map((x) => x.name)).toEqual(['<stdin> line 1', `<stdin> line ${pretty[0]!.split('\n').length}`, `<stdin> line ${pretty[0]!.split('\n').length * 2 - 1}`]);
      expect(r.truncated).toEqual([]);
      expect(r.otherLines).toBe(0);
    }
  });

  it('compact reports, one per line or run together on one line', () => {
    const compact = reports.map((x) => JSON.stringify(x));
    expect(hosts(scan(compact.join('\n')))).toEqual(['gen-1', 'gen-2', 'gen-3']);
    expect(hosts(scan(compact.join('') + '\n', { chunk: 1000 }))).toEqual(['gen-1', 'gen-2', 'gen-3']);
    expect(hosts(scan(`${compact[0]}  ${compact[1]}\r\n`))).toEqual(['gen-1', 'gen-2']);
  });

  it('kubectl logs --prefix output, one pod after another, named by pod', () => {
    const text = pretty.map((p, i) => prefix(`bench-${i}-abcde`, p)).join('');
    const r = scan(text, { chunk: 333 });
    expect(hosts(r)).toEqual(['gen-1', 'gen-2', 'gen-3']);
    expect(r.reports.map((x) => x.name)).toEqual(['pod/bench-0-abcde/dnsbench', 'pod/bench-1-abcde/dnsbench', 'pod/bench-2-abcde/dnsbench']);
  });

  it('pods interleaved line by line, with other log lines between and inside reports', () => {
    const perPod = pretty.map((p, i) => prefix(`bench-${i}-x`, p).split('\n').filter((l) => l !== ''));
    const lines: string[] = ['I0101 12:00:00 some kubectl chatter', '[pod/bench-9-x/sidecar] {"level":"info","msg":"ready"}'];
    for (let k = 0; perPod.some((p) => k < p.length); k++) {
      perPod.forEach((p, i) => {
        if (k < p.length) lines.push(p[k]!);
        // stderr of the same pod landing inside its own report, and log lines with braces
        if (k === 5 && i === 1) lines.push('[pod/bench-1-x/dnsbench] dnsbench: warning: something {odd}');
        if (k === 9) lines.push(`[pod/bench-${i}-x/dnsbench] W0101 a log line`);
      });
    }
    lines.push('[pod/bench-0-x/dnsbench] {not json at all}', 'trailing noise');
    const r = scan(lines.join('\n') + '\n', { chunk: 101 });
    expect(hosts(r)).toEqual(['gen-1', 'gen-2', 'gen-3']);
    expect(r.reports.map((x) => x.name)).toEqual(['pod/bench-0-x/dnsbench', 'pod/bench-1-x/dnsbench', 'pod/bench-2-x/dnsbench']);
    expect(r.reports[2]!.report).toEqual(JSON.parse(pretty[2]!));
    expect(r.otherJson).toBe(2); // the sidecar's JSON log line and "{not json at all}"
    expect(r.otherLines).toBe(1 + 1 + 3 + 1); // chatter, the warning, three W lines, trailing noise
    expect(r.truncated).toEqual([]);
  });

  it('a second report from the same pod is numbered', () => {
    const r = scan(prefix('p-0', pretty[0]!) + prefix('p-0', pretty[1]!));
    expect(r.reports.map((x) => x.name)).toEqual(['pod/p-0/dnsbench', 'pod/p-0/dnsbench #2']);
  });

  it('names a truncated report: at the end of the stream, or cut off by the next one', () => {
    const cut = pretty[1]!.slice(0, Math.floor(pretty[1]!.length / 2));
    const atEnd = scan(prefix('p-0', pretty[0]!) + prefix('p-1', cut));
    expect(hosts(atEnd)).toEqual(['gen-1']);
    expect(atEnd.truncated).toEqual([{ name: 'pod/p-1/dnsbench', bytes: expect.any(Number) }]);
    expect(atEnd.truncated[0]!.bytes).toBeGreaterThan(cut.length / 2);
    // `cat a.json cut.json c.json`: the lone `{` of the next report ends the cut one.
    const between = scan(pretty[0]! + cut.trimEnd() + '\n' + pretty[2]!);
    expect(hosts(between)).toEqual(['gen-1', 'gen-3']);
    expect(between.truncated.map((t) => t.name)).toEqual([`<stdin> line ${pretty[0]!.split('\n').length}`]);
  });

  it('skips garbage: binary bytes, stray braces, JSON that is not a report', () => {
    const garbage = Buffer.concat([
      Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x0a, 0x80, 0x81, 0x0a]), // invalid UTF-8, a NUL and a "{" line
      Buffer.from('}}}}\n[1,2,3]\n{"tool":{"name":"other"}}\n'),
      Buffer.from(pretty[0]!),
      Buffer.from('{ unterminated brace in a log line\n'),
    ]);
    const r = scan(garbage, { chunk: 5 });
    expect(hosts(r)).toEqual(['gen-1']);
    expect(r.otherJson).toBe(1);
    expect(r.truncated).toEqual([]);
  });

  it('refuses a report that is marked as ours but broken, naming it', () => {
    const lines = pretty[0]!.split('\n');
    const broken = [...lines.slice(0, 8), '    "mangled": ', ...lines.slice(8)].join('\n');
    expect(scanError(() => scan(prefix('p-0', broken)))).toMatch(/^pod\/p-0\/dnsbench: a report that is not valid JSON \(.*\); collect the logs again$/);
  });

  it('refuses a report whose targets are not objects, naming it (no crash on hostile input)', () => {
    const hostile = JSON.stringify({ $schema: 'https://dnsbench.dev/schema/report-v1.json', schemaVersion: 1, tool: { name: 'dnsbench' }, targets: [null] });
    // Validated field by field at load (results/validate.ts): the first bad field is named.
    expect(scanError(() => scan(`[pod/x-0/c] ${hostile}\n`))).toMatch(/^pod\/x-0\/c: \/title is missing \(a report written by dnsbench --json was expected/);
    const complete = JSON.parse(pretty[0]!) as Record<string, unknown>;
    const nullTargets = JSON.stringify({ ...complete, targets: [null] });
    expect(scanError(() => scan(`[pod/x-0/c] ${nullTargets}\n`))).toMatch(/^pod\/x-0\/c: \/targets\/0 must be object/);
  });

  it('refuses a report of a schema version this build cannot read, naming it', () => {
    const future = pretty[0]!.replace('"schemaVersion": 1', '"schemaVersion": 2');
    expect(scanError(() => scan(future))).toBe('<stdin> line 1: report schema version 2 is not supported (this dnsbench reads version 1)');
  });
});

describe('bounds', () => {
  it('total bytes: refused with one line as soon as the cap is passed', () => {
    const text = pretty.join('');
    expect(text.length).toBeGreaterThan(10_240);
    const m = scanError(() => scan(text, { limits: { maxBytes: 10_240 }, chunk: 4096 }));
    expect(m).toBe('<stdin>: more than 10 KiB of input; merge reads at most that much from a stream (save the reports to files and merge the files instead)');
  });

  it('number of reports', () => {
    expect(scanError(() => scan(pretty.join(''), { limits: { maxReports: 2 } }))).toBe('<stdin>: more than 2 reports; merge reads at most that many from a stream');
  });

  it('log sources with a report open at once', () => {
    const text = Array.from({ length: 20 }, (_, i) => `[pod/p-${i}/c] {\n`).join('');
    expect(scanError(() => scan(text, { limits: { maxOpenSources: 10 } }))).toMatch(/^<stdin>: more than 10 log sources with a report open at once/);
  });

  it('an endless pipe is not buffered: reading stops at the cap', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 65536;
        this.push(Buffer.alloc(65536, '{"a":'));
      },
    });
    const err = await readReportStream(endless, '<stdin>', { maxBytes: 4 * 1024 * 1024, maxReports: 10, maxOpenSources: 10 }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/^<stdin>: more than 4 MiB of input/);
    expect(produced).toBeLessThan(8 * 1024 * 1024);
    expect(endless.destroyed).toBe(true);
  });
});

describe('dnsbench merge -', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dnsbench-merge-stream-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function merge(args: string[], input: string, stdinIsTTY = false) {
    const con = Object.assign(captureConsole(stdinIsTTY), { stdin: Readable.from([Buffer.from(input)]) });
    const code = await main(['merge', ...args], con);
    return { code, stdout: con.stdout, stderr: con.stderr };
  }

  it('merges kubectl logs --prefix output into one report', async () => {
    const out = join(dir, 'all.json');
    const text = 'some chatter\n' + pretty.map((p, i) => prefix(`bench-${i}-q`, p)).join('');
    const r = await merge(['-', '-o', out], text);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Read 3 report\(s\) from stdin, skipping 1 other line\(s\)\nMerged 3 runs into /);
    const merged = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(merged.targets[0]!.counters.sent).toBe(reports.reduce((s, x) => s + x.targets[0]!.counters.sent, 0));
    expect(merged.querySet.count).toBe(300);
    expect(merged.mergedFrom!.map((m) => m.file)).toEqual(['pod/bench-0-q/dnsbench', 'pod/bench-1-q/dnsbench', 'pod/bench-2-q/dnsbench']);
  });

  it('a truncated report is named and refused (exit 2), unless --force leaves it out', async () => {
    const text = prefix('bench-0-q', pretty[0]!) + prefix('bench-1-q', pretty[1]!) + prefix('bench-2-q', pretty[2]!.slice(0, 2000));
    const r = await merge(['-', '-o', join(dir, 'x.json')], text);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dnsbench: merge -: a report was cut off before its end: pod\/bench-2-q\/dnsbench \(\d+ bytes\); collect the logs again/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    const forced = await merge(['-', '-o', join(dir, 'y.json'), '--force'], text);
    expect(forced.code).toBe(0);
    const merged = JSON.parse(readFileSync(join(dir, 'y.json'), 'utf8')) as Report;
    expect(merged.notes.some((n) => n.startsWith('Left out with --force: 1 truncated report(s) from stdin: pod/bench-2-q/dnsbench'))).toBe(true);
    expect(merged.notes.some((n) => n.includes('segment 3/3 is missing'))).toBe(true);
  });

  it('warns on stderr when the runs started more than 50 ms apart (exit 0)', async () => {
    const late = gen(3);
    for (const t of late.targets) t.timing.startedAtMs += 120;
    const r = await merge(['-', '-o', join(dir, 'skew.json'), '--quiet'], pretty[0]! + pretty[1]! + renderJson(late));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^dnsbench: warning: the runs started 1\d\d\.\d ms apart \(more than 50 ms\); see the note in the report\n$/);
    const quiet = await merge(['-', '-o', join(dir, 'noskew.json'), '--quiet'], pretty.join(''));
    expect(quiet.stderr).toBe('');
  });

  it('a missing segment on the stream is refused, naming it', async () => {
    const r = await merge(['-', '-o', join(dir, 'z.json')], pretty[0]! + pretty[2]!);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/segment 2\/3 is missing/);
  });

  it('refuses a terminal, an empty stream, and "-" twice', async () => {
    expect((await merge(['-', '-o', join(dir, 'a.json')], '', true)).stderr).toMatch(/^dnsbench: merge -: stdin is a terminal; pipe the reports in/);
    const empty = await merge(['-', '-o', join(dir, 'a.json')], 'nothing here\n');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe('dnsbench: merge -: no dnsbench report found on stdin (1 other line(s)); the generators must run with --json -\n');
    expect((await merge(['-', '-', '-o', join(dir, 'a.json')], '')).stderr).toMatch(/"-" \(the reports on stdin\) can be given only once/);
  });
});
