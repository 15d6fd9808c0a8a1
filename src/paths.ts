// Pre-flight checks for output paths, made before any query is sent, so a run never ends in a
// failed write. Shared by the run, `report`, `merge` and the CI flags (config layer). The rules
// (devices and FIFOs written through, links refused, a probe file in the directory) are src/io.ts's.
import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.js';
import { checkOutputPath, descriptorOf } from './io.js';

/**
 * Fail before the run, not after it, when an output file cannot be written: a real probe of the
 * directory (a file created O_EXCL and removed) and the path rules of src/io.ts. Throws
 * UsageError (exit 2) naming the flag and the path.
 */
export function checkWritableDir(flag: string, file: string): void {
  checkOutputPath(flag, file);
}

/** --html and --csv: a real file (stdout carries the text report), in a directory that exists. */
export function checkFileOutput(flag: string, file: string): void {
  if (file === '-' || file === '') throw new UsageError(`${flag}: give a file name (stdout carries the text report)`);
  checkWritableDir(flag, file);
}

/** Same file: by device and inode when both exist (hard links, `./r.json` vs `r.json`), else by absolute path. */
function sameFile(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** A path written through rather than replaced (src/io.ts): a descriptor, a device or a FIFO may take several outputs. */
function writtenThrough(file: string): boolean {
  if (file === '-' || descriptorOf(file) !== null || /^\/(?:dev|proc\/self)\/fd\/\d+$/.test(path.resolve(file))) return true;
  try {
    const st = statSync(file);
    return st.isCharacterDevice() || st.isFIFO();
  } catch {
    return false;
  }
}

/**
 * Refuses (UsageError, exit 2, before any traffic) two output flags that name the same file (one
 * would silently replace the other: `--json r.out --csv r.out` kept only the CSV) and an output
 * that names an input (`-d queries.txt --csv queries.txt` replaced the query file with the CSV).
 * `outputs` and `inputs` are [flag, path] pairs; unset ones are skipped, as are stdin ("-") and
 * paths written through (/dev/null, /dev/stdout, FIFOs), which take any number of writes, except
 * that nothing else may go to stdout when the JSON does (`--json -`: stdout is the JSON alone).
 */
export function checkDistinctOutputs(
  outputs: ReadonlyArray<readonly [string, string | null | undefined]>,
  inputs: ReadonlyArray<readonly [string, string | null | undefined]> = [],
): void {
  // `--json -` (or /dev/stdout) promises stdout carries the JSON alone (`| jq`); another output
  // sent to stdout as well made it JSON followed by Markdown or CSV, which no JSON reader takes.
  const json = outputs.find((o) => o[1] === '-');
  const alsoStdout = outputs.find((o) => o !== json && typeof o[1] === 'string' && descriptorOf(o[1]) === 1);
  if (json !== undefined && alsoStdout !== undefined) {
    throw new UsageError(`${alsoStdout[0]} ${alsoStdout[1]}: stdout carries the JSON report (${json[0]} -) and nothing else; give ${alsoStdout[0]} a file`);
  }
  const outs = outputs.filter((o): o is readonly [string, string] => typeof o[1] === 'string' && !writtenThrough(o[1]));
  for (let i = 0; i < outs.length; i++) {
    const [flag, file] = outs[i]!;
    for (const [otherFlag, other] of outs.slice(0, i)) {
      if (sameFile(file, other)) throw new UsageError(`${flag} ${file}: the same file as ${otherFlag} ${other}; give each output its own file`);
    }
    for (const [inFlag, input] of inputs) {
      if (typeof input === 'string' && input !== '-' && sameFile(file, input)) {
        throw new UsageError(`${flag} ${file}: the same file as ${inFlag} ${input}, which it would replace; give the output another name`);
      }
    }
  }
}

/**
 * `--json /dev/stdout` (or /dev/fd/1) means what `--json -` means: the JSON is all that stdout
 * carries, the text report and the summary stay off it, so `| jq` reads one JSON document instead
 * of the text report followed by JSON. Returns '-' for those paths, the path itself otherwise.
 */
export function stdoutAsDash<T extends string | null | undefined>(file: T): T | '-' {
  return typeof file === 'string' && descriptorOf(file) === 1 ? '-' : file;
}
