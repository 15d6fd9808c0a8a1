// TSIG (RFC 8945): sign each query at send time with its own time signed, and verify the
// response's MAC, which covers the request's MAC (4.3.1 and 4.3.3). Only built when -y is given,
// so a plain run never reaches this code.
import type * as Crypto from 'node:crypto';
import { lazyRequire } from '../util/lazy-require.js';
import { keyNameWire, TSIG_ALGORITHMS, type TsigKey } from './key.js';
import { nameEquals, newRecordScan, scanRecords, skipName, TYPE_TSIG } from '../engine/wire.js';

// node:crypto is ~17 of Node's own modules to compile; an engine thread of a run without -y never
// needs it (docs/performance.md "Startup").
const crypto = lazyRequire<typeof Crypto>('node:crypto');

/** RFC 8945 section 5.2: 300 seconds is the recommended fudge. */
export const FUDGE = 300;
const CLASS_ANY = 255;

/** TSIG RR error codes (RFC 8945 section 3; RCODE registry). */
export const TsigError = { badSig: 16, badKey: 17, badTime: 18, badTrunc: 22 } as const;

/** What verify() found. */
export const Verdict = {
  ok: 0,
  /** No TSIG RR in the response to a signed query (RFC 8945 5.3.1: not acceptable). */
  unsigned: 1,
  /** Wrong key name or algorithm, or a TSIG RR that does not parse. */
  malformed: 2,
  /** The MAC does not match. */
  badMac: 3,
  /** Our clock and the server's differ by more than the fudge. */
  badTime: 4,
  /** The server reported BADSIG, BADKEY, BADTIME or another TSIG error; see lastError. */
  serverError: 5,
} as const;
export type VerdictValue = (typeof Verdict)[keyof typeof Verdict];

export class TsigSigner {
  private readonly secret: Buffer;
  private readonly digest: string;
  readonly macLength: number;
  private readonly nameWire: Buffer;
  private readonly algWire: Buffer;
  /** The TSIG RR of a query, with time, MAC and original ID filled in per query. */
  private readonly rr: Buffer;
  private readonly rrTimeAt: number;
  private readonly rrMacAt: number;
  /** The digest's "TSIG variables" (4.3.3) of a query: name, class, TTL, algorithm, time, fudge, error 0, no other data. */
  private readonly vars: Buffer;
  private readonly varsTimeAt: number;
  private readonly scan = newRecordScan();
  private readonly u16 = Buffer.alloc(2);
  /** TSIG error code of the last serverError verdict. */
  lastError = 0;
  /** MAC of the last signed query. */
  lastMac: Buffer = Buffer.alloc(0);

  constructor(key: TsigKey, private readonly now: () => number = () => Math.floor(Date.now() / 1000)) {
    const alg = TSIG_ALGORITHMS[key.algorithm];
    this.secret = Buffer.from(key.secret, 'base64');
    this.digest = alg.digest;
    this.macLength = crypto().createHmac(alg.digest, this.secret).digest().length;
    this.nameWire = keyNameWire(key.name)!;
    this.algWire = keyNameWire(alg.wireName)!;

    const n = this.nameWire.length;
    const a = this.algWire.length;
    // Variables: NAME, CLASS(2), TTL(4), ALGORITHM, TIME(6), FUDGE(2), ERROR(2), OTHER LEN(2).
    this.vars = Buffer.alloc(n + 6 + a + 12);
    this.nameWire.copy(this.vars, 0);
    this.vars.writeUInt16BE(CLASS_ANY, n);
    this.algWire.copy(this.vars, n + 6);
    this.varsTimeAt = n + 6 + a;
    this.vars.writeUInt16BE(FUDGE, this.varsTimeAt + 6);

    // RR: NAME, TYPE, CLASS, TTL, RDLENGTH, then RDATA: ALGORITHM, TIME(6), FUDGE(2), MAC SIZE(2),
    // MAC, ORIGINAL ID(2), ERROR(2), OTHER LEN(2).
    const rdLength = a + 10 + this.macLength + 6;
    this.rr = Buffer.alloc(n + 10 + rdLength);
    this.nameWire.copy(this.rr, 0);
    this.rr.writeUInt16BE(TYPE_TSIG, n);
    this.rr.writeUInt16BE(CLASS_ANY, n + 2);
    this.rr.writeUInt16BE(rdLength, n + 8);
    this.algWire.copy(this.rr, n + 10);
    this.rrTimeAt = n + 10 + a;
    this.rr.writeUInt16BE(FUDGE, this.rrTimeAt + 6);
    this.rr.writeUInt16BE(this.macLength, this.rrTimeAt + 8);
    this.rrMacAt = this.rrTimeAt + 10;
  }

  /**
   * The signed copy of `msg` (ID already set): the TSIG RR appended and ARCOUNT + 1. The MAC is
   * left in `lastMac`; the caller keeps it to verify the response.
   */
  sign(msg: Buffer): Buffer {
    const time = this.now();
    writeTime(this.vars, this.varsTimeAt, time);
    const h = crypto().createHmac(this.digest, this.secret);
    h.update(msg);
    h.update(this.vars);
    const mac = h.digest();
    this.lastMac = mac;

    const out = Buffer.allocUnsafe(msg.length + this.rr.length);
    msg.copy(out, 0);
    const at = msg.length;
    this.rr.copy(out, at);
    writeTime(out, at + this.rrTimeAt, time);
    mac.copy(out, at + this.rrMacAt);
    out[at + this.rrMacAt + this.macLength] = msg[0]!;
    out[at + this.rrMacAt + this.macLength + 1] = msg[1]!;
    const arcount = ((msg[10]! << 8) | msg[11]!) + 1;
    out[10] = arcount >>> 8;
    out[11] = arcount & 0xff;
    return out;
  }

