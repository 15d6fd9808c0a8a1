// The end of every run (plain, --repeat, demo): the tail of the human view, the verdicts, the
// output files, and the exit code by the documented precedence.
import { ExitCode } from '../errors.js';
import type { BenchConfig } from '../config.js';
import type { Report } from '../results/report.js';
import { renderTail } from '../report/human.js';
import type { Console } from './console.js';
import { outputWidth, SIGNAL_EXIT } from './console.js';
import { emitVerdicts, gatingExitCode, runExitCode, worstExit } from './gating.js';
import { writeOutputs } from './outputs.js';

export interface RunResult {
  report: Report;
  exitCode: number;
}

/** Whether the human view goes to stdout. */
export function isHuman(config: Pick<BenchConfig, 'quiet' | 'json'>): boolean {
  return !config.quiet && config.json !== '-';
}

/** After the targets' blocks: comparison and notes, the verdicts, then every output file. */
export function finishRun(report: Report, config: BenchConfig, con: Console, afterRepeat: boolean, tail = renderTail(report, outputWidth(con))): void {
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

