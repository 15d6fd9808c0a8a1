// A failover drill as a report, built from a known interval series (no servers): 4 s in 0.1 s
// intervals at 50 queries each, d1 answering until an event at 1.0 s, nothing answered from
// 1.03 s to 1.35 s, then d2 (with a latency spike), and d1 again from 2.9 s. Every number the
// timeline finds is known in advance, so the timeline, text, HTML and gate tests assert exact values.
import { zeroCounters, type Counters } from '../../src/results/counters.js';
import { encodeHistogram, newHistogram } from '../../src/results/histogram.js';
import type { IntervalData, RunData } from '../../src/results/model.js';
import { addSample, emptySums } from '../../src/results/model.js';
import { buildReport, targetReport } from '../../src/results/build.js';
import type { EventRecord } from '../../src/results/ops.js';
import type { Report } from '../../src/results/report.js';
import { withOpsSections } from '../../src/results/ops-report.js';
import { fixtureConfig } from './report-fixtures.js';

export const T0 = 1_700_000_000_000;
export const PER_INTERVAL = 50;
export const INTERVAL_MS = 100;
export const INTERVALS = 40;

/** Interval i's answered count and identity (the drill above). */
export function drillInterval(i: number): { answered: number; id: string | null; latencyUs: number } {
  const from = 1030;
  const to = 1350;
  const a = i * INTERVAL_MS;
  const b = a + INTERVAL_MS;
  // Queries are sent evenly: the share of the interval outside [from, to) is answered.
  const lostMs = Math.max(0, Math.min(b, to) - Math.max(a, from));
  const answered = Math.round(PER_INTERVAL * (1 - lostMs / INTERVAL_MS));
  const id = answered === 0 ? null : a < from ? 'd1' : a >= 2900 ? 'd1' : 'd2';
  // A latency spike right after the takeover (degraded), else 300 µs.
  const latencyUs = i >= 14 && i <= 15 ? 40_000 : 300;
  return { answered, id, latencyUs };
}

function drillRunData(o: { label: string; hostile?: boolean }): RunData {
  const intervals: IntervalData[] = [];
  const total = newHistogram();
  const lat = emptySums();
  const counters: Counters = zeroCounters();
  for (let i = 0; i < INTERVALS; i++) {
    const d = drillInterval(i);
    const h = newHistogram(2);
    for (let k = 0; k < d.answered; k++) {
      h.recordValue(d.latencyUs);
      total.recordValue(d.latencyUs);
      addSample(lat, d.latencyUs);
    }
    const c: Counters = { ...zeroCounters(), sent: PER_INTERVAL, completed: d.answered, lost: PER_INTERVAL - d.answered, timedOut: PER_INTERVAL - d.answered };
    for (const k of ['sent', 'completed', 'lost', 'timedOut'] as const) counters[k] += c[k];
    const id = d.id === null ? null : o.hostile && d.id === 'd2' ? '<img src=x onerror=alert(4)>' : d.id;
    intervals.push({
      index: i,
      startMs: T0 + i * INTERVAL_MS,
      durationMs: INTERVAL_MS,
      counters: c,
      rcodes: d.answered > 0 ? { NOERROR: d.answered } : {},
      histogram: d.answered > 0 ? encodeHistogram(h) : '',
      ...(id !== null ? { nsid: { [id]: d.answered } } : {}),
    });
  }
  return {
    counters,
    rcodes: { NOERROR: counters.completed },
    latency: lat,
    histogram: encodeHistogram(total),
    corrected: null,
    intervals,
    startedAt: T0,
    sendEndedAt: T0 + INTERVALS * INTERVAL_MS,
    lastCompletionAt: T0 + INTERVALS * INTERVAL_MS,
    endedAt: T0 + INTERVALS * INTERVAL_MS + 1,
  };
}

/** The drill's events: port down at 1.0 s (started 1.02 s in), port up at 2.5 s. */
export function drillEvents(hostile = false): EventRecord[] {
  return [
    { atSec: 1, command: hostile ? 'ip link set p-d1 down </script><script>alert(5)</script>' : 'ip -n lab-sw link set p-d1 down', startedAtMs: T0 + 1020, endedAtMs: T0 + 1025, exitCode: 0, signal: null, timedOut: false, output: '', error: null },
    { atSec: 2.5, command: 'ip -n lab-sw link set p-d1 up', startedAtMs: T0 + 2500, endedAtMs: T0 + 2504, exitCode: 0, signal: null, timedOut: false, output: '', error: null },
  ];
}

/** The drill as a complete report (one target, or a second identical one), timeline included. */
export function drillReport(o: { hostile?: boolean; targets?: number; outageBelowPct?: number } = {}): Report {
  const labels = ['vip', 'vip2'].slice(0, o.targets ?? 1);
  const targets = labels.map((label) =>
    targetReport({ label, host: '198.18.0.100', port: 53 }, drillRunData({ label, hostile: o.hostile ?? false }), {
      targetQps: 500,
      sockets: [{ local: '198.18.0.200:40000', remote: '198.18.0.100:53' }],
    }),
  );
  const report = buildReport({
    tool: { name: 'dnsbench', version: '0.1.0' },
    title: o.hostile ? '<script>alert(6)</script>' : 'VRRP drill',
    command: ['dnsbench', '-s', '198.18.0.100', '--interval', '0.1', '--nsid'],
    startedAt: new Date(T0).toISOString(),
    endedAt: new Date(T0 + 4001).toISOString(),
    machine: { hostname: 'client', platform: 'linux', release: '6', arch: 'x64', cpus: 2, cpuModel: 'test', memoryBytes: 1, node: 'v20' },
    config: {
      ...fixtureConfig({ intervalSec: 0.1 }),
      ops: {
        events: drillEvents(o.hostile).map((e) => ({ atSec: e.atSec, command: e.command })),
        outageBelowPct: o.outageBelowPct ?? 50, degradedAboveUs: null, expect: false, expectFile: null, rrsetOrder: false, watchSerial: null, timeline: true,
      },
    },
    querySet: { source: 'q.txt', count: 3, sha256: 'c'.repeat(64) },
    mode: 'sequential',
    targets,
    notes: [],
    intervalBasis: 'sent',
  });
  return withOpsSections(report, { events: drillEvents(o.hostile), serials: null, timeline: true });
}
