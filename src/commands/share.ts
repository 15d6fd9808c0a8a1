// The files meant for other people and other tools: --html (self-contained page) and --csv
// (interval series). Used by a live run and by `dnsbench report` alike, so both write the same
// bytes for the same Report. Renderers stay pure; this module reads the inlined assets and writes.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { writeFileAtomic } from '../io.js';
import { compareTargets, type Comparison } from '../results/compare.js';
import type { Report } from '../results/report.js';
import { renderCsv } from '../report/csv.js';
import { renderHtml, type HtmlAssets } from '../report/html.js';
import type { Console } from './console.js';

/** The stored comparison, or one computed from the targets (older reports, combined reports). */
export function comparisonOf(report: Report): Comparison | undefined {
  if (report.targets.length < 2) return undefined;
  return report.comparison ?? compareTargets(report.targets);
}

/** uPlot's browser build and style sheet, read from node_modules at render time. */
export function loadHtmlAssets(): HtmlAssets {
  const require = createRequire(import.meta.url);
  const read = (id: string): string => readFileSync(require.resolve(id), 'utf8');
  return { uplotJs: read('uplot/dist/uPlot.iife.min.js'), uplotCss: read('uplot/dist/uPlot.min.css') };
}

export function writeShareFiles(report: Report, o: { html?: string | null; csv?: string | null; quiet?: boolean }, con: Console): void {
  if (o.html != null) {
    writeFileAtomic(o.html, renderHtml(report, loadHtmlAssets()));
    if (!o.quiet) con.err(`dnsbench: wrote ${o.html}\n`);
  }
  if (o.csv != null) {
    writeFileAtomic(o.csv, renderCsv(report));
    if (!o.quiet) con.err(`dnsbench: wrote ${o.csv}\n`);
  }
}
