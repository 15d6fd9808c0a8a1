// `dnsbench merge` of --segment runs: segments 1..N of one query file, each exactly once, or a
// refusal (exit 2) that names the missing, duplicate and foreign ones; and the start skew.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { mergeReports, type MergeInput } from '../src/results/merge-reports.js';
import type { Report } from '../src/results/report.js';
import { runScaleFields, SKEW_WARN_MS } from '../src/results/segments.js';
import { segmentSize } from '../src/queryset/segment.js';
import { fixtureReport, fixtureTarget, samples, SHA_B } from './support/report-fixtures.js';

const T0 = 1_700_000_000_000;
const FILE_QUERIES = 1001;
const opts = { force: false, title: null, command: ['dnsbench', 'merge'] };
const inputs = (...reports: Report[]): MergeInput[] => reports.map((report, i) => ({ file: `gen${i + 1}.json`, report }));

/** Segment index/n of a run whose first query left `skewMs` after T0 (a --start-at T0 run unless startAt is false). */
function seg(index: number, n: number, o: { skewMs?: number; sha256?: string; startAt?: boolean; host?: string } = {}): Report {
  const actual = T0 + (o.skewMs ?? 0);
  const lat = samples(200 + index, 100, 900, index);
  const r = fixtureReport([fixtureTarget(lat, { t0: actual, durationMs: 2000 })], {
    hostname: o.host ?? `gen-${index}-of-${n}`,
    ...(o.sha256 ? { sha256: o.sha256 } : {}),
  });
  r.querySet.count = segmentSize(FILE_QUERIES, { index, count: n });
  r.segment = { index, count: n, fileQueries: FILE_QUERIES };
  if (o.startAt !== false) r.start = { intendedAtMs: T0, actualAtMs: actual };
  return r;
}

function refusal(list: MergeInput[]): string {
  let err: unknown;
  try {
    mergeReports(list, opts);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UsageError);
  return (err as Error).message;
}

describe('merging segments 1..N', () => {
  const four = [seg(1, 4, { skewMs: 3 }), seg(2, 4, { skewMs: 0.5 }), seg(3, 4, { skewMs: 12.25 }), seg(4, 4, { skewMs: 7 })];
  const merged = mergeReports(inputs(...four), opts);

  it('merges exactly, and the merged query set is the whole file', () => {
    expect(merged.querySet.count).toBe(FILE_QUERIES);
    expect(merged.segment).toBeUndefined();
    const sent = four.reduce((s, r) => s + r.targets[0]!.counters.sent, 0);
    expect(merged.targets[0]!.counters.sent).toBe(sent);
    expect(merged.notes).toContain('The runs were segments 1..4 of the query file, each exactly once: together they sent the whole file.');
    expect(merged.mergedFrom!.map((m) => m.segment)).toEqual([1, 2, 3, 4].map((index) => ({ index, count: 4, fileQueries: FILE_QUERIES })));
  });

  it('states the start skew: the largest difference of actual starts, and which runs', () => {
    expect(merged.startSkew).toEqual({ ms: 11.75, earliest: 'gen2.json', latest: 'gen3.json', basis: 'start-at' });
    const note = merged.notes.find((n) => n.startsWith('Start skew'));
    expect(note).toBe('Start skew 11.8 ms: the runs\' actual starts (--start-at) were that far apart (gen2.json first, gen3.json last).');
  });

  it('warns above 50 ms, pointing at the clocks', () => {
    const late = mergeReports(inputs(seg(1, 2), seg(2, 2, { skewMs: SKEW_WARN_MS + 20 })), opts);
    expect(late.startSkew!.ms).toBe(70);
    const note = late.notes.find((n) => n.includes('Start skew'))!;
    expect(note).toMatch(/^Start skew 70\.0 ms: .* more than 50 ms: .*qps is understated.*NTP\/chrony/);
    const fine = mergeReports(inputs(seg(1, 2), seg(2, 2, { skewMs: SKEW_WARN_MS })), opts);
    expect(fine.notes.find((n) => n.includes('Start skew'))).toMatch(/^Start skew 50\.0 ms: [^]*last\)\.$/);
  });

  it('without --start-at the skew is of the first queries sent', () => {
    const m = mergeReports(inputs(seg(1, 2, { startAt: false }), seg(2, 2, { startAt: false, skewMs: 1500 })), opts);
    expect(m.startSkew).toEqual({ ms: 1500, earliest: 'gen1.json', latest: 'gen2.json', basis: 'first-send' });
    expect(m.notes.find((n) => n.includes('Start skew'))).toMatch(/first queries sent.*Use --start-at/);
  });

  it('merging merged halves checks the original runs: the same result as merging all at once', () => {
    const force = { ...opts, force: true };
    const a = mergeReports(inputs(four[0]!, four[1]!), force);
    const b = mergeReports([{ file: 'gen3.json', report: four[2]! }, { file: 'gen4.json', report: four[3]! }], force);
    expect(a.notes.join(' ')).toContain('segments 3/4, 4/4 are missing');
    const all = mergeReports([{ file: 'a.json', report: a }, { file: 'b.json', report: b }], opts);
    expect(all.querySet.count).toBe(FILE_QUERIES);
    expect(all.targets[0]!.counters).toEqual(merged.targets[0]!.counters);
    expect(all.startSkew!.ms).toBe(merged.startSkew!.ms);
    expect(all.startSkew!.earliest).toBe('gen2.json (in a.json)');
  });
});

