// --gate and --max-regression expressions -> typed values. Pure; every problem is a UsageError
// (exit 2) with one line that names the expression, what is wrong, and the valid metrics, so a
// typo fails before the query file is read or a packet is sent.
//
//   gate       := [target ":"] metric op number [unit]
//   op         := "<" | "<=" | ">" | ">=" | "=="
//   unit       := "s" | "ms" | "us" (latency) | "%" (shares)        e.g. vip:p99<2ms, loss<0.1%
//   regression := metric "=" number unit ("," ...)                  e.g. qps=5%,p99=10%
import { UsageError } from '../errors.js';
import {
  COUNT_METRICS, LATENCY_METRICS, METRIC_HELP, METRIC_NAMES,
  type CountMetric, type LatencyMetric, type Metric,
} from './metrics.js';

import type { Operator, Unit } from '../results/sections.js';
import { MAX_RCODE, RCODE_NAMES, rcodeCode, rcodeName } from '../results/counters.js';
export type { Operator, Unit };

export interface Gate {
  /** As given on the command line. */
  expression: string;
  /** Target label (or host:port) the gate is limited to; null = every target. */
  target: string | null;
  metric: Metric;
  op: Operator;
  /** In the metric's canonical unit (microseconds, percent, count, qps). */
  threshold: number;
  /** The unit the user wrote, used to print measured values the same way. */
  unit: Unit;
  /** The threshold as written, e.g. "2" of "2ms" (printed back verbatim). */
  thresholdText: string;
}

/** Microseconds per unit; '%' and '' are taken as written. */
const SHIFT: Record<Unit, number> = { s: 6, ms: 3, us: 0, '%': 0, '': 0 };

