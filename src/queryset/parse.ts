// One line of a dnsperf/queryperf query file: `name type [more columns]`.
//
// The work is done on bytes by LineScanner so the loader can parse millions of lines straight out of
// the file's Buffer without making a string per line; parseQueryLine is the string front end for
// everyone else. Both accept what dnsperf rejects (CRLF, leading whitespace) and decode `\DDD` in
// decimal as RFC 1035 section 5.1 says (dnsperf decodes it in base 7).

import { terminalToken } from '../report/escape.js';
import type { QuerySpec } from './types.js';
import { typeFromMnemonic } from './rrtypes.js';

const TAB = 0x09;
const CR = 0x0d;
const SPACE = 0x20;
const HASH = 0x23;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const SEMICOLON = 0x3b;
const BACKSLASH = 0x5c;

/** RFC 1035 section 2.3.4. */
const MAX_LABEL = 63;
const MAX_NAME = 255;
/** Longest mnemonic is 10 (NSEC3PARAM, OPENPGPKEY); longer tokens skip the lookup. */
const MAX_TYPE_TOKEN = 16;
/** Bounds the type cache; `TYPEnnn` in mixed case could otherwise add millions of keys. */
const TYPE_CACHE_LIMIT = 4096;

/** What LineScanner.scan found. */
export const LineKind = { skip: 0, query: 1, bad: 2 } as const;
export type LineKind = (typeof LineKind)[keyof typeof LineKind];

const isBlank = (c: number | undefined): boolean => c === SPACE || c === TAB;
const isDigit = (c: number | undefined): c is number => c !== undefined && c >= ZERO && c <= NINE;

const utf8 = new TextDecoder();

/**
 * Scans one line held in a byte array. After scan() returns `query`, name[0..nameLength) is the
 * wire QNAME and qtype its type; after `bad`, reason says why. The fields are overwritten by the
 * next call, so a caller that keeps them must copy them.
 */
export class LineScanner {
  /** Wire-format QNAME of the last query line (RFC 1035 section 3.1), case preserved. */
  readonly name = new Uint8Array(MAX_NAME + 1);
  nameLength = 0;
  qtype = 0;
  /** Where the columns after the type start (index into the scanned array), for later features. */
  restStart = 0;
  /** End of the line, not counting a CR of a CRLF ending. */
  lineEnd = 0;
  reason = '';

  // Query files repeat a few type tokens millions of times. Tokens of up to 7 ASCII bytes are
  // packed into a number (base 129, so lengths differ too) and their types cached, so most lines
  // look their type up without building a string.
  private readonly typeCache = new Map<number, number>();

  /** Scans src[start..end), a line without its LF. */
  scan(src: Uint8Array, start: number, end: number): LineKind {
    if (end > start && src[end - 1] === CR) end--;
    this.lineEnd = end;
    let i = start;
    while (i < end && isBlank(src[i])) i++;
    if (i === end) return LineKind.skip;
    // `;` is the master-file comment (RFC 1035 section 5.1); `#` covers queryperf's `#server`,
    // `#port` and `#maxwait` directives, which we take as comments because flags say the same.
    if (src[i] === SEMICOLON || src[i] === HASH) return LineKind.skip;

    const nameEnd = this.scanName(src, i, end);
    if (nameEnd < 0) return LineKind.bad;

    i = nameEnd;
    while (i < end && isBlank(src[i])) i++;
    if (i === end) return this.fail('missing query type (expected "name type")');
    let j = i;
    while (j < end && !isBlank(src[j])) j++;
    const qtype = this.lookupType(src, i, j);
    if (qtype === undefined) {
      const token = shownToken(src, i, j);
      const hint = /^type[0-9]+$/i.test(token) ? ' (TYPEnnn must be 0..65535)' : '';
      return this.fail(`unknown query type "${token}"${hint}`);
    }
    this.qtype = qtype;
    this.restStart = j;
    return LineKind.query;
  }

  private lookupType(src: Uint8Array, start: number, end: number): number | undefined {
    if (end - start > MAX_TYPE_TOKEN) return undefined;
    let key = end - start <= 7 ? 0 : -1;
    for (let k = start; k < end && key >= 0; k++) {
      const c = src[k] ?? 0;
      key = c < 0x80 ? key * 129 + c + 1 : -1;
    }
    if (key >= 0) {
      const cached = this.typeCache.get(key);
      if (cached !== undefined) return cached;
    }
    let token = '';
    for (let k = start; k < end; k++) token += String.fromCharCode(src[k] ?? 0);
    const qtype = typeFromMnemonic(token);
    if (qtype !== undefined && key >= 0 && this.typeCache.size < TYPE_CACHE_LIMIT) {
      this.typeCache.set(key, qtype);
    }
    return qtype;
  }

