// Kept apart from loop.ts so the main thread (measure.ts's report note) can name the limit
// without loading the engine's loop and its transports (node:http2, node:tls) at startup.

/**
 * A run without a time limit gives a connection up after this many failed attempts in a row
 * (about 6 s of backoff: at once, then 50 ms doubling to 1 s); with -l it keeps trying until the
 * end. Without it, `-m tcp -n 1` against a server that went away would never end (issue 11.13).
 */
export const GIVE_UP_AFTER_FAILURES = 10;
