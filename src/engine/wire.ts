// Walking a response (RFC 1035 4.1) without decoding it. Every answer is walked once, section by
// section, before it may count as completed: names (compression pointers must point to an earlier
// name, so no loop or forward jump is possible), every record's fixed fields and RDLENGTH, the
// names inside the RDATA of RFC 1035's types, the OPT record (RFC 6891) and where a TSIG record
// sits (RFC 8945). The walk allocates nothing and every loop is bounded by the message length;
// a message that does not parse gives false, never a throw. What it finds (the OPT's extended
// RCODE and options, the last record for TSIG) is left in a RecordScan the caller reuses.
//
// Offsets in a RecordScan are relative to the start of the message, so a transport may hand over
// a message inside a larger buffer (TCP framing) without a copy.

/** What walkMessage found; one instance is reused per channel (no allocation per answer). */
export interface RecordScan {
  /** Offset of the first byte of the last resource record, or -1 when there is none. */
  lastStart: number;
  /** TYPE of the last resource record (0 when there is none). */
  lastType: number;
  /** Offset of the OPT RR's RDATA in the additional section, or -1 (RFC 6891 6.1.2). */
  optRdata: number;
  optRdLength: number;
  /** The OPT RR's EXTENDED-RCODE: the upper 8 bits of the 12-bit RCODE (RFC 6891 6.1.3); 0 without OPT. */
  extendedRcode: number;
}

export const TYPE_OPT = 41;
export const TYPE_TSIG = 250;
/** RFC 5001: the NSID option code (empty in a query). */
export const OPTION_NSID = 3;

/** RFC 1035 2.3.4: a name is at most 255 octets on the wire, length octets and root included. */
const MAX_NAME_OCTETS = 255;
/**
 * Labels plus compression hops one name may take. A name has at most 127 labels, and a pointer
 * made by a real compressor is followed by at least one label before the next pointer, so 255
 * steps is more than any real name needs; it bounds what a hostile pointer chain can cost.
 */
const MAX_NAME_STEPS = 255;

export function newRecordScan(): RecordScan {
  return { lastStart: -1, lastType: 0, optRdata: -1, optRdLength: 0, extendedRcode: 0 };
}

/**
 * Check the (possibly compressed) name at `off` of the message `len` bytes long at `base` of `b`.
 * Returns the offset just past the name where it sits (after its first pointer, if any), or -1
 * when it does not parse: a label past the end, a label type other than 0 and 3 (0x40/0x80 were
 * extended labels, RFC 6891 5 retired them), a name over 255 octets, a walk of more than 255
 * labels and pointers, or a pointer that does not point strictly before the labels being read.
 * That last rule (RFC 1035 4.1.4: a pointer refers to a *prior* occurrence) is what makes loops
 * impossible: any pointer into the labels already read leads back to itself. Offsets are
 * relative to `base`.
 */
export function walkName(b: Uint8Array, base: number, len: number, off: number): number {
  memoCount = 0;
  return walkNameIn(b, base, len, off, false);
}

// Names already walked in the message being walked: start offset -> octets (root included) and
// walk steps of the name from there. Most compression pointers aim at a few names (the question,
// an owner name), so a pointer to one already checked ends the walk at once: the checks are the
// same, only not repeated. Module-level and reset per message: a worker walks one at a time.
const MEMO = 16;
const memoAt = new Int32Array(MEMO);
const memoOctets = new Int32Array(MEMO);
const memoSteps = new Int32Array(MEMO);
let memoCount = 0;

function remember(at: number, octets: number, steps: number): void {
  if (memoCount === MEMO) return;
  for (let k = 0; k < memoCount; k++) if (memoAt[k] === at) return;
  memoAt[memoCount] = at;
  memoOctets[memoCount] = octets;
  memoSteps[memoCount] = steps;
  memoCount++;
}

function walkNameIn(b: Uint8Array, base: number, len: number, off: number, memo: boolean): number {
  let end = -1;
  // Start of the run of labels being read: the next pointer must go strictly before it.
  let segStart = off;
  let octets = 1; // the root label
  let steps = 0;
  let p = off;
  // The first pointer's target, and the octets and steps before it (to remember the suffix).
  let jumpTo = -1;
  let jumpOctets = 0;
  let jumpSteps = 0;
  for (;;) {
    if (++steps > MAX_NAME_STEPS || p >= len) return -1;
    const l = b[base + p]!;
    if (l === 0) {
      if (memo) {
        if (b[base + off]! !== 0 && b[base + off]! < 0x40) remember(off, octets, steps);
        if (jumpTo >= 0) remember(jumpTo, octets - jumpOctets + 1, steps - jumpSteps);
      }
      return end < 0 ? p + 1 : end;
    }
    if (l < 0x40) {
      octets += l + 1;
      if (octets > MAX_NAME_OCTETS) return -1;
      p += l + 1;
      continue;
    }
    if (l < 0xc0 || p + 1 >= len) return -1;
    const target = ((l & 0x3f) << 8) | b[base + p + 1]!;
    if (end < 0) end = p + 2;
    // A pointer into the header (< 12) is never a name.
    if (target >= segStart || target < 12) return -1;
    if (memo) {
      for (let k = 0; k < memoCount; k++) {
        if (memoAt[k] !== target) continue;
        const total = octets - 1 + memoOctets[k]!;
        const allSteps = steps + memoSteps[k]!;
        if (total > MAX_NAME_OCTETS || allSteps > MAX_NAME_STEPS) return -1;
        if (b[base + off]! !== 0 && b[base + off]! < 0x40) remember(off, total, allSteps);
        return end;
      }
      if (jumpTo < 0) {
        jumpTo = target;
        jumpOctets = octets;
        jumpSteps = steps;
      }
    }
    segStart = target;
    p = target;
  }
}

