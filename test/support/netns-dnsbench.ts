// dnsbench itself inside a lab host: `node dist/bin.js ... --json -` run with `ip netns exec`,
// bounded in time, its JSON report parsed. The report's numbers are what the ops tests assert on.
import type { Lab } from './netns.js';
import type { Report } from '../../src/results/report.js';
import { BIN } from './cli.js';

export interface LabRun {
  code: number | null;
  report: Report | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs dnsbench in `host` with `args` plus `--json -` (stdout is the report) and `--quiet` unless
 * asked otherwise. Resolves even on a non-zero exit; `report` is null when stdout is not JSON.
 */
export async function dnsbenchIn(lab: Lab, host: string, args: readonly string[], o: { timeoutMs?: number; quiet?: boolean } = {}): Promise<LabRun> {
  const argv = [process.execPath, BIN, ...args, '--json', '-', ...(o.quiet === false ? [] : ['--quiet'])];
  const r = await lab.exec(host, argv, { timeoutMs: o.timeoutMs ?? 30_000, allowFailure: true });
  let report: Report | null = null;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    report = null;
  }
  return { code: r.code, report, stdout: r.stdout, stderr: r.stderr, ms: r.ms };
}
