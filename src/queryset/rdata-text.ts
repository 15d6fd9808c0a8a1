// Record data in one canonical presentation form, from either side: RDATA read off the wire of an
// answer (the answer checks of --expect and --rrset-order), and RDATA as a user wrote it (an
// `expect=` column, an --expect-file line). Both sides go through the same formatter, so "equal"
// means equal data: 2001:DB8::1 and 2001:db8:0:0::1 are one address, WWW.Test.com and
// www.test.com. one name. Only the answer checks use this; a plain run never reaches it.
//
// Canonical form: RFC 1035 5.1 presentation, names lower-cased (RFC 4343: names compare
// case-insensitively) and absolute (trailing dot), IPv6 as RFC 5952 4 prints it, TXT strings
// quoted, and any other type in RFC 3597 generic form (`\# LEN HEX`, lower-case hex).
import { isIPv4 } from 'node:net';

/** RR types given a specific form here (RFC 1035 3.3, RFC 3596, RFC 2782, RFC 6672, RFC 8659). */
export const RDATA_TYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, DNAME: 39, CAA: 257 } as const;

/** Types whose data is one token (several can share one `expect=` column or --expect-file line). */
export const ONE_TOKEN_TYPES: ReadonlySet<number> = new Set([1, 2, 5, 12, 28, 39]);

/** Longest text kept for one record (a hostile server controls it). */
export const MAX_RDATA_TEXT = 512;

// --- from the wire ---------------------------------------------------------------------------

/**
 * The name at `off` of `msg` (compression pointers followed, at most 16 hops, RFC 1035 4.1.4),
 * lower-cased and absolute, or null when it does not parse.
 */
export function wireName(msg: Uint8Array, off: number, end: number = msg.length): string | null {
  let out = '';
  let hops = 0;
  let limit = end;
  for (let labels = 0; labels < 128; labels++) {
    if (off >= limit) return null;
    const len = msg[off]!;
    if ((len & 0xc0) === 0xc0) {
      if (off + 1 >= limit || ++hops > 16) return null;
      off = ((len & 0x3f) << 8) | msg[off + 1]!;
      // A pointer may point anywhere earlier in the message, outside this RDATA.
      limit = msg.length;
      continue;
    }
    if ((len & 0xc0) !== 0) return null;
    if (len === 0) return out === '' ? '.' : out;
    if (off + 1 + len > limit) return null;
    for (let i = 1; i <= len; i++) {
      let b = msg[off + i]!;
      if (b >= 0x41 && b <= 0x5a) b |= 0x20;
      out += b === 0x2e || b === 0x5c ? '\\' + String.fromCharCode(b) : b < 0x21 || b > 0x7e ? '\\' + String(b).padStart(3, '0') : String.fromCharCode(b);
    }
    out += '.';
    off += len + 1;
  }
  return null;
}

/** IPv6 address bytes (16) in RFC 5952 form: lower case, the longest run of two or more zero groups as "::". */
export function formatIpv6(b: Uint8Array, at = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]): string => g.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** One character-string (RFC 1035 3.3) quoted, with `"` and `\` escaped and non-printables as \DDD. */
function quoted(bytes: Uint8Array): string {
  let s = '"';
  for (const b of bytes) s += b === 0x22 || b === 0x5c ? '\\' + String.fromCharCode(b) : b < 0x20 || b > 0x7e ? '\\' + String(b).padStart(3, '0') : String.fromCharCode(b);
  return s + '"';
}

const u16 = (m: Uint8Array, at: number): number => (m[at]! << 8) | m[at + 1]!;
const u32 = (m: Uint8Array, at: number): number => ((m[at]! << 24) | (m[at + 1]! << 16) | (m[at + 2]! << 8) | m[at + 3]!) >>> 0;

function generic(msg: Uint8Array, off: number, len: number): string {
  return `\\# ${len}${len > 0 ? ' ' + Buffer.from(msg.subarray(off, off + len)).toString('hex') : ''}`;
}

/** Cut a hostile record's text to MAX_RDATA_TEXT characters, marked. */
function bounded(s: string): string {
  return s.length > MAX_RDATA_TEXT ? `${s.slice(0, MAX_RDATA_TEXT - 3)}...` : s;
}

/**
 * The canonical text of one record's RDATA (`len` bytes at `off` of the whole message `msg`,
 * which compressed names may point into). Data that does not parse as its type is shown in the
 * generic form, so it still compares (and never matches a well-formed expectation).
 */
