// One query-file line at a time: parse (LineScanner), apply --segment and the --ecs rotation, and
// encode the message into a caller's byte array. The in-memory loader (load.ts) and the streaming
// producer (stream.ts) both go through this class, so a line means the same thing on both paths:
// the same numbering of queries for --segment and --ecs, the same bad lines, the same bytes.
import type { LineProblem } from '../errors.js';
import { ecsColumn, encodeEcsList } from './ecs.js';
import { QueryEncoder, questionLength } from './encode.js';
import { LineKind, LineScanner, shownToken } from './parse.js';
import { inSegment, type Segment } from './segment.js';
import type { EncodeOptions } from './types.js';

/**
 * Longest line accepted, in bytes without its LF. A name is at most 255 octets in wire form, or
 * 1020 characters with every octet written `\DDD`, and the columns after the type are few; 64 KiB
 * leaves room for anything real and bounds what a reader must hold to find a line end (issue 11.4:
 * `-d /dev/zero` must be refused, not read into memory forever).
 */
export const MAX_LINE_BYTES = 65536;

/** Problems listed in full; the rest are only counted. */
export const MAX_SHOWN_PROBLEMS = 10;

/** What LineEncoder.parse found. */
export const Line = {
  /** Blank or comment. */
  skip: 0,
  /** A bad line (counted in problems). */
  bad: 1,
  /** A query of another --segment: counted for the numbering, not encoded. */
  otherSegment: 2,
  /** A query of this set: call messageLength() and write(). */
  query: 3,
} as const;
export type Line = (typeof Line)[keyof typeof Line];

/** The one-line refusal of a line with no LF within MAX_LINE_BYTES (file:line: reason). */
export function overlongLineReason(): string {
  return `no line end within ${MAX_LINE_BYTES} bytes (expected one "name type" query per line; is this a query file?)`;
}

export class LineEncoder {
  private readonly scanner = new LineScanner();
  private readonly encoder: QueryEncoder;
  private readonly rotation: readonly Uint8Array[];
  /** Queries of the file so far in this pass (over queries, not lines): --segment and --ecs count by it. */
  fileIndex = 0;
  /** The first MAX_SHOWN_PROBLEMS bad lines. */
  readonly problems: LineProblem[] = [];
  totalProblems = 0;
  /** Set by parse() for a query: its ECS option, or null. */
  private ecs: Uint8Array | null = null;

  /** A bad --ecs list must be refused before (load.ts does); here it would mean no rotation. */
  constructor(
    opts: EncodeOptions,
    private readonly segment: Segment | null,
    private readonly source: string,
  ) {
    this.encoder = new QueryEncoder(opts);
    const rotation = encodeEcsList(opts.ecs ?? []);
    this.rotation = typeof rotation === 'string' ? [] : rotation;
  }

  /**
   * The first queryperf directive line (`#server`, `#port`, `#maxwait`), which dnsbench reads as a
   * comment: the server and port come from -s/-p. Null when the file has none.
   */
  directive: QueryperfDirective | null = null;

  /** Length of a message with a one-octet name (the root) and no ECS: the per-line fixed cost. */
  get minMessageLength(): number {
    return this.encoder.messageLength(1);
  }

  /** True when --ecs rotates subnets over every query. */
  get rotates(): boolean {
    return this.rotation.length > 0;
  }

  /**
   * Parses src[start..end) (a line without its LF), line number `line`. For `Line.query` the
   * message is ready for messageLength()/write() (the name is copied; src may change after).
   */
  parse(src: Uint8Array, start: number, end: number, line: number): Line {
    const scanner = this.scanner;
    const kind = scanner.scan(src, start, end);
    if (kind === LineKind.skip) {
      if (this.directive === null) this.directive = queryperfDirective(src, start, scanner.lineEnd, line);
      return Line.skip;
    }
    if (kind === LineKind.bad) return this.bad(line, scanner.reason);
    // Columns after the type are ignored, except a client subnet `ecs=ADDR/PREFIX`.
    const rotation = this.rotation;
    let ecs = rotation.length > 0 ? rotation[this.fileIndex % rotation.length]! : null;
    if (scanner.restStart < scanner.lineEnd) {
      const own = ecsColumn(src, scanner.restStart, scanner.lineEnd);
      if (typeof own === 'string') return this.bad(line, own);
      if (own !== null) ecs = own;
    }
    const i = this.fileIndex++;
    if (this.segment !== null && !inSegment(i, this.segment)) return Line.otherSegment;
    this.ecs = ecs;
    return Line.query;
  }

  /** Bytes the parsed query's message takes. */
  messageLength(): number {
    return this.encoder.messageLength(this.scanner.nameLength, this.ecs);
  }

  /** Question-section length of the parsed query (QNAME + QTYPE + QCLASS). */
  questionLength(): number {
    return questionLength(this.scanner.nameLength);
  }

  /** Writes the parsed query's message at dst[at..]; returns the offset after it. */
  write(dst: Uint8Array, at: number): number {
    const s = this.scanner;
    return this.encoder.write(dst, at, s.name, s.nameLength, s.qtype, this.ecs);
  }

  /** A new pass through the file starts: the query numbering starts again from 0. */
  newPass(): void {
    this.fileIndex = 0;
  }

  /** Counts line `line` as bad for `reason` (a caller's own check, e.g. its length). */
  badLine(line: number, reason: string): Line {
    return this.bad(line, reason);
  }

  private bad(line: number, reason: string): Line {
    this.totalProblems++;
    if (this.problems.length < MAX_SHOWN_PROBLEMS) this.problems.push({ file: this.source, line, reason });
    return Line.bad;
  }
}

/** A queryperf directive line met in a query file: its line number and text (shown safely). */
export interface QueryperfDirective {
  line: number;
  text: string;
}

const DIRECTIVE = /^#(server|port|maxwait)\b/i;

/**
 * src[start..end) (a line the scanner skipped) as a queryperf directive (queryperf's input format:
 * `#server`, `#port`, `#maxwait` lines change where and how it sends), or null. Only the first 64
 * bytes are looked at, and the text is escaped for a terminal (shownToken).
 */
function queryperfDirective(src: Uint8Array, start: number, end: number, line: number): QueryperfDirective | null {
  let i = start;
  while (i < end && (src[i] === 0x20 || src[i] === 0x09)) i++;
  if (i >= end || src[i] !== 0x23) return null;
  const head = String.fromCharCode(...src.subarray(i, Math.min(end, i + 16)));
  if (!DIRECTIVE.test(head)) return null;
  return { line, text: shownToken(src, i, end) };
}
