// `dnsbench report A.json [B.json ...]`: re-render saved runs through the same renderers as a
// live run. Several files are shown one after another, then every target against the first
// (last week vs today), in text, --json, --html and --csv alike.
import type { Console } from './console.js';
import { outputWidth } from './console.js';
import { loadReport } from '../results/load.js';
import { checkDistinctOutputs, checkFileOutput, checkWritableDir, stdoutAsDash } from '../paths.js';
import { UsageError } from '../errors.js';
import { MAX_TARGETS, type Report } from '../results/report.js';
import { withTargets } from '../results/build.js';
import { resolveGating, type RawGateOptions } from '../gates/config.js';
import { renderHuman } from '../report/human.js';
import { renderCapacity, renderCapacityLine } from '../report/capacity.js';
import { renderRepeatSummary } from '../report/verdicts.js';
import { ExitCode } from '../errors.js';
import { emitVerdicts, gatingExitCode, hasChecks, judgeSaved } from './gating.js';
import { writeOutputs } from './outputs.js';

export interface RawReportOptions extends RawGateOptions {
  json?: string;
  html?: string;
  csv?: string;
  quiet?: boolean;
}

export async function reportCommand(files: string[], o: RawReportOptions, con: Console): Promise<number> {
  if (files.length === 0) throw new UsageError('report: give at least one saved JSON report (written by --json)');
  o = { ...o, json: stdoutAsDash(o.json) };
  if (o.json !== undefined && o.json !== '-') checkWritableDir('--json', o.json);
  if (o.html !== undefined) checkFileOutput('--html', o.html);
  if (o.csv !== undefined) checkFileOutput('--csv', o.csv);
  const gating = resolveGating(o, { repeatAllowed: false });
  checkDistinctOutputs(
    [['--json', o.json], ['--html', o.html], ['--csv', o.csv], ['--junit', gating.junit], ['--markdown', gating.markdown]],
    [...files.map((f) => ['report', f] as const), ['--baseline', gating.baseline?.file] as const],
  );
  const reports = files.map(loadReport);
  const combined = judgeSaved(combineReports(reports, ['dnsbench', 'report', ...files]), gating, reports.length);
  const quiet = o.quiet === true;
  const human = !quiet && o.json !== '-';
  // A capacity report re-renders as the live search printed it: steps, the step at capacity, "Capacity:".
  // Each target's status lines come from the run it was saved in (its command line, -l, title).
  const origins = reports.length > 1 ? reports.flatMap((r) => r.targets.map(() => r)) : undefined;
  if (human) con.out(combined.capacity !== undefined ? renderCapacity(combined, outputWidth(con)) : renderHuman(combined, outputWidth(con), origins));
  const capacityLast = human && combined.capacity !== undefined;
  const spread = combined.repeat !== undefined && human;
  if (spread) con.out(`${combined.notes.length > 0 ? '\n' : ''}${renderRepeatSummary(combined.repeat!)}`);
  emitVerdicts(combined, { quiet, json: o.json ?? null }, con, spread || combined.notes.length > 0);
  // "Capacity: ..." is the last line, after the verdicts, as the live search prints it.
  if (capacityLast) con.out(renderCapacityLine(combined));
  writeOutputs(combined, { json: o.json, html: o.html, csv: o.csv, junit: gating.junit, markdown: gating.markdown }, { quiet: quiet || o.json === '-' }, con);
  // 1 only when this command's own --gate/--baseline checks failed; saved verdicts are shown but
  // do not change it (re-rendering is not re-judging).
  return hasChecks(gating) ? gatingExitCode(combined) : ExitCode.ok;
}

/**
 * Several saved runs as one report whose targets are all the runs' targets, in order. Labels are
 * made unique by suffixing the run's title or start time, so "today vs last week" reads clearly.
 * The comparison is rebuilt for the combined targets (the first target of the first file leads).
 * `command` (the `dnsbench report ...` that combined them) becomes the report's command line, as
 * `merge` records its own: the first run's would claim every target ran with its flags.
 */
export function combineReports(reports: Report[], command?: string[]): Report {
  if (reports.length === 1) return reports[0]!;
  const total = reports.reduce((n, r) => n + r.targets.length, 0);
  if (total > MAX_TARGETS) {
    throw new UsageError(`report: the reports hold ${total} targets together, more than the ${MAX_TARGETS} one report holds; compare fewer at a time`);
  }
  const seen = new Set<string>();
  const targets = reports.flatMap((r) =>
    r.targets.map((t) => {
      let label = t.label;
      if (seen.has(label)) label = `${t.label}@${r.title ?? r.startedAt.slice(0, 16).replace('T', ' ')}`;
      for (let i = 2; seen.has(label); i++) label = `${t.label}#${i}`;
      seen.add(label);
      return { ...t, label };
    }),
  );
  const first = reports[0]!;
  return withTargets(
    {
      ...first,
      ...(command !== undefined ? { command } : {}),
      title: reports.map((r) => r.title).filter((t) => t !== null).join(' vs ') || null,
      startedAt: reports.map((r) => r.startedAt).sort()[0]!,
      endedAt: reports.map((r) => r.endedAt).sort().at(-1)!,
      notes: reports.flatMap((r) => r.notes),
      // Side by side, several runs are not one interleaved run: each target keeps its own header.
      mode: 'sequential',
    },
    targets,
  );
}
