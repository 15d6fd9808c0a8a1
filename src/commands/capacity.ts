// `dnsbench capacity`: the highest rate a server sustains within an SLO (issue 13). Wiring only:
// flags -> CapacityConfig -> ONE measurement (the same workers, sockets and source ports at every
// step) driven by the pure search (capacity/search.ts) or one ramp run (capacity/ramp.ts) ->
// a report whose `capacity` section holds every step -> gates, outputs, exit code.
import { resolveCapacityConfig, type CapacityConfig, type RawCapacityOptions } from '../capacity/config.js';
import { judgeStep, stepFigures } from '../capacity/judge.js';
import { rampOutcome, rampWindows } from '../capacity/ramp.js';
import { capacityExitCode, capacitySummary } from '../capacity/section.js';
import { CapacitySearch } from '../capacity/search.js';
import { gateText } from '../gates/parse.js';
import { ExitCode } from '../errors.js';
import { openMeasurement, type MeasureContext, type MeasureObserver, type Measurement } from '../measure.js';
import type { QuerySet } from '../queryset/types.js';
import { redactArgv } from '../redact.js';
import { checkGenerator } from '../results/generator.js';
import type { CapacityResult, CapacitySection, CapacityStep, Report } from '../results/report.js';
import { renderCapacityHeader, renderCapacityLine, renderCapacityRows, renderCapacityStep, renderCapacityTail, type CapacityPlan } from '../report/capacity.js';
import { formatServer } from '../results/report.js';
import type { Progress } from '../engine/session.js';
import type { Console, StopSignal } from './console.js';
import { outputWidth, SIGNAL_EXIT, stopOnSignals } from './console.js';
import { nativeUdp } from './native.js';
import { withQuerySet } from './run.js';
import { isHuman } from './finish.js';
import { applyGating, emitVerdicts, gatingExitCode, worstExit } from './gating.js';
import { writeOutputs } from './outputs.js';
import { machineInfo } from './machine.js';
import { availableParallelism } from 'node:os';

/** A progress line on a terminal's stderr while a step runs; -v lines as a run prints them. */
class StepObserver implements MeasureObserver {
  label = '';
  private shown = false;
  constructor(
    private readonly con: Console,
    private readonly show: boolean,
    private readonly human: boolean,
  ) {}

  progress(e: { progress: Progress }): void {
    if (!this.show) return;
    const p = e.progress;
    const c = p.targets[0]!;
    const sec = p.durationMs / 1000;
    const resolved = c.completed + c.lost;
    const lost = resolved > 0 ? (100 * c.lost) / resolved : 0;
    this.con.err(`\r\x1b[K[${this.label}] ${Math.round(sec > 0 ? c.completed / sec : 0).toLocaleString('en-US')} qps answered, ${lost.toFixed(2)}% lost`);
    this.shown = true;
  }

  verbose(lines: string): void {
    if (this.human) this.con.out(lines);
    else this.con.err(lines);
  }

  clear(): void {
    if (this.shown) this.con.err('\r\x1b[K');
    this.shown = false;
  }
}

interface Ctx {
  cc: CapacityConfig;
  m: Measurement;
  querySet: QuerySet;
  command: string[];
  con: Console;
  stop: { signal: AbortSignal; stoppedBy(): StopSignal | null };
  human: boolean;
  observer: StepObserver;
}

export async function capacityCommand(raw: RawCapacityOptions, argv: string[], con: Console): Promise<number> {
  const cc = await resolveCapacityConfig(raw, { stdinIsTTY: con.stdinIsTTY, native: nativeUdp() });
  const config = cc.bench;
  // Flags adjusted instead of refused, one dnsperf-style line each (as a run prints them).
  if (!config.quiet) for (const w of config.warnings) con.err(`Warning: ${w}\n`);
  // --expect: answers checked against the file's expectations (wrong answers count as lost).
  return withQuerySet(config, con, (querySet) => search(cc, querySet, argv, con));
}

async function search(cc: CapacityConfig, querySet: QuerySet, argv: string[], con: Console): Promise<number> {
  const config = cc.bench;
  const command = redactArgv(argv);
  const stop = stopOnSignals(con);
  const human = isHuman(config);
  const observer = new StepObserver(con, con.stderrIsTTY && !config.quiet, human);
  const m = openMeasurement(config, querySet);
  const ctx: Ctx = { cc, m, querySet, command, con, stop, human, observer };
  const first = config.targets[0]!;
  const plan: CapacityPlan = {
    method: cc.method,
    slo: cc.slo.text,
    sloParts: cc.slo.gates.map((g) => gateText(g)),
    target: first.label,
    settings: settingsOf(cc),
    server: formatServer(first.host, first.port),
    others: config.targets.slice(1).map((t) => t.label),
  };
  if (human) con.out(renderCapacityHeader(plan));
  let report: Report | null;
  try {
    report = cc.method === 'ramp' ? await runRamp(ctx, plan) : await runSearch(ctx, plan);
  } finally {
    observer.clear();
    await m.close();
  }
  if (report === null) {
    // Stopped before the first step was measured: there is nothing to report or write.
    con.err('dnsbench: capacity: interrupted before the first step was measured; no report written\n');
    return SIGNAL_EXIT[stop.stoppedBy() ?? 'SIGINT'];
  }
  const judged = applyGating(report, config.gating);
  // The tail of the human view, the gate verdicts, then "Capacity: ..." as the very last line.
  if (human) con.out(renderCapacityTail(judged, outputWidth(con)));
  emitVerdicts(judged, config, con, true);
  if (human) con.out(renderCapacityLine(judged));
  writeOutputs(
    judged,
    { json: config.json, html: config.html, csv: config.csv, junit: config.gating.junit, markdown: config.gating.markdown },
    { quiet: config.quiet },
    con,
  );
  let code = worstExit(capacityExitCode(judged.capacity!.result), gatingExitCode(judged));
  const by = stop.stoppedBy();
  if (by !== null) code = judged.capacity!.result === 'nothing-answered' ? ExitCode.runFailed : SIGNAL_EXIT[by];
  return code;
}


