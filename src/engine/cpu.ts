// The CPU time of the calling thread, for the generator-bound verdict (issue 13): a worker that
// uses ~100% of a core is the limit, whatever the server does. Linux's /proc/thread-self/schedstat
// gives the thread's on-CPU time in nanoseconds (read synchronously, so it is this thread's own
// entry); elsewhere the figure is unknown (null) rather than the whole process's.
import { readFileSync } from 'node:fs';

let available = true;

/** CPU milliseconds used by the calling thread so far, or null when the platform cannot say. */
export function threadCpuMs(): number | null {
  if (!available) return null;
  try {
    const text = readFileSync('/proc/thread-self/schedstat', 'latin1');
    const ns = Number(text.slice(0, text.indexOf(' ')));
    if (!Number.isFinite(ns)) throw new Error('unparsable');
    return ns / 1e6;
  } catch {
    available = false;
    return null;
  }
}
