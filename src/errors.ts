// Typed errors. Code anywhere below cli-main.ts throws one of these; cli-main.ts alone maps them to exit
// codes and prints them as one line, so no module deep inside ever calls process.exit.

/** Exit codes, documented in README.md ("Exit codes"). */
export const ExitCode = {
  ok: 0,
  /** A performance gate failed (see --gate). */
  gateFailed: 1,
  /** Bad flag, bad query file, bad config: nothing was sent. */
  usage: 2,
  /** The run itself failed: nothing answered, a socket could not be opened, a worker died; or an output could not be written. */
  runFailed: 3,
  /** Stopped by a second Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class DnsbenchError extends Error {
  abstract readonly exitCode: ExitCodeValue;
  override readonly name: string = this.constructor.name;
}

/** A flag or option value is invalid. The message names the flag and the accepted values. */
export class UsageError extends DnsbenchError {
  readonly exitCode = ExitCode.usage;
}

/** One bad line of a query (or zone) file. */
export interface LineProblem {
  file: string;
  line: number;
  reason: string;
}

/** Input files could not be used: lists up to 10 problems as `file:line: reason` plus the total. */
export class InputError extends DnsbenchError {
  readonly exitCode = ExitCode.usage;
  /**
   * The lines to print: the message as one line, or the list given to fromLines. A line break
   * inside one (a file named "q\nQueries per second: 9") is shown as \n, never taken as a new line.
   */
  lines: readonly string[];
  constructor(
    message: string,
    readonly problems: readonly LineProblem[] = [],
    readonly totalProblems: number = problems.length,
  ) {
    super(message);
    this.lines = [message];
  }

  /** Several lines on purpose (the bad lines of a file, then the total); `message` is them joined by LF. */
  static fromLines(lines: readonly string[], problems: readonly LineProblem[], total: number = problems.length): InputError {
    const e = new InputError(lines.join('\n'), problems, total);
    e.lines = lines;
    return e;
  }
}

/** The run could not be carried out or produced no usable result (e.g. nothing answered). */
export class RunError extends DnsbenchError {
  readonly exitCode = ExitCode.runFailed;
}

/**
 * An output file could not be written (ENOSPC, EIO, a closed pipe, a read-only file system):
 * exit 3, and no other report file of the command was renamed into place (src/io.ts).
 */
export class OutputError extends DnsbenchError {
  readonly exitCode = ExitCode.runFailed;
}
