// N generators as separate processes, each `--segment i/N` of one query file, against the built-in
// responder on loopback, merged from their concatenated, kubectl-prefixed output with
// `dnsbench merge -`: every query of the file sent exactly once per pass across the segments, the
// accounting identity for the whole, qps over the union span, and the start skew stated.
// (The engine does not wait for --start-at yet: the runs start at once and their reports say so.
// The multi-namespace version with a real --start-at comes with it.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResponder, type Responder } from '../src/serve/responder.js';
import { loadZoneFile } from '../src/serve/zone.js';
import { DEMO_ZONE } from '../src/serve/run.js';
import type { Report } from '../src/results/report.js';
import { segmentSize } from '../src/queryset/segment.js';
import { ROOT, runCli } from './support/cli.js';
import { expectAccounted } from './support/accounting.js';

const N = 3;
const PASSES = 2;
const FILE = join(ROOT, 'querysets/demo.txt');
const FILE_QUERIES = 1000;

const schema = JSON.parse(readFileSync(join(ROOT, 'docs/report-v1.schema.json'), 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: false });
ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d\d-\d\dT/.test(s));
const validate = ajv.compile(schema);

let responder: Responder;
beforeAll(async () => {
  responder = await startResponder({ address: '127.0.0.1', port: 0, zone: loadZoneFile(DEMO_ZONE) });
});
afterAll(() => responder.close());

describe(`${N} generators, one segment each`, () => {
  let reports: Report[] = [];
  let merged: Report;
  let mergeStderr = '';

  beforeAll(async () => {
    const startAt = new Date(Date.now() + 20_000).toISOString();
    const runs = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        runCli(['-s', `127.0.0.1:${responder.port}`, '-d', FILE, '-n', String(PASSES), '-T', '1', '-c', '1', '-q', '50', '-t', '2',
          '--segment', `${i + 1}/${N}`, '--start-at', startAt, '--json', '-'], { timeoutMs: 60_000 }),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    reports = runs.map((r) => JSON.parse(r.stdout) as Report);
    // As `kubectl logs --prefix` would collect them, with a stray log line between.
    const stream = runs.map((r, i) => r.stdout.split('\n').filter((l) => l !== '').map((l) => `[pod/gen-${i}-abcde/dnsbench] ${l}\n`).join('') + `[pod/gen-${i}-abcde/dnsbench] done\n`).join('');
    const m = await runCli(['merge', '-', '-o', '-'], { input: stream, timeoutMs: 30_000 });
    expect(m.code, m.stderr).toBe(0);
    merged = JSON.parse(m.stdout) as Report;
    mergeStderr = m.stderr;
  });

  it('each generator sent its own segment, every pass', () => {
    reports.forEach((r, i) => {
      expect(r.segment).toEqual({ index: i + 1, count: N, fileQueries: FILE_QUERIES });
      expect(r.querySet.count).toBe(segmentSize(FILE_QUERIES, { index: i + 1, count: N }));
      const c = r.targets[0]!.counters;
      expect(c.sent).toBe(PASSES * r.querySet.count);
      expectAccounted(c);
      expect(r.start?.intendedAtMs).toBeGreaterThan(0);
      expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
    });
    expect(new Set(reports.map((r) => r.querySet.sha256)).size).toBe(1);
  });

  it('merged: the whole file exactly once per pass, and sent = completed + lost + interrupted', () => {
    const c = merged.targets[0]!.counters;
    expect(c.sent).toBe(PASSES * FILE_QUERIES);
    expectAccounted(c);
    expect(merged.querySet.count).toBe(FILE_QUERIES);
    expect(merged.notes).toContain(`The runs were segments 1..${N} of the query file, each exactly once: together they sent the whole file.`);
    // The responder saw exactly that many queries (no fault injection, nothing else sends to it).
    expect(responder.stats().received).toBe(PASSES * FILE_QUERIES);
    expect(mergeStderr).toMatch(/^Read 3 report\(s\) from stdin, skipping 3 other line\(s\)\nMerged 3 runs into -/);
  });

  it('merged qps is total completed over the union of the runs\' spans', () => {
    const t = merged.targets[0]!;
    const start = Math.min(...reports.map((r) => r.targets[0]!.timing.startedAtMs));
    const end = Math.max(...reports.map((r) => Math.max(r.targets[0]!.timing.sendEndedAtMs, r.targets[0]!.timing.lastCompletionAtMs)));
    expect(t.runTimeSec).toBeCloseTo((end - start) / 1000, 9);
    expect(t.qps).toBeCloseTo(t.counters.completed / t.runTimeSec, 6);
  });

  it('states the start skew: the largest difference of actual starts', () => {
    const starts = reports.map((r) => r.start!.actualAtMs);
    expect(merged.startSkew!.ms).toBeCloseTo(Math.max(...starts) - Math.min(...starts), 9);
    expect(merged.startSkew!.basis).toBe('start-at');
    expect(merged.notes.some((n) => /Start skew \d+\.\d ms/.test(n))).toBe(true);
    expect(validate(merged), JSON.stringify(validate.errors)).toBe(true);
  });
});
