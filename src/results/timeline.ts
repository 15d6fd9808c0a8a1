// The timeline of a run, per target, from its interval series (which count every query in the
// interval it was sent in, issue 12): outage windows, degraded windows, and who answered when.
// Pure: targets' IntervalReports and the --event records in, a TimelineSection out.
//
// An interval's answered share is (completed + wrongAnswer) / (sent - interrupted): a wrong answer
// is an answer (the server was up), a query still outstanding at Ctrl-C says nothing. Intervals in
// which nothing was sent are skipped: they neither start nor end a window.
import type { IntervalReport, TargetReport } from './report.js';
import type { DegradedWindow, EventRecord, IdentitySpan, OutageWindow, TargetTimeline, TimelineSection } from './ops.js';
import { maxOf, minOf } from '../util/extremes.js';

/** What the analysis is told (--outage-below, --degraded-above). */
export interface TimelineOptions {
  /** Percent: an interval with a lower answered share is part of an outage. */
  outageBelowPct: number;
  /** µs: an interval whose p99 is above this is degraded; null for 10x the target's p50. */
  degradedAboveUs: number | null;
}

export const DEFAULT_OUTAGE_BELOW_PCT = 50;
/** Without --degraded-above: this many times the target's p50. */
export const DEGRADED_P50_FACTOR = 10;

interface Iv {
  iv: IntervalReport;
  fromMs: number;
  toMs: number;
  sent: number;
  answered: number;
  /** Resolved queries with no answer: timed out, truncated, aborted. */
  unanswered: number;
}

function usable(t: TargetReport): Iv[] {
  const out: Iv[] = [];
  for (const iv of Array.isArray(t.intervals) ? t.intervals : []) {
    const c = iv.counters;
    const resolved = c.sent - c.interrupted;
    if (resolved <= 0) continue;
    const answered = c.completed + (c.wrongAnswer ?? 0);
    out.push({ iv, fromMs: iv.startMs, toMs: iv.startMs + iv.durationSec * 1000, sent: resolved, answered, unanswered: Math.max(0, resolved - answered) });
  }
  return out;
}

/** An identity answering at least this share of an interval's answers is part of its identity. */
export const IDENTITY_SHARE = 0.2;
/** Identities named in one interval's identity at most (a balancer over many backends). */
const MAX_IDENTITIES = 4;

/**
 * Who answered an interval: the identities with at least IDENTITY_SHARE of its answers, sorted and
 * joined by '+' ("d1+d2" behind a round-robin balancer, "d2" after d1 died); null without NSID
 * counts. Shares, not the single largest, so two backends at 50/50 do not flip from one interval
 * to the next.
 */
export function dominantIdentity(nsid: Readonly<Record<string, number>> | undefined): string | null {
  if (nsid === undefined || nsid === null || typeof nsid !== 'object') return null;
  const entries = Object.entries(nsid).filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] > 0);
  const total = entries.reduce((s, [, v]) => s + v, 0);
  if (total === 0) return null;
  const ids = entries.filter(([, v]) => v / total >= IDENTITY_SHARE).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_IDENTITIES).map(([k]) => k);
  return ids.sort().join('+');
}

function identitySpans(ivs: readonly Iv[], startMs: number): IdentitySpan[] {
  const spans: IdentitySpan[] = [];
  for (const x of ivs) {
    const id = dominantIdentity(x.iv.nsid);
    if (id === null) continue;
    const answers = id.split('+').reduce((s, k) => s + (x.iv.nsid?.[k] ?? 0), 0);
    const last = spans.at(-1);
    if (last !== undefined && last.id === id) {
      last.toMs = x.toMs;
      last.intervals++;
      last.answers += answers;
    } else {
      spans.push({ id, fromMs: x.fromMs, toMs: x.toMs, t: (x.fromMs - startMs) / 1000, intervals: 1, answers });
    }
  }
  return spans;
}

/** The latest event started no later than `atMs` (events that never started are skipped). */
function precedingEvent(events: readonly EventRecord[], atMs: number): number {
  let best = -1;
  events.forEach((e, i) => {
    if (e.startedAtMs === null || e.startedAtMs > atMs) return;
    if (best < 0 || e.startedAtMs >= events[best]!.startedAtMs!) best = i;
  });
  return best;
}

