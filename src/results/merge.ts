// The one place partial results are merged: worker partials into a target's result, and (for
// `dnsbench merge`) whole runs into one. Counters add, histograms add bucket by bucket (exact),
// time bounds take min/max. Never an average of averages.
import type { LatencySums, WorkerInterval, WorkerPartial } from '../engine/protocol.js';
import { addCounters, addRcodes, zeroCounters } from './counters.js';
import { encodeHistogram, mergeEncoded } from './histogram.js';
import { mergeTransport } from './transport.js';

/** The additive form of one target's results (what a worker reports; what merges). */
export type RunData = WorkerPartial;

export function emptySums(): LatencySums {
  return { count: 0, min: Infinity, max: 0, sum: 0, sumSquares: 0 };
}

export function addSums(a: LatencySums, b: LatencySums): LatencySums {
  return {
    count: a.count + b.count,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    sum: a.sum + b.sum,
    sumSquares: a.sumSquares + b.sumSquares,
  };
}

function mergeHistograms(encoded: string[]): string {
  const nonEmpty = encoded.filter((e) => e !== '');
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? '';
  return encodeHistogram(mergeEncoded(nonEmpty));
}

/**
 * Merge intervals that cover the same time slot. `key` decides what "the same slot" is: the
 * interval index within one run, or the wall-clock slot when merging runs from several hosts.
 */
export function mergeIntervals(lists: WorkerInterval[][], key: (i: WorkerInterval) => number = (i) => i.index): WorkerInterval[] {
  const groups = new Map<number, WorkerInterval[]>();
  for (const list of lists) for (const iv of list) {
    const k = key(iv);
    const g = groups.get(k);
    if (g) g.push(iv);
    else groups.set(k, [iv]);
  }
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, g]) => ({
      index: g[0]!.index,
      startMs: Math.min(...g.map((i) => i.startMs)),
      durationMs: Math.max(...g.map((i) => i.durationMs)),
      counters: g.reduce((c, i) => addCounters(c, i.counters), zeroCounters()),
      rcodes: g.reduce((r, i) => addRcodes(r, i.rcodes), {}),
      histogram: mergeHistograms(g.map((i) => i.histogram)),
    }));
}

export function mergeRunData(parts: readonly RunData[], intervalKey?: (i: WorkerInterval) => number): RunData {
  if (parts.length === 0) throw new Error('mergeRunData needs at least one part');
  const corrected = parts.map((p) => p.corrected).filter((c) => c !== null);
  const completions = parts.map((p) => p.lastCompletionAt).filter((t) => t > 0);
  return {
    counters: parts.reduce((c, p) => addCounters(c, p.counters), zeroCounters()),
    rcodes: parts.reduce((r, p) => addRcodes(r, p.rcodes), {}),
    latency: parts.reduce((s, p) => addSums(s, p.latency), emptySums()),
    histogram: mergeHistograms(parts.map((p) => p.histogram)),
    corrected:
      corrected.length === 0
        ? null
        : {
            sums: corrected.reduce((s, c) => addSums(s, c.sums), emptySums()),
            histogram: mergeHistograms(corrected.map((c) => c.histogram)),
          },
    intervals: mergeIntervals(parts.map((p) => p.intervals), intervalKey),
    startedAt: Math.min(...parts.map((p) => p.startedAt)),
    sendEndedAt: Math.max(...parts.map((p) => p.sendEndedAt)),
    lastCompletionAt: completions.length === 0 ? 0 : Math.max(...completions),
    endedAt: Math.max(...parts.map((p) => p.endedAt)),
    ...mergeTransport(parts),
  };
}
