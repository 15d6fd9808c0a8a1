// Gates and baseline comparisons judged against reports built from known samples, so every
// measured value, difference and verdict is known exactly.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { checkGateTargets, evaluateGates } from '../src/gates/evaluate.js';
import { renderBaselineLines, renderGateLines } from '../src/report/verdicts.js';
import { compareBaseline, matchBaseline } from '../src/gates/baseline.js';
import { parseGates, parseMaxRegression } from '../src/gates/parse.js';
import { medianRunIndex, repeatSection } from '../src/gates/repeat.js';
import type { Report } from '../src/results/report.js';
import { fixtureReport, fixtureTarget } from './support/report-fixtures.js';

const constant = (n: number, us: number): number[] => Array.from({ length: n }, () => us);

/** One target: 998 answers at 1410 us (exact in HDR: below 2048), 2 lost, 5 SERVFAIL, 1 s. */
function oneTarget(): Report {
  return fixtureReport([
    fixtureTarget(constant(998, 1410), { label: 'dns1', counters: { lost: 2 }, rcodes: { NOERROR: 993, SERVFAIL: 5 } }),
  ]);
}

function lines(report: Report, gates: string[]): string[] {
  return renderGateLines(evaluateGates(report, parseGates(gates))).trimEnd().split('\n');
}

describe('evaluateGates', () => {
  it('says PASS or FAIL, the measured value in the gate\'s unit, and by how much', () => {
    expect(
      lines(oneTarget(), ['p99<1ms', 'p99<2ms', 'p99<=1410us', 'p99<1410us', 'mean<0.002s', 'loss<0.1%', 'loss<=0.2%', 'rcode.SERVFAIL<0.5%', 'qps>=50000', 'qps>500', 'completed>=99.8%', 'timeouts==2', 'rcode.NXDOMAIN==0']),
    ).toEqual([
      'FAIL p99<1ms: measured 1.41ms (+0.41ms, 41% over)',
      'PASS p99<2ms: measured 1.41ms (-0.59ms, 29.5% under)',
      'PASS p99<=1410us: measured 1410us (at the limit)',
      'FAIL p99<1410us: measured 1410us (at the limit)',
      'PASS mean<0.002s: measured 0.00141s (-0.00059s, 29.5% under)',
      'FAIL loss<0.1%: measured 0.2% (+0.1%, 100% over)',
      'PASS loss<=0.2%: measured 0.2% (at the limit)',
      'FAIL rcode.SERVFAIL<0.5%: measured 0.501% (+0.001%, 0.2% over)',
      'FAIL qps>=50000: measured 998 (-49002, 98% under)',
      'PASS qps>500: measured 998 (+498, 99.6% over)',
      'PASS completed>=99.8%: measured 99.8% (at the limit)',
      'PASS timeouts==2: measured 2 (exactly)',
      'PASS rcode.NXDOMAIN==0: measured 0 (exactly)',
    ]);
  });

  it('records each result in the report form (values in the gate\'s unit)', () => {
    const s = evaluateGates(oneTarget(), parseGates(['p99<1ms']));
    expect(s.passed).toBe(false);
    expect(s.results).toEqual([
      {
        gate: 'p99<1ms', expression: 'p99<1ms', target: 'dns1', metric: 'p99', operator: '<', threshold: 1, unit: 'ms',
        measured: 1.41, passed: false, difference: expect.closeTo(0.41, 12), relative: expect.closeTo(41, 9), runs: null,
        message: 'measured 1.41ms (+0.41ms, 41% over)',
      },
    ]);
    expect(evaluateGates(oneTarget(), parseGates(['p99<2ms'])).passed).toBe(true);
  });

  it('a target with no answers fails latency gates with the reason, and still measures counts', () => {
    const r = fixtureReport([fixtureTarget([], { label: 'dead', counters: { lost: 100 } })]);
    expect(lines(r, ['p99<2ms', 'corrected.p99<2ms', 'rcode.SERVFAIL<1%', 'loss<1%', 'qps<=0'])).toEqual([
      'FAIL p99<2ms: no value: dead has no answers, so no latency p99',
      'FAIL corrected.p99<2ms: no value: dead has no corrected latency (the run was not rate-limited with -Q)',
      'FAIL rcode.SERVFAIL<1%: no value: dead has no completed queries to take a share of',
      'FAIL loss<1%: measured 100% (+99%, 9900% over)',
      'PASS qps<=0: measured 0 (at the limit)',
    ]);
  });

  it('corrected.* reads the -Q latency when the run has it', () => {
    const r = fixtureReport([fixtureTarget(constant(10, 100), { corrected: constant(10, 1500) })]);
    expect(lines(r, ['corrected.p99<1ms', 'p99<1ms'])).toEqual([
      'FAIL corrected.p99<1ms: measured 1.5ms (+0.5ms, 50% over)',
      'PASS p99<1ms: measured 0.1ms (-0.9ms, 90% under)',
    ]);
  });

  it('applies an unprefixed gate to every target (naming it) and a prefixed one to its target only', () => {
    const r = fixtureReport([
      fixtureTarget(constant(100, 500), { label: 'vip', port: 53 }),
      fixtureTarget(constant(100, 3000), { label: 'b1', port: 5301 }),
    ]);
    expect(lines(r, ['p99<2ms', 'b1:qps>=100', '127.0.0.1:53:p99<1ms'])).toEqual([
      'PASS vip:p99<2ms: measured 0.5ms (-1.5ms, 75% under)',
      'FAIL b1:p99<2ms: measured 3ms (+1ms, 50% over)',
      'PASS b1:qps>=100: measured 100 (at the limit)',
      'PASS vip:p99<1ms: measured 0.5ms (-0.5ms, 50% under)',
    ]);
  });

  it('a gate naming no target of the run is a usage error listing the targets', () => {
    const r = fixtureReport([fixtureTarget([1], { label: 'vip' }), fixtureTarget([1], { label: 'b1' })]);
    expect(() => checkGateTargets(parseGates(['vpi:p99<1ms']), r.targets)).toThrow(UsageError);
    expect(() => checkGateTargets(parseGates(['vpi:p99<1ms']), r.targets)).toThrow(/no target "vpi" in this run \(targets: vip, b1\)/);
    expect(() => checkGateTargets(parseGates(['b1:p99<1ms', '127.0.0.1:p99<1ms', '127.0.0.1:5353:p99<1ms']), r.targets)).not.toThrow();
  });
});

