// A query file too large to hold (over the in-memory threshold, 64 MiB by default, or a pipe that
// does not end at once) streamed through a shared ring while the run goes on: the main thread
// reads and encodes chunks of queries (LineEncoder, as the in-memory loader does), the engine
// loops take them (engine/stream-cursor.ts). Memory is the ring plus one read buffer, whatever the
// size of the input; the first chunk is ready within milliseconds, so sending starts at once.
//
// Rules (README "Query files"):
// - Every pass reads the input from its start again: a file is re-opened, a pipe is re-read from
//   its spool (source.ts). -n N is exactly N passes; -l stops wherever the time ends.
// - Bad lines in the first MiB (everything read before sending starts) stop the run as for a
//   small file. After that they cannot stop it before anything was sent: they are skipped,
//   counted, and the first 10 listed in a note (dnsperf too skips a line it cannot send).
// - A line with no LF within 64 KiB ends the reading (refused before sending when it comes first).
// - The SHA-256 and the query count cover the whole input once a pass has read it to the end. A
//   run that ends first reports the queries read so far; the SHA-256 of a file is completed after
//   the run (a pipe's covers what was read), and a note says which.
import { createHash, type Hash } from 'node:crypto';
import { InputError, type LineProblem } from '../errors.js';
import { MAX_ECS_GROWTH } from './ecs.js';
import { Line, LineEncoder, MAX_LINE_BYTES, overlongLineReason } from './line-encoder.js';
import { chunkTag, createRing, PRODUCER_BLOCKED, PUBLISHED, RELEASED, resetRing, RingViews, WAIT_MS, WAIT_RING_MS, WAITS, type RingShared } from './ring.js';
import { formatSegment, type Segment } from './segment.js';
import type { ByteReader, ReplayableInput } from './source.js';
import { waitAsync } from '../util/wait-async.js';
import type { EncodeOptions, QuerySet, QueryStream } from './types.js';

const LF = 0x0a;
/** Bytes asked of the input per read: large enough to amortize a read, small enough to parse in a few ms. */
const READ_BYTES = 256 << 10;

/** Sizes of the streaming path; tests make them small (DNSBENCH_STREAM_* in commands/run.ts). */
export interface StreamTuning {
  /** Inputs larger than this many bytes are streamed. Default 64 MiB. */
  thresholdBytes: number;
  /** Bytes read (and checked) before sending starts. Default min(1 MiB, thresholdBytes). */
  primeBytes: number;
  /** A pipe that has not ended after this long (ms) is streamed. Default 200. */
  pipeWaitMs: number;
  /** Ring slots; null sizes the ring from the consumers (at least 256). */
  slots: number | null;
  /** Most queries per slot. Default 4096. */
  perSlot: number;
  /** Bytes per slot; null: 64 MiB over the slots (at least 256 KiB for 256 slots). */
  slotBytes: number | null;
}

export const DEFAULT_TUNING: StreamTuning = {
  thresholdBytes: 64 << 20,
  primeBytes: 1 << 20,
  pipeWaitMs: 200,
  slots: null,
  perSlot: 4096,
  slotBytes: null,
};

/** Memory the ring's messages may take in total, unless one slot must be larger. */
const RING_BUDGET = 64 << 20;
const MIN_SLOTS = 256;

/** What one run read, for its notes. */
interface RunStats {
  /** Bytes read in the first pass. */
  bytes: number;
  /** Queries of this set encoded in the first pass. */
  queries: number;
  /** Queries of the whole file seen in the first pass (differs with --segment). */
  fileQueries: number;
  /** The first pass reached the end of the input. */
  complete: boolean;
  problems: LineProblem[];
  totalProblems: number;
  /** Why reading stopped early (a line too long, a read error), or null. */
  stopped: string | null;
  /** A pass after the first held no query (the file changed?), or null. */
  emptyPass: number | null;
  waits: number;
  waitMs: number;
  /** Part of waitMs that began with the ring full of chunks still in use. */
  waitRingMs: number;
  /** Wall time spent completing the file's SHA-256 after the run, ms, or null when it was not. */
  hashAfterMs: number | null;
}

