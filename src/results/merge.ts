// The one place partial results are merged: worker partials into a target's result, and (for
// `dnsbench merge`) whole runs into one. Counters add, histograms add bucket by bucket (exact),
// time bounds take min/max. Never an average of averages.
import { addCounters, addRcodes, zeroCounters } from './counters.js';
import { encodeHistogram, mergeEncoded } from './histogram.js';
import { addChannelFacts, addSums, emptySums, type IntervalData, type PacingData, type RunData } from './model.js';
import { mergeTransport } from './transport.js';
import { mergeTallies } from './tally.js';
import { mergeChecks } from './checks.js';

/** Several encoded HDR histograms as one (exact: bucket counts add); '' when all are empty. */
export function mergeHistograms(encoded: readonly string[]): string {
  const nonEmpty = encoded.filter((e) => e !== '');
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? '';
  return encodeHistogram(mergeEncoded(nonEmpty));
}

/**
 * Merge intervals that cover the same time slot. `key` decides what "the same slot" is: the
 * interval index within one run, or the wall-clock slot when merging runs from several hosts.
 */
export function mergeIntervals(lists: readonly (readonly IntervalData[])[], key: (i: IntervalData) => number = (i) => i.index): IntervalData[] {
  const groups = new Map<number, IntervalData[]>();
  for (const list of lists) for (const iv of list) {
    const k = key(iv);
    const g = groups.get(k);
    if (g) g.push(iv);
    else groups.set(k, [iv]);
  }
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, g]) => {
      const withNsid = g.filter((i) => i.nsid !== undefined);
      return {
        index: g[0]!.index,
        startMs: Math.min(...g.map((i) => i.startMs)),
        durationMs: Math.max(...g.map((i) => i.durationMs)),
        counters: g.reduce((c, i) => addCounters(c, i.counters), zeroCounters()),
        rcodes: g.reduce((r, i) => addRcodes(r, i.rcodes), {}),
        histogram: mergeHistograms(g.map((i) => i.histogram)),
        ...(withNsid.length > 0 ? { nsid: mergeTallies(withNsid.map((i) => i.nsid)) } : {}),
      };
    });
}

/** Merge pacing results (absent parts contribute nothing); undefined when no part was paced. */
export function mergePacing(parts: readonly (PacingData | undefined)[]): PacingData | undefined {
  const present = parts.filter((p): p is PacingData => p !== undefined);
  if (present.length === 0) return undefined;
  return {
    skipped: present.reduce((s, p) => s + p.skipped, 0),
    skippedWindowFull: present.reduce((s, p) => s + p.skippedWindowFull, 0),
    windowFullMs: present.reduce((s, p) => s + p.windowFullMs, 0),
    lag: present.reduce((s, p) => addSums(s, p.lag), emptySums()),
    lagHistogram: mergeHistograms(present.map((p) => p.lagHistogram)),
  };
}

/** One RunData from several (workers of one run, or runs from several hosts). Throws on an empty list. */
export function mergeRunData(parts: readonly RunData[], intervalKey?: (i: IntervalData) => number): RunData {
  if (parts.length === 0) throw new Error('mergeRunData needs at least one part');
  const corrected = parts.map((p) => p.corrected).filter((c) => c !== null);
  const completions = parts.map((p) => p.lastCompletionAt).filter((t) => t > 0);
  const pacing = mergePacing(parts.map((p) => p.pacing));
  const checks = mergeChecks(parts.map((p) => p.checks));
  const channels = addChannelFacts(parts.map((p) => p.channels));
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
    ...(pacing ? { pacing } : {}),
    ...(checks ? { checks } : {}),
    ...(channels ? { channels } : {}),
  };
}
