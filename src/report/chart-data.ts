// The numbers behind the HTML report's charts, computed from a Report (pure). The browser cannot
// decode HDR histograms, so spectra and histogram bins are computed here, once, and embedded as
// uPlot's aligned arrays: one shared x array and one y array per target (null = no value).
import type { Histogram } from '../results/histogram.js';
import { decodeHistogram, spectrum } from '../results/histogram.js';
import type { CapacityFigures, CapacitySection, Report, TargetReport } from '../results/report.js';
import { dominantIdentity } from '../results/timeline.js';
import { maxOf, minOf } from '../util/extremes.js';

/** Distinguishable on white and in print; targets beyond the palette reuse it in order. */
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

export const targetColor = (i: number): string => PALETTE[i % PALETTE.length]!;

export type Series = Array<number | null>;

export interface ChartData {
  targets: Array<{ label: string; color: string }>;
  /** x: "nines" (0 = p0, 1 = p90, 2 = p99, ...; SPECTRUM_MAX_X = max); y: latency in ms. */
  spectrum: { x: number[]; y: Series[] };
  /** x: lower bin edge in ms (log-spaced, BINS_PER_DECADE); y: percent of the target's answers. */
  histogram: { x: number[]; y: Series[] };
  /** x: seconds from each target's start to the interval start (0 first, as the CSV's t); y per
   *  target. lossPct: lost / (completed + lost) of the queries sent in the interval. */
  time: { x: number[]; qps: Series[]; lossPct: Series[]; p99Ms: Series[] };
  /** The timeline (issue 12), one chart per target; absent when the report has no timeline. */
  timeline?: TimelineChart[];
  /** `dnsbench capacity`: the curve, one point per step (sorted by offered rate) or ramp window. */
  capacity?: CapacityCurve;
}

/** The capacity curve: x = offered qps; y on three scales (qps, ms, %); SLO limits as lines. */
export interface CapacityCurve {
  x: number[];
  achieved: Series;
  answered: Series;
  p50Ms: Series;
  p99Ms: Series;
  lossPct: Series;
  /** Verdict of each point ('pass', 'fail', 'generator', 'nothing'). */
  verdicts: string[];
  /** The SLO parts drawn as horizontal lines, on the scale of their unit. */
  slo: Array<{ label: string; scale: 'ms' | '%' | 'qps'; value: number }>;
  /** Where the found capacity is marked: the offered rate of the step (or window) it came from. */
  markX: number | null;
  markLabel: string;
}

/** One target's timeline chart: its own interval series, with outages, events and identities drawn over it. */
export interface TimelineChart {
  /** Seconds from the target's start to each interval's middle. */
  x: number[];
  /** Share of the interval's queries that got an answer, percent (null: nothing sent). */
  answeredPct: Series;
  qps: Series;
  /** Interval bounds (s from the target's start), for the identity band. */
  spans: Array<[number, number]>;
  /** Index into `ids` of who answered each interval, or null. */
  identity: Array<number | null>;
  /** Identities in order of first appearance, each with its colour. */
  ids: Array<{ id: string; color: string }>;
  /** Estimated outage windows, seconds from the target's start. */
  outages: Array<[number, number]>;
  /** Events: seconds from the target's start and a short label ("1", "2", ...; the page lists them). */
  events: Array<{ t: number; label: string }>;
}

/** Identity band colours (distinct from the targets' palette order, colour-blind friendly first). */
export const IDENTITY_PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7', '#bab0ac'];

/** Where the maximum sits on the spectrum's x axis (just past p99.999). */
export const SPECTRUM_MAX_X = 5.5;
export const BINS_PER_DECADE = 10;

const round = (n: number, digits: number): number => Number(n.toFixed(digits));

/** nines = -log10(1 - p/100): p90 -> 1, p99 -> 2, p99.9 -> 3. */
export function ninesOf(percentile: number): number {
  return percentile >= 100 ? SPECTRUM_MAX_X : round(-Math.log10(1 - percentile / 100), 6);
}

function spectrumData(hists: Histogram[], targets: readonly TargetReport[]): ChartData['spectrum'] {
  // The histogram's maximum is its bucket's upper edge; the exact one (shown on the cards) is in the sums.
  const curves = hists.map((h, i) => spectrum(h).map((p) => (p.percentile >= 100 ? { ...p, us: targets[i]!.latency.max } : p)));
  const template = curves.find((c) => c.length > 0);
  if (template === undefined) return { x: [], y: hists.map(() => []) };
  // spectrum() samples the same percentiles for every histogram, so the x values line up.
  return {
    x: template.map((p) => ninesOf(p.percentile)),
    y: curves.map((c) => (c.length === 0 ? template.map(() => null) : c.map((p) => p.us / 1000))),
  };
}

