// Query file -> QuerySet. The whole file is read once into memory (stdin too, so `-n 2` and `-l`
// can replay it, which dnsperf cannot), scanned byte-wise for LFs, and every line is encoded
// straight into one byte array; no per-line strings or objects on the way. Every bad line is
// collected so the user fixes the file in one go rather than one error per run.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InputError, type LineProblem } from '../errors.js';
import { QueryEncoder, questionLength } from './encode.js';
import { LineKind, LineScanner } from './parse.js';
import { ecsColumn, encodeEcsList, MAX_ECS_GROWTH } from './ecs.js';
import type { EncodeOptions, QuerySet } from './types.js';
import { formatSegment, inSegment, type Segment } from './segment.js';

const LF = 0x0a;
const MAX_SHOWN_PROBLEMS = 10;

/**
 * Loads a query file (`-` = the whole of stdin). With `segment` (--segment I/N) the set holds only
 * the file's queries i (0-based, over queries) with i mod N == I-1; see buildQuerySet.
 * Throws InputError when the file cannot be read, has bad lines (all counted, the first 10
 * listed), has no queries, or has fewer queries than segments.
 */
export async function loadQuerySet(
  path: string,
  opts: EncodeOptions,
  stdin: NodeJS.ReadableStream | undefined = undefined,
  segment: Segment | null = null,
): Promise<QuerySet> {
  if (path === '-') {
    if (stdin === undefined) throw new InputError('query file "-" (stdin) given, but no input stream to read it from');
    return buildQuerySet(await readStream(stdin), '<stdin>', opts, segment);
  }
  return buildQuerySet(await readQueryFile(path), path, opts, segment);
}

async function readQueryFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') {
      throw new InputError(`cannot read query file "${path}": it is a directory, not a file`);
    }
    // One line, no stack: the Node message already says e.g. "ENOENT: no such file or directory".
    const detail = err instanceof Error ? err.message.replace(/, open '.*'$/, '') : String(err);
    throw new InputError(`cannot read query file "${path}": ${detail}`);
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    }
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new InputError(`cannot read query file from stdin: ${detail}`);
  }
  return Buffer.concat(chunks);
}

/**
 * Parses and encodes raw query-file bytes; `source` names the file in messages.
 * With `segment`, every line is still parsed (so every generator refuses the same bad file), but
 * only the segment's queries are encoded. Query i keeps the file's numbering for the --ecs
 * rotation (subnet i mod k), and `sha256` is of the whole file, so the segments of one file can
 * be recognized as such by `merge`.
 */
