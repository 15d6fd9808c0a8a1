// Runs split over several generators (hosts, pods): the report fields of one segment run
// (--segment, --start-at), and what `merge` checks and states about a set of them: segments
// 1..N of one query file, each exactly once, and how far apart the generators started.
// A merged report's `mergedFrom` keeps every original run ("leaf"), so merging merged reports
// checks the same leaves as merging everything at once.
import type { MergedFrom } from './sections.js';
import type { QuerySet } from '../queryset/types.js';
import type { Report, ReportSegment, ReportStart, StartSkew, TargetReport } from './report.js';

/** Above this start skew (ms) `merge` warns: at 50 ms a 60 s run's span is inflated by ~0.1%, and skew that large means a clock or scheduling problem. */
export const SKEW_WARN_MS = 50;

/** How far (ms) the actual start may miss --start-at before the run's notes say so. */
export const START_MISS_NOTE_MS = 50;

/** One saved run as `merge` needs it, by the file it came from. */
export interface SegmentInput {
  file: string;
  report: Report;
}

/** An original run: a direct input, or one entry of a merged input's `mergedFrom`. */
interface Leaf {
  name: string;
  sha256: string;
  segment: ReportSegment | undefined;
  actualStartMs: number | undefined;
  startAt: boolean;
}

/** The first query sent by any target (epoch ms), or undefined when nothing was sent. */
function firstSendMs(targets: readonly TargetReport[]): number | undefined {
  const starts = targets.filter((t) => t.counters.sent > 0).map((t) => t.timing.startedAtMs);
  return starts.length > 0 ? Math.min(...starts) : undefined;
}

/**
 * The `segment` and `start` fields of a live run's report, and notes for it.
 * `start.actualAtMs` is the first query sent by any target; a note says when it missed the
 * --start-at time by more than START_MISS_NOTE_MS (e.g. setup took longer than the delay allowed).
 */
export function runScaleFields(
  querySet: Pick<QuerySet, 'segment' | 'fileCount'>,
  startAtMs: number | null,
  targets: readonly TargetReport[],
): { segment?: ReportSegment; start?: ReportStart; notes: string[] } {
  const notes: string[] = [];
  const out: { segment?: ReportSegment; start?: ReportStart; notes: string[] } = { notes };
  if (querySet.segment !== null) {
    out.segment = { index: querySet.segment.index, count: querySet.segment.count, fileQueries: querySet.fileCount };
  }
  const actual = firstSendMs(targets);
  if (startAtMs !== null && actual !== undefined) {
    out.start = { intendedAtMs: startAtMs, actualAtMs: actual };
    const miss = actual - startAtMs;
    if (Math.abs(miss) > START_MISS_NOTE_MS) {
      notes.push(
        `Sending started ${Math.abs(miss).toFixed(1)} ms ${miss > 0 ? 'after' : 'before'} the --start-at time ` +
          `${new Date(startAtMs).toISOString()}` + (miss > 0 ? ' (setup took longer; give more time before the start)' : '') + '.',
      );
    }
  }
  return out;
}

/** The `mergedFrom` entry for a run that is not itself merged. */
export function mergedFromEntry(file: string, r: Report): MergedFrom {
  const actual = r.start?.actualAtMs ?? firstSendMs(r.targets);
  return {
    file,
    title: r.title,
    hostname: r.machine.hostname,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    querySetSha256: r.querySet.sha256,
    ...(r.segment ? { segment: { ...r.segment } } : {}),
    ...(actual !== undefined ? { actualStartMs: actual } : {}),
    ...(r.start ? { startAt: true } : {}),
  };
}

function leavesOf(x: SegmentInput): Leaf[] {
  const entries = x.report.mergedFrom;
  if (entries === undefined) {
    const e = mergedFromEntry(x.file, x.report);
    return [{ name: x.file, sha256: e.querySetSha256, segment: e.segment, actualStartMs: e.actualStartMs, startAt: e.startAt === true }];
  }
  return entries.map((e) => ({
    name: `${e.file} (in ${x.file})`,
    sha256: e.querySetSha256,
    segment: e.segment,
    actualStartMs: e.actualStartMs,
    startAt: e.startAt === true,
  }));
}

const MAX_LISTED = 10;

function listSome(items: readonly string[]): string {
  return items.length <= MAX_LISTED ? items.join(', ') : `${items.slice(0, MAX_LISTED).join(', ')} and ${items.length - MAX_LISTED} more`;
}