const NUMBER = /^(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?/;

/**
 * A decimal number scaled by 10^shift without binary rounding on the way: "2.3" ms is exactly the
 * double nearest 2300 us, so `p99<=2.3ms` holds for a measured 2300 us.
 */
function scaled(mantissa: string, exponent: number, shift: number): number {
  return Number(`${mantissa}e${exponent + shift}`);
}

function unitOf(s: string): Unit | null {
  if (s === 'µs' || s === 'μs') return 'us';
  return s === 's' || s === 'ms' || s === 'us' || s === '%' || s === '' ? s : null;
}

/** "did you mean ...?" for one-edit typos (p999 -> p99.9, rcode.SERVFIAL -> rcode.SERVFAIL). */
function suggest(name: string): string {
  // A missing or extra dot first (p999 -> p99.9), then the closest name by edit distance.
  const undotted = METRIC_NAMES.find((c) => c.replace(/\./g, '').toLowerCase() === name.replace(/\./g, '').toLowerCase());
  if (undotted !== undefined) return ` (did you mean ${undotted}?)`;
  let best: string | null = null;
  let bestD = 3;
  for (const cand of METRIC_NAMES) {
    const d = distance(name.toLowerCase(), cand.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = cand;
    }
  }
  return best === null ? '' : ` (did you mean ${best}?)`;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

type MetricResult = { metric: Metric } | { error: string };

/**
 * A metric name plus the unit its value was given in. Counters and rcodes read as counts, or as
 * shares when the value is a percentage; latency needs a time unit; qps a plain number.
 */
export function resolveMetric(rawName: string, unit: Unit): MetricResult {
  const name = rawName.startsWith('rcode.') || rawName.startsWith('RCODE.') ? rawName : rawName.toLowerCase();
  const isTime = unit === 's' || unit === 'ms' || unit === 'us';
  if (name === 'qps') {
    return unit === '' ? { metric: { kind: 'rate', name } } : { error: `qps takes a plain number (queries per second), not "${unit}"` };
  }
  if (name === 'capacity') {
    return unit === '' ? { metric: { kind: 'capacity', name } } : { error: `capacity takes a plain number (queries per second), not "${unit}"` };
  }
  const corrected = name.startsWith('corrected.');
  const stat = corrected ? name.slice('corrected.'.length) : name;
  if ((LATENCY_METRICS as readonly string[]).includes(stat)) {
    if (!isTime) return { error: `${name} is a latency: give the value with a unit, s, ms or us (e.g. ${name}<2ms)` };
    return { metric: { kind: 'latency', name, stat: stat as LatencyMetric, corrected } };
  }
  if (name === 'outage') {
    return isTime ? { metric: { kind: 'outage', name } } : { error: 'outage is the longest outage\'s duration: give it with a unit, s, ms or us (e.g. outage<500ms)' };
  }
  if (name === 'outage-lost') {
    return unit === '' ? { metric: { kind: 'outage', name } } : { error: 'outage-lost counts the queries lost in outages: give a plain number (e.g. outage-lost<200)' };
  }
  if (name === 'loss') {
    return unit === '%'
      ? { metric: { kind: 'share', name, read: { counter: 'lost' }, of: 'sent' } }
      : { error: 'loss is the share of queries lost: give a percentage (e.g. loss<0.1%), or use "lost" for a count' };
  }
  if (Object.hasOwn(COUNT_METRICS, name)) {
    const read = { counter: COUNT_METRICS[name as CountMetric] };
    if (isTime) return { error: `${name} is a count: give a plain number or a percentage of the queries sent, not "${unit}"` };
    return { metric: unit === '%' ? { kind: 'share', name, read, of: 'sent' } : { kind: 'count', name, read } };
  }
  if (/^rcode\./i.test(name)) {
    const num = rcodeCode(name.slice('rcode.'.length));
    if (num === null) {
      return { error: `unknown response code "${name.slice(6)}"; rcode.<NAME> takes an IANA name (${RCODE_NAMES.join(', ')}) or RCODEn for n up to ${MAX_RCODE}` };
    }
    // The report names every code by rcodeName (RCODE16 is BADVERS), so gates do too.
    const code = rcodeName(num);
    const read = { rcode: code };
    const full = `rcode.${code}`;
    if (isTime) return { error: `${full} is a count: give a plain number or a percentage of the completed queries, not "${unit}"` };
    return { metric: unit === '%' ? { kind: 'share', name: full, read, of: 'completed' } : { kind: 'count', name: full, read } };
  }
  return { error: `unknown metric "${rawName}"${suggest(rawName)}` };
}

const OPERATOR = /(<=|>=|==|!=|=>|=<|<|>|=)/;

/** One --gate value. Throws UsageError naming the expression and listing the valid metrics. */
export function parseGate(expression: string): Gate {
  const fail = (why: string): never => {
    throw new UsageError(`--gate "${expression}": ${why}; valid metrics: ${METRIC_HELP}`);
  };
  // Spaces are allowed anywhere (`--gate "p99 < 2 ms"`); labels and metrics never contain one.
  const s = expression.replace(/\s+/g, '');
  const m = OPERATOR.exec(s);
  if (!m) return fail('expected [target:]metric<op>value, e.g. p99<2ms or vip:qps>=50000 (op is <, <=, >, >= or ==)');
  const op = m[1]!;
  if (op === '=' || op === '!=' || op === '=>' || op === '=<') {
    return fail(`unknown operator "${op}" (use <, <=, >, >= or ==)`);
  }
  const left = s.slice(0, m.index);
  const right = s.slice(m.index + op.length);
  if (OPERATOR.test(right)) return fail('one comparison per gate (give --gate once for each bound)');

  // The target prefix ends at the last ':' (metric names have none), so host:port and IPv6
  // labels work: 127.0.0.1:5353:p99<2ms, [::1]:p99<2ms.
  const colon = left.lastIndexOf(':');
  let target: string | null = colon >= 0 ? left.slice(0, colon) : null;
  const name = colon >= 0 ? left.slice(colon + 1) : left;
  if (target !== null && /^\[[^\]]+\]$/.test(target)) target = target.slice(1, -1);
  if (target === '') return fail('empty target before ":" (write label:metric, e.g. vip:p99<2ms)');
  if (name === '') return fail('no metric before the operator');

  const num = NUMBER.exec(right);
  if (!num) return fail(`expected a number after "${op}", got "${right}"`);
  const unitText = right.slice(num[0].length);
  const unit = unitOf(unitText);
  if (unit === null) return fail(`unknown unit "${unitText}" (latency takes s, ms or us; shares take %; counts and qps a plain number)`);
  const resolved = resolveMetric(name, unit);
  if ('error' in resolved) return fail(resolved.error);
  const threshold = scaled(num[1]!, Number(num[2] ?? 0), SHIFT[unit]);
  if (!Number.isFinite(threshold)) return fail(`value "${num[0]}" is out of range`);
  const fixed = fixedOutcome(resolved.metric, op as Operator, threshold);
  if (fixed !== null) return fail(fixed);
  return { expression, target, metric: resolved.metric, op: op as Operator, threshold, unit, thresholdText: num[0] };
}

/**
 * Why a gate's verdict is known before any run, or null. Every metric is at least 0 (values are
 * written without a sign) and a share at most 100%, so `qps>=0` or `loss<=100%` can never fail and
 * `p99<0ms` or `loss>100%` can never pass: a CI gate that guards nothing, or blocks every run.
 */
function fixedOutcome(metric: Metric, op: Operator, t: number): string | null {
  const share = metric.kind === 'share';
  const hi = share ? 100 : Infinity;
  const range = share ? `${metric.name} is a share between 0% and 100%` : `${metric.name} is never below 0`;
  if ((op === '>=' && t <= 0) || (op === '<=' && t >= hi) || (op === '<' && t > hi)) return `can never fail (${range}), so it would pass every run`;
  if ((op === '<' && t <= 0) || (op === '>' && t >= hi) || (op === '>=' && t > hi) || (op === '==' && t > hi)) {
    return `can never pass (${range}), so it would fail every run`;
  }
  return null;
}

/** The gate as it is printed: normalized metric name, the value as written, and the target. */
export function gateText(g: Gate, target: string | null = g.target): string {
  return `${target === null ? '' : `${target.includes(':') && !target.includes('.') ? `[${target}]` : target}:`}${g.metric.name}${g.op}${g.thresholdText}${g.unit}`;
}

export function parseGates(expressions: readonly string[]): Gate[] {
  return expressions.map(parseGate);
}

// --- --max-regression --------------------------------------------------------------------------

/**
 * How much worse than the baseline a metric may get:
 * - relative (`qps=5%`, `p99=10%`): a share of the baseline value;
 * - absolute (`p99=0.5ms`, `timeouts=10`): in the metric's own unit;
 * - points (`loss=0.5%`, `rcode.SERVFAIL=0.1%`): for shares, percentage points, because a share
 *   that is 0 in the baseline cannot grow by a percentage of itself.
 */
export interface Allowance {
  metric: Metric;
  mode: 'relative' | 'absolute' | 'points';
  /** Percent for relative and points; canonical unit for absolute. */
  amount: number;
  /** As written, e.g. "10%" or "0.5ms". */
  text: string;
}

function isLatencyName(name: string): boolean {
  return (LATENCY_METRICS as readonly string[]).includes(name.toLowerCase().replace(/^corrected\./, ''));
}

export function parseMaxRegression(value: string): Allowance[] {
  const fail = (why: string): never => {
    throw new UsageError(`--max-regression "${value}": ${why}; valid metrics: ${METRIC_HELP}`);
  };
  const parts = value.split(',').map((p) => p.replace(/\s+/g, '')).filter((p) => p !== '');
  if (parts.length === 0) fail('expected metric=limit[,metric=limit...], e.g. qps=5%,p99=10%');
  const out: Allowance[] = [];
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) return fail(`"${part}": expected metric=limit, e.g. p99=10%`);
    const name = part.slice(0, eq);
    const right = part.slice(eq + 1);
    const num = NUMBER.exec(right);
    if (!num) return fail(`"${part}": expected a number after "="`);
    const unitText = right.slice(num[0].length);
    const unit = unitOf(unitText);
    if (unit === null) return fail(`"${part}": unknown unit "${unitText}" (give % for a relative limit, or s/ms/us for latency)`);
    // A % is relative to the baseline for qps and latency; for shares (loss, rcode.X, counters
    // given as %) it is percentage points.
    let metric: Metric;
    let mode: Allowance['mode'];
    if (unit === '%') {
      const plain = resolveMetric(name, isLatencyName(name) ? 'us' : '');
      if ('metric' in plain && (plain.metric.kind === 'rate' || plain.metric.kind === 'latency' || plain.metric.kind === 'outage')) {
        metric = plain.metric;
        mode = 'relative';
      } else {
        const share = resolveMetric(name, '%');
        if ('error' in share) return fail(`"${part}": ${share.error}`);
        metric = share.metric;
        mode = 'points';
      }
    } else {
      const r = resolveMetric(name, unit);
      if ('error' in r) return fail(`"${part}": ${r.error}`);
      metric = r.metric;
      mode = 'absolute';
    }
    if (out.some((a) => a.metric.name === metric.name)) return fail(`"${metric.name}" is given twice`);
    const amount = scaled(num[1]!, Number(num[2] ?? 0), unit === '%' ? 0 : SHIFT[unit]);
    // As for --gate: 1e400% is Infinity, a limit that no regression can pass ("a rise of Infinitys").
    if (!Number.isFinite(amount)) return fail(`"${part}": value "${num[0]}" is out of range`);
    out.push({ metric, mode, amount, text: `${num[0]}${unit}` });
  }
  return out;
}