describe('--repeat: medians and spread', () => {
  // Three runs, p99 1 ms, 3 ms, 2 ms; 1000 answers each over 1 s, 2 s and 1.5 s (qps 1000, 500, 667).
  const runs = [
    fixtureReport([fixtureTarget(constant(1000, 1000), { durationMs: 1000 })]),
    fixtureReport([fixtureTarget(constant(1000, 3000), { durationMs: 2000 })]),
    fixtureReport([fixtureTarget(constant(1000, 2000), { durationMs: 1500 })]),
  ];
  const { medianIndex, section } = repeatSection(runs);
  const report: Report = { ...runs[medianIndex]!, repeat: section };

  it('the median run is the one with the median total qps', () => {
    expect(medianRunIndex(runs)).toBe(2);
    expect(section.medianRun).toBe(3);
    expect(section.runs).toBe(3);
    expect(section.results.map((r) => r.targets[0]!.latency.percentiles.p99)).toEqual([1000, 3000, 2000]);
  });

  it('summarises median, range and relative spread of the key metrics', () => {
    const p99 = section.summary[0]!.metrics['p99']!;
    expect(p99).toEqual({ median: 2000, min: 1000, max: 3000, spreadPercent: (100 * 2000) / 2000 });
    expect(section.summary[0]!.metrics['qps']!.median).toBeCloseTo(1000 / 1.5, 9);
  });

  it('gates hold the median of each metric and show the range', () => {
    expect(lines(report, ['p99<2.5ms', 'p99<1.5ms'])).toEqual([
      'PASS p99<2.5ms: measured 2ms (-0.5ms, 20% under; median of 3 runs, range 1ms..3ms)',
      'FAIL p99<1.5ms: measured 2ms (+0.5ms, 33.3% over; median of 3 runs, range 1ms..3ms)',
    ]);
    expect(evaluateGates(report, parseGates(['p99<2.5ms'])).results[0]!.runs).toEqual({ count: 3, min: 1, max: 3 });
  });
});

