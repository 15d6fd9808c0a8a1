// Helpers for the native UDP addon tests: a collector that copies every received message out of the
// ring (the ring is reused by the next batch) and a bounded wait.
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { META, type NativeUdpSocket } from '../../src/engine/native/addon.js';

export interface Received {
  /** DNS ID (first two bytes), or -1 for a datagram shorter than 2 bytes. */
  id: number;
  bytes: Buffer;
  length: number;
  datagramLength: number;
  /** CLOCK_MONOTONIC ms, as the addon returns it. */
  arrival: number;
  flags: number;
  source: string;
  /** performance.now() inside onReadable. */
  seenAt: number;
  /** Which onReadable call (batch) delivered it. */
  batch: number;
}

export interface Collector {
  readonly got: Received[];
  readonly errors: { code: string; address: string | null; count: number }[];
  readonly batches: number[];
  writable: number;
}

/** start()s the socket with a ring of `slots` x `slotSize` and records everything it reports. */
export function collect(sock: NativeUdpSocket, slots = 64, slotSize = 512, onBatch?: (n: number) => void): Collector {
  const ring = new Uint8Array(slots * slotSize);
  const meta = new Float64Array(slots * META.stride);
  const c: Collector = { got: [], errors: [], batches: [], writable: 0 };
  sock.start({
    ring,
    slotSize,
    slots,
    meta,
    onReadable(n) {
      const seenAt = performance.now();
      const batch = c.batches.length;
      c.batches.push(n);
      for (let i = 0; i < n; i++) {
        const m = i * META.stride;
        const length = meta[m + META.length]!;
        const bytes = Buffer.from(ring.subarray(i * slotSize, i * slotSize + length));
        c.got.push({
          id: length >= 2 ? (bytes[0]! << 8) | bytes[1]! : -1,
          bytes,
          length,
          datagramLength: meta[m + META.datagramLength]!,
          arrival: meta[m + META.arrival]!,
          flags: meta[m + META.flags]!,
          source: sock.sourceOf(i),
          seenAt,
          batch,
        });
      }
      onBatch?.(n);
    },
    onWritable() {
      c.writable++;
    },
    onError(code, address, count) {
      c.errors.push({ code, address, count });
    },
  });
  return c;
}

/** Resolves once cond() holds; rejects naming `what` after `ms` (a bound, not a speed assertion). */
export async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Lets the event loop run for `ms` (to show that something did NOT arrive). */
export const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
