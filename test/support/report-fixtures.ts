// The one report fixture builder. Reports built from known latency samples (gate, baseline,
// merge and renderer tests: every number is known in advance, so tests assert exact values), and
// a deterministic three-target "VIP vs backends" report (vipFixtureReport) for the renderers'
// golden files and escaping tests. Both go through the builders a live run uses (targetReport,
// buildReport), so they carry a comparison exactly as real reports do.
import { zeroCounters, type Counters, type RcodeCounts } from '../../src/results/counters.js';
import { encodeHistogram, newHistogram } from '../../src/results/histogram.js';
import { addSums, emptySums, type IntervalData, type RunData } from '../../src/results/model.js';
import { buildReport, targetReport } from '../../src/results/build.js';
import type { Report, ReportConfig, TargetReport } from '../../src/results/report.js';

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

/** A complete ReportConfig (a one-target, 1 s, UDP run) with `o` laid over it. */
export function fixtureConfig(o: Partial<ReportConfig> = {}): ReportConfig {
  return {
    targets: [{ label: 'dns1', host: '127.0.0.1', port: 5353, family: 4, spec: '127.0.0.1:5353' }],
    mode: 'sequential',
    queryFile: 'queries.txt',
    timeLimitSec: 1,
    passes: null,
    threads: 1,
    sockets: 1,
    outstanding: 100,
    maxQps: null,
    timeoutSec: 5,
    statsIntervalSec: null,
    intervalSec: 1,
    encode: { recursionDesired: true, edns: null },
    bufferKB: null,
    localAddresses: [],
    localPort: null,
    transport: {
      mode: 'udp', tcpFallback: false, tsig: null, nsid: false,
      tls: { insecure: false, caFile: null, sni: null }, doh: { path: '/dns-query', authority: null, method: 'GET' },
    },
    verbose: false,
    quiet: false,
    json: null,
    title: null,
    html: null,
    csv: null,
    gating: { gates: [], baseline: null, maxRegression: null, repeat: 1, junit: null, markdown: null },
    split: '1 worker(s), 1 socket(s), 100 outstanding in total: worker 0: 1 socket(s), 100 outstanding',
    ...o,
  };
}

export function fixtureReport(
  targets: TargetReport[],
  o: { sha256?: string; source?: string; hostname?: string; title?: string | null; intervalSec?: number } = {},
): Report {
  const start = Math.min(...targets.map((t) => t.timing.startedAtMs));
  const end = Math.max(...targets.map((t) => t.timing.endedAtMs));
  return buildReport({
    tool: { name: 'dnsbench', version: '0.1.0' },
    title: o.title ?? null,
    command: ['dnsbench', '-s', '127.0.0.1:5353'],
    startedAt: new Date(start).toISOString(),
    endedAt: new Date(end).toISOString(),
    machine: { hostname: o.hostname ?? 'gen1', platform: 'linux', release: '6', arch: 'x64', cpus: 2, cpuModel: 'test', memoryBytes: 1, node: 'v20' },
    config: fixtureConfig({ intervalSec: o.intervalSec ?? 1 }),
    querySet: { source: o.source ?? 'queries.txt', count: 100, sha256: o.sha256 ?? SHA_A },
    mode: 'sequential',
    targets,
    notes: [],
  });
}

/** n samples spread deterministically over [lo, hi] (a skewed, long-tailed set when tail > 0). */
export function samples(n: number, lo: number, hi: number, seed = 1): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((i * 7919 + seed * 104_729) % (hi - lo + 1)));
}

// --- the VIP-and-backends report -------------------------------------------------------------

export const HOSTILE_TITLE = `<script>alert(1)</script> & "quoted" 'single' </script><!--`;
export const HOSTILE_LABELS = ['</script><script>alert(2)</script>', `a"b'c&d,e`, '<img src=x onerror=alert(3)>'];

const T0 = Date.UTC(2025, 0, 15, 9, 30, 0);


/** Park-Miller: the same sequence on every machine. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 48271) % 2147483647;
    return s / 2147483647;
  };
}

interface Shape {
  label: string;
  host: string;
  port: number;
  seed: number;
  /** Median-ish latency (us) and how heavy the tail is. */
  baseUs: number;
  tail: number;
  perInterval: number;
  lossEvery: number;
  /** Share of answers that are NXDOMAIN / SERVFAIL (per 1000). */
  nxPerMille: number;
  servfailPerMille: number;
}

function vipSums(samples: readonly number[]): RunData['latency'] {
  let s = emptySums();
  for (const v of samples) s = addSums(s, { count: 1, min: v, max: v, sum: v, sumSquares: v * v });
  return s;
}