/**
 * Offset just past the (possibly compressed) name at `off` of `msg`, or -1. Only skips: it does
 * not follow pointers, so use it on a message walkMessage has accepted.
 */
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
 * RDATA of the types whose layout RFC 1035 (and RFC 2782, 6672, 3596) fixes: the names in it must
 * parse and, with the fixed fields, fill RDLENGTH exactly. Other types are opaque bytes (RFC 3597).
 * A and AAAA are only sized in class IN (class CH's A holds a name).
 */
function rdataOk(b: Uint8Array, base: number, len: number, type: number, cls: number, off: number, end: number): boolean {
  switch (type) {
    case 1: // A
      return cls !== 1 || end - off === 4;
    case 28: // AAAA (RFC 3596)
      return cls !== 1 || end - off === 16;
    case 2: case 3: case 4: case 5: case 7: case 8: case 9: case 12: case 39: // NS MD MF CNAME MB MG MR PTR DNAME
      return walkNameIn(b, base, len, off, true) === end;
    case 6: { // SOA: MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM
      const p = walkNameIn(b, base, len, off, true);
      if (p < 0 || p > end) return false;
      const q = walkNameIn(b, base, len, p, true);
      return q >= 0 && q + 20 === end;
    }
    case 14: case 17: { // MINFO, RP: two names
      const p = walkNameIn(b, base, len, off, true);
      return p >= 0 && p <= end && walkNameIn(b, base, len, p, true) === end;
    }
    case 15: case 18: case 21: case 36: // MX AFSDB RT KX: 16-bit preference + name
      return off + 2 <= end && walkNameIn(b, base, len, off + 2, true) === end;
    case 33: // SRV (RFC 2782): priority, weight, port + target
      return off + 6 <= end && walkNameIn(b, base, len, off + 6, true) === end;
    case 16: case 99: { // TXT, SPF: one or more character-strings filling RDATA
      if (off === end) return false;
      let p = off;
      while (p < end) p += b[base + p]! + 1;
      return p === end;
    }
    default:
      return true;
  }
}

/**
 * Walk a whole message of `len` bytes at `base` of `b`: header counts, the question section, then
 * every answer, authority and additional record, and nothing after the last one (a count that
 * lies either way fails). Also rejects what RFC 6891 and RFC 8945 forbid in a response: an OPT
 * RR outside the additional section, not owned by the root, twice, or whose options do not fill
 * its RDATA exactly (6.1.1, 6.1.2); a TSIG RR that is not the last record of the additional
 * section (RFC 8945 5.1). Fills `out` (offsets relative to `base`). Costs a few dozen array reads
 * for a typical answer; see docs/performance.md "Validation cost".
 */
export function walkMessage(b: Uint8Array, base: number, len: number, out: RecordScan): boolean {
  out.lastStart = -1;
  out.lastType = 0;
  out.optRdata = -1;
  out.optRdLength = 0;
  out.extendedRcode = 0;
  memoCount = 0;
  if (len < 12 || base + len > b.length) return false;
  const qd = (b[base + 4]! << 8) | b[base + 5]!;
  const an = (b[base + 6]! << 8) | b[base + 7]!;
  const ns = (b[base + 8]! << 8) | b[base + 9]!;
  const ar = (b[base + 10]! << 8) | b[base + 11]!;
  let off = 12;
  for (let i = 0; i < qd; i++) {
    off = walkNameIn(b, base, len, off, true);
    if (off < 0 || off + 4 > len) return false;
    off += 4;
  }
  const additionalFrom = an + ns;
  const records = additionalFrom + ar;
  for (let i = 0; i < records; i++) {
    const start = off;
    off = walkNameIn(b, base, len, off, true);
    if (off < 0 || off + 10 > len) return false;
    const at = base + off;
    const type = (b[at]! << 8) | b[at + 1]!;
    const cls = (b[at + 2]! << 8) | b[at + 3]!;
    const rdLength = (b[at + 8]! << 8) | b[at + 9]!;
    const rdata = off + 10;
    const end = rdata + rdLength;
    if (end > len) return false;
    if (type === TYPE_OPT) {
      if (i < additionalFrom || out.optRdata >= 0 || b[base + start] !== 0) return false;
      let p = rdata;
      while (p + 4 <= end) p += 4 + ((b[base + p + 2]! << 8) | b[base + p + 3]!);
      if (p !== end) return false;
      out.optRdata = rdata;
      out.optRdLength = rdLength;
      out.extendedRcode = b[at + 4]!;
    } else if (type === TYPE_TSIG) {
      if (i !== records - 1 || i < additionalFrom) return false;
    } else if (!rdataOk(b, base, len, type, cls, rdata, end)) {
      return false;
    }
    out.lastStart = start;
    out.lastType = type;
    off = end;
  }
  return off === len;
}

/** walkMessage over all of `msg`. */
export function scanRecords(msg: Uint8Array, out: RecordScan): boolean {
  return walkMessage(msg, 0, msg.length, out);
}

/** The data of EDNS option `code` inside the OPT RDATA walkMessage found in `msg`, or null. */
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