export function rdataText(msg: Uint8Array, type: number, off: number, len: number): string {
  const end = off + len;
  const name = (at: number): string | null => wireName(msg, at, end);
  const nameEnd = (at: number): number => {
    for (let i = 0; i < 128 && at < end; i++) {
      const l = msg[at]!;
      if (l === 0) return at + 1;
      if ((l & 0xc0) === 0xc0) return at + 2;
      at += l + 1;
    }
    return -1;
  };
  let out: string | null = null;
  switch (type) {
    case RDATA_TYPES.A:
      if (len === 4) out = `${msg[off]}.${msg[off + 1]}.${msg[off + 2]}.${msg[off + 3]}`;
      break;
    case RDATA_TYPES.AAAA:
      if (len === 16) out = formatIpv6(msg, off);
      break;
    case RDATA_TYPES.NS:
    case RDATA_TYPES.CNAME:
    case RDATA_TYPES.PTR:
    case RDATA_TYPES.DNAME:
      out = nameEnd(off) === end ? name(off) : null;
      break;
    case RDATA_TYPES.MX:
      if (len >= 3 && nameEnd(off + 2) === end) {
        const n = name(off + 2);
        out = n === null ? null : `${u16(msg, off)} ${n}`;
      }
      break;
    case RDATA_TYPES.SRV:
      if (len >= 7 && nameEnd(off + 6) === end) {
        const n = name(off + 6);
        out = n === null ? null : `${u16(msg, off)} ${u16(msg, off + 2)} ${u16(msg, off + 4)} ${n}`;
      }
      break;
    case RDATA_TYPES.SOA: {
      const m = nameEnd(off);
      const r = m < 0 ? -1 : nameEnd(m);
      if (r >= 0 && r + 20 === end) {
        const a = name(off);
        const b = name(m);
        if (a !== null && b !== null) out = `${a} ${b} ${[0, 4, 8, 12, 16].map((k) => u32(msg, r + k)).join(' ')}`;
      }
      break;
    }
    case RDATA_TYPES.TXT: {
      const parts: string[] = [];
      let at = off;
      while (at < end) {
        const l = msg[at]!;
        if (at + 1 + l > end) break;
        parts.push(quoted(msg.subarray(at + 1, at + 1 + l)));
        at += 1 + l;
      }
      if (at === end && parts.length > 0) out = parts.join(' ');
      break;
    }
    case RDATA_TYPES.CAA: {
      const tagLen = len >= 2 ? msg[off + 1]! : -1;
      if (tagLen >= 1 && 2 + tagLen <= len) {
        const tag = Buffer.from(msg.subarray(off + 2, off + 2 + tagLen)).toString('latin1').toLowerCase();
        out = `${msg[off]} ${tag} ${quoted(msg.subarray(off + 2 + tagLen, end))}`;
      }
      break;
    }
  }
  return bounded(out ?? generic(msg, off, len));
}

// --- from what a user wrote --------------------------------------------------------------------

/** A canonical text, or why the input is not data of that type. */
export type Canonical = { text: string } | { error: string };

function absName(s: string): string | null {
  if (s === '' || /\s/.test(s)) return null;
  if (s === '.') return '.';
  const lower = s.replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (lower.startsWith('.') || lower.includes('..')) return null;
  return lower.endsWith('.') ? lower : `${lower}.`;
}

