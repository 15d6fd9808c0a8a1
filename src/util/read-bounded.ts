// A side file (--tls-ca, --expect-file, serve --zone) read whole, but never more than a bound: the
// path may be /dev/zero, /dev/urandom, a FIFO or a pipe that never ends, and readFile() would read
// until memory runs out (a 20 s hang, then a crash) instead of saying it is not the file expected.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Thrown by readBounded when the file holds more than `maxBytes` (or does not end). */
export class TooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`more than ${maxBytes} bytes`);
  }
}

/** "16 MiB" for a byte bound, for error lines. */
export function sizeText(bytes: number): string {
  return bytes >= 1 << 20 && bytes % (1 << 20) === 0 ? `${bytes / (1 << 20)} MiB` : bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

/**
 * The bytes of `file`, read in chunks until its end, at most `maxBytes`. Throws TooLargeError past
 * the bound, and the system error of open/read otherwise (EISDIR for a directory, ENOENT, EACCES),
 * for the caller to word with its flag.
 */
export function readBounded(file: string, maxBytes: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    if (fstatSync(fd).isDirectory()) throw Object.assign(new Error(`${file} is a directory`), { code: 'EISDIR' });
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw new TooLargeError(maxBytes);
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}