/**
 * Producer state of one run. The parse state (buffer, line number, encoder) survives the awaits in
 * the middle of a line: a query parsed when the ring is full is written once a slot is free.
 */
class Run {
  stopped = false;
  /** Next chunk number. */
  g = 0;
  /** Slot being filled, or -1. */
  slot = -1;
  n = 0;
  at = 0;
  limit = 0;
  base = 0;
  readonly stats: RunStats = {
    bytes: 0, queries: 0, fileQueries: 0, complete: false, problems: [], totalProblems: 0, stopped: null,
    emptyPass: null, waits: 0, waitMs: 0, waitRingMs: 0, hashAfterMs: null,
  };
  hash: Hash | null = null;
  hashedBytes = 0;
  readonly claimed: BigInt64Array;
  /** Sending may start (set once, by prime); before it, every problem refuses the run. */
  primed = false;
  /** Epoch ms after which whatever was read is enough to start (a slow pipe). */
  primeBy = 0;
  /** Resolves when stopRun() is called, so a read that may never return (a pipe) is not awaited. */
  readonly stopping: Promise<0>;
  stop!: () => void;
  /** A pending wait for a loop to report its next chunk not ready (one at a time). */
  want: Promise<unknown> | null = null;
  constructor(
    readonly v: RingViews,
    readonly targets: number,
    readonly passes: number | null,
    claimed: SharedArrayBuffer,
    readonly enc: LineEncoder,
  ) {
    this.claimed = new BigInt64Array(claimed);
    this.stopping = new Promise<0>((resolve) => {
      this.stop = () => resolve(0);
    });
  }
}

/** How long priming may wait for a slow pipe before sending starts with what arrived, ms. */
const PRIME_WAIT_MS = 200;

/** A streamed query set: a QuerySet whose count and SHA-256 fill in as the input is read. */
export class StreamedQuerySet implements QuerySet, QueryStream {
  readonly wire = new SharedArrayBuffer(0);
  readonly offsets = new SharedArrayBuffer(4);
  readonly questionLengths = new SharedArrayBuffer(0);
  readonly maxMessageLength: number;
  readonly segment: { readonly index: number; readonly count: number } | null;
  private shared: RingShared | null = null;
  private run: Run | null = null;
  private last: Run | null = null;
  private producing: Promise<void> = Promise.resolve();
  /** Set once a first pass has read the whole input. */
  private whole: { count: number; fileCount: number; sha256: string } | null = null;
  private partialSha: string | null = null;

  constructor(
    readonly source: string,
    private readonly input: ReplayableInput,
    private readonly opts: EncodeOptions,
    segment: Segment | null,
    private readonly tuning: StreamTuning,
  ) {
    this.segment = segment === null ? null : { index: segment.index, count: segment.count };
    const probe = new LineEncoder(opts, null, source);
    // The longest message: a 255-octet name, the run's OPT and the largest ECS option.
    this.maxMessageLength = probe.minMessageLength + 254 + MAX_ECS_GROWTH;
  }

  get stream(): QueryStream {
    return this;
  }

  get count(): number {
    return this.whole?.count ?? Math.max(1, this.last?.stats.queries ?? 0);
  }

  get fileCount(): number {
    return this.whole?.fileCount ?? this.last?.stats.fileQueries ?? 0;
  }

  get sha256(): string {
    return this.whole?.sha256 ?? this.partialSha ?? createHash('sha256').digest('hex');
  }

  ring(consumers: number): RingShared {
    if (this.shared !== null) return this.shared;
    const t = this.tuning;
    const slots = t.slots ?? Math.max(MIN_SLOTS, 4 * consumers);
    // A slot holds at least two of the largest messages, so a chunk is never a single query.
    const slotBytes = Math.max(2 * this.maxMessageLength, t.slotBytes ?? Math.floor(RING_BUDGET / slots / 4096) * 4096);
    const perSlot = Math.max(1, Math.min(t.perSlot, Math.floor(slotBytes / 17)));
    // A spill slot per consumer (loop x target) for the stragglers of chunks it has used up.
    this.shared = createRing(slots, slotBytes, perSlot, consumers);
    return this.shared;
  }

