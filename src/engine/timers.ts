// The engine's view of time: a clock and one-shot timers, injected so the engine loop can run on
// a fake clock in unit tests (test/engine-fake-clock.test.ts) and on a precise timer (the native
// addon's timerfd) when one is available.
import { clock } from './clock.js';

export type TimerHandle = { readonly __timer: unique symbol } | object;

export interface EngineTimers {
  /** Monotonic milliseconds (performance.now() in production). */
  now(): number;
  /** Call `fn` at clock time `atMs` (or as soon after as the platform allows). */
  at(atMs: number, fn: () => void): TimerHandle;
  cancel(h: TimerHandle): void;
  /** Call `fn` once the current event-loop turn's I/O callbacks have run. */
  soon(fn: () => void): void;
  /**
   * How late `at` may fire, in ms, as a rule (1 ms resolution for setTimeout; ~0.05 ms for a
   * timerfd). The pacer's catch-up horizon is at least this.
   */
  readonly resolutionMs: number;
}

/**
 * Node's timers: setTimeout has millisecond resolution (libuv's loop time is in ms) and, on a
 * busy machine, fires a few milliseconds late, so the pacer accepts slots up to 4 ms late with
 * them (its -Q ceiling is then rate/10 + 4% + 1 per 100 ms; the native timerfd keeps it at 1%).
 */
export const nodeTimers: EngineTimers = {
  now: clock,
  at(atMs, fn) {
    return setTimeout(fn, Math.max(0, atMs - clock()));
  },
  cancel(h) {
    clearTimeout(h as NodeJS.Timeout);
  },
  soon(fn) {
    setImmediate(fn);
  },
  resolutionMs: 4,
};
