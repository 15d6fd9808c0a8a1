// The one clock for latency: performance.now() is monotonic (never steps with NTP, unlike the
// gettimeofday dnsperf uses) and has sub-microsecond resolution in Node. Milliseconds as a double.
import { performance } from 'node:perf_hooks';

export const clock = (): number => performance.now();

/** Convert a clock() reading of this thread to epoch milliseconds (for cross-thread alignment). */
export const toEpochMs = (t: number): number => performance.timeOrigin + t;

/** Convert epoch milliseconds to this thread's clock(). */
export const fromEpochMs = (epochMs: number): number => epochMs - performance.timeOrigin;
