// --repeat N: the same benchmark N times on ONE measurement (the same workers, sockets and source
// ports every run), then gates on the median of each metric and the run-to-run spread. The JSON
// is the median run (by total qps) plus a `repeat` section with every run's key results.
import type { BenchConfig } from '../config.js';
import type { QuerySet } from '../queryset/types.js';
import type { Report } from '../results/report.js';
import { openMeasurement } from '../measure.js';
import { repeatSection } from '../gates/repeat.js';
import { blockContext, renderTail, renderTargetBlock, targetBanner } from '../report/human.js';
import { renderRepeatSummary, renderRunSummary } from '../report/verdicts.js';
import type { Console, StopSignal } from './console.js';
import { outputWidth } from './console.js';
import { applyGating, runExitCode } from './gating.js';
import { LivePrinter } from './live.js';
import { machineInfo } from './machine.js';
import { exitCodeOf, finishRun, isHuman, type RunResult } from './finish.js';
import { ExitCode } from '../errors.js';

export async function runRepeated(
  config: BenchConfig,
  querySet: QuerySet,
  command: string[],
  con: Console,
  stop: { signal: AbortSignal; stoppedBy(): StopSignal | null },
): Promise<RunResult> {
  const n = config.gating.repeat;
  const human = isHuman(config);
  const runs: Report[] = [];
  const notes: string[] = [];
  const m = openMeasurement(config, querySet);
  try {
    for (let i = 0; i < n; i++) {
      if (human) con.out(`${i > 0 ? '\n' : ''}=== Run ${i + 1} of ${n} ===\n`);
      const r = await m.run({ command, machine: machineInfo(), signal: stop.signal, observer: new LivePrinter(config, con, command, human, { queries: querySet.count, signal: stop.signal }) });
      runs.push(r);
      const line = renderRunSummary(r, i, n);
      if (human) con.out(`${renderTail(r, outputWidth(con))}\n${line}`);
      else if (!config.quiet) con.err(`dnsbench: ${line}`);
      const failed = runExitCode(r) === ExitCode.runFailed;
      if (failed || stop.signal.aborted) {
        if (i + 1 < n) notes.push(`Stopped after run ${i + 1} of ${n}: ${failed ? 'a target answered nothing' : 'interrupted'}.`);
        for (const note of r.notes) notes.push(`Run ${i + 1}: ${note}`);
        break;
      }
    }
  } finally {
    await m.close();
  }
  const { medianIndex, section } = repeatSection(runs);
  const median = runs[medianIndex]!;
  const report = applyGating(
    {
      ...median,
      // The whole repeated benchmark, not just the median run, in the top-level times.
      startedAt: runs[0]!.startedAt,
      endedAt: runs.at(-1)!.endedAt,
      repeat: section,
      notes: [
        `Repeated ${runs.length} time${runs.length === 1 ? '' : 's'} on the same sockets: the results shown are run ${medianIndex + 1} (median qps); gates and baselines use the median of each metric over all runs.`,
        ...median.notes,
        ...notes,
      ],
    },
    config.gating,
  );
  const ctx = blockContext(report);
  const blocks = report.targets.map((t) => targetBanner(report, t) + renderTargetBlock(t, ctx)).join('');
  const tail = `\n=== Median run: run ${medianIndex + 1} of ${runs.length} ===\n` + blocks + renderTail(report, outputWidth(con)) + `\n${renderRepeatSummary(section)}`;
  finishRun(report, config, con, true, tail);
  const worst = runs.reduce((code, r) => Math.max(code, runExitCode(r)), 0);
  const code = exitCodeOf(report, stop.stoppedBy());
  return { report, exitCode: worst === ExitCode.runFailed ? ExitCode.runFailed : code };
}
