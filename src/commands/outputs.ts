// The one table of output files: each output flag and the pure renderer that makes its bytes.
// Every command (run, report, merge) writes through here, so `dnsbench report` writes exactly the
// files the live run wrote, and the JSON is written in one place. The only module that writes
// report files.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { writeFileAtomic } from '../io.js';
import type { Report } from '../results/report.js';
import { renderCsv } from '../report/csv.js';
import { renderHtml, type HtmlAssets } from '../report/html.js';
import { renderJson } from '../report/json.js';
import { renderJunit } from '../report/junit.js';
import { renderMarkdown } from '../report/markdown.js';
import { terminalText } from '../report/escape.js';
import type { Console } from './console.js';

/** Where each output goes (null: not asked for). Only `json` may be '-' (stdout). */
export interface OutputPaths {
  json?: string | null;
  html?: string | null;
  csv?: string | null;
  junit?: string | null;
  markdown?: string | null;
}

/** uPlot's browser build and style sheet, read from node_modules when the page is written. */
export function loadHtmlAssets(): HtmlAssets {
  const require = createRequire(import.meta.url);
  const read = (id: string): string => readFileSync(require.resolve(id), 'utf8');
  return { uplotJs: read('uplot/dist/uPlot.iife.min.js'), uplotCss: read('uplot/dist/uPlot.min.css') };
}

/** Output flag -> renderer, in the order the files are written. */
export const OUTPUTS: ReadonlyArray<{ key: keyof OutputPaths; flag: string; render: (r: Report) => string }> = [
  { key: 'json', flag: '--json', render: renderJson },
  { key: 'html', flag: '--html', render: (r) => renderHtml(r, loadHtmlAssets()) },
  { key: 'csv', flag: '--csv', render: renderCsv },
  { key: 'junit', flag: '--junit', render: renderJunit },
  { key: 'markdown', flag: '--markdown', render: renderMarkdown },
];

/** Write every output asked for; `--json -` goes to stdout. "wrote FILE" lines go to stderr unless quiet. */
export function writeOutputs(report: Report, paths: OutputPaths, o: { quiet: boolean }, con: Console): void {
  for (const { key, render } of OUTPUTS) {
    const file = paths[key];
    if (file === null || file === undefined) continue;
    if (file === '-') {
      con.out(render(report));
      continue;
    }
    writeFileAtomic(file, render(report));
    // The path as typed may hold a line break or ESC: shown visibly, like every path in a message.
    if (!o.quiet) con.err(`dnsbench: wrote ${terminalText(file)}\n`);
  }
}
