// `dnsbench merge A.json B.json ... -o OUT.json`: several saved runs of one benchmark (e.g. from
// several load generators) into one exact report; `-` reads reports from stdin (concatenated, or
// as `kubectl logs --prefix` prints them: results/load-stream.ts). Wiring only; the merge is
// results/merge-reports.ts.
import { checkWritableDir, stdoutAsDash } from '../paths.js';
import { UsageError } from '../errors.js';
import { loadReport } from '../results/load.js';
import { readReportStream } from '../results/load-stream.js';
import { mergeReports, type MergeInput } from '../results/merge-reports.js';
import { SKEW_WARN_MS } from '../results/segments.js';
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
  const fromStdin = files.filter((f) => f === '-').length;
  if (fromStdin > 1) throw new UsageError('merge: "-" (the reports on stdin) can be given only once');
  if (files.length < 2 && fromStdin === 0) throw new UsageError('merge: give at least two saved JSON reports (written by --json) to merge, or - to read them from stdin');
  if (o.output === undefined) throw new UsageError('merge: give -o OUT.json, where to write the merged report');
  const output = stdoutAsDash(o.output);
  if (output !== '-') checkWritableDir('-o/--output', output);
  if (fromStdin > 0 && con.stdinIsTTY) {
    throw new UsageError('merge -: stdin is a terminal; pipe the reports in, e.g. kubectl logs -l job-name=JOB --prefix --tail=-1 | dnsbench merge - -o all.json');
  }
  const inputs: MergeInput[] = [];
  const streamNotes: string[] = [];
  let streamSummary = '';
  for (const file of files) {
    if (file !== '-') {
      inputs.push({ file, report: loadReport(file) });
      continue;
    }
    const scan = await readReportStream(con.stdin);
    const truncated = scan.truncated.map((t) => `${t.name} (${t.bytes} bytes)`);
    if (truncated.length > 0 && !o.force) {
      throw new UsageError(
        `merge -: ${truncated.length === 1 ? 'a report was' : `${truncated.length} reports were`} cut off before its end: ${truncated.join(', ')}; ` +
          'collect the logs again (the generator may have been killed), or use --force to merge the complete ones',
      );
    }
    if (truncated.length > 0) streamNotes.push(`Left out with --force: ${truncated.length} truncated report(s) from stdin: ${truncated.join(', ')}.`);
    if (scan.reports.length === 0) {
      throw new UsageError(`merge -: no dnsbench report found on stdin (${scan.otherLines} other line(s)); the generators must run with --json -`);
    }
    inputs.push(...scan.reports.map((r) => ({ file: r.name, report: r.report })));
    streamSummary = `Read ${scan.reports.length} report(s) from stdin` +
      (scan.otherLines + scan.otherJson > 0 ? `, skipping ${scan.otherLines} other line(s)${scan.otherJson > 0 ? ` and ${scan.otherJson} other JSON object(s)` : ''}` : '') + '\n';
  }
  if (inputs.length < 2 && fromStdin === 0) throw new UsageError('merge: give at least two saved JSON reports to merge');
  const command = ['dnsbench', 'merge', ...files, '-o', o.output, ...(o.force ? ['--force'] : [])];
  const merged = mergeReports(inputs, { force: o.force === true, title: o.title ?? null, command });
  merged.notes.push(...streamNotes);
  // -o - writes the JSON to stdout and nothing else (the summary then goes to stderr).
  writeOutputs(merged, { json: output }, { quiet: true }, con);
  if (!o.quiet) {
    const out = streamSummary + renderMergeSummary(merged, inputs.length, output);
    if (output === '-') con.err(out);
    else con.out(out);
  }
  // A warning is not a summary line: stderr, and also with --quiet.
  if (merged.startSkew && merged.startSkew.ms > SKEW_WARN_MS) {
    con.err(`dnsbench: warning: the runs started ${merged.startSkew.ms.toFixed(1)} ms apart (more than ${SKEW_WARN_MS} ms); see the note in the report\n`);
  }
  return 0;
}
