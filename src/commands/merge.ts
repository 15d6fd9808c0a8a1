// `dnsbench merge A.json B.json ... -o OUT.json`: several saved runs of one benchmark (e.g. from
// several load generators) into one exact report. Wiring only; the merge is results/merge-reports.ts.
import { checkWritableDir } from '../paths.js';
import { UsageError } from '../errors.js';
import { loadReport } from '../results/load.js';
import { mergeReports } from '../results/merge-reports.js';
import { renderMergeSummary } from '../report/merge-summary.js';
import type { Console } from './console.js';
import { writeOutputs } from './outputs.js';

export interface RawMergeOptions {
  output?: string;
  force?: boolean;
  title?: string;
  quiet?: boolean;
}

export async function mergeCommand(files: string[], o: RawMergeOptions, con: Console): Promise<number> {
  if (files.length < 2) throw new UsageError('merge: give at least two saved JSON reports (written by --json) to merge');
  if (o.output === undefined) throw new UsageError('merge: give -o OUT.json, where to write the merged report');
  const output = o.output;
  if (output !== '-') checkWritableDir('-o/--output', output);
  const inputs = files.map((file) => ({ file, report: loadReport(file) }));
  const command = ['dnsbench', 'merge', ...files, '-o', output, ...(o.force ? ['--force'] : [])];
  const merged = mergeReports(inputs, { force: o.force === true, title: o.title ?? null, command });
  // -o - writes the JSON to stdout and nothing else (the summary then goes to stderr).
  writeOutputs(merged, { json: output }, { quiet: true }, con);
  if (!o.quiet) {
    const out = renderMergeSummary(merged, files.length, output);
    if (output === '-') con.err(out);
    else con.out(out);
  }
  return 0;
}
