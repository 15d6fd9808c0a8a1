// Streamed query files end to end: the CLI with the streaming threshold and ring made tiny
// (DNSBENCH_STREAM_THRESHOLD, DNSBENCH_STREAM_RING), so a 2000-line file flows through 8 slots of
// 16 queries across two worker threads, against the embedded responder. Every query of every pass
// is sent exactly once (the -v lines name them all), from a file and from a pipe, with --segment;
// bad lines before and after sending starts; the report's count and SHA-256 are the file's.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../src/results/report.js';
import { startResponder, type Responder } from '../src/serve/responder.js';
import { DEMO_ZONE } from '../src/serve/run.js';
import { loadZoneFile } from '../src/serve/zone.js';
import { expectAccounted } from './support/accounting.js';
import { runCli, type CliResult } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-run-stream-'));
const LINES = 2000;
const names = Array.from({ length: LINES }, (_, i) => `h${i}.demo.test`);
const text = names.map((n, i) => `${n} ${i % 3 === 0 ? 'AAAA' : 'A'}`).join('\n') + '\n';
const path = join(dir, 'queries.txt');
writeFileSync(path, text);
const STREAM = { DNSBENCH_STREAM_THRESHOLD: '2000', DNSBENCH_STREAM_RING: '8:16:4096' };

let responder: Responder;
beforeAll(async () => {
  responder = await startResponder({ zone: loadZoneFile(DEMO_ZONE), port: 0 });
});
afterAll(async () => {
  await responder?.close();
  rmSync(dir, { recursive: true, force: true });
});

let runNo = 0;
async function run(args: string[], o: { input?: string } = {}): Promise<{ r: CliResult; report: Report | null }> {
  const json = join(dir, `run${++runNo}.json`);
  const r = await runCli(['-s', `127.0.0.1:${responder.port}`, '-T', '2', '-c', '4', '-q', '40', '-t', '3', ...args, '--json', json], {
    env: { ...process.env, ...STREAM },
    timeoutMs: 120_000,
    ...o,
  });
  let report: Report | null = null;
  try {
    report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  } catch {
    // refused before sending: no report
  }
  if (report) for (const t of report.targets) expectAccounted(t.counters);
  return { r, report };
}

/** How many times each name was sent, from the -v lines (`> NOERROR h1.demo.test A 0.000123`). */
function sentNames(stdout: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of stdout.matchAll(/^> \S+ (\S+) \S+ \d+\.\d{6}$/gm)) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  return counts;
}

const sha = createHash('sha256').update(text).digest('hex');

describe('a streamed query file, end to end', () => {
  it('-n 2 from a file: every line sent exactly twice over two threads, nothing dropped or invented', async () => {
    const { r, report } = await run(['-d', path, '-n', '2', '-v']);
    expect(r.code, r.stderr).toBe(0);
    const t = report!.targets[0]!;
    expect(t.counters.sent).toBe(2 * LINES);
    expect(t.counters.completed).toBe(2 * LINES);
    const counts = sentNames(r.stdout);
    expect(counts.size).toBe(LINES);
    expect([...counts.entries()].filter(([, n]) => n !== 2)).toEqual([]);
    expect(names.every((n) => counts.get(n) === 2)).toBe(true);
    expect(report!.querySet).toEqual({ source: path, count: LINES, sha256: sha });
    expect(report!.notes.filter((n) => /stream|read/.test(n) && !/waited/.test(n))).toEqual([]);
  });

  it('-n 3 from a pipe (spooled for the later passes)', async () => {
    const { r, report } = await run(['-n', '3', '-v'], { input: text });
    expect(r.code, r.stderr).toBe(0);
    const t = report!.targets[0]!;
    expect(t.counters.sent).toBe(3 * LINES);
    const counts = sentNames(r.stdout);
    expect(names.every((n) => counts.get(n) === 3)).toBe(true);
    expect(report!.querySet).toEqual({ source: '<stdin>', count: LINES, sha256: sha });
  });

  it('--segment 2/3 sends exactly its segment of the file, and the whole file\'s hash', async () => {
    const { r, report } = await run(['-d', path, '-n', '1', '--segment', '2/3', '-v']);
    expect(r.code, r.stderr).toBe(0);
    const mine = names.filter((_, i) => i % 3 === 1);
    const counts = sentNames(r.stdout);
    expect([...counts.keys()].sort()).toEqual([...mine].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(report!.querySet).toEqual({ source: path, count: mine.length, sha256: sha });
    expect(report!.segment).toEqual({ index: 2, count: 3, fileQueries: LINES });
  });

  it('a bad line in the part read before sending refuses the run (exit 2, nothing sent)', async () => {
    const bad = join(dir, 'bad-early.txt');
    writeFileSync(bad, 'h1.demo.test A\nh2.demo.test AA\n' + text);
    const before = responder.stats().received;
    const { r, report } = await run(['-d', bad, '-n', '1']);
    expect(r.code).toBe(2);
    expect(report).toBeNull();
    expect(r.stderr).toBe(`dnsbench: ${bad}:2: unknown query type "AA"\n${bad}: 1 bad line; fix or remove them\n`);
    expect(responder.stats().received).toBe(before);
  });

  it('a bad line later in a streamed file is skipped, counted and named in a note', async () => {
    const bad = join(dir, 'bad-late.txt');
    const lines = text.split('\n');
    lines.splice(1500, 0, 'late.demo.test NOSUCHTYPE');
    writeFileSync(bad, lines.join('\n'));
    const { r, report } = await run(['-d', bad, '-n', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(report!.targets[0]!.counters.sent).toBe(LINES);
    expect(report!.querySet.count).toBe(LINES);
    expect(report!.notes.join('\n')).toContain(`${bad}: 1 bad line was skipped and not sent`);
    expect(report!.notes.join('\n')).toContain(`${bad}:1501: unknown query type "NOSUCHTYPE"`);
    expect(r.stdout).toContain(`${bad}:1501: unknown query type "NOSUCHTYPE"`);
  });

  it('-d /dev/zero is refused in one line, at once', async () => {
    const started = performance.now();
    const { r } = await run(['-d', '/dev/zero', '-l', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('dnsbench: /dev/zero:1: no line end within 65536 bytes (expected one "name type" query per line; is this a query file?)\n');
    // Well under the -l 5 it was given: nothing was sent, nothing was read beyond 64 MiB.
    expect(performance.now() - started).toBeLessThan(15_000);
  });
});
