// --expect: what each query's answer should be, as a side table beside the query set (the set
// itself, and its loader, are untouched). Two sources:
//   - an `expect=VALUE[,VALUE...]` column on a query-file line (`www.view.test A expect=198.51.100.1`);
//   - `--expect-file FILE`, lines of `name type expected...`, for query files that must stay
//     exactly as dnsperf reads them. A line's own column wins over the file.
// A VALUE is record data in presentation form (an address, a name, `"text"`, `10 mx.test.com.`,
// or RFC 3597 `\# LEN HEX`), an RCODE name (NXDOMAIN, REFUSED...), or NODATA (NOERROR and no
// record of the queried type). The records compare as a set: order and case are ignored.
//
// The table reaches the workers as one Int32Array in shared memory (query index -> expectation
// number, -1 for none) plus the distinct expectations, so a million queries that expect the same
// answer cost 4 bytes each.
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { InputError, UsageError, type LineProblem } from '../errors.js';
import { rcodeCode } from '../results/counters.js';
import { LineKind, LineScanner } from './parse.js';
import { canonicalRdata, ONE_TOKEN_TYPES, presentationTokens } from './rdata-text.js';
import { typeFromMnemonic, typeToMnemonic } from './rrtypes.js';
import type { QuerySet } from './types.js';
import type { Expectation, ExpectationTable } from './expect-types.js';
import { readBounded, sizeText, TooLargeError } from '../util/read-bounded.js';
export type { Expectation, ExpectationTable };

const LF = 0x0a;
const COLUMN = 'expect=';
const MAX_SHOWN = 10;
/** Distinct expectations kept (a file with a different one per line is bounded by its lines anyway). */
const MAX_RECORDS_PER_EXPECTATION = 1000;

/**
 * VALUES (already split) for a query of `qtype` -> an Expectation, or why not. An RCODE name or
 * NODATA must stand alone.
 */
export function parseExpectation(values: readonly string[], qtype: number): Expectation | string {
  const typeName = typeToMnemonic(qtype);
  const vals = values.map((v) => v.trim()).filter((v) => v !== '');
  if (vals.length === 0) return 'nothing expected (give record data, an RCODE name or NODATA)';
  // A bare word that is an RCODE name is one (a name as data ends with a dot; text is quoted).
  const special = vals.find((v) => /^[A-Za-z][A-Za-z0-9]*$/.test(v) && (v.toUpperCase() === 'NODATA' || rcodeCode(v) !== null));
  if (special !== undefined) {
    if (vals.length > 1) return `${special} must be the only value expected (got ${vals.join(', ')})`;
    if (special.toUpperCase() === 'NODATA') return { rcode: 0, records: [], nodata: true, text: 'NODATA' };
    const code = rcodeCode(special)!;
    if (code > 15) return `${special.toUpperCase()} is an extended RCODE; expect= compares the header RCODE (0-15)`;
    return { rcode: code, records: [], nodata: false, text: special.toUpperCase() };
  }
  if (vals.length > MAX_RECORDS_PER_EXPECTATION) return `more than ${MAX_RECORDS_PER_EXPECTATION} records expected`;
  const records: string[] = [];
  for (const v of vals) {
    const c = canonicalRdata(qtype, v, typeName);
    if ('error' in c) return c.error;
    records.push(c.text);
  }
  const sorted = [...new Set(records)].sort();
  return { rcode: 0, records: sorted, nodata: false, text: sorted.join(', ') };
}

/** Canonical key of an expectation, to share one entry between queries. */
const keyOf = (e: Expectation): string => `${e.rcode}\u0000${e.nodata}\u0000${e.records.join('\u0000')}`;

/** Builds an ExpectationTable: one shared index entry per query, one list entry per distinct expectation. */
export class TableBuilder {
  readonly index: Int32Array;
  readonly list: Expectation[] = [];
  private readonly ids = new Map<string, number>();
  covered = 0;

  constructor(count: number) {
    this.index = new Int32Array(new SharedArrayBuffer(count * 4)).fill(-1);
  }

  set(i: number, e: Expectation): void {
    const k = keyOf(e);
    let id = this.ids.get(k);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(e);
      this.ids.set(k, id);
    }
    if (this.index[i] === -1) this.covered++;
    this.index[i] = id;
  }

  has(i: number): boolean {
    return this.index[i] !== -1;
  }

  table(): ExpectationTable {
    return { index: this.index.buffer as SharedArrayBuffer, list: this.list, covered: this.covered };
  }
}

