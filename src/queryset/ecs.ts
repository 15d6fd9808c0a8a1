// EDNS Client Subnet (RFC 7871) options, encoded once at load time: `--ecs` subnets are rotated
// over the queries (query i gets subnet i mod k) and a query-file line may name its own subnet in a
// third column (`ecs=198.51.100.0/24`). The hot path never sees any of this: the option is part of
// the pre-encoded message.
import { terminalToken } from '../report/escape.js';
import { isIP } from 'node:net';

/** RFC 7871 section 6: option code 8. */
export const OPTION_ECS = 8;
const FAMILY_IPV4 = 1;
const FAMILY_IPV6 = 2;

/**
 * The whole EDNS option (code, length, FAMILY, SOURCE PREFIX-LENGTH, SCOPE PREFIX-LENGTH 0, ADDRESS)
 * for `address/prefix` (a bare address means the full length), or a reason it is not one.
 * ADDRESS is cut to ceil(prefix / 8) bytes and the bits past the prefix are zeroed, as section 6
 * requires, so 198.51.100.7/24 sends 198.51.100.0/24.
 */
export function encodeEcs(text: string): Uint8Array | string {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return `"${terminalToken(text)}" is not an IPv4 or IPv6 subnet (expected e.g. 198.51.100.0/24 or 2001:db8::/56)`;
  const maxPrefix = family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(maxPrefix) : text.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= maxPrefix)) return `"${terminalToken(text)}": prefix length must be 0 to ${maxPrefix}`;
  const full = family === 4 ? ipv4Bytes(address) : ipv6Bytes(address);
  const n = Math.ceil(prefix / 8);
  const out = new Uint8Array(4 + 4 + n);
  const view = new DataView(out.buffer);
  view.setUint16(0, OPTION_ECS);
  view.setUint16(2, 4 + n);
  view.setUint16(4, family === 4 ? FAMILY_IPV4 : FAMILY_IPV6);
  out[6] = prefix;
  out[7] = 0;
  out.set(full.subarray(0, n), 8);
  if (prefix % 8 !== 0) out[8 + n - 1]! &= (0xff << (8 - (prefix % 8))) & 0xff;
  return out;
}

/** Most bytes an ECS option can add to a message: a bare OPT RR (11) and an IPv6 /128 option (24). */
export const MAX_ECS_GROWTH = 11 + 8 + 16;

/** The --ecs list encoded, or the reason the first bad subnet is not one. */
export function encodeEcsList(list: readonly string[]): Uint8Array[] | string {
  const out: Uint8Array[] = [];
  for (const s of list) {
    const r = encodeEcs(s.trim());
    if (typeof r === 'string') return r;
    out.push(r);
  }
  return out;
}

function ipv4Bytes(address: string): Uint8Array {
  return Uint8Array.from(address.split('.').map(Number));
}

function ipv6Bytes(address: string): Uint8Array {
  // isIP accepted it, so the only forms left are '::' compression and an embedded IPv4 tail.
  let text = address.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = ipv4Bytes(v4[1]!);
    text = text.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >>> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

const ECS_PREFIX = 'ecs=';

/**
 * The `ecs=SUBNET` column among the columns after a query line's type (raw[start..end)), encoded;
 * null when the line has none; a reason when it is malformed. Other columns stay ignored.
 */
export function ecsColumn(raw: Uint8Array, start: number, end: number): Uint8Array | null | string {
  const rest = Buffer.from(raw.buffer, raw.byteOffset + start, end - start).toString('latin1');
  const token = rest.split(/[ \t]+/).find((t) => t.startsWith(ECS_PREFIX));
  if (token === undefined) return null;
  const r = encodeEcs(token.slice(ECS_PREFIX.length));
  return typeof r === 'string' ? `bad ${ECS_PREFIX} column: ${r}` : r;
}
