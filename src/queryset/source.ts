// Where query-file bytes come from, for a loader that must never hold more than a bounded amount:
// a regular file (re-opened for each pass), or a pipe (stdin, a FIFO, a character device),
// whose bytes are spooled to an unlinked temporary file once the input turns out to be too large
// to keep in memory, so later passes can read them again (dnsperf cannot re-read stdin at all).
import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A sequential reader; read() resolves with 0 at the end of the input. */
export interface ByteReader {
  read(buf: Uint8Array, off: number, len: number): Promise<number>;
  close(): Promise<void>;
}

/** An input that can be read from its start again, any number of times. */
export interface ReplayableInput {
  /** A reader from byte 0. */
  open(): Promise<ByteReader>;
  /** Size in bytes when known in advance (a regular file), else null. */
  readonly size: number | null;
  /** True when reading past what was read before costs nothing but the read (a file, not a pipe). */
  readonly seekable: boolean;
  /** Release what the input holds (the spool's descriptor); idempotent. */
  close(): Promise<void>;
}

/** A regular file: every pass opens it again. */
export class FileInput implements ReplayableInput {
  readonly seekable = true;
  constructor(
    private readonly path: string,
    readonly size: number | null,
  ) {}

  async open(): Promise<ByteReader> {
    const fh = await fsp.open(this.path, 'r');
    return {
      read: async (buf, off, len) => (await fh.read(buf, off, len, null)).bytesRead,
      close: () => fh.close(),
    };
  }

  async close(): Promise<void> {}
}

/** How much a pipe may run ahead of its reader before it is paused (bytes). */
const PIPE_HIGH_WATER = 4 << 20;

/**
 * A pipe (a Node Readable) whose bytes are kept for replay: in memory while the input may still
 * turn out small (`head`), then, after startSpooling(), in an unlinked temporary file. Reads are
 * positional, so every pass (and every run) reads from its own position; a position past what
 * has arrived waits for the pipe. One live read at a time, shared by whoever waits: a read
 * abandoned by its caller (the loader's deadline, a stopped run) still lands in the head or the
 * spool, so no byte is ever lost, and the next reader finds it there.
 */
export class PipeInput implements ReplayableInput {
  readonly size = null;
  readonly seekable = false;
  /** Bytes received from the pipe so far. */
  received = 0;
  private ended = false;
  private failure: Error | null = null;
  private queue: Buffer[] = [];
  private queued = 0;
  private wake: (() => void) | null = null;
  private head: Buffer[] = [];
  private spool: FileHandle | null = null;
  /** Set while startSpooling() moves the head to the spool: chunks arriving meanwhile wait for it. */
  private spoolReady: Promise<void> | null = null;
  private spoolError: Error | null = null;
  /** The live read in progress, if any. */
  private live: Promise<number> | null = null;
  private closed = false;

  constructor(
    private readonly stream: NodeJS.ReadableStream,
    /** Names the input in messages ("<stdin>" or a path). */
    private readonly name: string,
    /** The loader opened the stream (a path), so close() destroys it; stdin is only let go. */
    private readonly owned = false,
  ) {
    stream.on('data', this.onData);
    stream.on('end', () => {
      this.ended = true;
      this.notify();
    });
    stream.on('error', (err: Error) => {
      this.failure = err;
      this.notify();
    });
  }

  private readonly onData = (chunk: Buffer | string): void => {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.queue.push(b);
    this.queued += b.length;
    if (this.queued >= PIPE_HIGH_WATER) this.stream.pause();
    this.notify();
  };

  /** Every byte received so far while still in memory (before startSpooling). */
  headBytes(): Buffer {
    const b = this.head.length === 1 ? this.head[0]! : Buffer.concat(this.head);
    this.head = [b];
    return b;
  }

  /**
   * Where the first LF is among the bytes held in memory (-1 if none), looking at no more than
   * `limit` bytes and without joining the chunks.
   */
  firstLineEnd(limit: number): number {
    let base = 0;
    for (const b of this.head) {
      const lf = b.indexOf(0x0a);
      if (lf >= 0) return base + lf;
      base += b.length;
      if (base > limit) break;
    }
    return -1;
  }

  /** True once the pipe has ended and every byte was received. */
  get complete(): boolean {
    return this.ended && this.queued === 0;
  }

