// Whole saved runs -> one report (`dnsbench merge`), e.g. the same benchmark run from several
// load generators at once. Exact: each target's RunData (counters, sums, HDR histograms) is
// recovered from its report and merged by mergeRunData, so the merged percentiles are those of
// one histogram holding every sample. Intervals align on wall-clock time, the run spans the union
// of the runs' times, and qps is total completed over that span.
import { UsageError } from '../errors.js';
import type { MergedFrom } from './sections.js';
import { VERSION } from '../version.js';
import { mergeRunData } from './merge.js';
import type { Report, TargetReport } from './report.js';
import { buildReport, runDataOf, targetReport } from './build.js';
import { timelineOf } from './timeline.js';
import { timelineOptions } from './ops-report.js';
import { completeSegmentsFileQueries, mergedFromEntry, segmentProblems, skewNote, startSkew } from './segments.js';

export interface MergeInput {
  file: string;
  report: Report;
}

const intervalMsOf = (r: Report): number => {
  const s = r.config.intervalSec;
  return typeof s === 'number' && s > 0 ? s * 1000 : 1000;
};

const targetKey = (t: TargetReport): string => `${t.label} (${t.server})`;

/**
 * Why these runs are not parts of one benchmark (empty when they are): different targets,
 * different query sets, different interval lengths, or the same run given twice.
 */
export function mergeProblems(inputs: readonly MergeInput[]): string[] {
  const problems: string[] = [];
  const [first, ...rest] = inputs;
  if (!first) return problems;
  const keys = (r: Report): string => r.targets.map(targetKey).sort().join(', ');
  for (const x of rest) {
    if (keys(x.report) !== keys(first.report)) {
      problems.push(`${x.file} benchmarks other targets than ${first.file} (${keys(x.report) || 'none'} vs ${keys(first.report) || 'none'})`);
    }
    if (x.report.querySet.sha256 !== first.report.querySet.sha256) {
      problems.push(
        `${x.file} used another query set than ${first.file} (${x.report.querySet.source}, sha256 ${x.report.querySet.sha256.slice(0, 12)} vs ` +
          `${first.report.querySet.source}, sha256 ${first.report.querySet.sha256.slice(0, 12)})`,
      );
    }
    if ((x.report.intervalBasis ?? 'detected') !== (first.report.intervalBasis ?? 'detected')) {
      problems.push(`${x.file} counts interval outcomes ${x.report.intervalBasis === 'sent' ? 'by send time' : 'when detected'}, ${first.file} ${first.report.intervalBasis === 'sent' ? 'by send time' : 'when detected'} (made by different dnsbench versions)`);
    }
    if (intervalMsOf(x.report) !== intervalMsOf(first.report)) {
      problems.push(`${x.file} has ${intervalMsOf(x.report) / 1000} s intervals, ${first.file} ${intervalMsOf(first.report) / 1000} s, so the series cannot align`);
    }
  }
  // The same run twice would count every query twice.
  const seen = new Map<string, string>();
  for (const x of inputs) {
    const id = `${x.report.machine.hostname}|${x.report.startedAt}|${x.report.targets.map((t) => `${t.timing.startedAtMs}:${t.counters.sent}`).join(',')}`;
    const prev = seen.get(id);
    if (prev !== undefined) problems.push(`${x.file} is the same run as ${prev} (same host, start time and counts); merging it would count its queries twice`);
    else seen.set(id, x.file);
  }
  // --segment runs: segments 1..N of one file, each exactly once (results/segments.ts).
  problems.push(...segmentProblems(inputs));
  return problems;
}