function problemsError(what: string, problems: LineProblem[], total: number): InputError {
  const lines = problems.map((p) => `${p.file}:${p.line}: ${p.reason}`);
  lines.push(`${what}: ${total} bad ${total === 1 ? 'expectation' : 'expectations'}${total > problems.length ? ` (first ${problems.length} shown)` : ''}; fix or remove them`);
  return InputError.fromLines(lines, problems, total);
}

/**
 * The `expect=` columns of the query file `raw` (named `source`), for the queries of `set` (the
 * whole file, or its --segment): the same lines the loader counted as queries, in the same order.
 * Only lines with the column are parsed beyond their type. Throws InputError listing bad columns.
 */
export function expectationsFromColumns(raw: Uint8Array, source: string, set: Pick<QuerySet, 'count' | 'segment'>, into?: TableBuilder): TableBuilder {
  const b = into ?? new TableBuilder(set.count);
  const scanner = new LineScanner();
  const problems: LineProblem[] = [];
  let total = 0;
  let fileIndex = 0;
  let line = 0;
  const seg = set.segment;
  let pos = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0;
  const needle = Buffer.from(COLUMN);
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
  while (pos < raw.length) {
    let end = raw.indexOf(LF, pos);
    if (end < 0) end = raw.length;
    line++;
    const kind = scanner.scan(raw, pos, end);
    pos = end + 1;
    if (kind !== LineKind.query) continue;
    const i = fileIndex++;
    const rest = scanner.restStart;
    if (rest >= scanner.lineEnd) continue;
    const at = buf.indexOf(needle, rest);
    if (at < 0 || at >= scanner.lineEnd) continue;
    const setIndex = seg === null ? i : i % seg.count === seg.index - 1 ? Math.floor(i / seg.count) : -1;
    const token = buf.toString('utf8', rest, scanner.lineEnd).split(/[ \t]+/).find((t) => t.startsWith(COLUMN));
    if (token === undefined) continue;
    const e = parseExpectation(token.slice(COLUMN.length).split(','), scanner.qtype);
    if (typeof e === 'string') {
      total++;
      if (problems.length < MAX_SHOWN) problems.push({ file: source, line, reason: `bad ${COLUMN} column: ${e}` });
      continue;
    }
    if (setIndex >= 0 && setIndex < set.count) b.set(setIndex, e);
  }
  if (total > 0) throw problemsError(source, problems, total);
  return b;
}

/** Lower-case wire name -> "name." text key (RFC 4343 case-insensitive), as in an --expect-file. */
function nameKey(text: string): string {
  const lower = text.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return lower === '.' || lower.endsWith('.') ? lower : `${lower}.`;
}

/** The question of query `i` of the set as "name. TYPE" (lower case). */
function questionKey(wire: Uint8Array, offsets: Uint32Array, i: number): { key: string; qtype: number } {
  let p = offsets[i]! + 12;
  let name = '';
  for (let len = wire[p]!; len !== 0; len = wire[p]!) {
    for (let k = 1; k <= len; k++) {
      let c = wire[p + k]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      name += c === 0x2e || c === 0x5c ? '\\' + String.fromCharCode(c) : c < 0x21 || c > 0x7e ? '\\' + String(c).padStart(3, '0') : String.fromCharCode(c);
    }
    name += '.';
    p += len + 1;
  }
  const qtype = (wire[p + 1]! << 8) | wire[p + 2]!;
  return { key: `${name === '' ? '.' : name} ${qtype}`, qtype };
}

/**
 * An --expect-file: `name type expected...` per line (`;` and `#` lines are comments). For types
 * whose data is one token (A, AAAA, NS, CNAME, PTR, DNAME) several values may follow on one line;
 * for the others (MX, TXT, SOA, SRV, CAA, generic) the rest of the line is one record, and more
 * lines for the same name and type add records to the set. Applies to every query of `set` with
 * that name and type that has no `expect=` column of its own. Throws InputError (bad lines,
 * unreadable file) or UsageError (no query matches any line).
 */
