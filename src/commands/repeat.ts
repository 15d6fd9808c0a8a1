// --repeat N: run the same benchmark N times (executeRun each time, same query set), then gate on
// the median of each metric and report the run-to-run spread. The JSON is the median run (by
// total qps) plus a `repeat` section with every run's key results (src/gates/repeat.ts).
import { ExitCode, type ExitCodeValue } from '../errors.js';
import type { BenchConfig } from '../config.js';
import type { QuerySet } from '../queryset/types.js';
import type { Report } from '../results/report.js';
import { repeatSection, renderRepeatSummary } from '../gates/repeat.js';
import { formatPct, formatUs } from '../report/format.js';
import { executeRun } from './execute.js';
import { emitOutputs } from './outputs.js';
import { applyGating, emitVerdicts, gatingExitCode, worstExit, writeCiFiles } from './gating.js';
import { runExitCode, type RunResult } from './run.js';
import type { Console } from './console.js';

/** "Run 2 of 5: 51,234 qps, p99 1.23ms, 0.01% lost" (per target when there are several). */
export function runSummaryLine(r: Report, i: number, n: number): string {
  const parts = r.targets.map((t) => {
    const p99 = t.latency.count > 0 ? formatUs(t.latency.percentiles.p99) : 'no answers';
    const label = r.targets.length > 1 ? `${t.label} ` : '';
    return `${label}${Math.round(t.qps).toLocaleString('en-US')} qps, p99 ${p99}, ${formatPct(t.counters.lost, t.counters.sent)} lost`;
  });
  return `Run ${i + 1} of ${n}: ${parts.join('; ')}\n`;
}

const interrupted = (r: Report): boolean =>
  r.targets.some((t) => t.counters.interrupted > 0) || r.notes.some((n) => n.startsWith('Interrupted'));

export async function runRepeated(config: BenchConfig, querySet: QuerySet, argv: string[], con: Console): Promise<RunResult> {
  const n = config.gating.repeat;
  const human = !config.quiet && config.json !== '-';
  const runs: Report[] = [];
  const notes: string[] = [];
  let exitCode: ExitCodeValue = ExitCode.ok;
  for (let i = 0; i < n; i++) {
    if (human) con.out(`${i > 0 ? '\n' : ''}=== Run ${i + 1} of ${n} ===\n`);
    const r = await executeRun(config, querySet, argv, con);
    runs.push(r);
    const line = runSummaryLine(r, i, n);
    if (human) con.out(`\n${line}`);
    else if (!config.quiet) con.err(`dnsbench: ${line}`);
    exitCode = worstExit(exitCode, runExitCode(r));
    if (exitCode === ExitCode.runFailed || interrupted(r)) {
      notes.push(`Stopped after run ${i + 1} of ${n}: ${exitCode === ExitCode.runFailed ? 'a target answered nothing' : 'interrupted'}.`);
      for (const note of r.notes) notes.push(`Run ${i + 1}: ${note}`);
      break;
    }
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
        `Repeated ${runs.length} time${runs.length === 1 ? '' : 's'}: the results shown are run ${medianIndex + 1} (median qps); gates and baselines use the median of each metric over all runs.`,
        ...median.notes,
        ...notes,
      ],
    },
    config.gating,
  );
  if (human) con.out(`\n=== Median run: run ${medianIndex + 1} of ${runs.length} ===\n`);
  emitOutputs(report, config, con);
  // After the human view, which ends with the notes (there is always the "Repeated" one).
  if (human) con.out(`\n${renderRepeatSummary(section)}`);
  emitVerdicts(report, config, con, 'repeat');
  writeCiFiles(report, config.gating, config, con);
  return { report, exitCode: worstExit(exitCode, gatingExitCode(report)) };
}
