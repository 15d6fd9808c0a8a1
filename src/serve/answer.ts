// Builds complete responses for parsed queries. The question section is copied from the query byte
// for byte (case and all, as clients check it); records are encoded by dns-packet. Results carry ID 0
// and RD/CD clear: the responder caches them and patches those bits per query.
import { Buffer } from 'node:buffer';
import type DnsPacket from 'dns-packet';
import type { Answer, SoaAnswer } from 'dns-packet';
import { lazyRequire } from '../util/lazy-require.js';
import { EdnsState, questionKey, type ParsedQuery } from './query.js';
import { RRTYPE, type Zone } from './zone.js';

const dnsPacket = lazyRequire<typeof DnsPacket>('dns-packet');

export const RCODE = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, notImp: 4, refused: 5 } as const;
/** Extended RCODE 16 (RFC 6891 6.1.3): upper 8 bits go in the OPT record, lower 4 in the header. */
const BADVERS = 16;

const QR = 0x8000;
export const AA = 0x0400;
export const TC = 0x0200;

/** Payload size we advertise: the DNS Flag Day 2020 value, safe from fragmentation. */
const OUR_UDP_SIZE = 1232;
const OPT_LENGTH = 11;
/** CNAME hops followed inside the zone before giving up (loops are cut earlier by the seen-set). */
const MAX_CHAIN = 8;
const QCLASS_IN = 1;
const QTYPE_ANY = 255;
/**
 * Most records any DNS message can hold: 65535 bytes (RFC 1035 4.2.2) over the smallest record, 11
 * bytes (a root owner, type, class, TTL, RDLENGTH 0); under the 16-bit section counts too.
 */
const MAX_RECORDS = Math.floor(65_535 / 11);

/** Largest response that fits the client's buffer: 512 without EDNS (RFC 1035 4.2.1), else its size. */
export function responseLimit(q: ParsedQuery): number {
  return q.edns === EdnsState.none ? 512 : Math.max(512, q.udpSize);
}

/**
 * The authoritative answer for a well-formed query (status ok), truncated if it does not fit in
 * `limit` (the UDP limit by default; TCP passes 65535, RFC 7766 8).
 */
export function buildAnswer(zone: Zone, msg: Buffer, q: ParsedQuery, limit: number = responseLimit(q)): Buffer {
  if (q.edns === EdnsState.badVersion) return buildBare(msg, q, 0, BADVERS);
  const result = resolve(zone, questionKey(msg), q);
  const flags = (result.authoritative ? AA : 0) | result.rcode;
  // A zone may give a name more records than any message holds (ANCOUNT is 16 bits, and encoding
  // them all would take seconds): TC=1 at once, as for any answer that does not fit.
  if (result.answers.length + result.authorities.length > MAX_RECORDS) return buildBare(msg, q, (flags & ~0xf) | TC, result.rcode);
  const body = dnsPacket().encode({
    type: 'response',
    id: 0,
    flags,
    questions: [],
    answers: result.answers,
    authorities: result.authorities,
  });
  const questionLength = q.questionEnd - 12;
  const optLength = q.edns === EdnsState.none ? 0 : OPT_LENGTH;
  const total = body.length + questionLength + optLength;
  // RFC 2181 9: an answer that does not fit is sent with TC=1 so the client can retry over TCP.
  if (total > limit) return buildBare(msg, q, (flags & ~0xf) | TC, result.rcode);
  const out = Buffer.allocUnsafe(total);
  body.copy(out, 0, 0, 12);
  out.writeUInt16BE(1, 4);
  msg.copy(out, 12, 12, q.questionEnd);
  body.copy(out, 12 + questionLength, 12);
  if (optLength > 0) {
    out.writeUInt16BE(1, 10);
    writeOpt(out, total - OPT_LENGTH, 0, q.dnssecOk);
  }
  return out;
}

/**
 * A response with the question (and OPT if the query had one) but no records: used for TC=1,
 * SERVFAIL, BADVERS. `flags` are header bits other than QR and RCODE; `rcode` may be extended.
 */
