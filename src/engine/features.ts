// Per-query work that only some runs ask for: TSIG signing and verification (-y) and counting
// answers per NSID identity (--nsid). A channel holds one of these or null, so a plain UDP run pays
// a single null check per query on the send path and one on the answer path, nothing more.
import { Verdict, TsigError, type TsigSigner } from '../tsig/tsig.js';
import type { Recorder } from './recorder.js';
import { findEdnsOption, newRecordScan, OPTION_NSID, scanRecords } from './wire.js';

/** The NSID key for answers that carry no NSID option. */
export const NO_NSID = '(none)';

export class ChannelFeatures {
  /** Request MAC per outstanding ID: the response's MAC covers it (RFC 8945 4.3.3). */
  private readonly macs = new Map<number, Buffer>();
  private readonly scan = newRecordScan();

  constructor(
    private readonly signer: TsigSigner | null,
    private readonly nsid: boolean,
    private readonly recorder: Recorder,
  ) {}

  /** The message to put on the wire for query `id` (signed with -y). */
  prepare(msg: Buffer, id: number): Buffer {
    const out = this.resign(msg, id);
    this.recorder.c.requestBytes += out.length - msg.length;
    return out;
  }

  /**
   * Sign without counting bytes: also for the copy --tcp-fallback sends under the TCP leg's own ID,
   * whose response is verified against this MAC, kept under the original slot's `id`.
   */
  resign(msg: Buffer, id: number): Buffer {
    if (this.signer === null) return msg;
    const signed = this.signer.sign(msg);
    this.macs.set(id, this.signer.lastMac);
    return signed;
  }

  /** False (and counted) when a response to `id` fails TSIG verification; counts its NSID. */
  accept(msg: Buffer, id: number): boolean {
    const signer = this.signer;
    if (signer !== null) {
      const mac = this.macs.get(id);
      const verdict = mac === undefined ? Verdict.unsigned : signer.verify(msg, mac);
      if (verdict !== Verdict.ok) {
        const c = this.recorder.c;
        c.tsigFailed++;
        if (verdict === Verdict.serverError) {
          if (signer.lastError === TsigError.badKey) c.tsigBadKey++;
          else if (signer.lastError === TsigError.badSig) c.tsigBadSig++;
          else if (signer.lastError === TsigError.badTime) c.tsigBadTime++;
        }
        return false;
      }
      this.macs.delete(id);
    }
    // A TC=1 answer is not the answer; its TCP retry (if any) is counted when it arrives.
    if (this.nsid && (msg[2]! & 0x02) === 0) this.countNsid(msg);
    return true;
  }

  private countNsid(msg: Buffer): void {
    const data = scanRecords(msg, this.scan) ? findEdnsOption(msg, this.scan, OPTION_NSID) : null;
    const key = data === null || data.length === 0 ? NO_NSID : nsidText(data);
    const m = this.recorder.nsid;
    m.set(key, (m.get(key) ?? 0) + 1);
  }
}

/** RFC 5001 2.3: the payload is opaque; show printable ASCII as text, anything else as hex. */
export function nsidText(data: Uint8Array): string {
  for (const b of data) if (b < 0x20 || b > 0x7e) return `0x${Buffer.from(data).toString('hex')}`;
  return Buffer.from(data).toString('latin1');
}
