// The CPU time of the calling thread, for the generator-bound verdict (issue 13): a worker that
// uses ~100% of a core is the limit, whatever the server does. Linux's /proc/thread-self/schedstat
// gives the thread's on-CPU time and its time spent runnable but waiting for a CPU, both in
// nanoseconds (read synchronously, so it is this thread's own entry; Documentation/scheduler/
// sched-stats.rst). The wait matters on a shared machine: a worker starved of CPU shows a low CPU
// share yet cannot send faster. Elsewhere both figures are unknown (null) rather than the whole
// process's.
import { readFileSync } from 'node:fs';

let available = true;

/** This thread's on-CPU and run-queue wait milliseconds so far, or null when the platform cannot say. */
export function threadSchedMs(): { cpuMs: number; waitMs: number } | null {
  if (!available) return null;
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ').map(Number);
    if (!Number.isFinite(run) || !Number.isFinite(wait)) throw new Error('unparsable');
    return { cpuMs: run! / 1e6, waitMs: wait! / 1e6 };
  } catch {
    available = false;
    return null;
  }
}

/** CPU milliseconds used by the calling thread so far, or null when the platform cannot say. */
export function threadCpuMs(): number | null {
  return threadSchedMs()?.cpuMs ?? null;
}

/** Milliseconds the calling thread was runnable but waited for a CPU, or null when unknown. */
export function threadWaitMs(): number | null {
  return threadSchedMs()?.waitMs ?? null;
}
