// Report files (--json, --html, --csv, --junit, --markdown, merge -o): where they may go, the check
// made before any traffic, and the write itself. dnsbench often runs as root in shared CI
// directories, so every rule here assumes that another user can write to the output directory.
//
// What a path gets (README "Output files"):
//   /dev/stdout, /dev/stderr (/dev/fd/1, /dev/fd/2)        written to that open descriptor, as the
//                                                          shell does for `>&N`; nothing is renamed
//   /dev/fd/N, /proc/self/fd/N for N >= 3                  the pipe or device open there (bash's
//                                                          `>(gzip > r.gz)`), written through as below;
//                                                          a regular file there is refused (give its path)
//   a path that does not exist, or a regular file          a new file with a random name, created
//                                                          exclusively and without following links
//                                                          (O_CREAT|O_EXCL|O_NOFOLLOW), written, then
//                                                          renamed over the path: atomic, and the old
//                                                          file's permission bits are kept (when it is
//                                                          ours or the directory owner's)
//   a character device (/dev/null, /dev/full) or a FIFO    written through: opened O_WRONLY|O_NOFOLLOW,
//                                                          never O_CREAT or O_TRUNC, and fstat must
//                                                          still say device/FIFO before a byte goes out;
//                                                          only /dev/null, /dev/zero, /dev/full and
//                                                          terminals (writableDevice)
//   a symbolic link (other than the descriptors above),    refused before the run (exit 2): a link in a
//   a directory, a block device, a socket, any other       directory others can write may have been
//   character device (/dev/mem, /dev/kmsg, /dev/sg0)       planted to make root overwrite another file;
//                                                          a device is never opened to be refused
//
// All outputs of one command are one transaction (cli-main.ts wraps each command in
// withOutputTransaction): every file goes to its temp file first, and only when all of them were
// written are they renamed into place. A write error (ENOSPC, EIO, EPIPE on a descriptor) removes
// every temp file and fails the command with exit 3 (OutputError), so a job never finds half of
// its reports. Devices and descriptors cannot be taken back: one written before the failure stays
// written.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import {
  accessSync, closeSync, constants, fchmodSync, fchownSync, fstatSync, lstatSync, openSync, readlinkSync,
  renameSync, statSync, unlinkSync, writeSync, type Stats,
} from 'node:fs';
import path from 'node:path';
import { OutputError, UsageError } from './errors.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY, W_OK } = constants;

/** `/dev/fd/N` or `/proc/self/fd/N` -> N; anything else -> null. */
function fdPath(file: string): number | null {
  const m = /^\/(?:dev|proc\/self)\/fd\/(\d{1,9})$/.exec(path.resolve(file));
  return m ? Number(m[1]) : null;
}

/**
 * `/dev/stdout`, `/dev/stderr` and their /dev/fd forms -> 1 or 2, written with write(2) on that
 * descriptor; anything else -> null. Higher descriptors are opened through /proc instead (see
 * above): writing straight to a number the user did not open could hit one of Node's own.
 */
export function descriptorOf(file: string): 1 | 2 | null {
  const p = path.resolve(file);
  if (p === '/dev/stdout') return 1;
  if (p === '/dev/stderr') return 2;
  const n = fdPath(p);
  return n === 1 || n === 2 ? n : null;
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  EPIPE: 'the reading end is closed',
  ENXIO: 'no process has the FIFO open for reading',
  ELOOP: 'it became a symbolic link',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EBADF: 'the descriptor is not open for writing',
  EFBIG: 'file too large',
  EEXIST: 'a file with the temp name appeared',
};

/** "no space left on device (ENOSPC)" from a Node system error. */
export function describeIoError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === undefined) return (e as Error)?.message ?? String(e);
  return `${REASONS[code] ?? 'failed'} (${code})`;
}

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isFIFO()) return 'a FIFO';
  return 'a regular file';
}

/** "major:minor" of a device number (Linux encoding, glibc's gnu_dev_major/minor). */
function deviceNumber(rdev: number): { major: number; minor: number } {
  const high = Math.floor(rdev / 2 ** 32);
  return { major: ((rdev >>> 8) & 0xfff) | ((high & ~0xfff) >>> 0), minor: (rdev & 0xff) | ((rdev >>> 12) & 0xfff00) };
}

