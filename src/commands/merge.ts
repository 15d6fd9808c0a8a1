// `dnsbench merge A.json B.json ... -o OUT.json`: several saved runs of one benchmark (e.g. from
// several load generators) into one exact report. Wiring only; the merge is results/merge-reports.ts.
import { checkWritableDir } from '../config.js';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../io.js';
import { loadReport } from '../results/load.js';
import { mergeReports } from '../results/merge-reports.js';
import { renderJson } from '../report/json.js';
import { formatCount, formatUs } from '../report/format.js';
import type { Console } from './console.js';
import { terminalText, terminalToken } from '../report/escape.js';

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
  if (output === '-') con.out(renderJson(merged));
  else writeFileAtomic(output, renderJson(merged));
  if (!o.quiet) {
    let out = `Merged ${files.length} runs into ${terminalText(output)}\n`;
    for (const t of merged.targets) {
      const c = t.counters;
      const p99 = t.latency.count > 0 ? formatUs(t.latency.percentiles.p99) : 'no answers';
      out += `  ${terminalToken(t.label)} (${terminalToken(t.server)}): sent ${formatCount(c.sent)}, completed ${formatCount(c.completed)}, lost ${formatCount(c.lost)}, ` +
        `${formatCount(t.qps)} qps over ${t.runTimeSec.toFixed(3)} s, p99 ${p99}\n`;
    }
    for (const n of merged.notes.slice(1)) out += `Note: ${terminalText(n)}\n`;
    if (output === '-') con.err(out);
    else con.out(out);
  }
  return 0;
}