  /**
   * Verify a response against the MAC of the request it answers (RFC 8945 5.3). Strict about the
   * TSIG RR itself (4.2, 5.1): it must be the last record of the additional section with nothing
   * after it (the whole message must walk: engine/wire.ts), CLASS ANY and TTL 0; and the MAC is
   * computed over the bytes received (the CLASS, TTL, time, fudge, error and other data as sent),
   * so a changed field can never verify.
   */
  verify(msg: Buffer, requestMac: Uint8Array): VerdictValue {
    const scan = this.scan;
    if (!scanRecords(msg, scan)) return Verdict.malformed;
    const arcount = (msg[10]! << 8) | msg[11]!;
    if (arcount === 0 || scan.lastType !== TYPE_TSIG) return Verdict.unsigned;
    const start = scan.lastStart;
    if (!nameEquals(msg, start, this.nameWire)) return Verdict.malformed;
    const fixed = skipName(msg, start); // TYPE, CLASS, TTL, RDLENGTH (the walk checked the bounds)
    const classAt = fixed + 2;
    const cls = (msg[classAt]! << 8) | msg[classAt + 1]!;
    const ttl = msg[classAt + 2]! | msg[classAt + 3]! | msg[classAt + 4]! | msg[classAt + 5]!;
    if (cls !== CLASS_ANY || ttl !== 0) return Verdict.malformed;
    let off = fixed + 10;
    const rdEnd = off + ((msg[off - 2]! << 8) | msg[off - 1]!);
    if (rdEnd !== msg.length) return Verdict.malformed;
    const algAt = off;
    if (!nameEquals(msg, algAt, this.algWire)) return Verdict.malformed;
    off = skipName(msg, algAt);
    if (off < 0 || off + 10 > rdEnd) return Verdict.malformed;
    const timeAt = off;
    const macSize = (msg[off + 8]! << 8) | msg[off + 9]!;
    const macAt = off + 10;
    off = macAt + macSize;
    if (off + 6 > rdEnd) return Verdict.malformed;
    const originalId = (msg[off]! << 8) | msg[off + 1]!;
    const error = (msg[off + 2]! << 8) | msg[off + 3]!;
    const otherLength = (msg[off + 4]! << 8) | msg[off + 5]!;
    if (off + 6 + otherLength !== rdEnd) return Verdict.malformed;
    if (error !== 0) {
      // BADKEY and BADSIG answers are unsigned (MAC size 0); BADTIME ones are signed, but the
      // query failed either way (RFC 8945 5.3.2).
      this.lastError = error;
      return Verdict.serverError;
    }
    // RFC 8945 5.2.2.1: a truncated MAC must keep at least half the bytes, and no fewer than 10.
    if (macSize > this.macLength || macSize < Math.max(10, this.macLength >>> 1)) return Verdict.badMac;

    const h = crypto().createHmac(this.digest, this.secret);
    this.u16.writeUInt16BE(requestMac.length, 0);
    h.update(this.u16);
    h.update(requestMac);
    // The message as it was before the TSIG RR was added: original ID, ARCOUNT - 1 (4.3.3).
    const header = Buffer.from(msg.subarray(0, 12));
    header.writeUInt16BE(originalId, 0);
    header.writeUInt16BE(arcount - 1, 10);
    h.update(header);
    h.update(msg.subarray(12, start));
    // TSIG variables (4.3.3): the key and algorithm names in canonical form (lower case,
    // uncompressed: equal to the received ones, nameEquals checked), the rest as received.
    h.update(this.nameWire);
    h.update(msg.subarray(classAt, classAt + 6)); // CLASS and TTL
    h.update(this.algWire);
    h.update(msg.subarray(timeAt, timeAt + 8)); // time signed and fudge, as the server sent them
    h.update(msg.subarray(off + 2, rdEnd)); // error, other len, other data
    const expected = h.digest();
    if (!crypto().timingSafeEqual(expected.subarray(0, macSize), msg.subarray(macAt, macAt + macSize))) return Verdict.badMac;

    const signed = readTime(msg, timeAt);
    const fudge = (msg[timeAt + 6]! << 8) | msg[timeAt + 7]!;
    if (Math.abs(this.now() - signed) > fudge) return Verdict.badTime;
    return Verdict.ok;
  }
}

/** 48-bit seconds since the epoch, big-endian (RFC 8945 4.2). */
function writeTime(buf: Buffer, at: number, seconds: number): void {
  const high = Math.floor(seconds / 0x1_0000_0000);
  buf.writeUInt16BE(high, at);
  buf.writeUInt32BE(seconds - high * 0x1_0000_0000, at + 2);
}

function readTime(buf: Uint8Array, at: number): number {
  const high = (buf[at]! << 8) | buf[at + 1]!;
  const low = ((buf[at + 2]! << 24) | (buf[at + 3]! << 16) | (buf[at + 4]! << 8) | buf[at + 5]!) >>> 0;
  return high * 0x1_0000_0000 + low;
}