  async startRun(ring: RingShared, o: { targets: number; passes: number | null; claimed: SharedArrayBuffer }): Promise<void> {
    await this.producing; // the previous run's producer has returned
    const v = new RingViews(ring);
    resetRing(v);
    const run = new Run(v, o.targets, o.passes, o.claimed, new LineEncoder(this.opts, this.segment, this.source));
    this.run = run;
    this.last = run;
    let primed!: () => void;
    let refused!: (e: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      primed = resolve;
      refused = reject;
    });
    this.producing = this.produce(run, primed, refused).catch((e: unknown) => {
      // Only reached for an internal fault: end the stream so no loop waits forever.
      run.stats.stopped = `internal error while reading: ${e instanceof Error ? e.message : String(e)}`;
      this.end(run);
      refused(e instanceof Error ? e : new Error(String(e)));
    });
    try {
      await ready;
    } catch (e) {
      this.stopRun();
      throw e;
    }
  }

  stopRun(): void {
    const run = this.run;
    if (run === null) return;
    this.run = null;
    run.stopped = true;
    run.stop();
    run.stats.waits = Atomics.load(run.v.control, WAITS);
    run.stats.waitMs = Atomics.load(run.v.control, WAIT_MS);
    run.stats.waitRingMs = Atomics.load(run.v.control, WAIT_RING_MS);
    // Wake a producer waiting for a free slot, or for a loop to want a chunk.
    Atomics.add(run.v.control, RELEASED, 1);
    Atomics.notify(run.v.control, RELEASED);
    Atomics.notify(run.v.control, WAITS);
  }

  async settle(o: { hashRest?: boolean } = {}): Promise<void> {
    await this.producing;
    const run = this.last;
    if (this.whole !== null || run === null || run.hash === null) return;
    if (this.input.seekable && o.hashRest !== false) {
      // Identify the whole file, as merge and compare expect, even though the run did not need it all.
      const started = performance.now();
      const reader = await this.input.open();
      try {
        const buf = new Uint8Array(4 << 20);
        for (let skip = run.hashedBytes; skip > 0; ) {
          const n = await reader.read(buf, 0, Math.min(buf.length, skip));
          if (n === 0) break;
          skip -= n;
        }
        for (;;) {
          const n = await reader.read(buf, 0, buf.length);
          if (n === 0) break;
          run.hash.update(buf.subarray(0, n));
          run.hashedBytes += n;
        }
      } finally {
        await reader.close();
      }
      run.stats.hashAfterMs = performance.now() - started;
    }
    this.partialSha = run.hash.digest('hex');
    run.hash = null;
  }

  notes(): string[] {
    const run = this.last;
    if (run === null) return [];
    const s = run.stats;
    const out: string[] = [];
    if (s.totalProblems > 0) {
      const listed = s.problems.map((p) => `${p.file}:${p.line}: ${p.reason}`).join('; ');
      out.push(
        `${this.source}: ${s.totalProblems} bad ${s.totalProblems === 1 ? 'line was' : 'lines were'} skipped and not sent ` +
          `(the file is streamed, so a bad line after its first MiB cannot stop the run before it starts)` +
          `${s.totalProblems > s.problems.length ? `; the first ${s.problems.length}` : ''}: ${listed}.`,
      );
    }
    if (s.stopped !== null) out.push(`Reading ${this.source} stopped early, so the run ended there: ${s.stopped}.`);
    if (s.emptyPass !== null) out.push(`${this.source} held no query on pass ${s.emptyPass} (did it change during the run?); sending stopped there.`);
    if (!s.complete && this.whole === null) {
      const mb = (b: number): string => (b / 1e6).toFixed(1);
      const size = this.input.size;
      const hashed =
        s.hashAfterMs !== null
          ? `its sha256 is of the whole file (the rest was hashed after the run, in ${(s.hashAfterMs / 1000).toFixed(1)} s)`
          : `its sha256 covers only those bytes (${size !== null ? 'the run was interrupted' : 'the rest of the pipe was not read'})`;
      out.push(
        `The run ended before the end of ${this.source}: ${s.queries} ${s.queries === 1 ? 'query was' : 'queries were'} read ` +
          `(${mb(s.bytes)} MB${size !== null ? ` of ${mb(size)} MB` : ''}), and the query set's count is those; ${hashed}.`,
      );
    }
    if (s.waitMs >= 100) {
      const ring = this.shared;
      const ringPart = s.waitRingMs >= s.waitMs / 2;
      const why = ringPart
        ? `mostly (${(s.waitRingMs / 1000).toFixed(1)} s) because the ring of ${ring?.slots ?? '?'} chunks was full of chunks that outstanding queries (or a slower --interleave target) still held; a smaller -q or -t frees them sooner`
        : `reading ${this.source} was slower than sending; a file in the page cache or on a faster disk avoids that`;
      out.push(
        `The send loops waited ${(s.waitMs / 1000).toFixed(1)} s in total (${s.waits} time(s)) for the next queries of ${this.source}: ${why}. ` +
          'Those waits are not counted as generator lag.',
      );
    }
    const spool = (this.input as { spoolProblem?: string | null }).spoolProblem;
    if (spool) out.push(`${spool}.`);
    return out;
  }

  async close(): Promise<void> {
    this.stopRun();
    await this.producing;
    await this.input.close();
  }

  // --- the producer ------------------------------------------------------------------------------

  private async produce(run: Run, primed: () => void, refused: (e: Error) => void): Promise<void> {
    const v = run.v;
    const enc = run.enc;
    const primeBytes = this.tuning.primeBytes;
    run.primeBy = Date.now() + PRIME_WAIT_MS;
    /** Before sending starts, every problem is fatal (InputError); after, it is a note. */
    const fail = (line: number | null, reason: string): void => {
      const text = line === null ? reason : `${this.source}:${line}: ${reason}`;
      if (!run.primed) {
        run.primed = true;
        refused(new InputError(text));
      } else {
        run.stats.stopped = text;
        // The good queries read before the problem still go out.
        this.publish(run);
      }
      this.end(run);
    };
    /** Sending may start: the first chunk is published (or the run is refused for bad lines). */
    const prime = (): void => {
      if (run.primed) return;
      run.primed = true;
      if (enc.totalProblems > 0) {
        refused(badLinesError(this.source, enc.problems, enc.totalProblems));
        this.end(run);
        run.stopped = true;
        return;
      }
      if (run.n > 0) this.publish(run);
      primed();
    };
    const canPrime = (): boolean => !run.primed && (run.n > 0 || run.g > 0);

    const buf = Buffer.alloc(READ_BYTES + MAX_LINE_BYTES + 1);
    let reader: ByteReader | null = null;
    let pass = 0;
    let passQueries = 0;
    try {
      for (;;) {
        // One pass through the input.
        try {
          reader = await this.input.open();
        } catch (e) {
          return fail(null, `cannot read query file "${this.source}": ${errText(e)}`);
        }
        if (pass === 0 && this.whole === null) {
          run.hash = createHash('sha256');
          run.hashedBytes = 0;
        }
        let pos = 0;
        let end = 0;
        let eof = false;
        let line = 0;
        let first = true;
        enc.newPass();
        passQueries = 0;
        for (;;) {
          if (run.stopped) return;
          let lf = pos < end ? buf.indexOf(LF, pos) : -1;
          if (lf >= end) lf = -1;
          if (lf < 0 && !eof) {
            if (end - pos > MAX_LINE_BYTES) return fail(line + 1, overlongLineReason());
            // Keep the partial line, read more behind it.
            if (pos > 0) {
              buf.copyWithin(0, pos, end);
              end -= pos;
              pos = 0;
            }
            if (canPrime() && (run.stats.bytes >= primeBytes || Date.now() >= run.primeBy)) prime();
            // Bad lines and no query in the whole first MiB: refuse now, whatever follows (`yes |`).
            else if (!run.primed && enc.totalProblems > 0 && run.stats.bytes >= primeBytes) return prime();
            let n: number;
            try {
              n = await this.read(run, reader, buf, end, () => {
                if (canPrime()) prime();
              });
            } catch (e) {
              return fail(null, `cannot read query file "${this.source}": ${errText(e)}`);
            }
            if (run.stopped) return;
            if (n === 0) eof = true;
            else {
              if (pass === 0) {
                run.stats.bytes += n;
                if (run.hash !== null) {
                  run.hash.update(buf.subarray(end, end + n));
                  run.hashedBytes += n;
                }
              }
              end += n;
            }
            if (first && end >= 3) {
              // A UTF-8 byte order mark (Windows editors add one) is not part of the first name.
              if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
              first = false;
            } else if (first && eof) first = false;
            continue;
          }
          if (lf < 0 && pos >= end) break; // end of input
          first = false; // a BOM counts only before the first line
          const lineEnd = lf < 0 ? end : lf;
          if (lineEnd - pos > MAX_LINE_BYTES) return fail(line + 1, overlongLineReason());
          line++;
          const kind = enc.parse(buf, pos, lineEnd, line);
          if (kind === Line.query) {
            const len = enc.messageLength();
            if (run.slot < 0 || run.n === v.perSlot || run.at + len > run.limit) {
              if (run.slot >= 0) this.publish(run);
              if (!(await this.openSlot(run, run.primed ? null : prime))) return;
            }
            const k = run.slot * v.stride + run.n;
            v.offsets[k] = run.at;
            v.questionLengths[k] = enc.questionLength();
            run.at = enc.write(v.wire, run.at);
            run.n++;
            passQueries++;
            if (pass === 0) run.stats.queries++;
          }
          pos = lf < 0 ? end : lf + 1;
        }
        await reader.close();
        reader = null;
        // The end of a pass.
        if (pass === 0) {
          run.stats.complete = true;
          run.stats.fileQueries = enc.fileIndex;
          run.stats.problems = enc.problems.slice();
          run.stats.totalProblems = enc.totalProblems;
          if (!run.primed && enc.totalProblems > 0) return prime();
          if (enc.fileIndex === 0) {
            return fail(null, `query file "${this.source}" has no queries (${line === 0 ? 'it is empty' : 'only blank lines and comments'})`);
          }
          const seg = this.segment;
          if (seg !== null && enc.fileIndex < seg.count) {
            return fail(
              null,
              `--segment ${formatSegment(seg)}: query file "${this.source}" has only ${enc.fileIndex} ${enc.fileIndex === 1 ? 'query' : 'queries'}, ` +
                `fewer than the ${seg.count} segments, so some segments would be empty; use at most ${enc.fileIndex} segments`,
            );
          }
          if (this.whole === null && run.hash !== null) {
            this.whole = { count: run.stats.queries, fileCount: enc.fileIndex, sha256: run.hash.digest('hex') };
            run.hash = null;
          }
          // The whole input was checked: sending may start whatever its size.
          prime();
        } else if (passQueries === 0) {
          run.stats.emptyPass = pass + 1;
          this.end(run);
          return;
        }
        pass++;
        if (run.passes !== null && pass >= run.passes) {
          if (run.n > 0) this.publish(run);
          this.end(run);
          prime();
          return;
        }
      }
    } finally {
      // Bad lines and file queries are of the first pass (later passes meet the same lines again).
      if (pass === 0 && !run.stats.complete) {
        run.stats.problems = enc.problems.slice();
        run.stats.totalProblems = enc.totalProblems;
        run.stats.fileQueries = enc.fileIndex;
      }
      await reader?.close();
    }
  }

  /**
   * One read into buf[end..]; 0 at the end of the input or when the run is stopped (a pipe's read
   * may never return; its bytes are kept by the input for the next reader). While a pipe's read is
   * pending, a loop that finds its next chunk not ready (WAITS moves) gets the slot being filled at
   * once, and priming does not wait past its deadline, so a slow pipe never holds queries back.
   */
  private async read(run: Run, reader: ByteReader, buf: Buffer, end: number, primeNow: () => void): Promise<number> {
    const v = run.v;
    if (run.n > 0 && this.consumerWaiting(run)) this.publish(run);
    const reading = reader.read(buf, end, Math.min(READ_BYTES, buf.length - end));
    if (this.input.seekable) {
      // A file read returns within milliseconds: waiting for it is simpler than racing it.
      return Promise.race([reading, run.stopping.then(() => reading.catch(() => 0))]);
    }
    for (;;) {
      if (run.n > 0 && this.consumerWaiting(run)) this.publish(run);
      if (run.want === null) {
        const w = waitAsync(v.control, WAITS, Atomics.load(v.control, WAITS), 1000);
        if (w.async) run.want = w.value.then(() => (run.want = null));
        // 'not-equal': a loop is waiting right now; go round and publish.
        else if (run.n > 0) continue;
      }
      const waits: Array<Promise<unknown>> = [reading, run.stopping];
      if (run.want !== null) waits.push(run.want.then(() => 'want'));
      if (!run.primed) waits.push(sleep(Math.max(0, run.primeBy - Date.now())).then(() => 'prime'));
      const first = await Promise.race(waits);
      if (typeof first === 'number') return run.stopped ? 0 : first;
      if (first === 'prime' || Date.now() >= run.primeBy) primeNow();
    }
  }

  /** Some target's loops have claimed every chunk published so far: one of them is waiting. */
  private consumerWaiting(run: Run): boolean {
    for (let t = 0; t < run.targets; t++) if (Number(Atomics.load(run.claimed, t)) > run.g) return true;
    return false;
  }

  /**
   * Waits for slot g mod slots to be free (every target released the chunk it held) and opens
   * it. Before the run starts (`prime` set) a full ring is as far as priming goes. False when the
   * run was stopped meanwhile.
   */
  private async openSlot(run: Run, prime: (() => void) | null): Promise<boolean> {
    const v = run.v;
    const s = run.g % v.slots;
    const refs = v.refsAt(s);
    for (;;) {
      if (run.stopped) return false;
      const seen = Atomics.load(v.control, RELEASED);
      if (Atomics.load(v.control, refs) === 0) break;
      prime?.();
      if (run.stopped) return false;
      Atomics.store(v.control, PRODUCER_BLOCKED, 1);
      const w = waitAsync(v.control, RELEASED, seen, 1000);
      if (w.async) await w.value;
    }
    Atomics.store(v.control, PRODUCER_BLOCKED, 0);
    run.slot = s;
    run.n = 0;
    run.base = s * v.slotBytes;
    run.at = run.base;
    run.limit = run.base + v.slotBytes;
    return true;
  }

  /** Hands the slot being filled to the loops. */
  private publish(run: Run): void {
    const v = run.v;
    const s = run.slot;
    if (s < 0 || run.n === 0) return;
    v.offsets[s * v.stride + run.n] = run.at;
    Atomics.store(v.control, v.countAt(s), run.n);
    Atomics.store(v.control, v.refsAt(s), run.targets);
    Atomics.store(v.control, v.tagAt(s), chunkTag(run.g));
    run.g++;
    run.slot = -1;
    run.n = 0;
    Atomics.add(v.control, PUBLISHED, 1);
    Atomics.notify(v.control, PUBLISHED);
  }

  /** No more chunks this run: loops that claimed past the end stop sending. */
  private end(run: Run): void {
    Atomics.store(run.v.end, 0, BigInt(run.g));
    Atomics.add(run.v.control, PUBLISHED, 1);
    Atomics.notify(run.v.control, PUBLISHED);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Bad lines as the in-memory loader words them: up to 10 `file:line: reason`, then the total. */
export function badLinesError(source: string, problems: readonly LineProblem[], total: number): InputError {
  const lines = problems.map((p) => `${p.file}:${p.line}: ${p.reason}`);
  const shown = total > problems.length ? ` (first ${problems.length} shown)` : '';
  const noun = total === 1 ? 'bad line' : 'bad lines';
  lines.push(`${source}: ${total} ${noun}${shown}; fix or remove them`);
  return InputError.fromLines(lines, problems, total);
}
