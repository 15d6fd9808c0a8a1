// After a run (or `report` of saved runs): evaluate gates and the baseline comparison into the
// Report, print the verdict lines, and say which exit code they give. Shared by the run, --repeat
// and `report`, so a saved run is judged exactly like a live one.
import { ExitCode, type ExitCodeValue } from '../errors.js';
import { checkGatingTargets, targetNames, type GatingConfig } from '../gates/config.js';
import { evaluateGates } from '../gates/evaluate.js';
import { compareBaseline } from '../gates/baseline.js';
import { answeredNothing, type Report } from '../results/report.js';
import { hasVerdicts, renderVerdicts } from '../report/verdicts.js';
import type { Console } from './console.js';

/** The report with `gates` and `baseline` filled in from the config (replacing saved ones). */
export function applyGating(report: Report, g: GatingConfig): Report {
  const out: Report = { ...report };
  delete out.gates;
  delete out.baseline;
  if (g.gates.length > 0) out.gates = evaluateGates(report, g.gates);
  if (g.baseline) {
    out.baseline = compareBaseline(report, g.baseline.report, g.baseline.allowances, { file: g.baseline.file, maxRegression: g.baseline.maxRegression });
  }
  return out;
}

/** Whether --gate or --baseline was given (otherwise saved verdicts are shown as they are). */
export function hasChecks(g: GatingConfig): boolean {
  return g.gates.length > 0 || g.baseline !== null;
}

/**
 * Saved runs judged by `dnsbench report`: targets checked like a live run's (exit 2 on a gate
 * naming no target). Several files shown side by side are separate runs, so sections that belong
 * to one of them (repeat, gates, baseline) are dropped rather than mixed in. Without --gate or
 * --baseline, a single file's saved verdicts are kept and shown.
 */
export function judgeSaved(report: Report, g: GatingConfig, files: number): Report {
  const r: Report = { ...report };
  if (files > 1) {
    delete r.repeat;
    delete r.capacity;
    delete r.gates;
    delete r.baseline;
  }
  if (!hasChecks(g)) return r;
  checkGatingTargets(g, targetNames(r.targets), null);
  return applyGating(r, g);
}

export function gatesPassed(report: Report): boolean {
  return (report.gates?.passed ?? true) && (report.baseline?.passed ?? true);
}

/**
 * Verdict lines go to stdout with the human view, to stderr when stdout carries JSON (--json -)
 * so the JSON stays parseable, and only the failures (to stderr) with --quiet.
 */
export function emitVerdicts(report: Report, o: { quiet: boolean; json?: string | null }, con: Console, blankBefore: boolean): void {
  if (!hasVerdicts(report)) return;
  if (o.quiet) {
    const failures = renderVerdicts(report).split('\n').filter((l) => l.startsWith('FAIL ')).map((l) => `${l}\n`).join('');
    if (failures) con.err(failures);
  } else if (o.json === '-') con.err(renderVerdicts(report));
  else con.out(`${blankBefore ? '\n' : ''}${renderVerdicts(report)}`);
}

/** 1 when a gate or baseline check failed; the caller lets a failed run (3) win. */
export function gatingExitCode(report: Report): ExitCodeValue {
  return gatesPassed(report) ? ExitCode.ok : ExitCode.gateFailed;
}

/** 3 when some target answered nothing at all (the report says so in its notes). */
export function runExitCode(report: Report): ExitCodeValue {
  return report.targets.some(answeredNothing) ? ExitCode.runFailed : ExitCode.ok;
}

/**
 * The worse of two exit codes by the documented precedence (README "Exit codes"): 3 (the run
 * failed) > 128+n (stopped by a signal) > 1 (a gate failed) > 0.
 */
export function worstExit(a: number, b: number): number {
  const rank = (c: number): number => (c === ExitCode.runFailed ? 4 : c >= 128 ? 3 : c === ExitCode.gateFailed ? 1 : c === ExitCode.ok ? 0 : 2);
  return rank(a) >= rank(b) ? a : b;
}