function settingsOf(cc: CapacityConfig): CapacitySection['settings'] {
  const search = cc.method === 'search';
  return {
    startQps: search ? cc.startQps : null,
    maxQps: cc.maxQps,
    stepTimeSec: search ? cc.stepTimeSec : null,
    warmupSec: search ? cc.warmupSec : null,
    precisionPct: search ? cc.precisionPct : null,
    factor: search ? cc.factor : null,
    rampTimeSec: search ? null : cc.rampTimeSec,
    windowSec: search ? null : cc.windowSec,
  };
}

function measureCtx(c: Ctx, observer?: MeasureObserver): MeasureContext {
  return { command: c.command, machine: machineInfo(), signal: c.stop.signal, ...(observer ? { observer } : {}) };
}

/**
 * The step search: each step is two runs on the same sessions, the warm-up (not kept: the server's
 * caches and queues settle, the rate is already the step's) and the measured part, whose report
 * is the step's. Separate runs rather than trimming one run's intervals, so every figure of the
 * step (pacing, corrected latency, the generator's CPU) covers the measured part exactly.
 */
async function runSearch(c: Ctx, plan: CapacityPlan): Promise<Report | null> {
  const { cc, con, human, observer } = c;
  const search = new CapacitySearch({ start: cc.startQps, max: cc.maxQps, precisionPct: cc.precisionPct, factor: cc.factor });
  const steps: CapacityStep[] = [];
  let generator: { qps: number; reasons: string[] } | null = null;
  let starved = false;
  let droppedOnly = false;
  const aborted = (): boolean => c.stop.signal.aborted;
  for (let rate = search.next(); rate !== null; rate = search.next()) {
    const n = steps.length + 1;
    observer.label = `step ${n}: ${rate.toLocaleString('en-US')} qps`;
    if (cc.warmupSec > 0) {
      observer.label = `step ${n}: ${rate.toLocaleString('en-US')} qps, warm-up`;
      await c.m.run(measureCtx(c, observer), { maxQps: rate, timeLimitSec: cc.warmupSec, passes: null });
      observer.label = `step ${n}: ${rate.toLocaleString('en-US')} qps`;
    }
    if (aborted()) break;
    const report = await c.m.run(measureCtx(c, observer), { maxQps: rate, timeLimitSec: cc.stepTimeSec - cc.warmupSec, passes: null });
    observer.clear();
    // A step cut short by Ctrl-C is not judged: its rate was not held for the step's time.
    if (aborted()) break;
    const j = judgeStep(report, cc.slo.gates);
    const step: CapacityStep = {
      step: n,
      phase: search.phase,
      ...stepFigures(report.targets[0]!, j, rate),
      targets: j.targets.map((t) => ({ label: t.label, verdict: t.verdict })),
      report,
    };
    steps.push(step);
    if (j.verdict === 'generator') {
      generator = { qps: j.generator.offeredQps, reasons: j.reasons };
      starved = j.generator.starved;
      droppedOnly = j.generator.dropped && !j.generator.saturated && !j.generator.starved;
    }
    search.record(rate, j.verdict);
    if (human) con.out(renderCapacityStep(step));
  }
  if (aborted()) search.interrupt();
  const s = search.state;
  const result = s.result ?? 'interrupted';
  let reportIndex = steps.length - 1;
  for (let i = steps.length - 1; i >= 0; i--) {
    if (steps[i]!.verdict === 'pass' && steps[i]!.offeredQps === s.passed) {
      reportIndex = i;
      break;
    }
  }
  if (reportIndex < 0) return null;
  const base = steps[reportIndex]!.report;
  // The capacity is the rate the server was sent at the highest passing step (within 10% of the
  // offered rate, or less when the generator's timers woke late), not the rate asked for.
  const at = steps[reportIndex]!;
  const capacityQps = s.passed === null ? null : Math.round(at.achievedQps);
  const section = sectionOf(c, plan, {
    result,
    capacityQps,
    failedQps: s.failed,
    generator,
    generatorStarved: starved,
    generatorDroppedOnly: droppedOnly,
    reportStep: reportIndex + 1,
    steps,
    windows: [],
    startReasons: result === 'slo-failed-at-start' ? steps[0]?.reasons ?? [] : [],
    targets: c.cc.bench.targets.map((t, i) => {
      if (i === 0) return { label: t.label, capacityQps };
      // The others: the rate sent to them at the highest step they passed.
      const passed = steps.filter((x) => x.targets[i]?.verdict === 'pass').map((x) => x.report.targets[i]?.sendRate ?? 0);
      return { label: t.label, capacityQps: passed.length > 0 ? Math.round(Math.max(...passed)) : null };
    }),
  });
  return { ...base, capacity: section, notes: [...searchNotes(cc, steps, section), ...base.notes] };
}

