#!/usr/bin/env node
// The CLI: parse argv, run the command, map typed errors to exit codes. The only place that
// prints errors or chooses an exit code (see errors.ts and README "Exit codes"). bin.ts loads it.
import { CommanderError } from 'commander';
import { buildProgram, type Parsed } from './cli.js';
import { parserMessage } from './cli-errors.js';
import { DnsbenchError, ExitCode, InputError } from './errors.js';
import { processConsole, processStreams, SIGNAL_EXIT, type Console, type StopSignal } from './commands/console.js';
import { describeIoError, withOutputTransaction } from './io.js';
import { terminalText } from './report/escape.js';

export async function main(argv: string[], con: Console = processConsole()): Promise<number> {
  let parsed: Parsed | undefined;
  const program = buildProgram((p) => (parsed = p));
  // Subcommands do not inherit these once created, and commander's own exit code for a bad flag is
  // 1, which would read as "a gate failed": every command reports usage errors through us (exit 2).
  for (const cmd of [program, ...program.commands]) {
    cmd.exitOverride().configureOutput({ writeOut: (s) => con.out(s), writeErr: () => {} });
  }
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return ExitCode.ok; // --help, --version
      // Never commander's own text: it quotes whole tokens, which can hold a TSIG secret.
      con.err(errorLines(`${parserMessage(e, argv, () => buildProgram(() => undefined))} (see dnsbench --help)`));
      return ExitCode.usage;
    }
    throw e;
  }
  if (parsed === undefined) return ExitCode.ok;
  try {
    // Every output file of the command is renamed into place only when all were written (src/io.ts).
    return await withOutputTransaction(
      () => dispatch(parsed!, argv, con),
      (abort) => {
        process.once('exit', abort);
        hookStopSignals();
        pendingAbort = abort;
        return () => {
          process.off('exit', abort);
          if (pendingAbort === abort) pendingAbort = null;
        };
      },
    );
  } catch (e) {
    if (e instanceof DnsbenchError) {
      con.err(errorLines(e instanceof InputError ? e.lines : e.message));
      return e.exitCode;
    }
    const err = e as NodeJS.ErrnoException;
    // An unexpected failure still gets one line; DNSBENCH_DEBUG=1 shows the stack for bug reports.
    con.err(`dnsbench: internal error: ${terminalText(err?.message ?? String(e))}${process.env['DNSBENCH_DEBUG'] ? `\n${err?.stack}` : ' (set DNSBENCH_DEBUG=1 for details)'}\n`);
    return ExitCode.runFailed;
  }
}

/**
 * "dnsbench: <message>", each line escaped and bounded: messages quote flags, file names and file
 * contents, which must not reach the terminal as control sequences or as megabytes of one token.
 * A string is one line: a line break in it (from a file name such as "q\nQueries per second: 9")
 * is shown as \n, so it cannot forge a line a script greps. Several lines come only as a list
 * (InputError.lines: the `file:line: reason` lines of a bad file).
 */
export function errorLines(message: string | readonly string[]): string {
  const lines = typeof message === 'string' ? [message] : message;
  return `dnsbench: ${lines.map((l) => terminalText(l, MAX_ERROR_LINE)).join('\n')}\n`;
}

/** The open output transaction's abort (its temp files removed), while one is open. */
let pendingAbort: (() => void) | null = null;
let stopSignalsHooked = false;

/**
 * A command with no signal handler of its own (report, merge, kubernetes) died of the default
 * action mid-write, which runs no 'exit' handler: its temp files stayed beside the outputs
 * (.r.json.dnsbench-....tmp). Handled, a signal is taken only between synchronous steps: while the
 * command waits (merge reading stdin) it exits 128 + n at once, as the default action would (3 if
 * the command already failed so), removing anything staged; during the synchronous load, render
 * and write it waits for them, so the outputs are all renamed into place and the command ends as
 * if the signal had come a moment later. A command that handles signals itself (run, capacity,
 * serve: a second Ctrl-C exits, firing 'exit') is left to do so. Hooked once for the life of the
 * process. The cost: a write blocked on a FIFO nobody reads (a retry loop) is no longer stopped
 * by Ctrl-C or SIGTERM, as in a run already; SIGKILL still stops it.
 */
function hookStopSignals(): void {
  if (stopSignalsHooked) return;
  stopSignalsHooked = true;
  const onSignal = (s: StopSignal): void => {
    if (process.listenerCount(s) > 1) return;
    pendingAbort?.();
    process.exit(process.exitCode === ExitCode.runFailed ? ExitCode.runFailed : SIGNAL_EXIT[s]);
  };
  for (const s of Object.keys(SIGNAL_EXIT) as StopSignal[]) process.on(s, onSignal);
}

/** Long enough for the longest list we print (the gate metrics), short enough for one screen. */
const MAX_ERROR_LINE = 2000;

async function dispatch(p: Parsed, argv: string[], con: Console): Promise<number> {
  switch (p.command) {
    case 'run': {
      const { runCommand } = await import('./commands/run.js');
      return (await runCommand(p.options, ['dnsbench', ...argv], con)).exitCode;
    }
    case 'serve': {
      const { serveCommand } = await import('./commands/serve.js');
      return serveCommand(p.options, con);
    }
    case 'report': {
      const { reportCommand } = await import('./commands/report.js');
      return reportCommand(p.files, p.options, con);
    }
    case 'merge': {
      const { mergeCommand } = await import('./commands/merge.js');
      return mergeCommand(p.files, p.options, con);
    }
    case 'kubernetes': {
      const { kubernetesCommand } = await import('./commands/kubernetes.js');
      return kubernetesCommand(p.options, argv, con);
    }
    case 'capacity': {
      const { capacityCommand } = await import('./commands/capacity.js');
      return capacityCommand(p.options, ['dnsbench', ...argv], con);
    }
    case 'demo': {
      const { demoCommand } = await import('./commands/demo.js');
      return demoCommand(p.options, con);
    }
  }
}

/** Runs the CLI on this process's arguments and sets its exit code (bin.ts). */
export function runAsCli(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Text or `--json -` redirected to a file that filled up: the output the user asked for is
      // incomplete, which is exit 3 like any output that could not be written (README "Exit codes").
      // Looked at after the stream has reported its last write's error (a nextTick away).
      setImmediate(() => {
        const lost = processStreams().out.lostOutput;
        if (lost === null) return;
        processStreams().err.write(`dnsbench: cannot write stdout: ${describeIoError(lost)}; what it holds is incomplete\n`);
        process.exitCode = ExitCode.runFailed;
      });
    },
    (e: unknown) => {
      processStreams().err.write(`dnsbench: internal error: ${terminalText((e as Error)?.message ?? String(e))}\n`);
      process.exitCode = ExitCode.runFailed;
    },
  );
}