function vipTargetData(x: Shape, startMs: number): RunData {
  const rnd = lcg(x.seed);
  const total = newHistogram();
  const counters: Counters = zeroCounters();
  const rcodes: RcodeCounts = {};
  const all: number[] = [];
  const intervals: IntervalData[] = [];
  const INTERVALS = 3;
  for (let i = 0; i < INTERVALS; i++) {
    const h = newHistogram();
    const c = zeroCounters();
    const r: RcodeCounts = {};
    for (let k = 0; k < x.perInterval; k++) {
      c.sent++;
      c.requestBytes += 32;
      if ((i * x.perInterval + k) % x.lossEvery === x.lossEvery - 1) {
        c.lost++;
        c.timedOut++;
        continue;
      }
      const u = rnd();
      const us = Math.round(x.baseUs * (0.5 + u) + (u > 0.98 ? x.tail * (u - 0.98) * 50 : 0));
      h.recordValue(us);
      all.push(us);
      c.completed++;
      c.responseBytes += 64;
      const code = u * 1000 < x.servfailPerMille ? 'SERVFAIL' : u * 1000 < x.servfailPerMille + x.nxPerMille ? 'NXDOMAIN' : 'NOERROR';
      r[code] = (r[code] ?? 0) + 1;
    }
    total.add(h);
    for (const k of Object.keys(c) as Array<keyof Counters>) counters[k] += c[k];
    for (const [k, v] of Object.entries(r)) rcodes[k] = (rcodes[k] ?? 0) + v;
    // The last interval is a partial one, as in a real run.
    const durationMs = i === INTERVALS - 1 ? 500 : 1000;
    intervals.push({ index: i, startMs: startMs + i * 1000, durationMs, counters: c, rcodes: r, histogram: encodeHistogram(h) });
  }
  return {
    counters,
    rcodes,
    latency: vipSums(all),
    histogram: encodeHistogram(total),
    corrected: null,
    intervals,
    startedAt: startMs,
    sendEndedAt: startMs + 2500,
    lastCompletionAt: startMs + 2500.5,
    endedAt: startMs + 2501,
  };
}

/** Three targets (a VIP and two backends) from seeded samples; `hostile` puts markup into every user-supplied string. */
export function vipFixtureReport(o: { hostile?: boolean; mode?: Report['mode'] } = {}): Report {
  const hostile = o.hostile === true;
  const mode = o.mode ?? 'interleave';
  const shapes: Shape[] = [
    { label: 'vip', host: '127.0.0.1', port: 5300, seed: 1, baseUs: 420, tail: 9000, perInterval: 3000, lossEvery: 500, nxPerMille: 20, servfailPerMille: 0 },
    { label: 'dns1', host: '127.0.0.1', port: 5301, seed: 2, baseUs: 210, tail: 4000, perInterval: 3000, lossEvery: 1000, nxPerMille: 20, servfailPerMille: 0 },
    { label: 'dns2', host: '::1', port: 5302, seed: 3, baseUs: 260, tail: 30000, perInterval: 2400, lossEvery: 40, nxPerMille: 20, servfailPerMille: 15 },
  ];
  if (hostile) shapes.forEach((s, i) => (s.label = HOSTILE_LABELS[i]!));
  const targets = shapes.map((s, i) => {
    // Sequential runs start one after another; interleaved ones together.
    const start = mode === 'interleave' ? T0 : T0 + i * 3000;
    return targetReport({ label: s.label, host: s.host, port: s.port }, vipTargetData(s, start), {
      targetQps: null,
      sockets: [{ local: `${s.host.includes(':') ? '[::1]' : '127.0.0.1'}:${40000 + i}`, remote: s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}` }],
    });
  });
  const source = hostile ? 'queries <b>&amp; "list".txt' : 'querysets/demo.txt';
  return buildReport({
    tool: { name: 'dnsbench', version: '0.1.0' },
    title: hostile ? HOSTILE_TITLE : 'VIP vs backends',
    command: ['dnsbench', ...shapes.flatMap((s) => ['-s', `${s.label}=${s.host}:${s.port}`]), '-d', source, '-l', '2.5', ...(mode === 'interleave' ? ['--interleave'] : [])],
    startedAt: new Date(T0).toISOString(),
    endedAt: new Date(T0 + (mode === 'interleave' ? 2600 : 8600)).toISOString(),
    machine: { hostname: 'bench1', platform: 'linux', release: '6.1.0-test', arch: 'x64', cpus: 2, cpuModel: 'Test CPU @ 2.0GHz', memoryBytes: 8 * 2 ** 30, node: 'v20.19.0' },
    config: fixtureConfig({ timeLimitSec: 2.5, queryFile: source, mode }),
    querySet: { source, count: 1005, sha256: 'a'.repeat(64) },
    mode,
    targets,
    notes: hostile ? ['Note with <b>markup</b> & "quotes" </script>'] : [],
  });
}