/** Counts per log-spaced bin: bin k covers [10^(k/B), 10^((k+1)/B)) microseconds. */
function binCounts(h: Histogram): Map<number, number> {
  const counts = new Map<number, number>();
  if (h.totalCount === 0) return counts;
  // hdr.Histogram is the pure-JS implementation here (histogram.ts), which has the iterator.
  const it = (h as unknown as { recordedValuesIterator: RecordedIterator }).recordedValuesIterator;
  it.reset();
  while (it.hasNext()) {
    const v = it.next();
    const k = Math.floor(BINS_PER_DECADE * Math.log10(Math.max(1, v.valueIteratedTo)) + 1e-9);
    counts.set(k, (counts.get(k) ?? 0) + v.countAtValueIteratedTo);
  }
  return counts;
}

interface RecordedIterator {
  reset(): void;
  hasNext(): boolean;
  next(): { valueIteratedTo: number; countAtValueIteratedTo: number };
}

function histogramData(hists: Histogram[]): ChartData['histogram'] {
  const counts = hists.map(binCounts);
  const keys = counts.flatMap((c) => [...c.keys()]);
  if (keys.length === 0) return { x: [], y: hists.map(() => []) };
  // Up to ~100 bins per target and 1024 targets: too many for Math.min(...keys) (util/extremes.ts).
  const lo = minOf(keys);
  const hi = maxOf(keys);
  const x: number[] = [];
  // One empty bin either side, so the stepped outline starts and ends at zero.
  for (let k = lo - 1; k <= hi + 1; k++) x.push(round(Math.pow(10, k / BINS_PER_DECADE) / 1000, 9));
  const y = counts.map((c, i) => {
    const total = hists[i]!.totalCount;
    if (total === 0) return x.map(() => null);
    return x.map((_, j) => round((100 * (c.get(lo - 1 + j) ?? 0)) / total, 4));
  });
  return { x, y };
}

function timeData(targets: readonly TargetReport[]): ChartData['time'] {
  // Each target's intervals are timed from its own start (sequential runs start one after another).
  // x is the interval's start, as the CSV's `t` column: the first point is t=0. Rounding to 10 ms
  // lines up the same interval of different targets.
  const start = (t: TargetReport['intervals'][number]): number => round(t.t, 2);
  const x = [...new Set(targets.flatMap((t) => t.intervals.map(start)))].sort((a, b) => a - b);
  const at = new Map(x.map((v, i) => [v, i]));
  const empty = (): Series => x.map(() => null);
  const qps = targets.map(empty);
  const lossPct = targets.map(empty);
  const p99Ms = targets.map(empty);
  targets.forEach((t, i) => {
    for (const iv of t.intervals) {
      const j = at.get(start(iv))!;
      qps[i]![j] = round(iv.qps, 3);
      // Intervals count queries by the interval they were sent in (intervalBasis 'sent'): of those
      // that were answered or given up on, the share lost (null when none was: no sample).
      const finished = iv.counters.completed + iv.counters.lost;
      lossPct[i]![j] = finished > 0 ? round((100 * iv.counters.lost) / finished, 4) : null;
      p99Ms[i]![j] = iv.counters.completed > 0 ? iv.latency.p99 / 1000 : null;
    }
  });
  return { x, qps, lossPct, p99Ms };
}

/** SLO parts that have a line on the curve: latency stats (ms), shares (%) and qps. */
const LATENCY_SLO = /^(?:corrected\.)?(p50|p90|p99|p99\.9|p99\.99|min|mean|max)(<=|<|>=|>|==)([\d.eE+-]+)(s|ms|us)$/;
const SHARE_SLO = /^([\w.-]+)(<=|<|>=|>|==)([\d.eE+-]+)%$/;
const QPS_SLO = /^qps(<=|<|>=|>|==)([\d.eE+-]+)$/;

