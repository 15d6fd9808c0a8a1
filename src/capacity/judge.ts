// One capacity step's verdict, from its Report alone (pure): did the target meet the SLO at the
// offered rate, or did the generator, not the server, stop the rate? The same rules serve the
// search's steps and the saved JSON, so `dnsbench report` shows what the search decided.
import { evaluateGates } from '../gates/evaluate.js';
import type { Gate } from '../gates/parse.js';
import { BUSY_WAIT_PCT, checkGenerator, type GeneratorCheck } from '../results/generator.js';
import { answeredNothing, type CapacityFigures, type CapacityVerdict, type Report, type TargetReport } from '../results/report.js';

/**
 * The offered load counts as reached when the rate actually sent is at least this share of the
 * rate asked for. Below it, a full window (the server holding queries) fails the step, and a
 * generator that fell behind stops the search.
 */
export const REACHED_SHARE = 0.9;

export interface StepJudgement {
  /** The search target's verdict. */
  verdict: CapacityVerdict;
  /** Every target's verdict, in report order. */
  targets: Array<{ label: string; verdict: CapacityVerdict; reasons: string[] }>;
  /** Why the search target's verdict (failed SLO parts, an unreached rate, the generator). */
  reasons: string[];
  generator: GeneratorCheck;
}

/** The verdict of one target in a step (see judgeStep for the rules). */
function judgeTarget(report: Report, t: TargetReport, slo: readonly Gate[], gen: GeneratorCheck): { verdict: CapacityVerdict; reasons: string[] } {
  if (answeredNothing(t)) return { verdict: 'nothing', reasons: [`nothing answered (${t.counters.sent} queries sent)`] };
  const gates = evaluateGates({ ...report, targets: [t] }, slo);
  const failed = gates.results.filter((r) => !r.passed).map((r) => `${r.gate}: ${r.message}`);
  const sloPassed = failed.length === 0;
  const offered = t.targetQps;
  const reached = offered === null || t.sendRate >= REACHED_SHARE * offered;
  const sent = offered === null ? '' : `${Math.round((100 * t.sendRate) / offered)}% of the offered rate sent`;
  const p = t.pacing;
  // Whose fault an unreached rate is: slots skipped while the window was full wait on the server.
  const windowHeld = p !== undefined && p.skippedWindowFull > 0 && p.skippedWindowFull >= p.skipped - p.skippedWindowFull;
  if (gen.limited && (sloPassed || gen.saturated || gen.dropped)) {
    // The server met the SLO as far as the generator could drive it; or the generator was
    // saturated, or its own sockets dropped answers, so latency and loss cannot be told from the
    // server's.
    const also = sloPassed ? [] : [`the SLO also failed (${failed.join('; ')}), but with the generator saturated that cannot be told from the server`];
    return { verdict: 'generator', reasons: [...gen.reasons, ...also] };
  }
  // What the generator's state adds to a verdict the server earned.
  const caveats = gen.limited || gen.behind || (gen.receiveDrops ?? 0) > 0 ? [`the generator was behind too (${gen.reasons.join('; ')})`] : [];
  if (gen.waitPct !== null && gen.waitPct >= BUSY_WAIT_PCT) {
    caveats.push(`the generator waited for a CPU ${Math.round(gen.waitPct)}% of the time (a busy machine): latency includes that wait`);
  }
  if (!reached && (windowHeld || !sloPassed)) {
    return { verdict: 'fail', reasons: [...failed, `${sent}${windowHeld ? ' (the window was full: the server held the queries)' : ''}`, ...caveats] };
  }
  if (!sloPassed) return { verdict: 'fail', reasons: [...failed, ...caveats] };
  if (!reached) {
    // Not at its limit (neither saturated nor starved), the generator's timers woke late: the
    // server met the SLO at the rate it was sent, which is the figure the search keeps.
    return { verdict: 'pass', reasons: [`only ${sent}: the generator's timers woke late (a busy machine); the rate sent counts`, ...gen.reasons] };
  }
  return { verdict: 'pass', reasons: gen.behind ? [`the generator was behind (${gen.reasons.join('; ')})`] : [] };
}

/**
 * One step: the SLO evaluated on each target, the generator checked once for the whole step
 * (results/generator.ts: saturated = a worker >= 90% CPU; starved = runnable >= 95% of the time;
 * behind = >= 5% of the slots skipped or send lag p99 >= 4 ms).
 * - nothing answered: 'nothing';
 * - the generator limited (saturated or starved) while the SLO held, or saturated whatever the
 *   SLO: 'generator' (the search stops: no server figure above this rate);
 * - the SLO failed, or less than 90% of the offered rate sent while the window was full: 'fail'
 *   (with a caveat when the generator was behind or starved too);
 * - else 'pass', also when less than 90% was sent because the generator's timers woke late (a busy
 *   machine): the server met the SLO at the rate it was sent, which is what the search reports.
 * The search target is report.targets[targetIndex] (the first -s).
 */
export function judgeStep(report: Report, slo: readonly Gate[], targetIndex = 0): StepJudgement {
  const gen = checkGenerator(report);
  const targets = report.targets.map((t) => ({ label: t.label, ...judgeTarget(report, t, slo, gen) }));
  const main = targets[targetIndex]!;
  return { verdict: main.verdict, targets, reasons: main.reasons, generator: gen };
}

/** The table figures of one target in a step report. */
export function stepFigures(t: TargetReport, j: { verdict: CapacityVerdict; reasons: string[]; generator: GeneratorCheck }, offeredQps: number): CapacityFigures {
  const c = t.counters;
  const answered = c.completed > 0;
  return {
    offeredQps,
    achievedQps: t.sendRate,
    answeredQps: t.qps,
    answeredPct: c.sent > 0 ? (100 * c.completed) / c.sent : 100,
    p50Us: answered ? t.latency.percentiles.p50 : null,
    p99Us: answered ? t.latency.percentiles.p99 : null,
    lossPct: c.sent > 0 ? (100 * c.lost) / c.sent : 0,
    verdict: j.verdict,
    reasons: j.reasons,
    generatorCpuPct: j.generator.cpuPct.map((v) => Math.round(v * 10) / 10),
    generatorDemandPct: j.generator.demandPct === null ? null : j.generator.demandPct.map((v) => Math.round(v * 10) / 10),
  };
}