/**
 * Character devices a report may be written through: /dev/null, /dev/zero and /dev/full (memory
 * devices 1:3, 1:5, 1:7) and terminals (majors 4 and 5: tty*, ttyS*, /dev/tty, /dev/console;
 * 136-143: ptys). Every other one is refused before it is opened: as root a mistyped or planted
 * path such as /dev/mem (1:1), /dev/kmsg (1:11), a SCSI /dev/sg* or /dev/watchdog (which acts on
 * open) would take a report into memory, the kernel log or hardware.
 */
export function writableDevice(st: Stats): boolean {
  if (!st.isCharacterDevice()) return st.isFIFO();
  const { major, minor } = deviceNumber(st.rdev);
  if (major === 1) return minor === 3 || minor === 5 || minor === 7;
  return major === 4 || major === 5 || (major >= 136 && major <= 143);
}

function deviceRefusal(st: Stats): string {
  const { major, minor } = deviceNumber(st.rdev);
  return `is a character device (${major}:${minor}) other than /dev/null, /dev/full or a terminal; dnsbench writes no report into a device (as root that could be memory, the kernel log or hardware)`;
}

/** A name no one can guess: an attacker cannot pre-create it (and O_EXCL refuses it anyway). */
function randomName(dir: string, base: string, what: string): string {
  return path.join(dir, `.${base.slice(0, 64)}.${what}-${randomBytes(8).toString('hex')}.tmp`);
}

/**
 * Pre-flight for an output path, run before any query is sent. Throws UsageError (exit 2) naming
 * `flag` and `file` when the output could not be written: the directory is missing or takes no new
 * file (a probe file is created O_EXCL and removed), the path is a directory, a symbolic link, a
 * block device or a socket, a device/FIFO is not writable, or a descriptor is not open.
 */
export function checkOutputPath(flag: string, file: string): void {
  // path.resolve drops a trailing slash: `--json reports/` (a directory that does not exist yet)
  // wrote a file named "reports", and `--json old.json/` replaced old.json. The shell and the
  // kernel read such a path as a directory (ENOTDIR on a file); so does this.
  if (/\/\.?$/.test(file) && file !== '/') throw new UsageError(`${flag} ${file}: ends in "/", which names a directory; expected a file name`);
  const fd = descriptorOf(file);
  if (fd !== null) {
    try {
      fstatSync(fd);
    } catch {
      throw new UsageError(`${flag} ${file}: descriptor ${fd} is not open`);
    }
    return;
  }
  const abs = path.resolve(file);
  const n = fdPath(abs);
  if (n !== null) {
    let target: Stats;
    try {
      target = statSync(abs);
    } catch {
      throw new UsageError(`${flag} ${file}: descriptor ${n} is not open`);
    }
    if (!target.isFIFO() && !target.isCharacterDevice()) {
      throw new UsageError(`${flag} ${file}: descriptor ${n} is ${kindOf(target)}; dnsbench writes through a descriptor only to a pipe or a device (give a file's own path)`);
    }
    if (!writableDevice(target)) throw new UsageError(`${flag} ${file}: descriptor ${n} ${deviceRefusal(target)}`);
    return;
  }
  let st: Stats | null;
  try {
    st = lstatOrNull(abs);
  } catch (e) {
    throw new UsageError(`${flag} ${file}: cannot use it: ${describeIoError(e)}`);
  }
  if (st !== null && !st.isFile()) {
    if (st.isCharacterDevice() || st.isFIFO()) {
      if (!writableDevice(st)) throw new UsageError(`${flag} ${file}: ${deviceRefusal(st)}`);
      try {
        accessSync(abs, W_OK);
      } catch (e) {
        throw new UsageError(`${flag} ${file}: ${kindOf(st)} that cannot be written: ${describeIoError(e)}`);
      }
      return;
    }
    if (st.isDirectory()) throw new UsageError(`${flag} ${file}: is a directory, expected a file name`);
    if (st.isSymbolicLink()) {
      let to = '?';
      try {
        to = readlinkSync(abs);
      } catch {
        // shown as "?"
      }
      throw new UsageError(
        `${flag} ${file}: is a symbolic link (to ${to}); give the real path: dnsbench does not write through links, ` +
          'so a link planted in a shared directory cannot make it overwrite another file (/dev/stdout and /dev/fd/N work)',
      );
    }
    throw new UsageError(`${flag} ${file}: is ${kindOf(st)}; expected a file, a character device such as /dev/null, or a FIFO`);
  }
  probeDirectory(flag, file, path.dirname(abs));
}