  /**
   * Encodes the presentation-format name starting at src[i] into this.name. Returns the index just
   * past the name token, or -1 with this.reason set.
   */
  private scanName(src: Uint8Array, i: number, end: number): number {
    const name = this.name;
    const tokenStart = i;
    // The root name is a lone dot.
    if (src[i] === DOT && (i + 1 === end || isBlank(src[i + 1]))) {
      name[0] = 0;
      this.nameLength = 1;
      return i + 1;
    }
    // name[lengthAt] is the length octet of the label being written; out is the next free byte.
    let lengthAt = 0;
    let out = 1;
    let labelLength = 0;
    while (i < end) {
      let c = src[i] ?? 0;
      if (c === SPACE || c === TAB) break;
      if (c === DOT) {
        if (labelLength === 0) return this.badName(src, tokenStart, end, 'empty label');
        name[lengthAt] = labelLength;
        lengthAt = out++;
        labelLength = 0;
        i++;
        continue;
      }
      if (c === BACKSLASH) {
        // RFC 1035 section 5.1: `\DDD` is the octet with decimal value DDD; `\X` is X itself.
        const d1 = src[i + 1];
        if (i + 1 === end) {
          return this.badName(src, tokenStart, end, 'bad escape: name ends with a backslash');
        }
        if (isDigit(d1)) {
          const d2 = src[i + 2];
          const d3 = src[i + 3];
          if (i + 3 >= end || !isDigit(d2) || !isDigit(d3)) {
            const shown = utf8.decode(src.subarray(i, Math.min(i + 4, end)));
            return this.badName(
              src, tokenStart, end, `bad escape "${shown}": \\DDD needs exactly three decimal digits`,
            );
          }
          c = (d1 - ZERO) * 100 + (d2 - ZERO) * 10 + (d3 - ZERO);
          if (c > 255) {
            const shown = utf8.decode(src.subarray(i, i + 4));
            return this.badName(src, tokenStart, end, `bad escape "${shown}": value above 255`);
          }
          i += 4;
        } else {
          c = d1 ?? 0;
          i += 2;
        }
      } else {
        i++;
      }
      if (labelLength === MAX_LABEL) {
        return this.badName(src, tokenStart, end, 'label longer than 63 octets');
      }
      // Writing at `out` leaves at least the root octet after it, so out may be at most 253.
      if (out > MAX_NAME - 2) {
        return this.badName(src, tokenStart, end, 'name longer than 255 octets in wire format');
      }
      name[out++] = c;
      labelLength++;
    }
    if (labelLength > 0) {
      name[lengthAt] = labelLength;
      lengthAt = out++;
    }
    name[lengthAt] = 0;
    this.nameLength = out;
    return i;
  }

  private badName(src: Uint8Array, tokenStart: number, end: number, why: string): -1 {
    let tokenEnd = tokenStart;
    while (tokenEnd < end && !isBlank(src[tokenEnd])) {
      tokenEnd += src[tokenEnd] === BACKSLASH ? 2 : 1;
    }
    this.fail(`${why} in name "${shownToken(src, tokenStart, Math.min(tokenEnd, end))}"`);
    return -1;
  }

  private fail(reason: string): typeof LineKind.bad {
    this.reason = reason;
    return LineKind.bad;
  }
}

/** The result of parsing one line with parseQueryLine. */
export type ParsedLine =
  | { kind: 'skip' }
  | { kind: 'query'; spec: QuerySpec; /** Columns after the type, e.g. `ecs=198.51.100.0/24`. */ extra: string[] }
  | { kind: 'bad'; line: number; reason: string };

const encoder = new TextEncoder();

/**
 * Parses one query-file line (without its LF; a trailing CR is ignored). Blank and comment lines
 * give `skip`; lines that cannot be sent give `bad` with a reason fit to show after `file:line: `.
 */
export function parseQueryLine(text: string, line: number): ParsedLine {
  const bytes = encoder.encode(text);
  const scanner = new LineScanner();
  const kind = scanner.scan(bytes, 0, bytes.length);
  if (kind === LineKind.skip) return { kind: 'skip' };
  if (kind === LineKind.bad) return { kind: 'bad', line, reason: scanner.reason };
  const rest = utf8.decode(bytes.subarray(scanner.restStart, scanner.lineEnd));
  return {
    kind: 'query',
    spec: { qname: scanner.name.slice(0, scanner.nameLength), qtype: scanner.qtype, line },
    extra: rest.split(/[ \t]+/).filter((t) => t !== ''),
  };
}

/** Longest part of a token from the file quoted in an error, in bytes. */
const SHOWN_BYTES = 60;

/**
 * A token of the query file as quoted in an error: at most SHOWN_BYTES of it decoded (a 10 MB
 * token is never decoded whole), control characters escaped, and how much was left out.
 */
export function shownToken(src: Uint8Array, start: number, end: number): string {
  const long = end - start > SHOWN_BYTES;
  const shown = terminalToken(utf8.decode(src.subarray(start, long ? start + SHOWN_BYTES : end)), 4 * SHOWN_BYTES);
  return long ? `${shown}…[+${end - start - SHOWN_BYTES} bytes]` : shown;
}
