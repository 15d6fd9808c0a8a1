// DNS query messages in wire format (RFC 1035 section 4.1), written by hand: every message of a run
// shares the same 12-byte header and the same OPT RR, so QueryEncoder builds those once and each
// query costs three copies. The ID is left 0; the engine patches it per send.

import { UsageError } from '../errors.js';
import type { EdnsOptions, EncodeOptions, QuerySpec } from './types.js';

export const HEADER_LENGTH = 12;
const CLASS_IN = 1;
const TYPE_OPT = 41;
/** RFC 1035 section 4.1.1: RD is bit 0 of the third header octet (opcode 0 = QUERY stays 0). */
const FLAG_RD = 0x01;
/** RFC 3225 section 3: DO is the top bit of the OPT TTL's 16-bit flags field. */
const FLAG_DO = 0x8000;

/** Bytes of the question section for a QNAME of this wire length: QNAME + QTYPE + QCLASS. */
export function questionLength(qnameLength: number): number {
  return qnameLength + 4;
}

/** The OPT pseudo-RR (RFC 6891 section 6.1.2), or an empty array without EDNS. */
function encodeOpt(edns: EdnsOptions | null): Uint8Array {
  if (edns === null) return new Uint8Array(0);
  checkUint16(edns.udpSize, 'EDNS UDP payload size');
  let rdLength = 0;
  for (const option of edns.options) {
    checkUint16(option.code, 'EDNS option code');
    checkUint16(option.data.length, `EDNS option ${option.code} length`);
    rdLength += 4 + option.data.length;
  }
  checkUint16(rdLength, 'total length of EDNS options');
  const opt = new Uint8Array(11 + rdLength);
  const view = new DataView(opt.buffer);
  // opt[0] = 0: the owner is the root name.
  view.setUint16(1, TYPE_OPT);
  view.setUint16(3, edns.udpSize); // CLASS carries the requestor's UDP payload size.
  // TTL: extended RCODE 0, version 0 (section 6.1.3), then the flags.
  view.setUint16(7, edns.dnssecOk ? FLAG_DO : 0);
  view.setUint16(9, rdLength);
  let at = 11;
  for (const option of edns.options) {
    view.setUint16(at, option.code);
    view.setUint16(at + 2, option.data.length);
    opt.set(option.data, at + 4);
    at += 4 + option.data.length;
  }
  return opt;
}

function checkUint16(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new UsageError(`${what} must be an integer from 0 to 65535, not ${value}`);
  }
}

/** UDP payload size of the OPT a query gets only for its own ECS option (dnsperf's -e value). */
const ECS_ONLY_UDP_SIZE = 4096;

/** Writes queries that all share one set of EncodeOptions. */
export class QueryEncoder {
  private readonly header = new Uint8Array(HEADER_LENGTH);
  private readonly opt: Uint8Array;
  /** The OPT a query with its own ECS option extends: the run's, or a bare one without -e. */
  private readonly ecsOpt: Uint8Array;

  constructor(opts: EncodeOptions) {
    this.opt = encodeOpt(opts.edns);
    this.ecsOpt = opts.edns !== null ? this.opt : encodeOpt({ udpSize: ECS_ONLY_UDP_SIZE, dnssecOk: false, options: [] });
    this.header[2] = opts.recursionDesired ? FLAG_RD : 0;
    this.header[5] = 1; // QDCOUNT
    this.header[11] = opts.edns === null ? 0 : 1; // ARCOUNT: the OPT RR
  }

  /** Length of the whole message for a QNAME of this wire length (and ECS option, if any). */
  messageLength(qnameLength: number, ecs: Uint8Array | null = null): number {
    const opt = ecs === null ? this.opt.length : this.ecsOpt.length + ecs.length;
    return HEADER_LENGTH + questionLength(qnameLength) + opt;
  }

  /**
   * Writes the message for qname[0..qnameLength) / qtype at dst[at..]; returns the offset after it.
   * dst must have messageLength(qnameLength) bytes free at `at`.
   */
  write(dst: Uint8Array, at: number, qname: Uint8Array, qnameLength: number, qtype: number, ecs: Uint8Array | null = null): number {
    // Byte loops, not TypedArray.set: for runs this short, set()'s per-call cost (and a subarray()
    // to bound the name) dominated the load of a 2M-line file.
    const header = this.header;
    const start = at;
    for (let k = 0; k < HEADER_LENGTH; k++) dst[at++] = header[k] ?? 0;
    for (let k = 0; k < qnameLength; k++) dst[at++] = qname[k] ?? 0;
    dst[at++] = qtype >>> 8;
    dst[at++] = qtype & 0xff;
    dst[at++] = 0;
    dst[at++] = CLASS_IN;
    if (ecs !== null) return this.writeWithEcs(dst, start, at, ecs);
    const opt = this.opt;
    for (let k = 0; k < opt.length; k++) dst[at++] = opt[k] ?? 0;
    return at;
  }

  /** The OPT RR with the query's ECS option appended (it is the last RR, so the option goes last). */
  private writeWithEcs(dst: Uint8Array, start: number, at: number, ecs: Uint8Array): number {
    dst[start + 11] = 1; // ARCOUNT: the OPT RR, even when the run has no -e
    const opt = this.ecsOpt;
    const optAt = at;
    for (let k = 0; k < opt.length; k++) dst[at++] = opt[k] ?? 0;
    for (let k = 0; k < ecs.length; k++) dst[at++] = ecs[k] ?? 0;
    const rdLength = ((dst[optAt + 9]! << 8) | dst[optAt + 10]!) + ecs.length;
    checkUint16(rdLength, 'total length of EDNS options');
    dst[optAt + 9] = rdLength >>> 8;
    dst[optAt + 10] = rdLength & 0xff;
    return at;
  }
}

/** The wire message for one query, with ID 0. */
export function encodeQuery(spec: QuerySpec, opts: EncodeOptions, ecs: Uint8Array | null = null): Uint8Array {
  const encoder = new QueryEncoder(opts);
  const message = new Uint8Array(encoder.messageLength(spec.qname.length, ecs));
  encoder.write(message, 0, spec.qname, spec.qname.length, spec.qtype, ecs);
  return message;
}