function probeDirectory(flag: string, file: string, dir: string): void {
  let dst: Stats;
  try {
    // stat, not lstat: a link to a directory is fine here, the user named the directory, and
    // everything created in it is new (O_EXCL).
    dst = statSync(dir);
  } catch {
    throw new UsageError(`${flag} ${file}: directory "${dir}" does not exist`);
  }
  if (!dst.isDirectory()) throw new UsageError(`${flag} ${file}: "${dir}" is not a directory`);
  const probe = randomName(dir, 'dnsbench', 'probe');
  try {
    closeSync(openSync(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600));
  } catch (e) {
    throw new UsageError(`${flag} ${file}: cannot create a file in directory "${dir}": ${describeIoError(e)}`);
  }
  try {
    unlinkSync(probe);
  } catch (e) {
    throw new UsageError(`${flag} ${file}: cannot remove a file in directory "${dir}" (needed to replace the output): ${describeIoError(e)}`);
  }
}

const SLEEP = new Int32Array(new SharedArrayBuffer(4));

/** Every byte to `fd`, retrying partial writes and EAGAIN (a non-blocking pipe or FIFO that is full). */
function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off, data.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(SLEEP, 0, 0, 5); // the reader is slow: wait for room, as a blocking write would
    }
  }
}

interface Staged {
  file: string;
  tmp: string;
}

/**
 * One command's outputs. stage() does all the I/O that can fail for lack of space or a closed
 * reader; commit() only renames. abort() removes what stage() left behind.
 */
export class OutputTransaction {
  private readonly staged = new Map<string, Staged>();

  /** Writes `data` for `file`: to a temp file beside it, or through a device/FIFO/descriptor. Throws OutputError. */
  stage(file: string, data: string | Uint8Array): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const fd = descriptorOf(file);
    if (fd !== null) {
      try {
        writeAll(fd, bytes);
      } catch (e) {
        throw this.fail(file, e);
      }
      return;
    }
    const abs = path.resolve(file);
    if (fdPath(abs) !== null) {
      // /proc's magic link names what the descriptor holds; O_NOFOLLOW would refuse it, and the
      // fstat below still refuses anything but a pipe or a device.
      this.writeThrough(file, abs, bytes, { followLink: true });
      return;
    }
    let st: Stats | null;
    try {
      st = lstatOrNull(abs);
    } catch (e) {
      throw this.fail(file, e);
    }
    if (st !== null && (st.isCharacterDevice() || st.isFIFO())) {
      this.writeThrough(file, abs, bytes);
      return;
    }
    if (st !== null && !st.isFile()) {
      throw this.fail(file, null, `it is now ${kindOf(st)}, which dnsbench does not write to`);
    }
    this.writeTemp(file, abs, bytes, st);
  }

  private writeThrough(file: string, abs: string, bytes: Uint8Array, o: { followLink?: boolean } = {}): void {
    let fd: number;
    try {
      // Before the open: opening some devices already acts (a watchdog).
      const pre = o.followLink ? statSync(abs) : lstatSync(abs);
      if ((pre.isCharacterDevice() || pre.isFIFO()) && !writableDevice(pre)) throw this.fail(file, null, deviceRefusal(pre));
      // O_NONBLOCK: a FIFO without a reader fails with ENXIO instead of hanging the job.
      fd = openSync(abs, O_WRONLY | (o.followLink ? 0 : O_NOFOLLOW) | O_NONBLOCK | O_NOCTTY);
    } catch (e) {
      throw e instanceof OutputError ? e : this.fail(file, e);
    }
    try {
      const st = fstatSync(fd);
      // Swapped for a regular file since the lstat: opened without O_TRUNC, so it is untouched.
      if (!st.isCharacterDevice() && !st.isFIFO()) throw this.fail(file, null, `it was replaced by ${kindOf(st)} during the run`);
      if (!writableDevice(st)) throw this.fail(file, null, deviceRefusal(st));
      writeAll(fd, bytes);
    } catch (e) {
      throw e instanceof OutputError ? e : this.fail(file, e);
    } finally {
      closeSync(fd);
    }
  }

  private writeTemp(file: string, abs: string, bytes: Uint8Array, old: Stats | null): void {
    const dir = path.dirname(abs);
    const tmp = randomName(dir, path.basename(abs), 'dnsbench');
    let fd: number;
    try {
      fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o666);
    } catch (e) {
      throw this.fail(file, e);
    }
    try {
      // The temp file is ours: its owner is our effective uid.
      if (old !== null && metadataTrusted(old, dir, fstatSync(fd).uid)) {
        // Replacing a file keeps its permission bits (a private 0600 report stays private) and, as
        // root, its owner (anyone else gets EPERM for another owner, and keeps the file as theirs).
        fchmodSync(fd, old.mode & 0o777);
        try {
          fchownSync(fd, old.uid, old.gid);
        } catch {
          // not root: the new file is ours
        }
      }
      writeAll(fd, bytes);
      closeSync(fd);
    } catch (e) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      removeQuietly(tmp);
      throw this.fail(file, e);
    }
    const previous = this.staged.get(abs);
    if (previous) removeQuietly(previous.tmp); // the same path given twice: the last write wins
    this.staged.set(abs, { file, tmp });
  }

  /** Renames every temp file into place. Throws OutputError naming what was and was not written. */
  commit(): void {
    const done: string[] = [];
    for (const [abs, s] of this.staged) {
      try {
        renameSync(s.tmp, abs);
        done.push(s.file);
        this.staged.delete(abs);
      } catch (e) {
        this.abort();
        throw new OutputError(
          `cannot write ${s.file}: ${describeIoError(e)}` + (done.length > 0 ? ` (already written: ${done.join(', ')})` : ''),
        );
      }
    }
  }

  /** Removes every temp file not yet renamed. */
  abort(): void {
    for (const s of this.staged.values()) removeQuietly(s.tmp);
    this.staged.clear();
  }

  private fail(file: string, e: unknown, why?: string): OutputError {
    const pending = this.staged.size;
    this.abort();
    return new OutputError(
      `cannot write ${file}: ${why ?? describeIoError(e)}` + (pending > 0 ? '; no other output file was written either' : ''),
    );
  }
}

