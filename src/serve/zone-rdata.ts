// RDATA of the record types the responder serves, parsed from master-file tokens into dns-packet's
// record shapes so that answers encode with dns-packet unchanged.
import { isIPv4, isIPv6 } from 'node:net';
import type { Answer, CaaData } from 'dns-packet';
import type { Token } from './zone-lexer.js';
import { FieldError, absoluteName, characterString, parseTtl, parseUint } from './zone-fields.js';

/** Numeric RR types (RFC 1035 3.2.2, RFC 3596, RFC 2782, RFC 8659), the key the responder looks up by. */
export const RRTYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  CAA: 257,
} as const;
export type SupportedType = keyof typeof RRTYPE;

export function isSupportedType(type: string): type is SupportedType {
  return Object.hasOwn(RRTYPE, type);
}

/** Types seen in real zone files that we decline by name, so the error says "unsupported", not "unknown". */
const KNOWN_UNSUPPORTED = new Set([
  'HINFO', 'NAPTR', 'DS', 'DNSKEY', 'RRSIG', 'NSEC', 'NSEC3', 'NSEC3PARAM', 'TLSA', 'SSHFP', 'DNAME',
  'SPF', 'HTTPS', 'SVCB', 'LOC', 'RP', 'URI', 'AFSDB', 'CERT', 'OPENPGPKEY', 'CDS', 'CDNSKEY', 'ZONEMD',
]);

export function unknownTypeReason(word: string): string {
  const supported = Object.keys(RRTYPE).join(', ');
  return KNOWN_UNSUPPORTED.has(word) || /^TYPE\d+$/.test(word)
    ? `record type ${word} is not supported (supported: ${supported})`
    : `unknown record type or class '${word}' (supported types: ${supported})`;
}

/** Builds one record of `type` owned by `name`; `origin` completes relative names in the RDATA. */
export function parseRecord(
  type: SupportedType,
  name: string,
  ttl: number,
  fields: readonly Token[],
  origin: string | null,
): Answer {
  const base = { name, ttl, class: 'IN' as const };
  const t = fields.map((f) => f.text);
  const domain = (raw: string): string => absoluteName(raw, origin);
  switch (type) {
    case 'A':
      expectCount(type, t, 1, 'an IPv4 address');
      if (!isIPv4(t[0]!)) throw new FieldError(`bad IPv4 address '${t[0]}'`);
      return { ...base, type, data: t[0]! };
    case 'AAAA':
      expectCount(type, t, 1, 'an IPv6 address');
      // A zone index (fe80::1%eth0) is meaningless on the wire; Node's isIPv6 accepts it, so refuse it here.
      if (!isIPv6(t[0]!) || t[0]!.includes('%')) throw new FieldError(`bad IPv6 address '${t[0]}'`);
      return { ...base, type, data: t[0]! };
    case 'NS':
    case 'CNAME':
    case 'PTR':
      expectCount(type, t, 1, 'a domain name');
      return { ...base, type, data: domain(t[0]!) };
    case 'MX':
      expectCount(type, t, 2, 'preference and exchange');
      return { ...base, type, data: { preference: parseUint(t[0]!, 0xffff, 'MX preference'), exchange: domain(t[1]!) } };
    case 'SOA':
      expectCount(type, t, 7, 'mname rname serial refresh retry expire minimum');
      return {
        ...base,
        type,
        data: {
          mname: domain(t[0]!),
          rname: domain(t[1]!),
          serial: parseUint(t[2]!, 0xffffffff, 'SOA serial'),
          refresh: parseTtl(t[3]!),
          retry: parseTtl(t[4]!),
          expire: parseTtl(t[5]!),
          minimum: parseTtl(t[6]!),
        },
      };
    case 'TXT':
      if (t.length === 0) throw new FieldError('TXT needs at least one string');
      return { ...base, type, data: t.map(characterString) };
    case 'SRV':
      expectCount(type, t, 4, 'priority weight port target');
      return {
        ...base,
        type,
        data: {
          priority: parseUint(t[0]!, 0xffff, 'SRV priority'),
          weight: parseUint(t[1]!, 0xffff, 'SRV weight'),
          port: parseUint(t[2]!, 0xffff, 'SRV port'),
          target: domain(t[3]!),
        },
      };
    case 'CAA': {
      expectCount(type, t, 3, 'flags tag value');
      const flags = parseUint(t[0]!, 0xff, 'CAA flags');
      // RFC 8659 4.1: tags are ASCII letters and digits. dns-packet's typing lists three tags, but it
      // encodes any string, and registries define more (contactemail, issuemail).
      if (!/^[A-Za-z0-9]{1,255}$/.test(t[1]!)) throw new FieldError(`bad CAA tag '${t[1]}'`);
      const data: CaaData = { flags, tag: t[1]!.toLowerCase() as CaaData['tag'], value: characterString(t[2]!).toString('utf8') };
      return { ...base, type, data };
    }
  }
}

function expectCount(type: string, t: readonly string[], n: number, what: string): void {
  if (t.length !== n) {
    throw new FieldError(`${type} needs ${n === 1 ? '' : `${n} fields, `}${what}; got ${t.length === 0 ? 'nothing' : t.join(' ')}`);
  }
}
