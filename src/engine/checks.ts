// The answer checks: --expect (is this the answer the query should get?) and --rrset-order (in
// which order did the records come?). A channel holds one of these or null, so a run without
// either flag pays one null check per answer; with --expect, only answers to queries that have an
// expectation are parsed beyond the header. Counts go to the run's recorder (results/checks.ts).
import type { Recorder } from './recorder.js';
import { ChecksCollector } from '../results/checks.js';
import { rcodeName } from '../results/counters.js';
import type { Expectation } from '../queryset/expect-types.js';
import { rdataText, wireName } from '../queryset/rdata-text.js';
import { typeToMnemonic } from '../queryset/rrtypes.js';

/** What the workers are told to check (built by measure.ts from the config and the side table). */
export interface CheckSpec {
  /** --expect: Int32Array(query count) over shared memory, an index into `list` or -1; null when off. */
  expect: { index: SharedArrayBuffer; list: Expectation[] } | null;
  /** --rrset-order: tally the order of every answer with two or more records of the queried type. */
  rrsetOrder: boolean;
}

/** The pre-encoded queries, as channel.ts's QueryViews (declared here so the two need not import each other). */
export interface QueryWire {
  wire: Uint8Array;
  offsets: Uint32Array;
  questionLengths: Uint16Array;
}

const TYPE_ANY = 255;
/** Records of one answer looked at (a hostile answer may claim 65535). */
const MAX_RECORDS = 1000;

export class AnswerChecks {
  private readonly index: Int32Array | null;
  private readonly list: readonly Expectation[];
  private readonly rrsetOrder: boolean;

  constructor(
    spec: CheckSpec,
    private readonly q: QueryWire,
    /** The channel's current recorder (a session gives each run its own). */
    private readonly recorder: () => Recorder,
  ) {
    this.index = spec.expect === null ? null : new Int32Array(spec.expect.index);
    this.list = spec.expect?.list ?? [];
    this.rrsetOrder = spec.rrsetOrder;
  }

  private collector(): ChecksCollector {
    const rec = this.recorder();
    return (rec.checks ??= new ChecksCollector(this.index !== null, this.rrsetOrder));
  }

  /**
   * False when the answer (`len` bytes at `off` of `buf`, an answer to query `qi` whose question
   * the channel has already matched, or an error answer without a question; `rcode` its full
   * RCODE) is not what the query expects: the caller counts it wrongAnswer. With --rrset-order,
   * tallies the order of its records.
   */
  accept(buf: Uint8Array, off: number, len: number, qi: number, rcode: number = buf[off + 3]! & 0x0f): boolean {
    const e = this.index === null ? -1 : (this.index[qi] ?? -1);
    if (e < 0 && !this.rrsetOrder) return true;
    const msg = buf.subarray(off, off + len);
    const qtype = this.queryType(qi);
    // RFC 1035 lets an error answer carry no question (QDCOUNT 0): its records start at once.
    const qd = (msg[4]! << 8) | msg[5]!;
    const records = answerRecords(msg, qd === 0 ? 12 : 12 + this.q.questionLengths[qi]!, qtype);
    const c = this.collector();
    if (this.rrsetOrder && records !== null && records.length >= 2) c.order(this.queryName(qi), records);
    if (e < 0) return true;
    c.checked++;
    const want = this.list[e]!;
    let ok: boolean;
    if (rcode !== want.rcode) ok = false;
    // An error RCODE expected: the RCODE is the whole answer.
    else if (want.rcode !== 0) ok = true;
    // NOERROR alone: any records; NODATA: none of the queried type.
    else if (want.records.length === 0) ok = !want.nodata || (records !== null && records.length === 0);
    else ok = records !== null && sameSet(records, want.records);
    if (ok) return true;
    c.wrong(() => ({
      query: this.queryName(qi),
      got: rcode !== 0 ? rcodeName(rcode) : want.rcode !== 0 ? `NOERROR ${describeRecords(records)}` : describeRecords(records),
      expected: want.text,
    }));
    return false;
  }

  private queryType(qi: number): number {
    const at = this.q.offsets[qi]! + 12 + this.q.questionLengths[qi]! - 4;
    return (this.q.wire[at]! << 8) | this.q.wire[at + 1]!;
  }

  /** "name TYPE" of query qi (lower case). */
  private queryName(qi: number): string {
    const start = this.q.offsets[qi]! + 12;
    const name = wireName(this.q.wire, start, start + this.q.questionLengths[qi]!) ?? '?';
    return `${name} ${typeToMnemonic(this.queryType(qi))}`;
  }
}

function describeRecords(records: readonly string[] | null): string {
  if (records === null) return 'an answer section that does not parse';
  if (records.length === 0) return 'NODATA (no record of the type)';
  return [...records].sort().join(', ');
}

/** The sorted expectation equals these records as a set. */
function sameSet(records: readonly string[], sorted: readonly string[]): boolean {
  const got = [...new Set(records)].sort();
  if (got.length !== sorted.length) return false;
  for (let i = 0; i < got.length; i++) if (got[i] !== sorted[i]) return false;
  return true;
}

/**
 * The answer section's records of type `qtype` (every type for ANY), in order, as canonical
 * text; `at` is where the answer section starts. Null when the section does not parse. Records
 * of other types (a CNAME chain before the addresses) are skipped.
 */
export function answerRecords(msg: Uint8Array, at: number, qtype: number): string[] | null {
  if (msg.length < 12) return null;
  const an = Math.min((msg[6]! << 8) | msg[7]!, MAX_RECORDS);
  const out: string[] = [];
  let off = at;
  for (let i = 0; i < an; i++) {
    // owner name
    for (let labels = 0; ; labels++) {
      if (off >= msg.length || labels > 127) return null;
      const l = msg[off]!;
      if (l === 0) {
        off++;
        break;
      }
      if ((l & 0xc0) === 0xc0) {
        off += 2;
        break;
      }
      if ((l & 0xc0) !== 0) return null;
      off += l + 1;
    }
    if (off + 10 > msg.length) return null;
    const type = (msg[off]! << 8) | msg[off + 1]!;
    const rdLength = (msg[off + 8]! << 8) | msg[off + 9]!;
    off += 10;
    if (off + rdLength > msg.length) return null;
    if (type === qtype || qtype === TYPE_ANY) out.push(rdataText(msg, type, off, rdLength));
    off += rdLength;
  }
  return out;
}
