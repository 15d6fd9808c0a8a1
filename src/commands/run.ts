// `dnsbench [options]`: the benchmark. Wiring only: config -> query set -> measure() (with a live
// printer and signal handling) -> gates -> the tail of the human view -> output files. Returns
// the exit code; throws typed errors (bin.ts maps them).
import { ExitCode } from '../errors.js';
import { resolveConfig, type BenchConfig, type RawRunOptions } from '../config.js';
import { loadQuerySet } from '../queryset/load.js';
import { measure } from '../measure.js';
import { describePlan, planWorkers } from '../engine/split.js';
import type { QuerySet } from '../queryset/types.js';
import type { Report } from '../results/report.js';
import { renderTail } from '../report/human.js';
import { redactArgv } from '../redact.js';
import type { Console } from './console.js';
import { SIGNAL_EXIT, stopOnSignals } from './console.js';
import { applyGating, emitVerdicts, gatingExitCode, runExitCode, worstExit } from './gating.js';
import { LivePrinter } from './live.js';
import { machineInfo } from './machine.js';
import { writeOutputs } from './outputs.js';

export interface RunResult {
  report: Report;
  exitCode: number;
}

export async function runCommand(raw: RawRunOptions, argv: string[], con: Console): Promise<RunResult> {
  const config = await resolveConfig(raw, { stdinIsTTY: con.stdinIsTTY });
  const querySet = await loadQuerySet(config.queryFile, config.encode, con.stdin, config.segment);
  const command = redactArgv(argv);
  const stop = stopOnSignals(con);
  if (config.verbose) con.err(`dnsbench: ${describePlan(planWorkers(config), config.maxQps)}\n`);
  if (config.gating.repeat > 1) return (await import('./repeat.js')).runRepeated(config, querySet, command, con, stop);
  const human = isHuman(config);
  const report = applyGating(
    await measure(config, querySet, { command, machine: machineInfo(), signal: stop.signal, observer: new LivePrinter(config, con, command, human) }),
    config.gating,
  );
  finishRun(report, config, con, false);
  return { report, exitCode: exitCodeOf(report, stop.stoppedBy()) };
}

/** Whether the human view goes to stdout. */
export function isHuman(config: Pick<BenchConfig, 'quiet' | 'json'>): boolean {
  return !config.quiet && config.json !== '-';
}

/** After the targets' blocks: comparison and notes, the verdicts, then every output file. */
export function finishRun(report: Report, config: BenchConfig, con: Console, afterRepeat: boolean, tail = renderTail(report)): void {
  if (isHuman(config)) con.out(tail);
  emitVerdicts(report, config, con, afterRepeat || report.notes.length > 0);
  writeOutputs(
    report,
    { json: config.json, html: config.html, csv: config.csv, junit: config.gating.junit, markdown: config.gating.markdown },
    { quiet: config.quiet },
    con,
  );
}

/**
 * The run's exit code (README "Exit codes"): 3 when a target answered nothing (also when stopped
 * by a signal before any answer), else 128 + n when a signal stopped it, else 1 when a gate
 * failed, else 0.
 */
export function exitCodeOf(report: Report, stoppedBy: keyof typeof SIGNAL_EXIT | null): number {
  let code = worstExit(runExitCode(report), gatingExitCode(report));
  if (stoppedBy !== null) {
    const nothing = report.targets.every((t) => t.counters.completed === 0);
    code = worstExit(code, nothing ? ExitCode.runFailed : SIGNAL_EXIT[stoppedBy]);
  }
  return code;
}

export type { QuerySet };
