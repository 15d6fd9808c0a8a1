// `dnsbench merge` semantics on reports built from known samples: exact percentiles, counters
// that add, wall-clock interval alignment, the union of run times, and refusal of runs that are
// not parts of one benchmark.
import { describe, expect, it } from 'vitest';
import { ExitCode, UsageError } from '../src/errors.js';
import { decodeHistogram, newHistogram } from '../src/results/histogram.js';
import { mergeProblems, mergeReports, type MergeInput } from '../src/results/merge-reports.js';
import type { Report } from '../src/results/report.js';
import { evaluateGates } from '../src/gates/evaluate.js';
import { parseGates } from '../src/gates/parse.js';
import { fixtureReport, fixtureTarget, samples, SHA_B } from './support/report-fixtures.js';
import { expectAccounted } from './support/accounting.js';

const T0 = 1_700_000_000_000;
const opts = { force: false, title: null, command: ['dnsbench', 'merge'] };
const inputs = (...reports: Report[]): MergeInput[] => reports.map((report, i) => ({ file: `gen${i + 1}.json`, report }));

// Three generators with different, long-tailed latency sets and different sizes, overlapping in time.
const setA = samples(5000, 80, 900, 1).map((v, i) => (i % 97 === 0 ? v + 40_000 : v));
const setB = samples(12_000, 150, 2500, 2);
const setC = samples(777, 60, 120_000, 3);
const genA = fixtureReport([fixtureTarget(setA, { t0: T0 + 300, durationMs: 2000, counters: { lost: 7 } })], { hostname: 'gen-a' });
const genB = fixtureReport([fixtureTarget(setB, { t0: T0 + 700, durationMs: 2000, counters: { lost: 3, late: 2 } })], { hostname: 'gen-b' });
const genC = fixtureReport([fixtureTarget(setC, { t0: T0 + 1500, durationMs: 3000, rcodes: { NOERROR: 700, SERVFAIL: 77 } })], { hostname: 'gen-c' });