/**
 * Whether a file being replaced may pass on its mode and owner: when it is ours, or its
 * directory's owner's (a report in someone's own directory). Not a file another user planted in a
 * shared directory (/tmp, a CI workspace): kept, its 0666 mode and foreign owner would let that
 * user edit root's report afterwards (a --baseline that then passes every gate); the new file
 * gets the default mode and is ours.
 */
function metadataTrusted(old: Stats, dir: string, ourUid: number): boolean {
  if (old.uid === ourUid) return true;
  try {
    return statSync(dir).uid === old.uid;
  } catch {
    return false;
  }
}

function removeQuietly(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    // already gone
  }
}

const current = new AsyncLocalStorage<OutputTransaction>();

/**
 * Runs one command with its outputs in one transaction: committed (renamed into place) when `fn`
 * resolves, removed when it throws. Used by cli-main.ts around every command. `onExit` lets the
 * process boundary also remove the temp files if the process exits in between (a second Ctrl-C,
 * a crash); it returns the function that unregisters the hook.
 */
export async function withOutputTransaction<T>(fn: () => Promise<T>, onExit: (abort: () => void) => () => void = () => () => undefined): Promise<T> {
  const tx = new OutputTransaction();
  const unregister = onExit(() => tx.abort());
  try {
    let result: T;
    try {
      result = await current.run(tx, fn);
    } catch (e) {
      tx.abort();
      throw e;
    }
    tx.commit();
    return result;
  } finally {
    unregister();
  }
}

/**
 * Writes one report file by the rules at the top of this file, inside the current transaction
 * (or as a transaction of its own outside one). Throws OutputError (exit 3) on a write error.
 */
export function writeOutput(file: string, data: string | Uint8Array): void {
  const tx = current.getStore();
  if (tx !== undefined) {
    tx.stage(file, data);
    return;
  }
  const own = new OutputTransaction();
  own.stage(file, data);
  own.commit();
}

/** The former name of writeOutput, kept for callers not renamed yet. */
export const writeFileAtomic = writeOutput;
