// Field parsers for master-file entries: names, TTLs, numbers, character-strings. Each throws
// FieldError with a reason meant for a `file:line: reason` message.
import { Buffer } from 'node:buffer';

export class FieldError extends Error {}

/**
 * Resolves a name as written to an absolute name in dns-packet's spelling (no trailing dot, case
 * kept). `origin` is in the same spelling ('' for the root) or null when no $ORIGIN is known.
 */
export function absoluteName(raw: string, origin: string | null): string {
  if (raw === '@') {
    if (origin === null) throw new FieldError("'@' used but no $ORIGIN is set and no origin was given");
    return origin;
  }
  if (raw === '.') return '';
  let name: string;
  if (raw.endsWith('.')) {
    name = raw.slice(0, -1);
  } else {
    if (origin === null) {
      throw new FieldError(`relative name '${raw}' but no $ORIGIN is set (end it with '.' or add $ORIGIN)`);
    }
    name = origin === '' ? raw : `${raw}.${origin}`;
  }
  checkName(raw, name);
  return name;
}

/** Lower-case form used as a lookup key. DNS names compare case-insensitively in ASCII only (RFC 4343). */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

function checkName(raw: string, name: string): void {
  if (name.includes('\\')) throw new FieldError(`name '${raw}': escapes in names are not supported`);
  // Non-ASCII would be encoded as UTF-8 and then never match a query, which lower-cases ASCII only.
  if (!/^[\x21-\x7e]*$/.test(name)) {
    throw new FieldError(`name '${raw}': only printable ASCII is supported (use xn-- punycode)`);
  }
  const labels = name.split('.');
  let wire = 1;
  for (const label of labels) {
    if (label.length === 0) throw new FieldError(`name '${raw}' has an empty label`);
    if (label.length > 63) throw new FieldError(`name '${raw}' has a label longer than 63 bytes`);
    // Wildcards would need RFC 4592 synthesis; answering them literally would be silently wrong.
    if (label === '*') throw new FieldError(`name '${raw}': wildcards are not supported`);
    wire += label.length + 1;
  }
  if (wire > 255) throw new FieldError(`name '${raw}' is longer than 255 bytes`);
}

const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** A TTL: seconds, or BIND's unit form such as `1h30m`. RFC 2181 section 8 caps it at 2^31 - 1. */
export function parseTtl(raw: string): number {
  let value: number;
  if (/^\d+$/.test(raw)) {
    value = Number(raw);
  } else if (/^(\d+[smhdw])+$/i.test(raw)) {
    value = 0;
    for (const m of raw.matchAll(/(\d+)([smhdw])/gi)) {
      value += Number(m[1]) * (TTL_UNITS[m[2]!.toLowerCase()] ?? 0);
    }
  } else {
    throw new FieldError(`bad TTL '${raw}' (seconds, or units like 1h30m)`);
  }
  if (value > 0x7fffffff) throw new FieldError(`TTL '${raw}' is larger than 2147483647`);
  return value;
}

/** An unsigned integer of at most `max`. */
export function parseUint(raw: string, max: number, what: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) > max) {
    throw new FieldError(`bad ${what} '${raw}' (an integer from 0 to ${max})`);
  }
  return Number(raw);
}

/**
 * A <character-string> (RFC 1035 5.1): `\X` is X and `\DDD` is the byte with decimal value DDD.
 * Returns the bytes; at most 255 of them fit in one string.
 */
export function characterString(raw: string): Buffer {
  const bytes: number[] = [];
  for (let p = 0; p < raw.length; p++) {
    const c = raw.charCodeAt(p);
    if (c !== 0x5c) {
      pushUtf8(bytes, raw, p);
      if (c >= 0xd800 && c <= 0xdbff) p++; // the surrogate pair was consumed whole
      continue;
    }
    const ddd = /^\d{3}/.exec(raw.slice(p + 1, p + 4));
    if (ddd) {
      const v = Number(ddd[0]);
      if (v > 255) throw new FieldError(`escape '\\${ddd[0]}' is not a byte (000-255)`);
      bytes.push(v);
      p += 3;
    } else if (p + 1 < raw.length) {
      pushUtf8(bytes, raw, p + 1);
      p += (raw.codePointAt(p + 1) ?? 0) > 0xffff ? 2 : 1;
    } else {
      throw new FieldError('string ends with a lone backslash');
    }
  }
  if (bytes.length > 255) throw new FieldError(`string is ${bytes.length} bytes; at most 255 fit (split it into several)`);
  return Buffer.from(bytes);
}

function pushUtf8(bytes: number[], s: string, p: number): void {
  const cp = s.codePointAt(p) ?? 0;
  for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
}
