// Gates against a Report: one result per gate and target, PASS or FAIL with the measured value
// and by how much it clears or misses the limit. Pure: report and gates in, results out.
import { UsageError } from '../errors.js';
import type { Report } from '../results/report.js';
import { formatIn, signed, toUnit, trimmed } from './format.js';
import { aggregate, metricSource, type MetricSource } from './metrics.js';
import { gateText, type Gate, type Operator } from './parse.js';
import type { GateResult, GatesSection } from '../results/sections.js';
import { timelineOf } from '../results/timeline.js';
import { timelineOptions } from '../results/ops-report.js';

/** Who a target is, for matching a gate's `target:` prefix: its label, host:port or host. */
export interface TargetName {
  label: string;
  server: string;
  host: string;
}

export function targetMatches(name: string, t: TargetName): boolean {
  return name === t.label || name === t.server || name === t.host;
}

/**
 * Every gate's target must name a target of the run: checked before the run (and before
 * `report` evaluates), so `vpi:p99<2ms` is a usage error rather than a gate that never applies.
 */
export function checkGateTargets(gates: readonly Gate[], targets: readonly TargetName[]): void {
  for (const g of gates) {
    if (g.target !== null && !targets.some((t) => targetMatches(g.target!, t))) {
      throw new UsageError(
        `--gate "${g.expression}": no target "${g.target}" in this run (targets: ${targets.map((t) => t.label).join(', ')}); ` +
          'name a target by its label (-s label=host) or host:port',
      );
    }
  }
}

export function compare(measured: number, op: Operator, threshold: number): boolean {
  switch (op) {
    case '<': return measured < threshold;
    case '<=': return measured <= threshold;
    case '>': return measured > threshold;
    case '>=': return measured >= threshold;
    case '==': return measured === threshold;
  }
}

/**
 * What each target is measured from: the target itself, or with --repeat every run's summary
 * (gates then hold the median). Keyed by label.
 */
export function samplesOf(report: Report): Map<string, MetricSource[]> {
  const out = new Map<string, MetricSource[]>();
  const repeat = report.repeat;
  // outage / outage-lost read the timeline; a report without one (older, or made without the
  // timeline flags) gets it computed from its intervals with its settings.
  let timeline = report.timeline;
  const outageOf = (label: string): MetricSource['outage'] => {
    if (repeat) return undefined;
    timeline ??= timelineOf(report.targets, report.events ?? [], timelineOptions(report));
    const tl = timeline.targets.find((x) => x.label === label);
    return tl === undefined ? undefined : { longestUs: tl.longestOutageMs * 1000, lost: tl.outageLost };
  };
  for (const t of report.targets) {
    const runs = repeat?.results.map((r) => r.targets.find((x) => x.label === t.label)).filter((x) => x !== undefined) ?? [];
    const capacity = capacityOf(report, t.label);
    if (repeat && runs.length === repeat.results.length) out.set(t.label, runs);
    else {
      const outage = outageOf(t.label);
      out.set(t.label, [{ ...metricSource(t), ...(outage !== undefined ? { outage } : {}), ...(capacity ? { capacity } : {}) }]);
    }
  }
  return out;
}

/** A target's capacity figure from a capacity report's section (undefined in other reports). */
function capacityOf(report: Report, label: string): MetricSource['capacity'] {
  const c = report.capacity;
  if (c === undefined) return undefined;
  const qps = c.targets.find((x) => x.label === label)?.capacityQps ?? null;
  // The search target's figure is exact only when the SLO failed above it within the precision;
  // the other targets were measured at the search target's steps, so theirs are lower bounds.
  const exact = label === c.target && (c.result === 'found' || c.result === 'slo-failed-at-start');
  return { qps, lowerBound: !exact, why: qps === null ? c.summary : '' };
}

export function evaluateGates(report: Report, gates: readonly Gate[]): GatesSection {
  const samples = samplesOf(report);
  const several = report.targets.length > 1;
  const results: GateResult[] = [];
  for (const g of gates) {
    for (const t of report.targets) {
      if (g.target !== null && !targetMatches(g.target, t)) continue;
      results.push(evaluateOne(g, t.label, samples.get(t.label)!, several));
    }
  }
  return { passed: results.every((r) => r.passed), results };
}

function evaluateOne(g: Gate, label: string, runs: readonly MetricSource[], several: boolean): GateResult {
  const text = gateText(g, several ? label : g.target);
  const base = {
    gate: text, expression: g.expression, target: label, metric: g.metric.name, operator: g.op,
    threshold: toUnit(g.threshold, g.unit), unit: g.unit,
  };
  const bound = g.metric.kind === 'capacity' && runs.length === 1 && runs[0]!.capacity?.lowerBound === true && runs[0]!.capacity.qps !== null;
  if (bound && g.op !== '>' && g.op !== '>=') {
    const qps = runs[0]!.capacity!.qps!;
    return { ...base, measured: null, passed: false, difference: null, relative: null, runs: null, message: `no value: ${label}'s capacity is only known to be at least ${qps} qps (the search stopped before the SLO failed)` };
  }
  const agg = aggregate(g.metric, runs);
  if ('missing' in agg) {
    return { ...base, measured: null, passed: false, difference: null, relative: null, runs: null, message: `no value: ${agg.missing}` };
  }
  const passed = compare(agg.value, g.op, g.threshold);
  const measured = toUnit(agg.value, g.unit);
  const difference = toUnit(agg.value - g.threshold, g.unit);
  const relative = g.threshold === 0 ? null : (100 * Math.abs(agg.value - g.threshold)) / Math.abs(g.threshold);
  const runInfo = agg.runs > 1 ? { count: agg.runs, min: toUnit(agg.min, g.unit), max: toUnit(agg.max, g.unit) } : null;
  let how: string;
  if (agg.value === g.threshold) how = g.op === '==' ? 'exactly' : 'at the limit';
  else how = `${signed(difference, g.unit)}${relative === null ? '' : `, ${trimmed(relative, 1)}% ${agg.value > g.threshold ? 'over' : 'under'}`}`;
  const spread = runInfo ? `; median of ${runInfo.count} runs, range ${formatIn(runInfo.min, g.unit)}..${formatIn(runInfo.max, g.unit)}` : '';
  return {
    ...base, measured, passed, difference, relative, runs: runInfo,
    message: `measured ${bound ? 'at least ' : ''}${formatIn(measured, g.unit)} (${how}${spread})`,
  };
}
