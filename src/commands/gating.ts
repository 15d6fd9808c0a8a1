// After a run (or `report` of saved runs): evaluate gates and the baseline comparison into the
// Report, print the verdict lines, write --junit/--markdown, and say which exit code they give.
// Shared by the run, --repeat and `report`, so a saved run is judged exactly like a live one.
import { ExitCode, type ExitCodeValue } from '../errors.js';
import { checkGatingTargets, targetNames, type GatingConfig } from '../gates/config.js';
import { evaluateGates, renderGateLines } from '../gates/evaluate.js';
import { compareBaseline, renderBaselineLines } from '../gates/baseline.js';
import type { Report } from '../results/report.js';
import { renderJunit } from '../report/junit.js';
import { renderMarkdown } from '../report/markdown.js';
import { writeFileAtomic } from '../io.js';
import type { Console } from './console.js';
import { renderRepeatSummary } from '../gates/repeat.js';
import { forTerminal } from '../report/terminal.js';

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
    delete r.gates;
    delete r.baseline;
  }
  if (!hasChecks(g)) return r;
  checkGatingTargets(g, targetNames(r.targets), null);
  return applyGating(r, g);
}

/**
 * The end of `dnsbench report`: the --repeat spread (human view), the verdict lines and the CI
 * files. The exit code is 1 only when this command's own --gate/--baseline checks failed; saved
 * verdicts are shown but do not change it (re-rendering is not re-judging).
 */
export function finishSaved(report: Report, g: GatingConfig, o: { quiet: boolean; json: string | null }, con: Console): ExitCodeValue {
  const spread = report.repeat !== undefined && !o.quiet && o.json !== '-';
  if (spread) con.out(`${report.notes.length > 0 ? '\n' : ''}${renderRepeatSummary(forTerminal(report).repeat!)}`);
  emitVerdicts(report, o, con, spread ? 'repeat' : 'human');
  writeCiFiles(report, g, o, con);
  return hasChecks(g) ? gatingExitCode(report) : ExitCode.ok;
}

export function hasVerdicts(report: Report): boolean {
  return report.gates !== undefined || report.baseline !== undefined;
}

export function gatesPassed(report: Report): boolean {
  return (report.gates?.passed ?? true) && (report.baseline?.passed ?? true);
}

/**
 * Every verdict line, then one summary line ("Gates: 1 of 4 checks failed"). Saved verdicts carry
 * labels and messages from someone else's file: they are escaped for the terminal.
 */
export function renderVerdicts(saved: Report): string {
  if (!hasVerdicts(saved)) return '';
  const report = forTerminal(saved);
  let out = '';
  if (report.gates) out += renderGateLines(report.gates);
  if (report.baseline) out += renderBaselineLines(report.baseline, report.targets.length > 1);
  const all = [...(report.gates?.results ?? []), ...(report.baseline?.results ?? [])];
  const failed = all.filter((r) => !r.passed).length;
  out += failed === 0 ? `Gates: all ${all.length} checks passed\n` : `Gates: ${failed} of ${all.length} checks failed\n`;
  return out;
}

/**
 * Verdict lines go to stdout with the human view, to stderr when stdout carries JSON (--json -)
 * so the JSON stays parseable, and only the failures (to stderr) with --quiet.
 */
export function emitVerdicts(report: Report, o: { quiet: boolean; json: string | null }, con: Console, after: 'human' | 'repeat' = 'human'): void {
  if (!hasVerdicts(report)) return;
  if (o.quiet) {
    const failures = renderVerdicts(report).split('\n').filter((l) => l.startsWith('FAIL ')).map((l) => `${l}\n`).join('');
    if (failures) con.err(failures);
  } else if (o.json === '-') con.err(renderVerdicts(report));
  // One blank line before the verdicts: the human view ends with one unless notes close it; the
  // --repeat spread table never does.
  else con.out(`${after === 'repeat' || report.notes.length > 0 ? '\n' : ''}${renderVerdicts(report)}`);
}

export function writeCiFiles(report: Report, g: Pick<GatingConfig, 'junit' | 'markdown'>, o: { quiet: boolean }, con: Console): void {
  for (const [file, render] of [[g.junit, renderJunit], [g.markdown, renderMarkdown]] as const) {
    if (file === null) continue;
    writeFileAtomic(file, render(report));
    if (!o.quiet) con.err(`dnsbench: wrote ${file}\n`);
  }
}

/** 1 when a gate or baseline check failed; the caller lets a failed run (3) win. */
export function gatingExitCode(report: Report): ExitCodeValue {
  return gatesPassed(report) ? ExitCode.ok : ExitCode.gateFailed;
}

/** The worse of two exit codes by the documented precedence: 3 (run failed) > 1 (gate) > 0. */
export function worstExit(a: ExitCodeValue, b: ExitCodeValue): ExitCodeValue {
  const rank = (c: ExitCodeValue): number => (c === ExitCode.runFailed ? 2 : c === ExitCode.gateFailed ? 1 : c === ExitCode.ok ? 0 : 3);
  return rank(a) >= rank(b) ? a : b;
}