export function buildBare(msg: Buffer, q: ParsedQuery, flags: number, rcode: number): Buffer {
  const optLength = q.edns === EdnsState.none ? 0 : OPT_LENGTH;
  const out = Buffer.alloc(q.questionEnd + optLength);
  out.writeUInt16BE(QR | flags | (rcode & 0xf), 2);
  out.writeUInt16BE(1, 4);
  msg.copy(out, 12, 12, q.questionEnd);
  if (optLength > 0) {
    out.writeUInt16BE(1, 10);
    writeOpt(out, q.questionEnd, rcode >> 4, q.dnssecOk);
  }
  return out;
}

/** Header-only reply to a query we cannot parse or whose opcode we do not serve; the ID is copied. */
export function buildHeaderOnly(msg: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  out[0] = msg[0]!;
  out[1] = msg[1]!;
  // Keep the opcode and RD so the client can match the reply (RFC 1035 4.1.1).
  out[2] = 0x80 | (msg[2]! & 0x79);
  out[3] = rcode & 0xf;
  return out;
}

function writeOpt(out: Buffer, at: number, extendedRcode: number, dnssecOk: boolean): void {
  out[at] = 0; // root owner
  out.writeUInt16BE(41, at + 1);
  out.writeUInt16BE(OUR_UDP_SIZE, at + 3);
  out[at + 5] = extendedRcode;
  out[at + 6] = 0; // EDNS version 0
  out.writeUInt16BE(dnssecOk ? 0x8000 : 0, at + 7);
  out.writeUInt16BE(0, at + 9);
}

interface Resolution {
  rcode: number;
  authoritative: boolean;
  answers: Answer[];
  authorities: Answer[];
}

/** RFC 1034 4.3.2 for one authoritative zone without delegations or wildcards. */
export function resolve(zone: Zone, qnameKey: string, q: Pick<ParsedQuery, 'qtype' | 'qclass'>): Resolution {
  const answers: Answer[] = [];
  if (q.qclass !== QCLASS_IN || !inZone(zone, qnameKey) || (q.qtype >= 128 && q.qtype <= 255 && q.qtype !== QTYPE_ANY)) {
    // Not ours (other class, other zone) or a meta type (AXFR, IXFR, MAILB) that UDP does not serve.
    return { rcode: RCODE.refused, authoritative: false, answers, authorities: [] };
  }
  const seen = new Set<string>();
  let key = qnameKey;
  for (let hop = 0; hop <= MAX_CHAIN; hop++) {
    seen.add(key);
    const node = zone.nodes.get(key);
    if (!node) {
      // After a CNAME the RCODE describes the last name in the chain (RFC 6604 section 2).
      const exists = zone.emptyNonTerminals.has(key);
      return negative(zone, exists ? RCODE.noError : RCODE.nxDomain, answers);
    }
    // One push per record, not push(...rrset): an RRset of more than ~125 000 records (a zone
    // file may hold one) overflowed the call's arguments and killed `dnsbench serve`.
    if (q.qtype === QTYPE_ANY) {
      for (const rrset of node.values()) for (const rr of rrset) answers.push(rr);
      return { rcode: RCODE.noError, authoritative: true, answers, authorities: [] };
    }
    const rrset = node.get(q.qtype);
    if (rrset) {
      for (const rr of rrset) answers.push(rr);
      return { rcode: RCODE.noError, authoritative: true, answers, authorities: [] };
    }
    const cname = node.get(RRTYPE.CNAME)?.[0];
    if (!cname || cname.type !== 'CNAME') return negative(zone, RCODE.noError, answers);
    answers.push(cname);
    const target = cname.data.toLowerCase();
    // A target outside the zone is the client's to chase; a loop ends with what we have.
    if (!inZone(zone, target) || seen.has(target)) break;
    key = target;
  }
  return { rcode: RCODE.noError, authoritative: true, answers, authorities: [] };
}

/** NXDOMAIN or NODATA: the SOA goes in the authority section with TTL min(SOA TTL, MINIMUM) (RFC 2308 3). */
function negative(zone: Zone, rcode: number, answers: Answer[]): Resolution {
  const soa: SoaAnswer = { ...zone.soa, ttl: Math.min(zone.soa.ttl ?? 0, zone.soa.data.minimum ?? 0) };
  return { rcode, authoritative: true, answers, authorities: [soa] };
}

function inZone(zone: Zone, key: string): boolean {
  const apex = zone.origin.toLowerCase();
  return apex === '' || key === apex || key.endsWith(`.${apex}`);
}