describe('baseline comparison', () => {
  const base = fixtureReport([fixtureTarget(constant(1000, 1000), { label: 'dns1' })]); // qps 1000, p99 1 ms
  const cmp = (current: Report, spec: string, baseline: Report = base) =>
    compareBaseline(current, baseline, parseMaxRegression(spec), { file: 'base.json', maxRegression: spec });

  it('qps down is worse: a 10% drop fails a 5% limit, passes a 15% one', () => {
    const cur = fixtureReport([fixtureTarget(constant(900, 1000), { label: 'dns1' })]);
    const s = cmp(cur, 'qps=5%');
    expect(s.passed).toBe(false);
    expect(s.results[0]).toMatchObject({ metric: 'qps', baseline: 1000, current: 900, change: -100, changePercent: -10, worse: 100, allowed: 50, noise: null, verdict: 'fail' });
    expect(renderBaselineLines(s, false)).toBe(
      'FAIL baseline qps: 900 vs baseline 1000 (-100, -10%); limit: a drop of 5% = 50; regression: 50 beyond the limit (single runs, spread unknown: --repeat N checks noise)\n',
    );
    expect(cmp(cur, 'qps=15%').passed).toBe(true);
  });

  it('better is never a regression: more qps, lower latency', () => {
    const cur = fixtureReport([fixtureTarget(constant(2000, 500), { label: 'dns1' })]);
    const s = cmp(cur, 'qps=1%,p99=1%,mean=1us');
    expect(s.results.map((r) => r.verdict)).toEqual(['pass', 'pass', 'pass']);
    expect(s.results.map((r) => r.worse)).toEqual([-1000, -500, -500]);
  });

  it('latency up is worse: +20% fails a 10% limit and an absolute 0.1 ms one', () => {
    const cur = fixtureReport([fixtureTarget(constant(1000, 1200), { label: 'dns1' })]);
    const s = cmp(cur, 'p99=10%,p99.9=0.1ms,mean=0.3ms');
    expect(s.results.map((r) => [r.metric, r.verdict, r.allowed])).toEqual([
      ['p99', 'fail', 100],
      ['p99.9', 'fail', 100],
      ['mean', 'pass', 300],
    ]);
    expect(s.results[0]!.message).toBe(
      '1.2ms vs baseline 1ms (+200us, +20%); limit: a rise of 10% = 100us; regression: 100us beyond the limit (single runs, spread unknown: --repeat N checks noise)',
    );
  });

  it('loss limits are percentage points, so a baseline of 0% still works', () => {
    const cur = (lost: number) => fixtureReport([fixtureTarget(constant(1000 - lost, 1000), { label: 'dns1', counters: { lost } })]);
    expect(cmp(cur(3), 'loss=0.5%').results[0]).toMatchObject({ baseline: 0, current: 0.3, verdict: 'pass', changePercent: null });
    const s = cmp(cur(6), 'loss=0.5%');
    expect(s.results[0]).toMatchObject({ current: 0.6, verdict: 'fail' });
    expect(s.results[0]!.message).toContain('(+0.6 points); limit: a rise of 0.5 points');
  });

  /** Current as --repeat runs with the given p99 values (median run first in the list order). */
  function repeated(p99s: number[]): Report {
    const runs = p99s.map((us) => fixtureReport([fixtureTarget(constant(1000, us), { label: 'dns1' })]));
    const { medianIndex, section } = repeatSection(runs);
    return { ...runs[medianIndex]!, repeat: section };
  }

  it('noise rule: beyond the limit but within the run-to-run spread passes as noise', () => {
    // median 1200 (+20% > 10%), spread 1500 - 1100 = 400 >= the 200 difference
    const s = cmp(repeated([1100, 1200, 1500]), 'p99=10%');
    expect(s.passed).toBe(true);
    expect(s.results[0]).toMatchObject({ current: 1200, worse: 200, allowed: 100, noise: 400, verdict: 'noise', passed: true });
    expect(renderBaselineLines(s, false)).toContain('PASS baseline p99: medians 1.2ms vs baseline 1ms (+200us, +20%); limit: a rise of 10% = 100us; beyond the limit but within the run-to-run spread of 400us, so noise, not a regression');
  });

  it('noise rule: a difference larger than the spread fails', () => {
    const s = cmp(repeated([1190, 1200, 1210]), 'p99=10%');
    expect(s.results[0]).toMatchObject({ worse: 200, noise: 20, verdict: 'fail', passed: false });
    expect(s.results[0]!.message).toContain('regression: 100us beyond the limit and larger than the run-to-run spread of 20us');
  });

  it('noise rule: the baseline\'s own spread counts too (the larger one is used)', () => {
    const baseRepeated = (() => {
      const runs = [800, 1000, 1300].map((us) => fixtureReport([fixtureTarget(constant(1000, us), { label: 'dns1' })]));
      const { medianIndex, section } = repeatSection(runs);
      return { ...runs[medianIndex]!, repeat: section };
    })();
    const cur = fixtureReport([fixtureTarget(constant(1000, 1200), { label: 'dns1' })]);
    expect(cmp(cur, 'p99=10%', baseRepeated).results[0]).toMatchObject({ baseline: 1000, noise: 500, verdict: 'noise' });
    const worse = fixtureReport([fixtureTarget(constant(1000, 1600), { label: 'dns1' })]);
    expect(cmp(worse, 'p99=10%', baseRepeated).results[0]).toMatchObject({ worse: 600, noise: 500, verdict: 'fail' });
  });

  it('a metric missing on either side fails with the reason', () => {
    const dead = fixtureReport([fixtureTarget([], { label: 'dns1', counters: { lost: 10 } })]);
    const r = cmp(dead, 'p99=10%').results[0]!;
    expect(r).toMatchObject({ verdict: 'fail', current: null, baseline: 1000 });
    expect(r.message).toBe('no value to compare (current: dns1 has no answers, so no latency p99)');
  });

  it('matches targets by label, else the baseline\'s only target; otherwise a usage error', () => {
    const two = fixtureReport([fixtureTarget([1], { label: 'a' }), fixtureTarget([1], { label: 'c' })]);
    expect([...matchBaseline([{ label: 'a' }, { label: 'c' }], two, 'b.json')]).toEqual([['a', 'a'], ['c', 'c']]);
    expect([...matchBaseline([{ label: 'x' }, { label: 'y' }], base, 'b.json')]).toEqual([['x', 'dns1'], ['y', 'dns1']]);
    expect(() => matchBaseline([{ label: 'b' }], two, 'b.json')).toThrow(UsageError);
    expect(() => matchBaseline([{ label: 'b' }], two, 'b.json')).toThrow('--baseline b.json: no target labelled "b" to compare with (it has: a, c)');
  });

  it('with several targets each is compared with its own and lines name it', () => {
    const b = fixtureReport([fixtureTarget(constant(100, 1000), { label: 'a' }), fixtureTarget(constant(100, 1000), { label: 'c' })]);
    const cur = fixtureReport([fixtureTarget(constant(100, 1000), { label: 'a' }), fixtureTarget(constant(100, 5000), { label: 'c' })]);
    const s = cmp(cur, 'p99=10%', b);
    expect(renderBaselineLines(s, true).split('\n').map((l) => l.slice(0, 22))).toEqual(['PASS baseline a:p99: 1', 'FAIL baseline c:p99: 5', '']);
  });
});