export function buildQuerySet(raw: Uint8Array, source: string, opts: EncodeOptions, segment: Segment | null = null): QuerySet {
  const encoder = new QueryEncoder(opts);
  const rotation = encodeEcsList(opts.ecs ?? []);
  if (typeof rotation === 'string') throw new InputError(`--ecs: ${rotation}`);
  // Sizes from an upper bound, so the loop never grows anything: a line of L bytes holds a name of
  // at most L - 2 bytes (it needs a blank and a type), whose wire form is at most 2 bytes longer.
  // An ECS option (rotated, or a line's `ecs=` column) adds at most MAX_ECS_GROWTH bytes.
  const maxLines = countLines(raw);
  const ecsLines = rotation.length > 0 ? maxLines : countOccurrences(raw, ECS_TOKEN);
  const wireBound = raw.length + maxLines * encoder.messageLength(1) + ecsLines * MAX_ECS_GROWTH;
  // Offsets are Uint32 (types.ts); check before allocating, which would fail first with RangeError.
  if (wireBound > 0xffffffff) {
    throw new InputError(
      `query file "${source}" is too large (${maxLines} lines): split it into files under about 2 GB`,
    );
  }
  const wire = new Uint8Array(wireBound);
  const offsets = new Uint32Array(maxLines + 1);
  const questionLengths = new Uint16Array(maxLines);

  const scanner = new LineScanner();
  const problems: LineProblem[] = [];
  let totalProblems = 0;
  let count = 0;
  /** Queries of the whole file so far: the index --segment and the --ecs rotation count by. */
  let fileIndex = 0;
  let at = 0;
  let maxMessageLength = 0;
  let line = 0;
  // A UTF-8 byte order mark (Windows editors add one) is not part of the first name.
  let pos = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0;
  while (pos < raw.length) {
    let lineEnd = raw.indexOf(LF, pos);
    if (lineEnd < 0) lineEnd = raw.length;
    line++;
    const kind = scanner.scan(raw, pos, lineEnd);
    pos = lineEnd + 1;
    if (kind === LineKind.skip) continue;
    if (kind === LineKind.bad) {
      totalProblems++;
      if (problems.length < MAX_SHOWN_PROBLEMS) {
        problems.push({ file: source, line, reason: scanner.reason });
      }
      continue;
    }
    // Columns after the type are ignored, except a client subnet `ecs=ADDR/PREFIX`.
    let ecs = rotation.length > 0 ? rotation[fileIndex % rotation.length]! : null;
    if (scanner.restStart < scanner.lineEnd) {
      const own = ecsColumn(raw, scanner.restStart, scanner.lineEnd);
      if (typeof own === 'string') {
        totalProblems++;
        if (problems.length < MAX_SHOWN_PROBLEMS) problems.push({ file: source, line, reason: own });
        continue;
      }
      if (own !== null) ecs = own;
    }
    if (totalProblems > 0) continue; // The set will be rejected; only keep counting problems.
    const i = fileIndex++;
    if (segment !== null && !inSegment(i, segment)) continue;
    offsets[count] = at;
    questionLengths[count] = questionLength(scanner.nameLength);
    const next = encoder.write(wire, at, scanner.name, scanner.nameLength, scanner.qtype, ecs);
    if (next - at > maxMessageLength) maxMessageLength = next - at;
    at = next;
    count++;
  }

  if (totalProblems > 0) throw badLinesError(source, problems, totalProblems);
  if (fileIndex === 0) {
    const what = line === 0 ? 'it is empty' : 'only blank lines and comments';
    throw new InputError(`query file "${source}" has no queries (${what})`);
  }
  if (segment !== null && fileIndex < segment.count) {
    throw new InputError(
      `--segment ${formatSegment(segment)}: query file "${source}" has only ${fileIndex} ${fileIndex === 1 ? 'query' : 'queries'}, ` +
        `fewer than the ${segment.count} segments, so some segments would be empty; use at most ${fileIndex} segments`,
    );
  }
  offsets[count] = at;

  return {
    source,
    count,
    wire: toShared(wire.subarray(0, at)),
    offsets: toShared(new Uint8Array(offsets.buffer, 0, (count + 1) * 4)),
    questionLengths: toShared(new Uint8Array(questionLengths.buffer, 0, count * 2)),
    maxMessageLength,
    sha256: createHash('sha256').update(raw).digest('hex'),
    fileCount: fileIndex,
    segment: segment === null ? null : { index: segment.index, count: segment.count },
  };
}

const ECS_TOKEN = Buffer.from('ecs=');

function countOccurrences(raw: Uint8Array, token: Uint8Array): number {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
  let n = 0;
  for (let at = buf.indexOf(token); at >= 0; at = buf.indexOf(token, at + token.length)) n++;
  return n;
}

/** Number of lines, counting a last line without LF. */
function countLines(raw: Uint8Array): number {
  let lines = 0;
  let pos = 0;
  for (;;) {
    const lf = raw.indexOf(LF, pos);
    if (lf < 0) break;
    lines++;
    pos = lf + 1;
  }
  return pos < raw.length ? lines + 1 : lines;
}

function toShared(bytes: Uint8Array): SharedArrayBuffer {
  const shared = new SharedArrayBuffer(bytes.length);
  new Uint8Array(shared).set(bytes);
  return shared;
}

function badLinesError(source: string, problems: LineProblem[], total: number): InputError {
  const lines = problems.map((p) => `${p.file}:${p.line}: ${p.reason}`);
  const shown = total > problems.length ? ` (first ${problems.length} shown)` : '';
  const noun = total === 1 ? 'bad line' : 'bad lines';
  lines.push(`${source}: ${total} ${noun}${shown}; fix or remove them`);
  return new InputError(lines.join('\n'), problems, total);
}