  /**
   * Receive until more than `limit` bytes are held, the pipe ends, or `deadlineMs` (epoch ms)
   * passes. Resolves true when the whole input was received.
   * @throws Error when the pipe fails (the caller words it).
   */
  async fill(limit: number, deadlineMs: number): Promise<boolean> {
    while (this.received <= limit) {
      const left = deadlineMs - Date.now();
      if (left <= 0) return false;
      const got = await Promise.race([this.pullShared(), sleep(left).then(() => 'timeout' as const)]);
      if (got === 'timeout') return false;
      if (got === 0) return true;
    }
    return false;
  }

  /**
   * From now on bytes are kept in an unlinked temporary file (created O_EXCL, mode 0600, in
   * os.tmpdir(), removed from the directory at once so nothing is left behind whatever ends the
   * process), and the in-memory head is written there and dropped.
   * @throws Error when the file cannot be created or written.
   */
  async startSpooling(): Promise<void> {
    this.spoolReady ??= (async () => {
      const path = join(tmpdir(), `dnsbench-stdin-${randomBytes(12).toString('hex')}`);
      const flags = constants.O_CREAT | constants.O_EXCL | constants.O_RDWR | (constants.O_NOFOLLOW ?? 0);
      const fh = await fsp.open(path, flags, 0o600);
      await fsp.unlink(path);
      let at = 0;
      for (const b of this.head) {
        await writeAll(fh, b, at);
        at += b.length;
      }
      this.head = [];
      this.spool = fh;
    })();
    await this.spoolReady;
  }

  async open(): Promise<ByteReader> {
    let pos = 0;
    return {
      read: async (buf, off, len) => {
        const n = await this.readAt(pos, buf, off, len);
        pos += n;
        return n;
      },
      close: async () => {},
    };
  }

  /** Why later passes cannot be read (the spool failed, e.g. ENOSPC), or null. */
  get spoolProblem(): string | null {
    return this.spoolError === null ? null : `cannot keep ${this.name} for another pass: ${this.spoolError.message}`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let go of the pipe so it keeps no process alive (an endless pipe after a -l run).
    this.stream.off('data', this.onData);
    this.stream.pause();
    if (this.owned) (this.stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
    this.ended = true;
    this.notify();
    const fh = this.spool;
    this.spool = null;
    await fh?.close();
  }

  /** Reads bytes [pos, pos + len) as far as they exist; waits for the pipe past what arrived. */
  private async readAt(pos: number, buf: Uint8Array, off: number, len: number): Promise<number> {
    for (;;) {
      if (pos < this.received) {
        if (this.spool === null) {
          if (this.spoolError !== null) throw this.spoolError;
          const head = this.headBytes();
          const n = Math.min(len, this.received - pos);
          buf.set(head.subarray(pos, pos + n), off);
          return n;
        }
        const { bytesRead } = await this.spool.read(buf, off, Math.min(len, this.received - pos), pos);
        return bytesRead;
      }
      const n = await this.pullShared();
      if (n === 0 && pos >= this.received) return 0;
    }
  }

  /** The live read in progress, or a new one. */
  private pullShared(): Promise<number> {
    this.live ??= this.pull().finally(() => (this.live = null));
    return this.live;
  }

  /** One chunk from the pipe, kept (head or spool); its length, or 0 at the end. Only via pullShared(). */
  private async pull(): Promise<number> {
    for (;;) {
      if (this.failure !== null) throw this.failure;
      if (this.spoolError !== null) throw this.spoolError;
      const b = this.queue.shift();
      if (b !== undefined) {
        this.queued -= b.length;
        if (this.queued < PIPE_HIGH_WATER / 2) this.stream.resume();
        await this.keep(b);
        return b.length;
      }
      if (this.ended) return 0;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  /** Keeps a chunk; `received` grows only once its bytes can be read back. */
  private async keep(b: Buffer): Promise<void> {
    if (this.spoolReady !== null) await this.spoolReady.catch(() => undefined);
    if (this.spool === null) {
      this.head.push(b);
      this.received += b.length;
      return;
    }
    try {
      await writeAll(this.spool, b, this.received);
    } catch (err) {
      // Nothing past this point can be read again: the reader gets the error, and the run stops
      // reading there with a note (stream.ts).
      this.spoolError = err instanceof Error ? err : new Error(String(err));
      throw this.spoolError;
    }
    this.received += b.length;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

}

async function writeAll(fh: FileHandle, b: Uint8Array, at: number): Promise<void> {
  for (let done = 0; done < b.length; ) {
    const { bytesWritten } = await fh.write(b, done, b.length - done, at + done);
    done += bytesWritten;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