function ipv6Bytes(s: string): Uint8Array | null {
  if (s.includes('%') || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
  // An embedded IPv4 tail (::ffff:192.0.2.1) is two groups written in dotted form.
  let text = s;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    if (!isIPv4(v4[1]!) || !s.slice(0, v4.index).endsWith(':')) return null;
    const p = v4[1]!.split('.').map(Number);
    text = `${s.slice(0, v4.index)}${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (head === null || rest === null) return null;
  let groups: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return null;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    groups = head;
    if (groups.length !== 8) return null;
  }
  const b = new Uint8Array(16);
  groups.forEach((g, i) => {
    b[2 * i] = g >>> 8;
    b[2 * i + 1] = g & 0xff;
  });
  return b;
}

function uint(s: string | undefined, max: number): number | null {
  if (s === undefined || !/^\d{1,10}$/.test(s)) return null;
  const n = Number(s);
  return n <= max ? n : null;
}

/** Tokens of presentation text: blanks separate, "quoted strings" keep blanks (with \" and \\ escapes). */
export function presentationTokens(s: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) break;
    let tok = '';
    if (s[i] === '"') {
      tok = '"';
      i++;
      for (;;) {
        if (i >= s.length) return null;
        const c = s[i]!;
        if (c === '\\' && i + 1 < s.length) {
          tok += c + s[i + 1]!;
          i += 2;
          continue;
        }
        tok += c;
        i++;
        if (c === '"') break;
      }
    } else {
      while (i < s.length && !/\s/.test(s[i]!)) tok += s[i++]!;
    }
    out.push(tok);
  }
  return out;
}

/** A character-string as written (quoted or not, RFC 1035 5.1 escapes) -> its bytes. */
function stringBytes(tok: string): Uint8Array | null {
  const body = tok.startsWith('"') ? (tok.length >= 2 && tok.endsWith('"') ? tok.slice(1, -1) : null) : tok;
  if (body === null) return null;
  const bytes: number[] = [];
  const raw = Buffer.from(body, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== 0x5c) {
      bytes.push(c);
      continue;
    }
    const d = raw.subarray(i + 1, i + 4).toString('latin1');
    if (/^\d{3}$/.test(d)) {
      const v = Number(d);
      if (v > 255) return null;
      bytes.push(v);
      i += 3;
    } else if (i + 1 < raw.length) {
      bytes.push(raw[++i]!);
    } else {
      return null;
    }
  }
  return bytes.length <= 255 ? Uint8Array.from(bytes) : null;
}

/**
 * The canonical text of record data of `type` written as `text` (presentation form, RFC 1035 5.1;
 * RFC 3597 `\# LEN HEX` for any type), or the reason it is not such data.
 */
export function canonicalRdata(type: number, text: string, typeName: string): Canonical {
  const t = presentationTokens(text.trim());
  if (t === null || t.length === 0) return { error: `empty or unterminated data "${text}" for ${typeName}` };
  const bad = (what: string): Canonical => ({ error: `"${text}" is not ${what} (${typeName} data)` });
  if (t[0] === '\\#') {
    const n = uint(t[1], 65535);
    const hex = t.slice(2).join('').toLowerCase();
    if (n === null || !/^[0-9a-f]*$/.test(hex) || hex.length !== 2 * n) return bad('RFC 3597 generic data ("\\# LEN HEX" with LEN bytes of hex)');
    // Known types compare in their own form: decode the bytes and format them as an answer would be.
    const bytes = Buffer.from(hex, 'hex');
    return { text: rdataText(bytes, type, 0, bytes.length) };
  }
  switch (type) {
    case RDATA_TYPES.A:
      return t.length === 1 && isIPv4(t[0]!) ? { text: t[0]!.split('.').map(Number).join('.') } : bad('an IPv4 address');
    case RDATA_TYPES.AAAA: {
      const b = t.length === 1 ? ipv6Bytes(t[0]!) : null;
      return b === null ? bad('an IPv6 address') : { text: formatIpv6(b) };
    }
    case RDATA_TYPES.NS:
    case RDATA_TYPES.CNAME:
    case RDATA_TYPES.PTR:
    case RDATA_TYPES.DNAME: {
      const n = t.length === 1 ? absName(t[0]!) : null;
      return n === null ? bad('a domain name') : { text: n };
    }
    case RDATA_TYPES.MX: {
      const p = uint(t[0], 0xffff);
      const n = t.length === 2 ? absName(t[1]!) : null;
      return p === null || n === null ? bad('"PREFERENCE EXCHANGE"') : { text: `${p} ${n}` };
    }
    case RDATA_TYPES.SRV: {
      const nums = [t[0], t[1], t[2]].map((x) => uint(x, 0xffff));
      const n = t.length === 4 ? absName(t[3]!) : null;
      return nums.includes(null) || n === null ? bad('"PRIORITY WEIGHT PORT TARGET"') : { text: `${nums.join(' ')} ${n}` };
    }
    case RDATA_TYPES.SOA: {
      const a = absName(t[0] ?? '');
      const b = absName(t[1] ?? '');
      const nums = t.slice(2).map((x) => uint(x, 0xffffffff));
      return t.length !== 7 || a === null || b === null || nums.includes(null) ? bad('"MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM" (plain numbers)') : { text: `${a} ${b} ${nums.join(' ')}` };
    }
    case RDATA_TYPES.TXT: {
      const parts = t.map(stringBytes);
      return parts.includes(null) ? bad('one or more character-strings') : { text: bounded(parts.map((p) => quoted(p!)).join(' ')) };
    }
    case RDATA_TYPES.CAA: {
      const f = uint(t[0], 255);
      const v = t.length === 3 ? stringBytes(t[2]!) : null;
      return f === null || v === null || !/^[A-Za-z0-9]+$/.test(t[1] ?? '') ? bad('"FLAGS TAG VALUE"') : { text: `${f} ${t[1]!.toLowerCase()} ${quoted(v)}` };
    }
    default:
      return { error: `"${text}": give ${typeName} data in RFC 3597 form, e.g. "\\# 4 c0000201"` };
  }
}
