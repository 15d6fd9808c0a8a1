// Atomics.waitAsync (ES2024; in Node since 16) with its types, which the project's ES2022 lib
// lacks. A wait that never blocks the event loop: the stream ring's producer (main thread) and
// consumers (engine loops in worker threads) wait for each other with it, never spinning.

type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };

const impl = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number, ms?: number) => WaitAsyncResult }).waitAsync;

/**
 * Waits (without blocking) until `array[index]` is notified, if it still holds `value`, for at most
 * `timeoutMs`. Resolves at once ('not-equal') when it already holds something else.
 */
export function waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): WaitAsyncResult {
  return impl(array, index, value, timeoutMs);
}
