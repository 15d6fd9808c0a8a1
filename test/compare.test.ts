// The comparison against the first target: the numbers (ratios, deltas, percentage points) from a
// fixture with known counters, the edge cases where one side answered nothing, and the text table
// that follows the per-target blocks (golden file: deterministic output).
import { describe, expect, it } from 'vitest';
import { compareTargets, lossPct } from '../src/results/compare.js';
import type { TargetReport } from '../src/results/report.js';
import { comparisonRow, renderComparison, formatLatencyDelta } from '../src/report/compare-table.js';
import { renderHuman } from '../src/report/human.js';
import { zeroCounters } from '../src/results/counters.js';
import { mergeReports } from '../src/results/merge-reports.js';
import { vipFixtureReport as fixtureReport } from './support/report-fixtures.js';

describe('compareTargets', () => {
  const report = fixtureReport();
  const [vip, dns1, dns2] = report.targets as [TargetReport, TargetReport, TargetReport];
  const c = compareTargets(report.targets);

  it('compares every target, the first being its own reference', () => {
    expect(c.reference).toBe('vip');
    expect(c.targets.map((t) => t.label)).toEqual(['vip', 'dns1', 'dns2']);
    const base = c.targets[0]!;
    expect(base.qpsRatio).toBe(1);
    expect(base.p50DeltaUs).toBe(0);
    expect(base.p99DeltaPct).toBe(0);
    expect(base.lossDeltaPp).toBe(0);
    expect(base.rcodes.every((r) => r.deltaPp === 0)).toBe(true);
  });

  it('qps ratio, p50/p99 deltas in microseconds and percent', () => {
    const t = c.targets[1]!;
    expect(t.qpsRatio).toBeCloseTo(dns1.qps / vip.qps, 12);
    expect(t.p50Us).toBe(dns1.latency.percentiles.p50);
    expect(t.p50DeltaUs).toBe(dns1.latency.percentiles.p50 - vip.latency.percentiles.p50);
    expect(t.p50DeltaPct).toBeCloseTo((100 * (dns1.latency.percentiles.p50 - vip.latency.percentiles.p50)) / vip.latency.percentiles.p50, 12);
    expect(t.p99DeltaUs).toBe(dns1.latency.percentiles.p99 - vip.latency.percentiles.p99);
    // The fixture's backends answer faster than the VIP in front of them.
    expect(t.p50DeltaUs!).toBeLessThan(0);
  });

  it('loss delta in percentage points, from lost / sent', () => {
    const t = c.targets[2]!;
    const expected = (100 * dns2.counters.lost) / dns2.counters.sent - (100 * vip.counters.lost) / vip.counters.sent;
    expect(t.lossPct).toBeCloseTo(lossPct(dns2), 12);
    expect(t.lossDeltaPp).toBeCloseTo(expected, 12);
    expect(t.lossDeltaPp).toBeGreaterThan(2);
  });

  it('response-code differences: shares of completed, codes only one side saw included', () => {
    const t = c.targets[2]!;
    expect(t.rcodes.map((r) => r.rcode)).toEqual(['NOERROR', 'SERVFAIL', 'NXDOMAIN']);
    const servfail = t.rcodes.find((r) => r.rcode === 'SERVFAIL')!;
    expect(servfail.referenceCount).toBe(0);
    expect(servfail.count).toBe(dns2.rcodes['SERVFAIL']);
    expect(servfail.pct).toBeCloseTo((100 * dns2.rcodes['SERVFAIL']!) / dns2.counters.completed, 12);
    expect(servfail.deltaPp).toBeCloseTo(servfail.pct, 12);
    const shares = t.rcodes.reduce((a, r) => a + r.pct, 0);
    expect(shares).toBeCloseTo(100, 9);
  });

  it('a target that answered nothing has no latency to compare, and a silent reference no ratio', () => {
    const silent: TargetReport = {
      ...vip,
      label: 'dead',
      qps: 0,
      counters: { ...zeroCounters(), sent: 100, lost: 100, timedOut: 100 },
      rcodes: {},
      latency: { ...vip.latency, count: 0 },
    };
    const withDead = compareTargets([vip, silent]).targets[1]!;
    expect(withDead.p50Us).toBeNull();
    expect(withDead.p99DeltaUs).toBeNull();
    expect(withDead.qpsRatio).toBe(0);
    expect(withDead.lossDeltaPp).toBeCloseTo(100 - lossPct(vip), 12);
    const deadFirst = compareTargets([silent, vip]).targets[1]!;
    expect(deadFirst.qpsRatio).toBeNull();
    expect(deadFirst.p50DeltaPct).toBeNull();
    expect(renderComparison(compareTargets([vip, silent]), 200)).toMatch(/dead .*n\/a.*no answers/);
  });
});

