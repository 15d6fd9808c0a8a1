// Walking a response's sections (RFC 1035 4.1) without decoding it: only TSIG verification and
// NSID counting need to look past the question, and only when those features are on. Every read
// is bounds-checked; a message that does not parse gives -1, never a throw.

/** Where the records of interest start; filled by scanRecords (one instance reused per channel). */
export interface RecordScan {
  /** Offset of the first byte of the last resource record, or -1. */
  lastStart: number;
  /** TYPE of the last resource record. */
  lastType: number;
  /** Offset of the OPT RR's RDATA in the additional section, or -1 (RFC 6891 6.1.2). */
  optRdata: number;
  optRdLength: number;
}

export const TYPE_OPT = 41;
export const TYPE_TSIG = 250;
/** RFC 5001: the NSID option code (empty in a query). */
export const OPTION_NSID = 3;

export function newRecordScan(): RecordScan {
  return { lastStart: -1, lastType: 0, optRdata: -1, optRdLength: 0 };
}

/** Offset just past the (possibly compressed) name at `off`, or -1. */
export function skipName(msg: Uint8Array, off: number): number {
  // A name has at most 127 labels; the bound also stops a label loop in garbage.
  for (let labels = 0; labels < 128 && off < msg.length; labels++) {
    const len = msg[off]!;
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2 <= msg.length ? off + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    off += len + 1;
  }
  return -1;
}

/**
 * True when the name at `off` (compression pointers followed, at most 16 hops) equals `wire`, an
 * uncompressed lower-case wire name, ASCII case-insensitively (RFC 4343).
 */
export function nameEquals(msg: Uint8Array, off: number, wire: Uint8Array): boolean {
  let w = 0;
  for (let hops = 0; hops <= 16; ) {
    if (off >= msg.length) return false;
    const len = msg[off]!;
    if ((len & 0xc0) === 0xc0) {
      if (off + 1 >= msg.length) return false;
      off = ((len & 0x3f) << 8) | msg[off + 1]!;
      hops++;
      continue;
    }
    if ((len & 0xc0) !== 0 || wire[w] !== len || off + len >= msg.length) return false;
    if (len === 0) return w === wire.length - 1;
    for (let i = 1; i <= len; i++) {
      let c = msg[off + i]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (c !== wire[w + i]) return false;
    }
    w += len + 1;
    off += len + 1;
  }
  return false;
}

/**
 * Walk question, answer, authority and additional sections once, recording the last record (a
 * TSIG RR must be last, RFC 8945 5.1) and the OPT RR. Returns false when the message does not parse.
 */
export function scanRecords(msg: Uint8Array, out: RecordScan): boolean {
  out.lastStart = -1;
  out.lastType = 0;
  out.optRdata = -1;
  out.optRdLength = 0;
  if (msg.length < 12) return false;
  const qd = (msg[4]! << 8) | msg[5]!;
  const an = (msg[6]! << 8) | msg[7]!;
  const ns = (msg[8]! << 8) | msg[9]!;
  const ar = (msg[10]! << 8) | msg[11]!;
  let off = 12;
  for (let i = 0; i < qd; i++) {
    off = skipName(msg, off);
    if (off < 0 || off + 4 > msg.length) return false;
    off += 4;
  }
  const records = an + ns + ar;
  for (let i = 0; i < records; i++) {
    const start = off;
    off = skipName(msg, off);
    if (off < 0 || off + 10 > msg.length) return false;
    const type = (msg[off]! << 8) | msg[off + 1]!;
    const rdLength = (msg[off + 8]! << 8) | msg[off + 9]!;
    off += 10;
    if (off + rdLength > msg.length) return false;
    if (type === TYPE_OPT && i >= an + ns) {
      out.optRdata = off;
      out.optRdLength = rdLength;
    }
    out.lastStart = start;
    out.lastType = type;
    off += rdLength;
  }
  return true;
}

/** The data of EDNS option `code` inside the OPT RDATA found by scanRecords, or null. */
export function findEdnsOption(msg: Uint8Array, scan: RecordScan, code: number): Uint8Array | null {
  if (scan.optRdata < 0) return null;
  let off = scan.optRdata;
  const end = off + scan.optRdLength;
  while (off + 4 <= end) {
    const c = (msg[off]! << 8) | msg[off + 1]!;
    const len = (msg[off + 2]! << 8) | msg[off + 3]!;
    if (off + 4 + len > end) return null;
    if (c === code) return msg.subarray(off + 4, off + 4 + len);
    off += 4 + len;
  }
  return null;
}