function sloLines(parts: readonly string[]): CapacityCurve['slo'] {
  const out: CapacityCurve['slo'] = [];
  for (const part of parts) {
    const lat = LATENCY_SLO.exec(part);
    if (lat) {
      const ms = Number(lat[3]) * ({ s: 1000, ms: 1, us: 0.001 } as const)[lat[4] as 's' | 'ms' | 'us'];
      if (Number.isFinite(ms)) out.push({ label: `SLO ${part}`, scale: 'ms', value: ms });
      continue;
    }
    const share = SHARE_SLO.exec(part);
    if (share && Number.isFinite(Number(share[3]))) {
      out.push({ label: `SLO ${part}`, scale: '%', value: Number(share[3]) });
      continue;
    }
    const q = QPS_SLO.exec(part);
    if (q && Number.isFinite(Number(q[2]))) out.push({ label: `SLO ${part}`, scale: 'qps', value: Number(q[2]) });
  }
  return out;
}

function capacityCurve(c: CapacitySection): CapacityCurve {
  const points: CapacityFigures[] = c.method === 'ramp' ? [...c.windows] : [...c.steps].sort((a, b) => a.offeredQps - b.offeredQps);
  const ms = (us: number | null): number | null => (us === null ? null : us / 1000);
  let markX: number | null = null;
  if (c.capacityQps !== null) {
    const passing = points.filter((p) => p.verdict === 'pass');
    if (passing.length > 0) markX = passing.reduce((a, b) => (b.offeredQps > a.offeredQps ? b : a)).offeredQps;
  }
  return {
    x: points.map((p) => p.offeredQps),
    achieved: points.map((p) => round(p.achievedQps, 1)),
    answered: points.map((p) => round(p.answeredQps, 1)),
    p50Ms: points.map((p) => ms(p.p50Us)),
    p99Ms: points.map((p) => ms(p.p99Us)),
    lossPct: points.map((p) => round(p.lossPct, 4)),
    verdicts: points.map((p) => p.verdict),
    slo: sloLines(c.sloParts),
    markX,
    markLabel: c.capacityQps === null ? '' : `capacity ${Math.round(c.capacityQps).toLocaleString('en-US')} qps`,
  };
}

/** Identities shown in a band (more become one grey "other"). */
const MAX_BAND_IDS = 10;
const OTHER_ID = '(other)';

function timelineChart(t: TargetReport, report: Report): TimelineChart {
  const start = t.timing.startedAtMs;
  const tl = report.timeline?.targets.find((x) => x.label === t.label);
  const ids: Array<{ id: string; color: string }> = [];
  const idIndex = new Map<string, number>();
  const identity = t.intervals.map((iv) => {
    const id = dominantIdentity(iv.nsid);
    if (id === null) return null;
    let k = idIndex.get(id);
    if (k === undefined) {
      if (ids.length < MAX_BAND_IDS) {
        k = ids.length;
        ids.push({ id, color: IDENTITY_PALETTE[k % IDENTITY_PALETTE.length]! });
      } else {
        // Beyond the band's colours: one grey "(other)" for the rest.
        k = ids.findIndex((x) => x.id === OTHER_ID);
        if (k < 0) {
          k = ids.length;
          ids.push({ id: OTHER_ID, color: '#999999' });
        }
      }
      idIndex.set(id, k);
    }
    return k;
  });
  return {
    x: t.intervals.map((iv) => round(iv.t + iv.durationSec / 2, 4)),
    answeredPct: t.intervals.map((iv) => {
      const c = iv.counters;
      const resolved = c.sent - c.interrupted;
      return resolved > 0 ? round((100 * (c.completed + (c.wrongAnswer ?? 0))) / resolved, 2) : null;
    }),
    qps: t.intervals.map((iv) => round(iv.qps, 2)),
    spans: t.intervals.map((iv) => [round(iv.t, 4), round(iv.t + iv.durationSec, 4)]),
    identity,
    ids,
    outages: (tl?.outages ?? []).map((o) => [round((o.startMs - start) / 1000, 4), round((o.endMs - start) / 1000, 4)]),
    events: (report.events ?? []).flatMap((e, i) => (e.startedAtMs === null ? [] : [{ t: round((e.startedAtMs - start) / 1000, 4), label: String(i + 1) }])),
  };
}

export function chartData(report: Report): ChartData {
  const hists = report.targets.map((t) => decodeHistogram(t.latency.histogram));
  return {
    targets: report.targets.map((t, i) => ({ label: t.label, color: targetColor(i) })),
    spectrum: spectrumData(hists, report.targets),
    histogram: histogramData(hists),
    time: timeData(report.targets),
    ...(report.timeline ? { timeline: report.targets.map((t) => timelineChart(t, report)) } : {}),
    ...(report.capacity ? { capacity: capacityCurve(report.capacity) } : {}),
  };
}