/**
 * Why these runs are not segments 1..N of one benchmark, each exactly once (empty when they are,
 * or when none was made with --segment). Names the missing, duplicate and foreign segments.
 * Runs of another query set (by SHA-256 of the whole file) are reported by mergeProblems and are
 * left out of the count here.
 */
export function segmentProblems(inputs: readonly SegmentInput[]): string[] {
  const leaves = inputs.flatMap(leavesOf);
  const segmented = leaves.filter((l) => l.segment !== undefined);
  if (segmented.length === 0) return [];
  const problems: string[] = [];
  const whole = leaves.filter((l) => l.segment === undefined);
  if (whole.length > 0) {
    problems.push(`${listSome(whole.map((l) => l.name))} ran the whole query file, not a --segment like the other runs`);
  }
  const first = segmented[0]!;
  const n = first.segment!.count;
  const own = segmented.filter((l) => l.sha256 === first.sha256);
  const foreign = own.filter((l) => l.segment!.count !== n);
  for (const l of foreign) problems.push(`${l.name} is segment ${l.segment!.index}/${l.segment!.count}, not one of ${n} like ${first.name}`);
  const byIndex = new Map<number, string[]>();
  for (const l of own) {
    if (l.segment!.count !== n) continue;
    const list = byIndex.get(l.segment!.index) ?? [];
    list.push(l.name);
    byIndex.set(l.segment!.index, list);
  }
  for (const [index, names] of [...byIndex].sort((a, b) => a[0] - b[0])) {
    if (names.length > 1) problems.push(`segment ${index}/${n} is given ${names.length} times (${listSome(names)}); its queries would count twice`);
  }
  const missing: string[] = [];
  for (let i = 1; i <= n; i++) if (!byIndex.has(i)) missing.push(`${i}/${n}`);
  if (missing.length > 0) {
    problems.push(`${missing.length === 1 ? 'segment' : 'segments'} ${listSome(missing)} ${missing.length === 1 ? 'is' : 'are'} missing, so part of the query file was not sent`);
  }
  return problems;
}

/**
 * When the runs are exactly segments 1..N of one query file (no problems above, all with the
 * same hash): the number of queries in that file; otherwise null.
 */
export function completeSegmentsFileQueries(inputs: readonly SegmentInput[]): number | null {
  const leaves = inputs.flatMap(leavesOf);
  if (leaves.length === 0 || leaves.some((l) => l.segment === undefined || l.sha256 !== leaves[0]!.sha256)) return null;
  if (segmentProblems(inputs).length > 0) return null;
  return leaves[0]!.segment!.fileQueries;
}

/**
 * The largest difference between the original runs' actual starts, with the earliest and
 * latest run; null with fewer than two runs that sent anything.
 */
export function startSkew(inputs: readonly SegmentInput[]): StartSkew | null {
  const timed = inputs.flatMap(leavesOf).filter((l) => l.actualStartMs !== undefined);
  if (timed.length < 2) return null;
  let earliest = timed[0]!;
  let latest = timed[0]!;
  for (const l of timed) {
    if (l.actualStartMs! < earliest.actualStartMs!) earliest = l;
    if (l.actualStartMs! > latest.actualStartMs!) latest = l;
  }
  const withStartAt = timed.filter((l) => l.startAt).length;
  return {
    ms: latest.actualStartMs! - earliest.actualStartMs!,
    earliest: earliest.name,
    latest: latest.name,
    basis: withStartAt === timed.length ? 'start-at' : withStartAt === 0 ? 'first-send' : 'mixed',
  };
}

/** The merged report's note on the skew; above SKEW_WARN_MS it says why that matters and what to check. */
export function skewNote(s: StartSkew): string {
  const what = s.basis === 'start-at' ? 'actual starts (--start-at)' : 'first queries sent';
  const text = `Start skew ${s.ms.toFixed(1)} ms: the runs' ${what} were that far apart (${s.earliest} first, ${s.latest} last).`;
  if (s.ms <= SKEW_WARN_MS) return text;
  return `${text} That is more than ${SKEW_WARN_MS} ms: the merged run time spans the union of the runs, so qps is understated ` +
    'and the first and last intervals hold fewer generators. ' +
    (s.basis === 'start-at' ? 'Check that the generators\' clocks are synchronized (NTP/chrony) and that setup finished before the start.' : 'Use --start-at to start the generators together.');
}