export function expectationsFromFile(text: string, file: string, set: Pick<QuerySet, 'count' | 'wire' | 'offsets'>, into: TableBuilder): void {
  const problems: LineProblem[] = [];
  let total = 0;
  const values = new Map<string, { qtype: number; values: string[]; line: number }>();
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, n) => {
    const s = raw.replace(/\r$/, '').trim();
    if (s === '' || s.startsWith(';') || s.startsWith('#')) return;
    const bad = (reason: string): void => {
      total++;
      if (problems.length < MAX_SHOWN) problems.push({ file, line: n + 1, reason });
    };
    const m = /^(\S+)\s+(\S+)\s+(.+)$/.exec(s);
    if (!m) return bad('expected "name type expected..."');
    const qtype = typeFromMnemonic(m[2]!);
    if (qtype === undefined) return bad(`unknown type "${m[2]}"`);
    const tokens = presentationTokens(m[3]!);
    if (tokens === null) return bad('unterminated quoted string');
    const key = `${nameKey(m[1]!)} ${qtype}`;
    const entry = values.get(key) ?? { qtype, values: [], line: n + 1 };
    entry.values.push(...(ONE_TOKEN_TYPES.has(qtype) || tokens.length === 1 ? tokens : [m[3]!]));
    values.set(key, entry);
  });
  const parsed = new Map<string, Expectation>();
  for (const [key, v] of values) {
    const e = parseExpectation(v.values, v.qtype);
    if (typeof e === 'string') {
      total++;
      if (problems.length < MAX_SHOWN) problems.push({ file, line: v.line, reason: e });
    } else {
      parsed.set(key, e);
    }
  }
  if (total > 0) throw problemsError(file, problems, total);
  const wire = new Uint8Array(set.wire);
  const offsets = new Uint32Array(set.offsets);
  let matched = 0;
  for (let i = 0; i < set.count; i++) {
    if (into.has(i)) continue;
    const e = parsed.get(questionKey(wire, offsets, i).key);
    if (e === undefined) continue;
    into.set(i, e);
    matched++;
  }
  if (matched === 0 && parsed.size > 0 && into.covered === 0) {
    throw new UsageError(`--expect-file ${file}: none of its ${parsed.size} name/type pairs is a query of the query file`);
  }
}

/**
 * The expectations for `set`: the query file's `expect=` columns (when `columns`; the file is read
 * again, so not from stdin) and then `expectFile`. Throws UsageError/InputError as above, and when
 * no query has an expectation at all.
 */
export async function loadExpectations(
  set: QuerySet,
  o: { queryFile: string; columns: boolean; expectFile: string | null },
): Promise<ExpectationTable> {
  const b = new TableBuilder(set.count);
  if (o.columns) {
    if (o.queryFile === '-') {
      throw new UsageError('--expect reads the query file\'s expect= columns, which needs -d FILE (stdin cannot be read twice); with queries on stdin, give --expect-file FILE');
    }
    // A FIFO or pipe (`-d <(zcat q.gz)`, /dev/stdin) was drained by the loader: a second read would
    // wait for a writer that never comes, so the run hung before its first query.
    if (!isRegularFile(o.queryFile)) {
      throw new UsageError(`--expect reads the query file's expect= columns a second time, which needs -d to be a regular file; "${o.queryFile}" is a pipe or device (read once); save the queries to a file, or give --expect-file FILE`);
    }
    expectationsFromColumns(await readOrFail(o.queryFile, '-d/--datafile'), o.queryFile, set, b);
  }
  if (o.expectFile !== null) expectationsFromFile(readExpectFile(o.expectFile).toString('utf8'), o.expectFile, set, b);
  if (b.covered === 0) {
    throw new UsageError(
      o.expectFile === null
        ? `--expect: no query in ${o.queryFile} has an expect= column (e.g. "www.example.com A expect=192.0.2.1"); or give --expect-file FILE`
        : `--expect-file ${o.expectFile}: it names none of the queries in ${set.source}`,
    );
  }
  return b.table();
}

/** Largest --expect-file read (bytes): about 4 million expectations of 64 bytes; /dev/zero stops here. */
export const MAX_EXPECT_FILE_BYTES = 256 * 1024 * 1024;

function readExpectFile(path: string): Buffer {
  try {
    return readBounded(path, MAX_EXPECT_FILE_BYTES);
  } catch (e) {
    if (e instanceof TooLargeError) {
      throw new InputError(`--expect-file ${path}: more than ${sizeText(e.maxBytes)} (or it does not end, like /dev/zero); expected lines of "name type expected..."`);
    }
    throw new InputError(`--expect-file: cannot read "${path}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return true; // gone or unreadable: readOrFail says which
  }
}

async function readOrFail(path: string, flag: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new InputError(`${flag}: cannot read "${path}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
