// Query file -> QuerySet. A file up to the threshold (64 MiB) is read whole, scanned byte-wise
// for LFs, and every line is encoded straight into shared memory; no per-line strings or objects
// on the way, and every bad line is collected so the user fixes the file in one go. A larger file,
// or a pipe that does not end within the threshold or 0.2 s, is streamed (stream.ts):
// memory stays bounded whatever its size. stdin can be replayed either way (`-n 2`, `-l`), which
// dnsperf cannot do.

import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { InputError } from '../errors.js';
import { encodeEcsList, MAX_ECS_GROWTH } from './ecs.js';
import { Line, LineEncoder, MAX_LINE_BYTES, overlongLineReason } from './line-encoder.js';
import type { EncodeOptions, QuerySet } from './types.js';
import { formatSegment, type Segment } from './segment.js';
import { FileInput, PipeInput } from './source.js';
import { badLinesError, DEFAULT_TUNING, StreamedQuerySet, type StreamTuning } from './stream.js';

const LF = 0x0a;

/**
 * Loads a query file (`-` = stdin). With `segment` (--segment I/N) the set holds only the file's
 * queries i (0-based, over queries) with i mod N == I-1; see buildQuerySet. A regular file larger
 * than `tuning.thresholdBytes`, or a pipe (stdin, a FIFO, a device) that has not ended within that
 * many bytes or `tuning.pipeWaitMs`, comes back streamed (`querySet.stream` set; the caller must
 * close() it, see QueryStream).
 * Throws InputError when the file cannot be read, has bad lines (all counted, the first 10
 * listed), a line with no end within 64 KiB, no queries, or fewer queries than segments; for a
 * streamed set, in the part read before sending (QueryStream.startRun).
 */
export async function loadQuerySet(
  path: string,
  opts: EncodeOptions,
  stdin: NodeJS.ReadableStream | undefined = undefined,
  segment: Segment | null = null,
  tuning: Partial<StreamTuning> = {},
): Promise<QuerySet> {
  const tune: StreamTuning = { ...DEFAULT_TUNING, ...tuning };
  if (tuning.primeBytes === undefined) tune.primeBytes = Math.min(DEFAULT_TUNING.primeBytes, tune.thresholdBytes);
  const ecs = encodeEcsList(opts.ecs ?? []);
  if (typeof ecs === 'string') throw new InputError(`--ecs: ${ecs}`);
  if (path === '-') {
    if (stdin === undefined) throw new InputError('query file "-" (stdin) given, but no input stream to read it from');
    return fromPipe(new PipeInput(stdin, '<stdin>'), '<stdin>', opts, segment, tune);
  }
  let stat;
  try {
    stat = await fsp.stat(path);
  } catch (err) {
    throw cannotRead(path, err);
  }
  if (stat.isDirectory()) throw new InputError(`cannot read query file "${path}": it is a directory, not a file`);
  if (!stat.isFile()) {
    // A FIFO, a character device (/dev/stdin, /dev/zero), a socket: read it as a pipe.
    const stream = createReadStream(path);
    const opened = new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    try {
      await opened;
    } catch (err) {
      throw cannotRead(path, err);
    }
    return fromPipe(new PipeInput(stream, path, true), path, opts, segment, tune);
  }
  if (stat.size > tune.thresholdBytes) {
    return new StreamedQuerySet(path, new FileInput(path, stat.size), opts, segment, tune);
  }
  let raw: Uint8Array;
  try {
    raw = await fsp.readFile(path);
  } catch (err) {
    throw cannotRead(path, err);
  }
  // Grown past the threshold since stat (a log being written): stream it from the start.
  if (raw.length > tune.thresholdBytes) return new StreamedQuerySet(path, new FileInput(path, null), opts, segment, tune);
  return buildQuerySet(raw, path, opts, segment);
}

