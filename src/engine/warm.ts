// Worker threads started before the CLI's code has loaded (docs/performance.md "Startup"). A
// worker's isolate boot and module load take ~60 ms; started by bin.ts before it loads the CLI,
// they overlap the main thread's own loading, flag parsing and query-file reading instead of
// following them. A warm worker waits for its setup message (engine/worker.ts); openSession takes
// them, and any it does not need are ended. Only bin.ts starts them: tests and other importers
// get none, and openSession starts its workers as before.
import { Worker } from 'node:worker_threads';

/** The engine's thread entry, next to this module (dist/engine/) or to the bundle (dist/). */
export const WORKER_URL = new URL('./worker.js', import.meta.url);

interface Warm {
  worker: Worker;
  dead: boolean;
}

/**
 * The pool, on globalThis: the bundled bin (dist/bin.js) and the bundled CLI (dist/cli-main.js)
 * each carry their own copy of this module, and the CLI's openSession must find the bin's workers.
 */
const POOL = Symbol.for('dnsbench.warmWorkers');
const pool: Warm[] = ((globalThis as Record<symbol, unknown>)[POOL] ??= []) as Warm[];

/**
 * Workers a plain run of these arguments will use, at most: min(cores, -T, -c) threads, less the
 * main thread's own (engine/inline.ts; measure.ts mainThreadIsFree) unless -v, --event or
 * --watch-serial keep it busy; 0 for anything else (a subcommand, --help, --version). A guess
 * from the raw arguments: too many are ended unused, too few are started as usual.
 */
export function warmCount(argv: readonly string[], cores: number): number {
  if (argv.length === 0 || !argv[0]!.startsWith('-')) return 0;
  let n = cores;
  let mainBusy = false;
  for (let i = 0; i < argv.length && i < 256; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help' || a === '-V' || a === '--version') return 0;
    if (/^(-v|--verbose|--event(=.*)?|--watch-serial(=.*)?)$/.test(a)) mainBusy = true;
    const m = /^(-T|--threads|-c|--clients)(?:=?(\d+))?$/.exec(a);
    if (m === null) continue;
    const v = Number(m[2] ?? argv[i + 1]);
    if (Number.isInteger(v) && v >= 1) n = Math.min(n, v);
  }
  return Math.max(0, Math.min(n, cores, 64) - (mainBusy ? 0 : 1));
}

/**
 * DNSBENCH_NO_PREWARM set to anything but empty or 0 (as DNSBENCH_NO_NATIVE reads): workers start
 * only once the run is set up. `env` is the caller's process.env.
 */
export function prewarmDisabled(env: Readonly<Record<string, string | undefined>>): boolean {
  const v = env['DNSBENCH_NO_PREWARM'];
  return v !== undefined && v !== '' && v !== '0';
}

/** Start `n` workers that wait for their setup; they never keep the process alive on their own. */
export function prewarm(n: number): void {
  for (let i = 0; i < n; i++) {
    const w: Warm = { worker: new Worker(WORKER_URL, { workerData: null }), dead: false };
    // Until taken, a failure only marks it: openSession starts a fresh one instead.
    w.worker.on('error', () => (w.dead = true));
    w.worker.on('exit', () => (w.dead = true));
    w.worker.unref();
    pool.push(w);
  }
}

/** A warm worker (referenced again), or undefined when none is left. */
export function takeWarmWorker(): Worker | undefined {
  for (let w = pool.shift(); w !== undefined; w = pool.shift()) {
    if (w.dead) continue;
    w.worker.removeAllListeners('error');
    w.worker.removeAllListeners('exit');
    w.worker.ref();
    return w.worker;
  }
  return undefined;
}

/** Ends the warm workers nobody took. */
export function dropWarmWorkers(): void {
  for (const w of pool.splice(0)) void w.worker.terminate();
}
