// Reports built from known latency samples, for gate, baseline, merge and renderer tests: every
// number in them is known in advance, so tests can assert exact values.
import { zeroCounters, type Counters, type RcodeCounts } from '../../src/results/counters.js';
import { encodeHistogram, newHistogram } from '../../src/results/histogram.js';
import type { RunData } from '../../src/results/merge.js';
import { SCHEMA_ID, SCHEMA_VERSION, targetReport, type Report, type TargetReport } from '../../src/results/report.js';

export interface FixtureOptions {
  /** Epoch ms of the first send. Default 1.7e12. */
  t0?: number;
  /** Length of the run (sending) in ms. Default 1000. */
  durationMs?: number;
  /** Interval length for the series; samples are spread evenly over the intervals. Default 1000. */
  intervalMs?: number;
  /** Extra counters (sent defaults to completed + lost). */
  counters?: Partial<Counters>;
  rcodes?: RcodeCounts;
  /** Corrected (-Q) latency samples, or none. */
  corrected?: number[];
  label?: string;
  host?: string;
  port?: number;
  targetQps?: number | null;
}

function sums(samples: readonly number[]): RunData['latency'] {
  return {
    count: samples.length,
    min: samples.length > 0 ? Math.min(...samples) : Infinity,
    max: samples.length > 0 ? Math.max(...samples) : 0,
    sum: samples.reduce((a, b) => a + b, 0),
    sumSquares: samples.reduce((a, b) => a + b * b, 0),
  };
}

function histogramOf(samples: readonly number[]): string {
  if (samples.length === 0) return '';
  const h = newHistogram();
  for (const s of samples) h.recordValue(s);
  return encodeHistogram(h);
}

export function fixtureRunData(samples: readonly number[], o: FixtureOptions = {}): RunData {
  const t0 = o.t0 ?? 1_700_000_000_000;
  const durationMs = o.durationMs ?? 1000;
  const intervalMs = o.intervalMs ?? 1000;
  const lost = o.counters?.lost ?? 0;
  const counters: Counters = {
    ...zeroCounters(),
    completed: samples.length,
    lost,
    timedOut: lost,
    sent: samples.length + lost,
    requestBytes: 30 * (samples.length + lost),
    responseBytes: 60 * samples.length,
    ...o.counters,
  };
  const rcodes = o.rcodes ?? (samples.length > 0 ? { NOERROR: samples.length } : {});
  const n = Math.max(1, Math.ceil(durationMs / intervalMs));
  const per = Math.ceil(samples.length / n);
  const intervals = Array.from({ length: n }, (_, i) => {
    const part = samples.slice(i * per, (i + 1) * per);
    return {
      index: i,
      startMs: t0 + i * intervalMs,
      durationMs: Math.min(intervalMs, durationMs - i * intervalMs),
      counters: { ...zeroCounters(), sent: part.length, completed: part.length },
      rcodes: (part.length > 0 ? { NOERROR: part.length } : {}) as RcodeCounts,
      histogram: histogramOf(part),
    };
  });
  return {
    counters,
    rcodes,
    latency: sums(samples),
    histogram: histogramOf(samples),
    corrected: o.corrected ? { sums: sums(o.corrected), histogram: histogramOf(o.corrected) } : null,
    intervals,
    startedAt: t0,
    sendEndedAt: t0 + durationMs,
    lastCompletionAt: samples.length > 0 ? t0 + durationMs : 0,
    endedAt: t0 + durationMs + 1,
  };
}

export function fixtureTarget(samples: readonly number[], o: FixtureOptions = {}): TargetReport {
  const label = o.label ?? 'dns1';
  return targetReport({ label, host: o.host ?? '127.0.0.1', port: o.port ?? 5353 }, fixtureRunData(samples, o), {
    targetQps: o.targetQps ?? null,
    sockets: [{ local: '127.0.0.1:40000', remote: `${o.host ?? '127.0.0.1'}:${o.port ?? 5353}` }],
  });
}

export const SHA_A = 'a'.repeat(64);
export const SHA_B = 'b'.repeat(64);

export function fixtureReport(
  targets: TargetReport[],
  o: { sha256?: string; source?: string; hostname?: string; title?: string | null; intervalSec?: number } = {},
): Report {
  const start = Math.min(...targets.map((t) => t.timing.startedAtMs));
  const end = Math.max(...targets.map((t) => t.timing.endedAtMs));
  return {
    $schema: SCHEMA_ID,
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'dnsbench', version: '0.1.0' },
    title: o.title ?? null,
    command: ['dnsbench', '-s', '127.0.0.1:5353'],
    startedAt: new Date(start).toISOString(),
    endedAt: new Date(end).toISOString(),
    machine: { hostname: o.hostname ?? 'gen1', platform: 'linux', release: '6', arch: 'x64', cpus: 2, cpuModel: 'test', memoryBytes: 1, node: 'v20' },
    config: { intervalSec: o.intervalSec ?? 1, timeLimitSec: 1 },
    querySet: { source: o.source ?? 'queries.txt', count: 100, sha256: o.sha256 ?? SHA_A },
    mode: 'sequential',
    targets,
    notes: [],
  };
}

/** n samples spread deterministically over [lo, hi] (a skewed, long-tailed set when tail > 0). */
export function samples(n: number, lo: number, hi: number, seed = 1): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((i * 7919 + seed * 104_729) % (hi - lo + 1)));
}
