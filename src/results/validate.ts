// A saved report is someone else's file: `report`, `merge` and `--baseline` check it completely at
// load, before any traffic, so a bad one is one line naming the file and the first bad field (a
// JSON pointer, RFC 6901) with exit 2, never an "internal error" after a 30-minute run.
//
// The checks, in order, each bounded:
// 1. size: at most MAX_REPORT_BYTES, read in chunks (so /dev/zero or an endless pipe stops there);
// 2. shape before parsing: at most MAX_REPORT_CONTAINERS objects and arrays, nested at most
//    MAX_REPORT_DEPTH deep (JSON.parse of 60 MB of `{},` takes 25 s and 1.7 GB; this scan, 0.1 s);
// 3. docs/report-v1.schema.json with ajv (the contract documented in docs/report-schema.md);
// 4. no "__proto__" key (JSON.parse keeps it as an own key, but every `obj[key] = ...` later would
//    hit the prototype setter); NSID keys are server data and are exempt, loaded as own keys;
// 5. every target's latency histograms decode, and every interval histogram is a bounded
//    HdrHistogram V2 encoding with dnsbench's parameters (2 or 3 significant digits, lowest 1 µs;
//    inflated with a size cap: no zip bomb);
// 6. the numbers agree with each other as in every report dnsbench writes (results/consistency.ts:
//    the accounting identity, intervals adding up to the run, min <= percentiles <= max).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { PACKAGE_ROOT } from '../package-root.js';
import { InputError } from '../errors.js';
import { findInconsistency } from './consistency.js';
import { decodeHistogram } from './histogram.js';

/**
 * Largest saved report read (bytes). An interval takes about 3 KB (mostly its histogram), so this is
 * about 24 hours of one target at 1 s intervals (longer runs: a larger -S). V8 strings stop at 512 MiB.
 */
export const MAX_REPORT_BYTES = 256 * 1024 * 1024;
/** Most JSON objects and arrays in a saved report (about 4 per interval per target). */
export const MAX_REPORT_CONTAINERS = 2_000_000;
/** Deepest nesting of objects and arrays (a report nests about 8 deep). */
export const MAX_REPORT_DEPTH = 64;

/**
 * The file's bytes, at most MAX_REPORT_BYTES. Throws InputError for a directory, an unreadable
 * file, or one that is larger (or endless).
 */