/** A pipe: whole in memory if it ends soon and small, else streamed (spooled for later passes). */
async function fromPipe(input: PipeInput, source: string, opts: EncodeOptions, segment: Segment | null, tune: StreamTuning): Promise<QuerySet> {
  let ended: boolean;
  try {
    ended = await input.fill(tune.thresholdBytes, Date.now() + tune.pipeWaitMs);
  } catch (err) {
    await input.close();
    throw new InputError(`cannot read query file ${source === '<stdin>' ? 'from stdin' : `"${source}"`}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (ended) {
    const raw = input.headBytes();
    await input.close();
    return buildQuerySet(raw, source, opts, segment);
  }
  // A line end must come within 64 KiB: refuse at once what can never be a query file.
  const firstLf = input.firstLineEnd(MAX_LINE_BYTES);
  if (firstLf < 0 ? input.received > MAX_LINE_BYTES : firstLf > MAX_LINE_BYTES) {
    await input.close();
    throw new InputError(`${source}:1: ${overlongLineReason()}`);
  }
  try {
    await input.startSpooling();
  } catch (err) {
    await input.close();
    throw new InputError(`cannot stream ${source}: no temporary file to keep it in for later passes (${err instanceof Error ? err.message : String(err)}); set TMPDIR to a writable directory`);
  }
  return new StreamedQuerySet(source, input, opts, segment, tune);
}

function cannotRead(path: string, err: unknown): InputError {
  // One line, no stack: the Node message already says e.g. "ENOENT: no such file or directory".
  const detail = err instanceof Error ? err.message.replace(/, (open|stat) '.*'$/, '') : String(err);
  return new InputError(`cannot read query file "${path}": ${detail}`);
}

/**
 * Parses and encodes raw query-file bytes (the in-memory path); `source` names the file in
 * messages. With `segment`, every line is still parsed (so every generator refuses the same bad
 * file), but only the segment's queries are encoded. Query i keeps the file's numbering for the
 * --ecs rotation (subnet i mod k), and `sha256` is of the whole file, so the segments of one file
 * can be recognized as such by `merge`.
 * @throws InputError as loadQuerySet (bad lines, lines over 64 KiB among them, no queries, too few for the segments).
 */
export function buildQuerySet(raw: Uint8Array, source: string, opts: EncodeOptions, segment: Segment | null = null): QuerySet {
  const rotation = encodeEcsList(opts.ecs ?? []);
  if (typeof rotation === 'string') throw new InputError(`--ecs: ${rotation}`);
  const enc = new LineEncoder(opts, segment, source);
  // Sizes from an upper bound, so the loop never grows anything: a line of L bytes holds a name of
  // at most L - 2 bytes (it needs a blank and a type), whose wire form is at most 2 bytes longer.
  // An ECS option (rotated, or a line's `ecs=` column) adds at most MAX_ECS_GROWTH bytes.
  const maxLines = countLines(raw);
  const ecsLines = enc.rotates ? maxLines : countOccurrences(raw, ECS_TOKEN);
  const wireBound = raw.length + maxLines * enc.minMessageLength + ecsLines * MAX_ECS_GROWTH;
  // Offsets are Uint32 (types.ts); the loader streams anything near that, so this is a guard.
  if (wireBound > 0xffffffff) {
    throw new InputError(`query file "${source}" is too large to hold (${maxLines} lines)`);
  }
  // The messages go straight into shared memory (no copy afterwards): the bound exceeds what is
  // used by about the bytes of the type columns, blanks and comments, pages that are never touched
  // and cost nothing, where a second copy would double the peak.
  const wireShared = new SharedArrayBuffer(wireBound);
  const wire = new Uint8Array(wireShared);
  const offsets = new Uint32Array(maxLines + 1);
  const questionLengths = new Uint16Array(maxLines);

  let count = 0;
  let at = 0;
  let maxMessageLength = 0;
  let line = 0;
  // A UTF-8 byte order mark (Windows editors add one) is not part of the first name.
  let pos = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0;
  while (pos < raw.length) {
    let lineEnd = raw.indexOf(LF, pos);
    if (lineEnd < 0) lineEnd = raw.length;
    line++;
    // The whole file is in memory, so a line too long is one more bad line to list (a stream
    // cannot look past one: it stops there).
    const kind = lineEnd - pos > MAX_LINE_BYTES ? enc.badLine(line, overlongLineReason()) : enc.parse(raw, pos, lineEnd, line);
    pos = lineEnd + 1;
    // Once the set is rejected, only keep counting problems.
    if (kind !== Line.query || enc.totalProblems > 0) continue;
    offsets[count] = at;
    questionLengths[count] = enc.questionLength();
    const next = enc.write(wire, at);
    if (next - at > maxMessageLength) maxMessageLength = next - at;
    at = next;
    count++;
  }

  if (enc.totalProblems > 0) throw badLinesError(source, enc.problems, enc.totalProblems);
  const fileQueries = enc.fileIndex;
  if (fileQueries === 0) {
    const what = line === 0 ? 'it is empty' : 'only blank lines and comments';
    throw new InputError(`query file "${source}" has no queries (${what})`);
  }
  if (segment !== null && fileQueries < segment.count) {
    throw new InputError(
      `--segment ${formatSegment(segment)}: query file "${source}" has only ${fileQueries} ${fileQueries === 1 ? 'query' : 'queries'}, ` +
        `fewer than the ${segment.count} segments, so some segments would be empty; use at most ${fileQueries} segments`,
    );
  }
  offsets[count] = at;

  return {
    source,
    count,
    wire: wireShared,
    // Exactly count + 1 and count entries (4 and 2 bytes a query, so the copy costs little): the
    // native UDP path checks every adjacent pair of offsets as a message when it opens.
    offsets: exactShared(offsets, count + 1),
    questionLengths: exactShared(questionLengths, count),
    maxMessageLength,
    sha256: createHash('sha256').update(raw).digest('hex'),
    fileCount: fileQueries,
    segment: segment === null ? null : { index: segment.index, count: segment.count },
    directive: enc.directive,
  };
}

/** The first `n` elements of `a` in a SharedArrayBuffer of their own. */
function exactShared(a: Uint32Array | Uint16Array, n: number): SharedArrayBuffer {
  const out = new SharedArrayBuffer(n * a.BYTES_PER_ELEMENT);
  new Uint8Array(out).set(new Uint8Array(a.buffer, 0, n * a.BYTES_PER_ELEMENT));
  return out;
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
