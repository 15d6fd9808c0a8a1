// Reads a query's header, question and OPT record straight from the wire (RFC 1035 4.1, RFC 6891 6.1)
// without dns-packet.decode: the responder does this for every packet, and decode allocates an object
// graph per message. Every read is bounds-checked, so arbitrary bytes yield a status, never a throw.
import type { Buffer } from 'node:buffer';

export const QueryStatus = {
  /** A standard query with one well-formed question. */
  ok: 0,
  /** Not worth an answer: shorter than a header, or a response (answering responses invites loops). */
  ignore: 1,
  /** Has a header but cannot be parsed: answer FORMERR. */
  formErr: 2,
  /** Opcode other than QUERY (NOTIFY, UPDATE, ...): answer NOTIMP. */
  notImp: 3,
} as const;
export type QueryStatusValue = (typeof QueryStatus)[keyof typeof QueryStatus];

export const EdnsState = {
  none: 0,
  /** EDNS version 0. */
  v0: 1,
  /** A version we do not speak: answer BADVERS (RFC 6891 6.1.3). */
  badVersion: 2,
} as const;
export type EdnsStateValue = (typeof EdnsState)[keyof typeof EdnsState];

/** The parse result. One instance is reused for every packet, so the hot path allocates nothing here. */
export interface ParsedQuery {
  status: QueryStatusValue;
  /** Offset just past QCLASS: the question section is bytes 12 .. questionEnd, echoed verbatim. */
  questionEnd: number;
  qtype: number;
  qclass: number;
  edns: EdnsStateValue;
  /** Requestor's UDP payload size from OPT; 512 when there is no OPT (RFC 1035 4.2.1). */
  udpSize: number;
  /** DO bit (RFC 3225), copied into the answer's OPT. */
  dnssecOk: boolean;
}

export function newParsedQuery(): ParsedQuery {
  return { status: QueryStatus.ignore, questionEnd: 0, qtype: 0, qclass: 0, edns: EdnsState.none, udpSize: 512, dnssecOk: false };
}

const HEADER = 12;
const TYPE_OPT = 41;

/** Parses `msg` into `out` and returns it. */
export function parseQuery(msg: Buffer, out: ParsedQuery): ParsedQuery {
  out.edns = EdnsState.none;
  out.udpSize = 512;
  out.dnssecOk = false;
  out.questionEnd = 0;
  const len = msg.length;
  if (len < HEADER || (msg[2]! & 0x80) !== 0) return setStatus(out, QueryStatus.ignore);
  if ((msg[2]! & 0x78) !== 0) return setStatus(out, QueryStatus.notImp);
  if (msg[4] !== 0 || msg[5] !== 1) return setStatus(out, QueryStatus.formErr);

  // QNAME: plain labels only. A compression pointer in the first name could only point into the
  // header, so it is malformed (RFC 1035 4.1.4).
  let p = HEADER;
  let nameLength = 0;
  for (;;) {
    if (p >= len) return setStatus(out, QueryStatus.formErr);
    const labelLength = msg[p]!;
    if (labelLength === 0) break;
    if (labelLength > 63) return setStatus(out, QueryStatus.formErr);
    nameLength += labelLength + 1;
    if (nameLength > 254) return setStatus(out, QueryStatus.formErr);
    p += labelLength + 1;
  }
  p++;
  if (p + 4 > len) return setStatus(out, QueryStatus.formErr);
  out.qtype = (msg[p]! << 8) | msg[p + 1]!;
  out.qclass = (msg[p + 2]! << 8) | msg[p + 3]!;
  p += 4;
  out.questionEnd = p;

  // Skip any answer/authority records (unusual in a query) and look for OPT among the additionals.
  const others = ((msg[6]! << 8) | msg[7]!) + ((msg[8]! << 8) | msg[9]!);
  const additionals = (msg[10]! << 8) | msg[11]!;
  for (let i = 0; i < others + additionals; i++) {
    const nameStart = p;
    p = skipName(msg, p);
    if (p < 0 || p + 10 > len) return setStatus(out, QueryStatus.formErr);
    const type = (msg[p]! << 8) | msg[p + 1]!;
    const rdLength = (msg[p + 8]! << 8) | msg[p + 9]!;
    const rdEnd = p + 10 + rdLength;
    if (rdEnd > len) return setStatus(out, QueryStatus.formErr);
    if (type === TYPE_OPT && i >= others) {
      // RFC 6891 6.1.1: OPT is owned by the root, and more than one OPT is FORMERR.
      if (msg[nameStart] !== 0 || out.edns !== EdnsState.none) return setStatus(out, QueryStatus.formErr);
      out.udpSize = (msg[p + 2]! << 8) | msg[p + 3]!;
      out.edns = msg[p + 5] === 0 ? EdnsState.v0 : EdnsState.badVersion;
      out.dnssecOk = (msg[p + 6]! & 0x80) !== 0;
    }
    p = rdEnd;
  }
  return setStatus(out, QueryStatus.ok);
}

function setStatus(out: ParsedQuery, status: QueryStatusValue): ParsedQuery {
  out.status = status;
  return out;
}

/** Offset after a (possibly compressed) name starting at `p`, or -1 if it runs off the end. */
function skipName(msg: Buffer, p: number): number {
  const len = msg.length;
  for (;;) {
    if (p >= len) return -1;
    const b = msg[p]!;
    if (b === 0) return p + 1;
    // A pointer ends the name in place; where it points does not matter for skipping.
    if ((b & 0xc0) === 0xc0) return p + 2 <= len ? p + 2 : -1;
    if (b > 63) return -1;
    p += b + 1;
  }
}

/**
 * The question name as a lookup key: lower-cased ASCII labels joined by '.', no trailing dot (the
 * zone's key spelling). Bytes a zone name cannot contain are written as \DDD so they never match.
 */
export function questionKey(msg: Buffer): string {
  let key = '';
  let p = HEADER;
  for (;;) {
    const labelLength = msg[p++] ?? 0;
    if (labelLength === 0) return key;
    if (key.length > 0) key += '.';
    for (const end = p + labelLength; p < end; p++) {
      let b = msg[p] ?? 0;
      if (b >= 0x41 && b <= 0x5a) b += 0x20;
      key += b > 0x20 && b < 0x7f && b !== 0x2e && b !== 0x5c ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
    }
  }
}
