// `dnsbench report A.json [B.json ...]`: re-render saved runs through the same renderers as a
// live run. Several files are shown one after another, then every target against the first
// (last week vs today), in text, --json, --html and --csv alike.
import type { Console } from './console.js';
import { loadReport } from '../results/load.js';
import { renderHuman } from './outputs.js';
import { renderJson } from '../report/json.js';
import { writeFileAtomic } from '../io.js';
import { checkFileOutput, checkWritableDir } from '../config.js';
import { UsageError } from '../errors.js';
import type { Report } from '../results/report.js';
import { compareTargets } from '../results/compare.js';
import { writeShareFiles } from './share.js';
import { resolveGating, type RawGateOptions } from '../gates/config.js';
import { finishSaved, judgeSaved } from './gating.js';

/** The comparison recomputed from the targets: a combined report has new baselines and labels. */
function withComparison(r: Report): Report {
  const { comparison: _stale, ...rest } = r;
  return r.targets.length > 1 ? { ...rest, comparison: compareTargets(r.targets) } : rest;
}

export interface RawReportOptions extends RawGateOptions {
  json?: string;
  html?: string;
  csv?: string;
  quiet?: boolean;
}

export async function reportCommand(files: string[], o: RawReportOptions, con: Console): Promise<number> {
  if (files.length === 0) throw new UsageError('report: give at least one saved JSON report (written by --json)');
  if (o.json !== undefined && o.json !== '-') checkWritableDir('--json', o.json);
  if (o.html !== undefined) checkFileOutput('--html', o.html);
  if (o.csv !== undefined) checkFileOutput('--csv', o.csv);
  const gating = resolveGating(o, { repeatAllowed: false });
  const reports = files.map(loadReport);
  const combined = judgeSaved(withComparison(combineReports(reports)), gating, reports.length);
  if (!o.quiet && o.json !== '-') con.out(renderHuman(combined));
  if (o.json === '-') con.out(renderJson(combined));
  else if (o.json !== undefined) writeFileAtomic(o.json, renderJson(combined));
  writeShareFiles(combined, { html: o.html, csv: o.csv, quiet: o.quiet || o.json === '-' }, con);
  return finishSaved(combined, gating, { quiet: o.quiet === true, json: o.json ?? null }, con);
}

/**
 * Several saved runs as one report whose targets are all the runs' targets, in order. Labels are
 * made unique by suffixing the run's title or start time, so "today vs last week" reads clearly.
 */
export function combineReports(reports: Report[]): Report {
  if (reports.length === 1) return reports[0]!;
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
  return {
    ...first,
    title: reports.map((r) => r.title).filter((t) => t !== null).join(' vs ') || null,
    startedAt: reports.map((r) => r.startedAt).sort()[0]!,
    endedAt: reports.map((r) => r.endedAt).sort().at(-1)!,
    targets,
    notes: reports.flatMap((r) => r.notes),
  };
}