/** The ramp: one run whose rate rises from 0 to --max; its windows judged afterwards. */
async function runRamp(c: Ctx, plan: CapacityPlan): Promise<Report> {
  const { cc, con, human, observer } = c;
  observer.label = `ramp to ${cc.maxQps!.toLocaleString('en-US')} qps`;
  const report = await c.m.run(measureCtx(c, observer), { maxQps: cc.maxQps, rampSec: cc.rampTimeSec, timeLimitSec: cc.rampTimeSec, passes: null });
  observer.clear();
  const opts = { maxQps: cc.maxQps!, rampSec: cc.rampTimeSec, windowSec: cc.windowSec };
  const perTarget = report.targets.map((t) => rampOutcome(rampWindows(t, report.generator, cc.slo.gates, opts), { ...report, targets: [t] }));
  const main = perTarget[0]!;
  const interrupted = c.stop.signal.aborted;
  const result: CapacityResult = interrupted ? 'interrupted' : main.result;
  const section = sectionOf(c, plan, {
    result,
    capacityQps: main.capacityQps,
    failedQps: main.failedQps,
    generator: main.generator,
    generatorStarved: main.generator?.reasons.some((r) => r.includes('runnable')) ?? false,
    reportStep: null,
    steps: [],
    windows: main.windows,
    startReasons: result === 'slo-failed-at-start' ? main.windows.find((w) => w.verdict !== 'pass')?.reasons ?? [] : [],
    targets: report.targets.map((t, i) => ({ label: t.label, capacityQps: perTarget[i]!.capacityQps })),
  });
  if (human) con.out(renderCapacityRows(section));
  const notes = [
    `Ramp: the rate rose linearly from 0 to ${cc.maxQps!.toLocaleString('en-US')} qps per target over ${cc.rampTimeSec} s on one run; each ${cc.windowSec} s window of ${report.config.intervalSec} s intervals was checked against the SLO from the queries sent in it.`,
  ];
  return { ...report, capacity: section, notes: [...notes, ...report.notes] };
}

type SectionParts = Pick<CapacitySection, 'result' | 'capacityQps' | 'failedQps' | 'generator' | 'reportStep' | 'steps' | 'windows' | 'targets'> & {
  startReasons: string[];
  generatorStarved: boolean;
  generatorDroppedOnly?: boolean;
};

function sectionOf(c: Ctx, plan: CapacityPlan, p: SectionParts): CapacitySection {
  const { startReasons, generatorStarved, generatorDroppedOnly, ...rest } = p;
  const summary = capacitySummary({
    method: plan.method,
    result: p.result,
    capacityQps: p.capacityQps,
    failedQps: p.failedQps,
    slo: plan.sloParts.join(', '),
    startQps: plan.settings.startQps,
    maxQps: plan.settings.maxQps,
    topWindowQps: p.windows.length > 0 ? Math.max(...p.windows.map((w) => w.offeredQps)) : null,
    generator: p.generator,
    generatorStarved,
    generatorDroppedOnly: generatorDroppedOnly === true,
    threads: c.cc.bench.threads,
    cores: availableParallelism(),
    server: plan.server,
    startReasons,
  });
  return { method: plan.method, slo: plan.slo, sloParts: plan.sloParts, target: plan.target, settings: plan.settings, ...rest, summary };
}

/** How the search ran, and a caveat when the first failure above the capacity may be the generator's. */
function searchNotes(cc: CapacityConfig, steps: readonly CapacityStep[], section: CapacitySection): string[] {
  const notes = [
    `Capacity search: ${steps.length} step${steps.length === 1 ? '' : 's'} on the same sockets; each ran ${cc.warmupSec} s of warm-up (not counted) and then ${cc.stepTimeSec - cc.warmupSec} s measured at its rate. The results above are step ${section.reportStep}.`,
  ];
  if (section.result === 'found' && section.failedQps !== null) {
    const failed = steps.find((s) => s.offeredQps === section.failedQps && s.verdict !== 'pass');
    if (failed !== undefined) {
      const g = checkGenerator(failed.report);
      if (g.limited || g.starved) {
        notes.push(
          `At ${failed.offeredQps.toLocaleString('en-US')} qps, where the SLO failed, the generator was also ${g.limited ? `behind (${g.reasons.join('; ')})` : 'waiting for a CPU much of the time'}: ` +
            'on a machine shared with the server the two compete for cores, so part of that failure may be the generator\'s; run the generator on another machine for a firm figure.',
        );
      }
    }
  }
  return notes;
}
