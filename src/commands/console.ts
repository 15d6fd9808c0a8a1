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

/**
 * A stream that may be closed by its reader (`dnsbench ... | head -1`, a terminal that went away).
 * Node reports a failed write (EPIPE, EIO, ...) as an 'error' event, which without a listener kills
 * the process with a stack trace and exit 1 ("a gate failed") in the middle of the run, before any
 * file is written. Here the first error closes the stream quietly: later text to it is dropped,
 * and the run, its files and its exit code go on unchanged (README "Exit codes").
 */
export class GuardedStream {
  private closed = false;
  private error: NodeJS.ErrnoException | null = null;
  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on('error', (e: NodeJS.ErrnoException) => this.fail(e));
  }

  /** False once the reader has gone. */
  get open(): boolean {
    return !this.closed;
  }

  /**
   * The error that closed the stream when it was not a reader going away but a file that could
   * not take the text (`> out.txt` on a full disk or over quota, `> /dev/full`): ENOSPC, EDQUOT or
   * EFBIG; null otherwise. A reader that stopped (EPIPE) or a closed terminal (EIO) is not one.
   * The process boundary turns it into exit 3, as a failed output file is: the text (or the
   * `--json -` report) the user redirected is incomplete.
   */
  get lostOutput(): NodeJS.ErrnoException | null {
    return this.error !== null && STORAGE_ERRORS.has(this.error.code ?? '') ? this.error : null;
  }

  write(text: string): void {
    if (this.closed) return;
    try {
      this.stream.write(text);
    } catch (e) {
      // A synchronous failure (a file on a full disk, or the stream was already destroyed) means the same.
      this.fail(e as NodeJS.ErrnoException);
    }
  }

  private fail(e: NodeJS.ErrnoException): void {
    this.closed = true;
    this.error ??= e;
  }
}

/** write(2) errors that mean the destination is full, not that the reader left. */
const STORAGE_ERRORS: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

let guarded: { out: GuardedStream; err: GuardedStream } | null = null;

/** process.stdout and process.stderr, each guarded once for the life of the process. */
export function processStreams(): { out: GuardedStream; err: GuardedStream } {
  guarded ??= { out: new GuardedStream(process.stdout), err: new GuardedStream(process.stderr) };
  return guarded;
}

export function processConsole(): Console {
  const { out, err } = processStreams();
  return {
    out: (t) => out.write(t),
    err: (t) => err.write(t),
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
