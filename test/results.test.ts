// Merging is exact: counters add, and percentiles of merged histograms equal those of one
// histogram that saw every sample. The dnsperf block is byte-for-byte dnsperf's layout.
import { describe, expect, it } from 'vitest';
import { encodeHistogram, newHistogram, decodeHistogram } from '../src/results/histogram.js';
import { mergeRunData } from '../src/results/merge.js';
import { zeroCounters } from '../src/results/counters.js';
import { targetReport, runDataOf } from '../src/results/build.js';
import { renderStatistics } from '../src/report/text.js';
import type { RunData as WorkerPartial } from '../src/results/model.js';

function partial(samples: number[], extra: Partial<ReturnType<typeof zeroCounters>> = {}, t0 = 1_000_000): WorkerPartial {
  const h = newHistogram();
  for (const s of samples) h.recordValue(s);
  const counters = { ...zeroCounters(), sent: samples.length, completed: samples.length, ...extra };
  return {
    counters,
    rcodes: { NOERROR: samples.length },
    latency: {
      count: samples.length,
      min: Math.min(...samples),
      max: Math.max(...samples),
      sum: samples.reduce((a, b) => a + b, 0),
      sumSquares: samples.reduce((a, b) => a + b * b, 0),
    },
    histogram: encodeHistogram(h),
    corrected: null,
    intervals: [{ index: 0, startMs: t0, durationMs: 1000, counters, rcodes: { NOERROR: samples.length }, histogram: encodeHistogram(h) }],
    startedAt: t0,
    sendEndedAt: t0 + 1000,
    lastCompletionAt: t0 + 1000,
    endedAt: t0 + 1001,
  };
}

describe('merge', () => {
  // Deterministic, skewed samples (a long tail) split unevenly across three "workers".
  const all = Array.from({ length: 30_000 }, (_, i) => 20 + ((i * 7919) % 997) + (i % 101 === 0 ? 50_000 + i : 0));
  const parts = [all.slice(0, 5000), all.slice(5000, 21_000), all.slice(21_000)];

  it('percentiles of the merge equal those of one histogram holding all samples', () => {
    const merged = mergeRunData(parts.map((p) => partial(p)));
    const one = newHistogram();
    for (const s of all) one.recordValue(s);
    const m = decodeHistogram(merged.histogram);
    expect(m.totalCount).toBe(all.length);
    for (const p of [50, 90, 99, 99.9, 99.99, 100]) expect(m.getValueAtPercentile(p)).toBe(one.getValueAtPercentile(p));
    expect(merged.latency.count).toBe(all.length);
    expect(merged.latency.min).toBe(Math.min(...all));
    expect(merged.latency.max).toBe(Math.max(...all));
    expect(merged.counters.completed).toBe(all.length);
    expect(merged.rcodes['NOERROR']).toBe(all.length);
    expect(merged.intervals).toHaveLength(1);
    expect(merged.intervals[0]!.counters.completed).toBe(all.length);
  });

  it('round-trips through the saved report form without loss', () => {
    const data = mergeRunData(parts.map((p) => partial(p)));
    const rep = targetReport({ label: 'x', host: '127.0.0.1', port: 53 }, data, { targetQps: null, sockets: [] });
    const back = runDataOf(JSON.parse(JSON.stringify(rep)));
    expect(back.counters).toEqual(data.counters);
    expect(back.latency).toEqual(data.latency);
    expect(decodeHistogram(back.histogram).getValueAtPercentile(99.9)).toBe(decodeHistogram(data.histogram).getValueAtPercentile(99.9));
  });

  it('mean and stddev come from exact sums', () => {
    const rep = targetReport({ label: 'x', host: '127.0.0.1', port: 53 }, mergeRunData([partial([100, 200, 300])]), { targetQps: null, sockets: [] });
    expect(rep.latency.mean).toBe(200);
    expect(rep.latency.stddev).toBeCloseTo(100, 10); // sample stddev, as dnsperf
  });
});

describe('dnsperf statistics block', () => {
  it('matches dnsperf label for label, space for space', () => {
    const data = partial([87, 500, 25_136], { sent: 5, completed: 3, lost: 2, timedOut: 2, requestBytes: 160, responseBytes: 93 });
    data.rcodes = { NXDOMAIN: 1, NOERROR: 2 };
    data.startedAt = 0;
    data.sendEndedAt = 3000.052;
    data.lastCompletionAt = 2999;
    const t = targetReport({ label: 'x', host: '127.0.0.1', port: 53 }, data, { targetQps: null, sockets: [] });
    expect(renderStatistics(t)).toBe(
      [
        'Statistics:',
        '',
        '  Queries sent:         5',
        '  Queries completed:    3 (60.00%)',
        '  Queries lost:         2 (40.00%)',
        '',
        '  Response codes:       NOERROR 2 (66.67%), NXDOMAIN 1 (33.33%)',
        '  Average packet size:  request 32, response 31',
        '  Run time (s):         3.000052',
        '  Queries per second:   0.999983',
        '',
        '  Average Latency (s):  0.008574 (min 0.000087, max 0.025136)',
        '  Latency StdDev (s):   0.014344',
        '',
        '',
      ].join('\n'),
    );
  });
  it('adds "Queries interrupted" after lost only when there were any', () => {
    const data = partial([100], { sent: 4, completed: 1, interrupted: 3 });
    const text = renderStatistics(targetReport({ label: 'x', host: 'h', port: 1 }, data, { targetQps: null, sockets: [] }));
    expect(text).toMatch(/  Queries lost:         0 \(0\.00%\)\n  Queries interrupted:  3 \(75\.00%\)\n/);
  });
});