export function readReportBytes(file: string): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // The common two in words (as -d says "no such file"); any other by its errno name.
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? (e as Error).message);
    throw new InputError(`cannot read report "${file}": ${why}`);
  }
  try {
    if (fstatSync(fd).isDirectory()) throw new InputError(`cannot read report "${file}": it is a directory`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(1 << 20);
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw new InputError(`cannot read report "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      if (n === 0) break;
      total += n;
      if (total > MAX_REPORT_BYTES) {
        throw new InputError(`${file}: more than ${MAX_REPORT_BYTES / 1024 / 1024} MiB, larger than any report dnsbench writes; is it the right file?`);
      }
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Counts objects/arrays and their nesting in JSON text without parsing it (UTF-8 bytes: a quote or
 * bracket byte never occurs inside a multi-byte character). Throws InputError past the bounds.
 */
export function checkJsonShape(file: string, bytes: Uint8Array): void {
  let containers = 0;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++containers > MAX_REPORT_CONTAINERS) {
        throw new InputError(`${file}: more than ${MAX_REPORT_CONTAINERS.toLocaleString('en-US')} JSON objects and arrays, more than any report dnsbench writes`);
      }
      if (++depth > MAX_REPORT_DEPTH) throw new InputError(`${file}: JSON nested more than ${MAX_REPORT_DEPTH} deep, deeper than any report dnsbench writes`);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  propertyName?: string;
}
type Validator = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

let validator: Validator | null = null;

/** docs/report-v1.schema.json compiled once, on first use (ajv is loaded only by commands that read reports). */
function schemaValidator(): Validator {
  if (validator) return validator;
  const require = createRequire(import.meta.url);
  const { Ajv2020 } = require('ajv/dist/2020.js') as { Ajv2020: new (o: object) => { addFormat(n: string, f: (s: string) => boolean): void; compile(s: object): Validator } };
  const schema = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'docs', 'report-v1.schema.json'), 'utf8')) as object;
  const ajv = new Ajv2020({ allErrors: false, strict: false });
  ajv.addFormat('date-time', (s) => /^\d{4}-\d\d-\d\dT/.test(s) && !Number.isNaN(Date.parse(s)));
  validator = ajv.compile(schema);
  return validator;
}

/** RFC 6901: "~" as "~0" and "/" as "~1". */
const pointerPart = (k: string | number): string => String(k).replace(/~/g, '~0').replace(/\//g, '~1');

function describeSchemaError(e: AjvError): { pointer: string; what: string } {
  const at = e.instancePath;
  // A key refused by propertyNames: ajv names it on the error of the key's own subschema.
  if (e.propertyName !== undefined) return { pointer: `${at}/${pointerPart(e.propertyName)}`, what: 'is not an allowed key here' };
  switch (e.keyword) {
    case 'required':
      return { pointer: `${at}/${pointerPart(String(e.params['missingProperty']))}`, what: 'is missing' };
    case 'propertyNames':
      return { pointer: `${at}/${pointerPart(String(e.params['propertyName']))}`, what: 'is not an allowed key here' };
    case 'additionalProperties':
      return { pointer: `${at}/${pointerPart(String(e.params['additionalProperty']))}`, what: 'is not an allowed key here' };
    default:
      return { pointer: at, what: e.message ?? e.keyword };
  }
}

/**
 * Checks parsed JSON against the report schema and the rules above (steps 3-5). Throws
 * InputError `FILE: /json/pointer: what is wrong (expected ...)`.
 */
export function validateReportData(file: string, data: unknown): void {
  const bad = (pointer: string, what: string): InputError =>
    new InputError(`${file}: ${pointer === '' ? '/' : pointer} ${what} (a report written by dnsbench --json was expected; see docs/report-schema.md)`);
  const validate = schemaValidator();
  if (!validate(data)) {
    const e = validate.errors?.[0];
    const d = e ? describeSchemaError(e) : { pointer: '', what: 'does not match the report schema' };
    throw bad(d.pointer, d.what);
  }
  const proto = findProtoKey(data);
  if (proto !== null) throw bad(proto, 'is a "__proto__" key, which no report has');
  const targets = (data as { targets: Array<Record<string, unknown>> }).targets;
  targets.forEach((t, i) => {
    for (const key of ['latency', 'correctedLatency'] as const) {
      const l = t[key] as { histogram: string } | null;
      if (l && !histogramDecodes(l.histogram)) throw bad(`/targets/${i}/${key}/histogram`, 'is not a latency histogram that decodes');
    }
    (t['intervals'] as Array<{ histogram: string }>).forEach((iv, j) => {
      if (!histogramHeaderOk(iv.histogram)) throw bad(`/targets/${i}/intervals/${j}/histogram`, 'is not a latency histogram written by dnsbench');
    });
  });
  const wrong = findInconsistency(targets);
  if (wrong !== null) throw bad(wrong.pointer, wrong.what);
}

/** The pointer of the first "__proto__" key, outside server data (targets/N/nsid, their intervals' nsid, foreignSources); null when none. */
function findProtoKey(root: unknown): string | null {
  const stack: Array<{ v: unknown; at: string }> = [{ v: root, at: '' }];
  while (stack.length > 0) {
    const { v, at } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (/^\/targets\/\d+\/(nsid|foreignSources|intervals\/\d+\/nsid)$/.test(at)) continue;
    for (const k of Object.keys(v)) {
      if (k === '__proto__') return `${at}/__proto__`;
      stack.push({ v: (v as Record<string, unknown>)[k], at: `${at}/${pointerPart(k)}` });
    }
  }
  return null;
}

/** The size an inflated dnsbench histogram can reach: 40-byte header + at most ~45k LEB128 counts. */
const MAX_INFLATED = 1 << 20;
const V2_COMPRESSED_COOKIE = 0x1c849314;
const V2_COOKIE = 0x1c849313;

/**
 * An HdrHistogram V2 compressed encoding (cookie, length, zlib data) whose inflated header says
 * 2 or 3 significant digits (intervals, run totals) and a lowest value of 1 µs
 * (src/results/histogram.ts), inflated with a cap.
 */
function histogramHeaderOk(encoded: string): boolean {
  if (encoded === '') return true;
  if (encoded.length > 2 * MAX_INFLATED || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return false;
  const buf = Buffer.from(encoded, 'base64');
  if (buf.length < 8 || buf.readUInt32BE(0) !== V2_COMPRESSED_COOKIE || buf.readInt32BE(4) !== buf.length - 8) return false;
  let raw: Buffer;
  try {
    raw = inflateSync(buf.subarray(8), { maxOutputLength: MAX_INFLATED });
  } catch {
    return false;
  }
  return (
    raw.length >= 40 &&
    raw.readUInt32BE(0) === V2_COOKIE &&
    raw.readInt32BE(4) === raw.length - 40 &&
    (raw.readInt32BE(12) === 2 || raw.readInt32BE(12) === 3) &&
    raw.readBigInt64BE(16) === 1n &&
    raw.readBigInt64BE(24) >= 2n &&
    raw.readBigInt64BE(24) <= 2n ** 53n
  );
}

function histogramDecodes(encoded: string): boolean {
  if (!histogramHeaderOk(encoded)) return false;
  try {
    decodeHistogram(encoded);
    return true;
  } catch {
    return false;
  }
}
