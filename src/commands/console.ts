// The process boundary, as an object: commands write through it, so tests can capture output
// and nothing below commands/ touches process.stdout, process.exit or signal handlers.
import { DEFAULT_WIDTH } from '../report/compare-table.js';

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** 128 + the signal number: the exit code of a run stopped by that signal (README "Exit codes"). */
export const SIGNAL_EXIT: Record<StopSignal, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

export interface Console {
  out(text: string): void;
  err(text: string): void;
  readonly stdin: NodeJS.ReadableStream;
  readonly stdinIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  /** Columns of the terminal stdout is on; absent or null when stdout is not a terminal. */
  readonly stdoutColumns?: number | null;
  /**
   * Call `handler` on SIGINT, SIGTERM or SIGHUP (Ctrl-C, CI cancel, `timeout`, `docker stop`, a
   * closed terminal). The handler stays installed until the process exits.
   */
  onStop(handler: (signal: StopSignal) => void): void;
  exit(code: number): never;
}

export function processConsole(): Console {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    stdin: process.stdin,
    stdinIsTTY: process.stdin.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    stdoutColumns: process.stdout.isTTY === true && process.stdout.columns > 0 ? process.stdout.columns : null,
    onStop: (h) => {
      for (const s of Object.keys(SIGNAL_EXIT) as StopSignal[]) process.on(s, () => h(s));
    },
    exit: (code) => process.exit(code),
  };
}

/**
 * Two-step stop for a run: the first signal aborts (the run stops sending, counts what was
 * outstanding as interrupted and still writes its report and files); a second one quits at once
 * with 128 + its number. Returns the signal to pass to measure() and which signal stopped it.
 */
export function stopOnSignals(con: Console): { signal: AbortSignal; stoppedBy(): StopSignal | null } {
  const abort = new AbortController();
  let by: StopSignal | null = null;
  con.onStop((s) => {
    if (by === null) {
      by = s;
      con.err(`\ndnsbench: ${s === 'SIGINT' ? 'Ctrl-C' : s}: stopping; outstanding queries count as interrupted (again to quit now)\n`);
      abort.abort();
    } else con.exit(SIGNAL_EXIT[s]);
  });
  return { signal: abort.signal, stoppedBy: () => by };
}

/**
 * Columns the human view is fitted to (the comparison table): the terminal's width; in a pipe or
 * a file, $COLUMNS when it holds a number from 40 to 1000, else 100 (README "Reading the output").
 */
export function outputWidth(con: Pick<Console, 'stdoutColumns'>, env: NodeJS.ProcessEnv = process.env): number {
  if (con.stdoutColumns != null && con.stdoutColumns > 0) return con.stdoutColumns;
  const cols = Number(env['COLUMNS']);
  return Number.isInteger(cols) && cols >= 40 && cols <= 1000 ? cols : DEFAULT_WIDTH;
}
