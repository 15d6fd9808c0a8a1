// Pre-flight checks for output paths, made before any query is sent, so a run never ends in a
// failed write. Shared by the run, `report`, `merge` and the CI flags (config layer). The rules
// (devices and FIFOs written through, links refused, a probe file in the directory) are src/io.ts's.
import { UsageError } from './errors.js';
import { checkOutputPath } from './io.js';

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
