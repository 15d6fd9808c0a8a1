// The process boundary, as an object: commands write through it, so tests can capture output
// and nothing below bin.ts touches process.stdout, process.exit or signal handlers directly.
export interface Console {
  out(text: string): void;
  err(text: string): void;
  readonly stdin: NodeJS.ReadableStream;
  readonly stdinIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  onInterrupt(handler: () => void): void;
  offInterrupt(handler: () => void): void;
  exit(code: number): never;
}

export function processConsole(): Console {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    stdin: process.stdin,
    stdinIsTTY: process.stdin.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    onInterrupt: (h) => void process.on('SIGINT', h),
    offInterrupt: (h) => void process.off('SIGINT', h),
    exit: (code) => process.exit(code),
  };
}
