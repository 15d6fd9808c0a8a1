// --baseline FILE --max-regression qps=5%,p99=10%: each target against the same target of a saved
// run. A difference fails only when it is worse than the limit AND larger than the run-to-run
// spread (when one is known), so noise alone does not fail a build:
//
//   worse   = how much worse current is (baseline - current for qps, current - baseline otherwise)
//   allowed = the limit in the metric's unit (relative: limit% of the baseline value)
//   noise   = max(spread of the current runs, spread of the baseline runs), spread = max - min,
//             known only when at least one side was made with --repeat N (N >= 2)
//   pass    if worse <= allowed
//   noise   if worse > allowed but worse <= noise      (reported, does not fail)
//   fail    if worse > allowed and (noise unknown or worse > noise)
import { UsageError } from '../errors.js';
import type { Report } from '../results/report.js';
import { samplesOf } from './evaluate.js';
import { formatNatural, naturalUnit, signed, signedNatural, trimmed } from './format.js';
import { aggregate, higherIsBetter } from './metrics.js';
import type { Allowance } from './parse.js';
import type { BaselineResult, BaselineSection } from '../results/sections.js';

export const NOISE_RULE =
  'A metric fails when it is worse than the baseline by more than the --max-regression limit and, when a run-to-run ' +
  'spread is known (--repeat N on either side), by more than that spread (max - min over the runs, the larger of the two sides). ' +
  'Medians are compared.';

/**
 * Which baseline target each current target is compared with: the one with the same label, or
 * the baseline's only target. A target with neither is a usage error (exit 2), found before a run.
 */
export function matchBaseline(current: readonly { label: string }[], baseline: Report, file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of current) {
    const same = baseline.targets.find((b) => b.label === t.label);
    const only = baseline.targets.length === 1 ? baseline.targets[0] : undefined;
    const match = same ?? only;
    if (match === undefined) {
      throw new UsageError(
        `--baseline ${file}: no target labelled "${t.label}" to compare with (it has: ${baseline.targets.map((b) => b.label).join(', ') || 'none'}); ` +
          'label targets the same way (-s label=host) or compare one target at a time',
      );
    }
    out.set(t.label, match.label);
  }
  return out;
}

export function compareBaseline(
  current: Report,
  baseline: Report,
  allowances: readonly Allowance[],
  o: { file: string; maxRegression: string },
): BaselineSection {
  const pairs = matchBaseline(current.targets, baseline, o.file);
  const cur = samplesOf(current);
  const base = samplesOf(baseline);
  const results: BaselineResult[] = [];
  for (const t of current.targets) {
    const bLabel = pairs.get(t.label)!;
    for (const a of allowances) {
      results.push(compareOne(a, t.label, bLabel, aggregate(a.metric, cur.get(t.label)!), aggregate(a.metric, base.get(bLabel)!)));
    }
  }
  return {
    file: o.file,
    baselineStartedAt: baseline.startedAt,
    baselineTitle: baseline.title,
    maxRegression: o.maxRegression,
    passed: results.every((r) => r.passed),
    rule: NOISE_RULE,
    results,
  };
}

type Agg = ReturnType<typeof aggregate>;

function compareOne(a: Allowance, label: string, bLabel: string, cur: Agg, base: Agg): BaselineResult {
  const unit = naturalUnit(a.metric);
  const head = {
    target: label, baselineTarget: bLabel, metric: a.metric.name, unit, limit: a.text,
  };
  if ('missing' in cur || 'missing' in base) {
    const why = 'missing' in cur ? `current: ${cur.missing}` : `baseline: ${(base as { missing: string }).missing}`;
    return {
      ...head, baseline: 'missing' in base ? null : base.value, current: 'missing' in cur ? null : cur.value,
      change: null, changePercent: null, worse: null, allowed: null, noise: null, verdict: 'fail', passed: false,
      message: `no value to compare (${why})`,
    };
  }
  const change = cur.value - base.value;
  const changePercent = base.value === 0 ? null : (100 * change) / Math.abs(base.value);
  const worse = higherIsBetter(a.metric) ? -change : change;
  const allowed = a.mode === 'relative' ? (Math.abs(base.value) * a.amount) / 100 : a.amount;
  const spreads = [cur, base].filter((x) => x.runs > 1).map((x) => x.max - x.min);
  const noise = spreads.length === 0 ? null : Math.max(...spreads);
  const verdict: BaselineResult['verdict'] = worse <= allowed ? 'pass' : noise !== null && worse <= noise ? 'noise' : 'fail';

  const f = (v: number): string => formatNatural(v, unit);
  const changeText =
    unit === '%'
      ? `${signed(change, '%').replace('%', '')} points`
      : `${signedNatural(change, unit)}${changePercent === null ? '' : `, ${changePercent > 0 ? '+' : ''}${trimmed(changePercent, 1)}%`}`;
  const limitText = a.mode === 'points' ? `${a.text.replace('%', '')} points` : a.text;
  const direction = higherIsBetter(a.metric) ? 'drop' : 'rise';
  const limit = `limit: a ${direction} of ${limitText}${a.mode === 'relative' ? ` = ${f(allowed)}` : ''}`;
  const median = cur.runs > 1 || base.runs > 1 ? 'medians ' : '';
  let message = `${median}${f(cur.value)} vs baseline ${f(base.value)} (${changeText}); ${limit}`;
  if (verdict === 'noise') message += `; beyond the limit but within the run-to-run spread of ${f(noise!)}, so noise, not a regression`;
  else if (verdict === 'fail') {
    message += `; regression: ${f(worse - allowed)} beyond the limit`;
    message += noise === null ? ' (single runs, spread unknown: --repeat N checks noise)' : ` and larger than the run-to-run spread of ${f(noise)}`;
  }
  return {
    ...head, baseline: base.value, current: cur.value, change, changePercent, worse, allowed, noise, verdict,
    passed: verdict !== 'fail', message,
  };
}
