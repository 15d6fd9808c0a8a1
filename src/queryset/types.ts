// The pre-encoded query set: every query is encoded to DNS wire format once, into
// SharedArrayBuffers that all worker threads read without copying. On the hot path a worker
// copies one message into its own send slot and patches only the 2-byte ID. A file that fits
// (up to 64 MiB) is encoded whole before the run; a larger one, or a pipe that does not end at
// once, is streamed through a bounded ring of shared chunks while the run goes on (stream.ts).
import type { ExpectationTable } from './expect-types.js';
import type { RingShared } from './ring.js';

/** How each query is encoded (flags that apply to every query of the run). */
export interface EncodeOptions {
  /** RD bit. queryperf's -R clears it; dnsperf always sets it. */
  recursionDesired: boolean;
  /** Add an OPT RR (RFC 6891) when not null. */
  edns: EdnsOptions | null;
  /**
   * --ecs: client subnets (RFC 7871) rotated over the queries at load time, query i getting
   * subnet i mod k; a line's own `ecs=` column wins. Empty or absent: none.
   */
  ecs?: readonly string[];
}

export interface EdnsOptions {
  /** Advertised UDP payload size (dnsperf/queryperf -e use 4096). */
  udpSize: number;
  /** DO bit (RFC 3225), -D. */
  dnssecOk: boolean;
  /** EDNS options in the order given (-E code:hex, repeatable). */
  options: readonly EdnsOption[];
}

export interface EdnsOption {
  code: number;
  data: Uint8Array;
}

/** One parsed line of a query file, before encoding. */
export interface QuerySpec {
  /** Wire-format QNAME (length-prefixed labels, terminated by the root label). */
  qname: Uint8Array;
  qtype: number;
  /** Line number in the source file, for messages. */
  line: number;
}

export interface QuerySet {
  /** File name as given, or '<stdin>'. */
  readonly source: string;
  /**
   * Queries in the set. For a streamed set: known once the input was read to its end; until then
   * (a run that ended first) the queries read so far (QueryStream.notes() says so).
   */
  readonly count: number;
  /**
   * Concatenated wire messages, each with ID 0; offsets[count] is where they end (the buffer may
   * be longer). Empty for a streamed set, whose messages live in its ring.
   */
  readonly wire: SharedArrayBuffer;
  /** Uint32Array view: message i is wire[offsets[i] .. offsets[i+1]). Length count + 1. */
  readonly offsets: SharedArrayBuffer;
  /**
   * Uint16Array view: byte length of message i's question section (QNAME + QTYPE + QCLASS),
   * which always starts at byte 12. Responses are checked against these bytes.
   */
  readonly questionLengths: SharedArrayBuffer;
  /** Largest single message, to size per-slot send buffers. */
  readonly maxMessageLength: number;
  /**
   * SHA-256 of the whole source text (also with --segment), so merged or compared runs can tell
   * if they used the same set.
   */
  readonly sha256: string;
  /**
   * The first queryperf directive line (`#server`, `#port`, `#maxwait`) of a file loaded whole,
   * read as a comment (the CLI warns that -s/-p decide); null or absent when none was met.
   */
  readonly directive?: { line: number; text: string } | null;
  /** Queries in the whole file; equals `count` unless `segment` is set. */
  readonly fileCount: number;
  /**
   * --segment I/N: this set holds only the file's queries i with i mod N == I-1 (index = I,
   * count = N; src/segment.ts), in file order. null: the whole file.
   */
  readonly segment: { readonly index: number; readonly count: number } | null;
  /** --expect: what each query's answer should be, a side table (queryset/expect.ts); absent without --expect. */
  readonly expectations?: ExpectationTable;
  /** Set when the file is streamed rather than held whole (then wire/offsets/questionLengths are empty). */
  readonly stream?: QueryStream;
}

/**
 * A query file streamed through a shared ring (src/queryset/stream.ts), driven by the engine
 * session: one run at a time, each run reading the file from its start, pass after pass.
 */
export interface QueryStream {
  /**
   * The ring for a session whose loops x targets = `consumers` take chunks from it. Created on
   * first use and shared by later sessions (runs never overlap).
   */
  ring(consumers: number): RingShared;
  /**
   * Starts producing for one run into `ring`: `targets` consumers of every chunk, `passes`
   * through the file (null: until stopRun), `claimed` the per-target chunk counters the loops
   * take chunks by. Resolves once the first chunks are ready.
   * @throws InputError (nothing sent yet) for bad lines, a line with no end within 64 KiB, or no
   * queries at all in the part read before sending starts, or an unreadable input.
   */
  startRun(ring: RingShared, o: { targets: number; passes: number | null; claimed: SharedArrayBuffer }): Promise<void>;
  /** The run is over (every loop finished): stop producing. */
  stopRun(): void;
  /**
   * After a run: complete what the report needs, the SHA-256 of a file not read to its end (read
   * at ~1.5 GB/s), unless `hashRest` is false (an interrupted run should end at once).
   */
  settle(o?: { hashRest?: boolean }): Promise<void>;
  /** Plain-language notes about the last run's reading (bad lines skipped, reading cut short, waits). */
  notes(): string[];
  /** Release the input (and a spool). */
  close(): Promise<void>;
}
