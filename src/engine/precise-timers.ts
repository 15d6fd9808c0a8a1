// The timers a worker runs on. With the native addon, a timerfd (native/ptimer.c) wakes the loop
// within tens of microseconds of a due time, so -Q sends leave on time without a busy loop or a
// fixed tick; without it, Node's millisecond timers (engine/timers.ts nodeTimers).
import { clock } from './clock.js';
import { clockOffsetMs } from './native/addon.js';
import type { NativeUdpAddon } from './native/api.js';
import { nodeTimers, type EngineTimers, type TimerHandle } from './timers.js';

/** How late a timerfd wake-up is, as a rule, on these machines (measured: median ~20-60 µs). */
const TIMERFD_RESOLUTION_MS = 0.25;

/**
 * EngineTimers over this thread's one native timer: the few logical timers a host keeps (its
 * tick, the start) sit in a small list, and the timerfd is armed at the earliest.
 */
export function nativeTimers(addon: NativeUdpAddon): EngineTimers {
  const offset = clockOffsetMs(addon);
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  let armedAt = Infinity;
  const rearm = (): void => {
    let first = Infinity;
    for (const t of pending.values()) if (t.at < first) first = t.at;
    if (first === armedAt) return;
    armedAt = first;
    if (first === Infinity) addon.timerDisarm();
    else addon.timerArm(first - offset);
  };
  addon.timerStart(() => {
    armedAt = Infinity;
    const now = clock();
    // Due ones in time order (there are only a few pending: the host's tick and a start), each
    // of which may add or cancel others; no array is made per wake-up.
    for (let guard = 0; guard < 1000; guard++) {
      let id = -1;
      let at = Infinity;
      for (const [k, t] of pending) if (t.at < at) (id = k), (at = t.at);
      if (id < 0 || at > now + 0.001) break;
      const t = pending.get(id)!;
      pending.delete(id);
      t.fn();
    }
    rearm();
  });
  return {
    now: clock,
    at(atMs, fn) {
      const id = ++seq;
      pending.set(id, { at: atMs, fn });
      if (atMs < armedAt) rearm();
      return { id } as TimerHandle;
    },
    cancel(h) {
      pending.delete((h as { id: number }).id);
      rearm();
    },
    soon: nodeTimers.soon,
    resolutionMs: TIMERFD_RESOLUTION_MS,
  };
}

/** This worker's timers: the native timer when the addon is loaded here, else Node's. */
export function engineTimers(addon: NativeUdpAddon | null): EngineTimers {
  return addon === null ? nodeTimers : nativeTimers(addon);
}