describe('mergeReports', () => {
  const merged = mergeReports(inputs(genA, genB, genC), opts);
  const t = merged.targets[0]!;
  const all = [...setA, ...setB, ...setC];

  it('percentiles of the merged run equal those of one histogram holding every sample', () => {
    const one = newHistogram();
    for (const s of all) one.recordValue(s);
    const h = decodeHistogram(t.latency.histogram);
    expect(h.totalCount).toBe(all.length);
    for (const p of [50, 90, 99, 99.9, 99.99, 100]) expect(h.getValueAtPercentile(p)).toBe(one.getValueAtPercentile(p));
    expect(t.latency.percentiles).toEqual({
      p50: one.getValueAtPercentile(50), p90: one.getValueAtPercentile(90), p99: one.getValueAtPercentile(99),
      'p99.9': one.getValueAtPercentile(99.9), 'p99.99': one.getValueAtPercentile(99.99),
    });
    expect(t.latency.min).toBe(Math.min(...all));
    expect(t.latency.max).toBe(Math.max(...all));
    expect(t.latency.mean).toBe(all.reduce((a, b) => a + b, 0) / all.length);
  });

  it('counters and rcodes add exactly', () => {
    const sum = (k: 'sent' | 'completed' | 'lost' | 'late'): number => [genA, genB, genC].reduce((s, r) => s + r.targets[0]!.counters[k], 0);
    expect(t.counters.sent).toBe(sum('sent'));
    expect(t.counters.completed).toBe(all.length);
    expect(t.counters.lost).toBe(10);
    expect(t.counters.late).toBe(2);
    expectAccounted(t.counters);
    expect(t.rcodes).toEqual({ NOERROR: setA.length + setB.length + 700, SERVFAIL: 77 });
    expect(t.latency.count).toBe(all.length);
  });

  it('spans the union of the runs\' times, and qps is total completed over it', () => {
    expect(t.timing.startedAtMs).toBe(T0 + 300);
    expect(t.timing.sendEndedAtMs).toBe(T0 + 4500);
    expect(t.runTimeSec).toBe(4.2);
    expect(t.qps).toBe(all.length / 4.2);
    expect(merged.startedAt).toBe(new Date(T0 + 300).toISOString());
    expect(merged.endedAt).toBe(new Date(T0 + 4501).toISOString());
  });

  it('aligns interval series on wall-clock seconds', () => {
    // A's intervals start at T0+0.3 s and T0+1.3 s, B's at +0.7 and +1.7, C's at +1.5, +2.5, +3.5:
    // seconds T0, T0+1, T0+2, T0+3 hold 2, 3, 1, 1 of them.
    expect(t.intervals.map((iv) => iv.startMs - T0)).toEqual([300, 1300, 2500, 3500]);
    expect(t.intervals.map((iv) => iv.counters.completed)).toEqual([
      setA.length / 2 + setB.length / 2,
      setA.length / 2 + setB.length / 2 + 259,
      259,
      259,
    ]);
    const total = t.intervals.reduce((s, iv) => s + decodeHistogram(iv.histogram).totalCount, 0);
    expect(total).toBe(all.length);
  });

  it('records where it came from and gates can be evaluated on it', () => {
    expect(merged.mergedFrom!.map((m) => [m.file, m.hostname])).toEqual([['gen1.json', 'gen-a'], ['gen2.json', 'gen-b'], ['gen3.json', 'gen-c']]);
    expect(merged.notes[0]).toMatch(/^Merged from 3 runs: gen1.json \(gen-a, started/);
    const g = evaluateGates(merged, parseGates([`completed==${all.length}`, 'rcode.SERVFAIL<0.5%']));
    expect(g.results.map((r) => r.passed)).toEqual([true, true]);
    expect(g.results[1]!.measured).toBe((100 * 77) / all.length);
  });

  it('merging merged reports is the same as merging everything at once', () => {
    const ab = mergeReports(inputs(genA, genB), opts);
    const again = mergeReports([{ file: 'ab.json', report: ab }, { file: 'c.json', report: genC }], opts);
    expect(again.targets[0]!.counters).toEqual(t.counters);
    expect(again.targets[0]!.latency.percentiles).toEqual(t.latency.percentiles);
    expect(again.targets[0]!.latency.sums).toEqual(t.latency.sums);
    expect(again.mergedFrom!.map((m) => m.hostname)).toEqual(['gen-a', 'gen-b', 'gen-c']);
  });
});

describe('refusing runs that are not one benchmark', () => {
  function refusal(reports: Report[]): UsageError {
    let err: unknown;
    try {
      mergeReports(inputs(...reports), opts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.usage);
    expect((err as UsageError).message).toMatch(/Use --force to merge them anyway$/);
    return err as UsageError;
  }

  it('different targets', () => {
    const other = fixtureReport([fixtureTarget(setB, { t0: T0, label: 'dns2', port: 5354 })]);
    expect(refusal([genA, other]).message).toContain('gen2.json benchmarks other targets than gen1.json (dns2 (127.0.0.1:5354) vs dns1 (127.0.0.1:5353))');
  });

  it('different query sets', () => {
    const other = fixtureReport([fixtureTarget(setB, { t0: T0 })], { sha256: SHA_B, source: 'other.txt' });
    expect(refusal([genA, other]).message).toContain('gen2.json used another query set than gen1.json (other.txt, sha256 bbbbbbbbbbbb vs queries.txt, sha256 aaaaaaaaaaaa)');
  });

  it('different interval lengths', () => {
    const other = fixtureReport([fixtureTarget(setB, { t0: T0 })], { intervalSec: 5 });
    expect(refusal([genA, other]).message).toContain('gen2.json has 5 s intervals, gen1.json 1 s, so the series cannot align');
  });

  it('the same run twice (it would count every query twice)', () => {
    expect(refusal([genA, genB, genA]).message).toContain('gen3.json is the same run as gen1.json');
  });

  it('--force merges anyway and says what it overrode', () => {
    const other = fixtureReport([fixtureTarget(setB, { t0: T0, label: 'dns2', port: 5354 })], { sha256: SHA_B });
    expect(mergeProblems(inputs(genA, other))).toHaveLength(2);
    const m = mergeReports(inputs(genA, other), { ...opts, force: true });
    expect(m.targets.map((x) => [x.label, x.counters.completed])).toEqual([['dns1', setA.length], ['dns2', setB.length]]);
    expect(m.notes.some((n) => n.startsWith('Merged with --force despite: gen2.json benchmarks other targets'))).toBe(true);
    expect(m.querySet.sha256).toBe(genA.querySet.sha256);
    expect(m.mergedFrom!.map((x) => x.querySetSha256)).toEqual([genA.querySet.sha256, SHA_B]);
  });
});
