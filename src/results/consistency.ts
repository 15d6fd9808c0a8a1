// The rules between a saved report's numbers that the JSON Schema cannot state, checked when a
// report is loaded (`dnsbench report`, `merge`, `--baseline`): a hand-edited or forged file that
// passes the schema must not reach a gate or a comparison with numbers no run can produce (a p99
// above the max, sent = 10^308 with 196 completed). Every report dnsbench writes satisfies them by
// construction: the recorder counts each query once (README "Reading the output"), build.ts clamps
// every percentile to [min, max], and the intervals partition the run (each query counts in the
// interval it was sent in).
import type { Counters } from './counters.js';

/** One broken rule: a JSON pointer into the report and what is wrong there. */
export interface Inconsistency {
  pointer: string;
  what: string;
}

type Num = Record<string, unknown>;

/** Room for float rounding in a mean (sum / count) against the exact min and max. */
const MEAN_SLACK = 1e-9;
const PERCENTILE_ORDER = ['p50', 'p90', 'p99', 'p99.9', 'p99.99'] as const;

const n = (o: Num, k: string): number => (typeof o[k] === 'number' ? (o[k] as number) : 0);

/**
 * The first inconsistency in a report that already passed the schema (so `targets`, their
 * `counters`, `latency` and `intervals` have the schema's shapes; counters missing from older
 * reports count as 0), or null. Checked, per target and per interval:
 * - no two targets share a label (gates and --baseline find a target by its label);
 * - every counter is at most 2^53 - 1 (beyond that a count is no longer exact);
 * - sent = completed + lost + interrupted, lost = timedOut + truncated + aborted + wrongAnswer;
 * - the intervals' sent, completed and lost add up to the run's;
 * - latency and correctedLatency (µs), when anything was answered: min <= mean <= max and
 *   min <= p50 <= p90 <= p99 <= p99.9 <= p99.99 <= max; an interval's p50 <= p90 <= p99 <= max;
 * - qps is completed / runTimeSec (dnsperf's "Queries per second"; 0 for no time), and an
 *   interval's completed / durationSec: the figure gates and comparisons read first.
 */
export function findInconsistency(targets: ReadonlyArray<Num>): Inconsistency | null {
  const labels = new Map<unknown, number>();
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i]!;
    const at = `/targets/${i}`;
    const first = labels.get(t['label']);
    if (first !== undefined) {
      return { pointer: `${at}/label`, what: `"${String(t['label'])}" is also the label of /targets/${first} (a label names one target in gates, --baseline and comparisons; a run refuses the same label twice)` };
    }
    labels.set(t['label'], i);
    const c = t['counters'] as Num;
    const bad = countersBad(c, `${at}/counters`);
    if (bad) return bad;
    const intervals = (t['intervals'] as Num[] | undefined) ?? [];
    const sums = { sent: 0, completed: 0, lost: 0 };
    for (let j = 0; j < intervals.length; j++) {
      const iv = intervals[j]!;
      const ic = iv['counters'] as Num;
      const ibad = countersBad(ic, `${at}/intervals/${j}/counters`);
      if (ibad) return ibad;
      for (const k of ['sent', 'completed', 'lost'] as const) sums[k] += n(ic, k);
      const iq = qpsBad(iv, n(iv, 'durationSec'), `${at}/intervals/${j}`, 'durationSec');
      if (iq) return iq;
      const l = iv['latency'] as Num | undefined;
      if (l && !(n(l, 'p50') <= n(l, 'p90') && n(l, 'p90') <= n(l, 'p99') && n(l, 'p99') <= n(l, 'max'))) {
        return { pointer: `${at}/intervals/${j}/latency`, what: 'has percentiles out of order (expected p50 <= p90 <= p99 <= max)' };
      }
    }
    if (intervals.length > 0) {
      for (const k of ['sent', 'completed', 'lost'] as const) {
        if (sums[k] !== n(c, k)) {
          return { pointer: `${at}/counters/${k}`, what: `is ${n(c, k)} but its intervals add up to ${sums[k]} (each query counts in one interval)` };
        }
      }
    }
    const q = qpsBad(t, n(t, 'runTimeSec'), at, 'runTimeSec');
    if (q) return q;
    for (const key of ['latency', 'correctedLatency'] as const) {
      const l = t[key] as Num | null | undefined;
      const lbad = l ? latencyBad(l, `${at}/${key}`) : null;
      if (lbad) return lbad;
    }
  }
  return null;
}

/** Room for float rounding between a stored qps and completed / seconds recomputed here. */
const QPS_SLACK = 1e-9;

/** `o.qps` (a target or an interval) against its counters' completed over `seconds`. */
function qpsBad(o: Num, seconds: number, at: string, secondsKey: string): Inconsistency | null {
  if (typeof o['qps'] !== 'number') return null;
  const expected = seconds > 0 ? n(o['counters'] as Num, 'completed') / seconds : 0;
  const qps = o['qps'] as number;
  if (Math.abs(qps - expected) <= QPS_SLACK * Math.max(1, expected)) return null;
  return { pointer: `${at}/qps`, what: `is ${qps}, expected completed / ${secondsKey} = ${expected} (dnsperf's "Queries per second")` };
}

function countersBad(c: Num, at: string): Inconsistency | null {
  for (const [k, v] of Object.entries(c)) {
    if (typeof v === 'number' && v > Number.MAX_SAFE_INTEGER) {
      return { pointer: `${at}/${k}`, what: `is ${v}, above 2^53 - 1 (a count that large is not exact; no run sends that many queries)` };
    }
  }
  const get = (k: keyof Counters): number => n(c, k);
  if (get('sent') !== get('completed') + get('lost') + get('interrupted')) {
    return {
      pointer: `${at}/sent`,
      what: `is ${get('sent')}, expected completed + lost + interrupted = ${get('completed') + get('lost') + get('interrupted')}`,
    };
  }
  const kinds = get('timedOut') + get('truncated') + get('aborted') + get('wrongAnswer');
  if (get('lost') !== kinds) {
    return { pointer: `${at}/lost`, what: `is ${get('lost')}, expected timedOut + truncated + aborted + wrongAnswer = ${kinds}` };
  }
  return null;
}

function latencyBad(l: Num, at: string): Inconsistency | null {
  if (n(l, 'count') === 0) return null;
  const min = n(l, 'min');
  const max = n(l, 'max');
  const mean = n(l, 'mean');
  if (min > max) return { pointer: `${at}/min`, what: `is ${min} µs, above the max ${max} µs` };
  const slack = MEAN_SLACK * Math.max(1, Math.abs(max));
  if (mean < min - slack || mean > max + slack) return { pointer: `${at}/mean`, what: `is ${mean} µs, outside [min ${min}, max ${max}] µs` };
  const p = (l['percentiles'] ?? {}) as Num;
  let previous = min;
  for (const k of PERCENTILE_ORDER) {
    if (typeof p[k] !== 'number') continue;
    const v = p[k] as number;
    if (v < previous || v > max) {
      return { pointer: `${at}/percentiles/${k}`, what: `is ${v} µs, expected between ${previous} µs (min or the percentile below) and the max ${max} µs` };
    }
    previous = v;
  }
  return null;
}
