// `dnsbench [options]`: the benchmark. Wiring only: config -> query set -> engine (per target)
// -> merge -> report -> outputs. Returns the exit code; throws typed errors.
import { ExitCode, type ExitCodeValue } from '../errors.js';
import { resolveConfig, type BenchConfig, type RawRunOptions } from '../config.js';
import { loadQuerySet } from '../queryset/load.js';
import type { Report } from '../results/report.js';
import { executeRun } from './execute.js';
import { emitOutputs } from './outputs.js';
import type { Console } from './console.js';
import { applyGating, emitVerdicts, gatingExitCode, worstExit, writeCiFiles } from './gating.js';

export interface RunResult {
  report: Report;
  exitCode: ExitCodeValue;
}

export async function runCommand(raw: RawRunOptions, argv: string[], con: Console): Promise<RunResult> {
  const config = await resolveConfig(raw, { stdinIsTTY: con.stdinIsTTY });
  const querySet = await loadQuerySet(config.queryFile, config.encode, con.stdin, config.segment);
  if (config.gating.repeat > 1) return (await import('./repeat.js')).runRepeated(config, querySet, argv, con);
  const report = applyGating(await executeRun(config, querySet, argv, con), config.gating);
  emitOutputs(report, config, con);
  emitVerdicts(report, config, con);
  writeCiFiles(report, config.gating, config, con);
  // A failed run (3) wins over a failed gate (1): its numbers are not worth gating on.
  return { report, exitCode: worstExit(runExitCode(report), gatingExitCode(report)) };
}

/** 3 when some target answered nothing at all (the report says so in its notes). */
export function runExitCode(report: Report): ExitCodeValue {
  const silent = report.targets.some((t) => t.counters.sent > 0 && t.counters.completed === 0 && t.counters.interrupted < t.counters.sent);
  return silent ? ExitCode.runFailed : ExitCode.ok;
}

export type { BenchConfig };
