// Pre-flight checks for output paths, made before any query is sent, so a run never ends in a
// failed write. Shared by the run, `report`, `merge` and the CI flags (config layer).
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.js';

/** Fail before the run, not after it, when an output file cannot be written (UsageError, exit 2). */
export function checkWritableDir(flag: string, file: string): void {
  const dir = path.dirname(path.resolve(file));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${flag} ${file}: directory "${dir}" does not exist`);
  if (existsSync(file) && statSync(file).isDirectory()) throw new UsageError(`${flag} ${file}: is a directory, expected a file name`);
}

/** --html and --csv: a real file (stdout carries the text report), in a directory that exists. */
export function checkFileOutput(flag: string, file: string): void {
  if (file === '-' || file === '') throw new UsageError(`${flag}: give a file name (stdout carries the text report)`);
  checkWritableDir(flag, file);
}