function outages(ivs: readonly Iv[], startMs: number, belowPct: number, events: readonly EventRecord[], intervalMs: number): OutageWindow[] {
  const out: OutageWindow[] = [];
  const below = (x: Iv): boolean => (100 * x.answered) / x.sent < belowPct;
  // Who answered last before a window and first after it, found in one pass each way: searching
  // the series again for every window was quadratic, and a flapping server over a long run has
  // as many windows as half its intervals.
  const ids = ivs.map((x) => dominantIdentity(x.iv.nsid));
  const firstFrom: Array<string | null> = new Array<string | null>(ivs.length + 1).fill(null);
  for (let k = ivs.length - 1; k >= 0; k--) firstFrom[k] = ids[k] ?? firstFrom[k + 1]!;
  let lastBefore: string | null = null;
  let seen = 0;
  for (let i = 0; i < ivs.length; ) {
    if (!below(ivs[i]!)) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < ivs.length && below(ivs[j + 1]!)) j++;
    const first = ivs[i]!;
    const last = ivs[j]!;
    // Neighbours only when adjacent in time (no gap of empty intervals between).
    const prev = i > 0 && Math.abs(ivs[i - 1]!.toMs - first.fromMs) < 1 ? ivs[i - 1]! : null;
    const next = j + 1 < ivs.length && Math.abs(ivs[j + 1]!.fromMs - last.toMs) < 1 ? ivs[j + 1]! : null;
    // Queries count in the interval they were sent in, at a steady rate: the outage began in the
    // first interval that lost anything, after the share of it that was still answered, and ended
    // in the last one, after the share of it that was lost.
    const len = (x: Iv): number => x.toMs - x.fromMs;
    const startEst = prev !== null && prev.unanswered > 0 ? prev.toMs - (prev.unanswered / prev.sent) * len(prev) : first.fromMs + (first.answered / first.sent) * len(first);
    const recovered = j + 1 < ivs.length;
    const endEst = next !== null && next.unanswered > 0 ? next.fromMs + (next.unanswered / next.sent) * len(next) : last.toMs - (recovered ? (last.answered / last.sent) * len(last) : 0);
    const window = ivs.slice(i, j + 1);
    // The neighbours count when they lost something: the outage began or ended inside them.
    const edges = [prev, next].filter((x): x is Iv => x !== null && x.unanswered > 0);
    const sent = [...window, ...edges].reduce((s, x) => s + x.sent, 0);
    const lost = [...window, ...edges].reduce((s, x) => s + x.unanswered, 0);
    const ev = precedingEvent(events, startEst + intervalMs);
    const e = ev >= 0 ? events[ev]! : null;
    for (; seen < i; seen++) lastBefore = ids[seen] ?? lastBefore;
    out.push({
      fromMs: first.fromMs,
      toMs: last.toMs,
      t: (first.fromMs - startMs) / 1000,
      intervals: j - i + 1,
      startMs: startEst,
      endMs: endEst,
      durationMs: endEst - startEst,
      sent,
      lost,
      minAnsweredPct: minOf(window.map((x) => (100 * x.answered) / x.sent)),
      recovered,
      event:
        e === null
          ? null
          : {
              index: ev,
              command: e.command,
              atSec: e.atSec,
              toStartMs: startEst - e.startedAtMs!,
              toRecoveryMs: recovered ? endEst - e.startedAtMs! : null,
            },
      before: lastBefore,
      after: firstFrom[j + 1]!,
    });
    i = j + 1;
  }
  return out;
}

function degraded(ivs: readonly Iv[], startMs: number, aboveUs: number): DegradedWindow[] {
  const out: DegradedWindow[] = [];
  const p99 = (x: Iv): number => x.iv.latency?.p99 ?? 0;
  const high = (x: Iv): boolean => x.iv.counters.completed > 0 && p99(x) > aboveUs;
  for (let i = 0; i < ivs.length; ) {
    if (!high(ivs[i]!)) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < ivs.length && high(ivs[j + 1]!)) j++;
    const w = ivs.slice(i, j + 1);
    out.push({
      fromMs: w[0]!.fromMs,
      toMs: w.at(-1)!.toMs,
      t: (w[0]!.fromMs - startMs) / 1000,
      durationMs: w.at(-1)!.toMs - w[0]!.fromMs,
      intervals: w.length,
      maxP99Us: maxOf(w.map(p99)),
    });
    i = j + 1;
  }
  return out;
}

/** One target's timeline. */
export function targetTimeline(t: TargetReport, events: readonly EventRecord[], o: TimelineOptions): TargetTimeline {
  const ivs = usable(t);
  const startMs = t.timing.startedAtMs;
  const intervalSec = maxOf(t.intervals.map((iv) => iv.durationSec), 0);
  const p50 = t.latency.count > 0 ? t.latency.percentiles.p50 : 0;
  const degradedAboveUs = o.degradedAboveUs ?? (p50 > 0 ? DEGRADED_P50_FACTOR * p50 : null);
  const outs = outages(ivs, startMs, o.outageBelowPct, events, intervalSec * 1000);
  return {
    label: t.label,
    intervalSec,
    degradedAboveUs,
    outages: outs,
    degraded: degradedAboveUs === null ? [] : degraded(ivs, startMs, degradedAboveUs),
    identity: identitySpans(ivs, startMs),
    longestOutageMs: outs.reduce((m, w) => Math.max(m, w.durationMs), 0),
    outageLost: outs.reduce((s, w) => s + w.lost, 0),
  };
}

/** The timeline section of a report: every target, with the events. */
export function timelineOf(targets: readonly TargetReport[], events: readonly EventRecord[], o: TimelineOptions): TimelineSection {
  return {
    outageBelowPct: o.outageBelowPct,
    degradedAboveUs: o.degradedAboveUs,
    targets: targets.map((t) => targetTimeline(t, events, o)),
  };
}