export function mergeReports(inputs: readonly MergeInput[], o: { force: boolean; title: string | null; command: string[] }): Report {
  if (inputs.length === 0) throw new UsageError('merge: no reports given');
  const problems = mergeProblems(inputs);
  if (problems.length > 0 && !o.force) {
    throw new UsageError(`merge: cannot merge these runs: ${problems.join('; ')}. Use --force to merge them anyway`);
  }
  const first = inputs[0]!.report;
  const intervalMs = Math.max(...inputs.map((x) => intervalMsOf(x.report)));
  // Wall-clock slots: the same second from every generator lands in the same interval.
  const slot = (iv: { startMs: number }): number => Math.floor(iv.startMs / intervalMs);

  const labels: string[] = [];
  for (const x of inputs) for (const t of x.report.targets) if (!labels.includes(t.label)) labels.push(t.label);
  const targets = labels.map((label) => {
    const parts = inputs.flatMap((x) => x.report.targets.filter((t) => t.label === label));
    const head = parts[0]!;
    const data = mergeRunData(parts.map(runDataOf), slot);
    data.intervals = data.intervals.map((iv, index) => ({ ...iv, index }));
    const qpsShares = parts.map((t) => t.targetQps);
    return targetReport({ label, host: head.host, port: head.port }, data, {
      targetQps: qpsShares.every((q) => q !== null) ? qpsShares.reduce((s, q) => s + q!, 0) : null,
      sockets: parts.flatMap((t) => t.sockets),
    });
  });

  const mergedFrom: MergedFrom[] = inputs.flatMap((x) => x.report.mergedFrom ?? [mergedFromEntry(x.file, x.report)]);
  const skew = startSkew(inputs);
  // Segments 1..N together are the whole file: the merged report's query set is all of it.
  const fileQueries = completeSegmentsFileQueries(inputs);
  const notes = [
    `Merged from ${inputs.length} runs: ${inputs.map((x) => `${x.file} (${x.report.machine.hostname}, started ${x.report.startedAt})`).join(', ')}. ` +
      'Counters add, histograms merge exactly, intervals align on wall-clock time, and qps is over the union of the run times.',
    ...(problems.length > 0 ? [`Merged with --force despite: ${problems.join('; ')}.`] : []),
    ...(inputs.some((x) => x.report.repeat) ? ['Inputs made with --repeat contribute their median run only.'] : []),
    ...(inputs.some((x) => x.report.capacity) ? ['Inputs made by dnsbench capacity contribute their step at capacity only (their capacity sections are not merged).'] : []),
    ...(fileQueries !== null ? [`The runs were segments 1..${mergedFrom[0]!.segment!.count} of the query file, each exactly once: together they sent the whole file.`] : []),
    ...(skew !== null ? [skewNote(skew)] : []),
    ...inputs.flatMap((x) => x.report.notes.map((n) => `${x.file}: ${n}`)),
  ];
  const times = (k: 'startedAt' | 'endedAt'): number[] => inputs.map((x) => Date.parse(x.report[k]));
  // --event records of every run (each generator may have run its own); the timeline is redone
  // over the merged intervals when any run had one.
  const events = inputs.flatMap((x) => (Array.isArray(x.report.events) ? x.report.events : [])).sort((a, b) => (a.startedAtMs ?? Infinity) - (b.startedAtMs ?? Infinity));
  const withTimeline = inputs.some((x) => x.report.timeline !== undefined);
  const merged = buildReport({
    tool: { name: 'dnsbench', version: VERSION },
    title: o.title ?? first.title,
    command: o.command,
    startedAt: new Date(Math.min(...times('startedAt'))).toISOString(),
    endedAt: new Date(Math.max(...times('endedAt'))).toISOString(),
    machine: first.machine,
    config: first.config,
    // With --force and different query sets this is the first run's set; each run's is in mergedFrom.
    querySet: fileQueries !== null ? { ...first.querySet, count: fileQueries } : first.querySet,
    mode: first.mode,
    targets,
    notes,
    mergedFrom,
    ...(skew !== null ? { startSkew: skew } : {}),
    // What the intervals count (mergeProblems refuses inputs that differ).
    ...(first.intervalBasis ? { intervalBasis: first.intervalBasis } : {}),
    ...(events.length > 0 ? { events } : {}),
  });
  return withTimeline ? { ...merged, timeline: timelineOf(merged.targets, events, timelineOptions(first)) } : merged;
}