describe('refusing a set that is not segments 1..N exactly once', () => {
  it('a missing segment', () => {
    const m = refusal(inputs(seg(1, 4), seg(2, 4), seg(4, 4)));
    expect(m).toMatch(/^merge: cannot merge these runs: segment 3\/4 is missing, so part of the query file was not sent\. Use --force/);
  });

  it('several missing segments, listed', () => {
    expect(refusal(inputs(seg(2, 6), seg(5, 6)))).toContain('segments 1/6, 3/6, 4/6, 6/6 are missing');
  });

  it('a duplicate segment, naming both runs', () => {
    const m = refusal(inputs(seg(1, 3), seg(2, 3), seg(2, 3, { host: 'other', skewMs: 1 }), seg(3, 3)));
    expect(m).toContain('segment 2/3 is given 2 times (gen2.json, gen3.json); its queries would count twice');
    expect(m).not.toContain('missing');
  });

  it('a segment of another split (N)', () => {
    const m = refusal(inputs(seg(1, 2), seg(2, 2), seg(1, 3)));
    expect(m).toContain('gen3.json is segment 1/3, not one of 2 like gen1.json');
  });

  it('a segment of another query file', () => {
    const m = refusal(inputs(seg(1, 2), seg(2, 2, { sha256: SHA_B })));
    expect(m).toContain('gen2.json used another query set than gen1.json');
    expect(m).toContain('segment 2/2 is missing');
  });

  it('a run of the whole file among segments', () => {
    const whole = fixtureReport([fixtureTarget(samples(50, 100, 200), { t0: T0 })], { hostname: 'whole' });
    expect(refusal(inputs(seg(1, 2), seg(2, 2), whole))).toContain('gen3.json ran the whole query file, not a --segment like the other runs');
  });

  it('--force merges anyway, says what it overrode, and keeps the segment query count', () => {
    const m = mergeReports(inputs(seg(1, 4), seg(2, 4), seg(4, 4)), { ...opts, force: true });
    expect(m.notes.some((n) => n.startsWith('Merged with --force despite: segment 3/4 is missing'))).toBe(true);
    expect(m.notes.some((n) => n.startsWith('The runs were segments'))).toBe(false);
    expect(m.querySet.count).toBe(segmentSize(FILE_QUERIES, { index: 1, count: 4 }));
  });
});

describe('runScaleFields (a live run\'s report fields)', () => {
  const target = (t0: number) => fixtureTarget(samples(10, 100, 200), { t0 });

  it('records the segment with the whole file\'s query count', () => {
    const f = runScaleFields({ segment: { index: 2, count: 3 }, fileCount: 30 }, null, [target(T0)]);
    expect(f).toEqual({ segment: { index: 2, count: 3, fileQueries: 30 }, notes: [] });
    expect(runScaleFields({ segment: null, fileCount: 30 }, null, [target(T0)])).toEqual({ notes: [] });
  });

  it('records the intended and the actual start (the first query sent by any target)', () => {
    const f = runScaleFields({ segment: null, fileCount: 1 }, T0, [target(T0 + 30), target(T0 + 10)]);
    expect(f.start).toEqual({ intendedAtMs: T0, actualAtMs: T0 + 10 });
    expect(f.notes).toEqual([]);
  });

  it('notes a start that missed --start-at by more than 50 ms', () => {
    expect(runScaleFields({ segment: null, fileCount: 1 }, T0, [target(T0 + 250)]).notes[0]).toMatch(
      /^Sending started 250\.0 ms after the --start-at time .*Z \(setup took longer; give more time before the start\)\.$/,
    );
    expect(runScaleFields({ segment: null, fileCount: 1 }, T0, [target(T0 - 2000)]).notes[0]).toMatch(/^Sending started 2000\.0 ms before the --start-at time/);
  });
});