describe('comparison table (text)', () => {
  it('is deterministic and matches the golden file', async () => {
    const text = renderComparison(fixtureReport().comparison!, 200);
    expect(renderComparison(fixtureReport().comparison!, 200)).toBe(text);
    await expect(text).toMatchFileSnapshot('./fixtures/golden/comparison.txt');
  });

  // Issue 10 item 12: the full table is 139 columns; a terminal of 80 or 120 wrapped it into noise.
  const widest = (text: string): number => Math.max(...text.split('\n').map((l) => l.length));
  for (const width of [40, 60, 80, 100, 120, 150, 200]) {
    it(`fits ${width} columns and still shows every value`, async () => {
      const c = fixtureReport().comparison!;
      const text = renderComparison(c, width);
      expect(widest(text), text).toBeLessThanOrEqual(width <= 60 ? 80 : width);
      if (width >= 80) expect(widest(text), text).toBeLessThanOrEqual(width);
      for (const [i, t] of c.targets.entries()) {
        const row = comparisonRow(t, i === 0);
        for (const f of ['label', 'qps', 'qpsRatio', 'p50', 'p50Delta', 'p99', 'p99Delta', 'loss', 'lossDelta'] as const) expect(text, f).toContain(row[f]);
        // The response codes may be wrapped at a comma; every code is there.
        for (const code of row.rcodes.split(', ')) expect(text.replace(/\s+│?\s*/g, ' '), code).toContain(code.split(' ')[0]!);
      }
    });
  }
  it('one table when it fits, two below that, one block per target on a very narrow terminal', async () => {
    const c = fixtureReport().comparison!;
    const tables = (t: string): number => t.split('\n').filter((l) => l.startsWith('┌')).length;
    const full = widest(renderComparison(c, 1000));
    expect(tables(renderComparison(c, full))).toBe(1);
    expect(tables(renderComparison(c, full - 1))).toBe(2);
    expect(tables(renderComparison(c, 120))).toBe(2);
    expect(tables(renderComparison(c, 80))).toBe(2);
    expect(tables(renderComparison(c, 60))).toBe(0);
    await expect(renderComparison(c, 80)).toMatchFileSnapshot('./fixtures/golden/comparison-80.txt');
    await expect(renderComparison(c, 60)).toMatchFileSnapshot('./fixtures/golden/comparison-60.txt');
  });

  it('follows the per-target blocks and precedes the notes in the human view', () => {
    const report = { ...fixtureReport(), notes: ['a note'] };
    const out = renderHuman(report);
    const table = out.indexOf('Comparison against vip (127.0.0.1:5300):');
    expect(table).toBeGreaterThan(out.lastIndexOf('Statistics:'));
    expect(out.indexOf('Note: a note')).toBeGreaterThan(table);
    // Interleaved runs print one header for all targets, so each block is named.
    expect(out).toContain('=== dns2 ([::1]:5302) ===');
    // No table for a single target.
    expect(renderHuman({ ...report, targets: report.targets.slice(0, 1), comparison: undefined })).not.toContain('Comparison against');
  });

  it('formats deltas with their sign, and n/a when a side has no latency', () => {
    expect(formatLatencyDelta(-110, -52.38)).toBe('-110us (-52.4%)');
    expect(formatLatencyDelta(1500, 12)).toBe('+1.5ms (+12.0%)');
    expect(formatLatencyDelta(5, null)).toBe('+5us');
    expect(formatLatencyDelta(null, null)).toBe('n/a');
  });
});

describe('comparison in merged reports', () => {
  it('dnsbench merge derives it from the merged targets, not from the inputs', () => {
    const a = fixtureReport();
    const b = fixtureReport();
    b.machine = { ...b.machine, hostname: 'bench2' };
    const merged = mergeReports(
      [
        { file: 'a.json', report: a },
        { file: 'b.json', report: b },
      ],
      { force: false, title: null, command: ['dnsbench', 'merge'] },
    );
    expect(merged.targets[0]!.counters.sent).toBe(2 * a.targets[0]!.counters.sent);
    expect(merged.comparison).toEqual(compareTargets(merged.targets));
    expect(merged.comparison!.reference).toBe('vip');
  });
});
