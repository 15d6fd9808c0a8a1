// Per-query work that only some runs ask for: TSIG signing and verification (-y) and counting
// answers per NSID identity (--nsid). A channel holds one of these or null, so a plain UDP run pays
// a single null check per query on the send path and one on the answer path, nothing more.
import { Verdict, TsigError, type TsigSigner } from '../tsig/tsig.js';
import type { Recorder } from './recorder.js';
import { OTHER_KEY } from '../results/tally.js';
import { findEdnsOption, OPTION_NSID, type RecordScan } from './wire.js';

/** The NSID key for answers that carry no NSID option. */
export const NO_NSID = '(none)';

export class ChannelFeatures {
  /** Request MAC per outstanding ID: the response's MAC covers it (RFC 8945 4.3.3). */
  private readonly macs = new Map<number, Buffer>();

  constructor(
    private readonly signer: TsigSigner | null,
    private readonly nsid: boolean,
    /** The channel's current recorder (a session gives each run its own). */
    private readonly recorder: () => Recorder,
  ) {}

  /** The message to put on the wire for query `id` (signed with -y). */
  prepare(msg: Buffer, id: number): Buffer {
    return this.resign(msg, id);
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

  /** The server identity of the last accepted answer (--nsid), or null. */
  lastNsid: string | null = null;

  /**
   * False (and counted at clock `now`) when a response to `id` fails TSIG verification. With
   * --nsid, sets lastNsid to the answer's identity (NO_NSID when it carries none). `scan` is what
   * the channel's walk of `msg` found (engine/wire.ts walkMessage).
   */
  accept(msg: Buffer, scan: RecordScan, id: number, now: number): boolean {
    const signer = this.signer;
    if (signer !== null) {
      const mac = this.macs.get(id);
      const verdict = mac === undefined ? Verdict.unsigned : signer.verify(msg, mac);
      if (verdict !== Verdict.ok) {
        const rec = this.recorder();
        rec.event('tsigFailed', now);
        if (verdict === Verdict.serverError) {
          if (signer.lastError === TsigError.badKey) rec.event('tsigBadKey', now);
          else if (signer.lastError === TsigError.badSig) rec.event('tsigBadSig', now);
          else if (signer.lastError === TsigError.badTime) rec.event('tsigBadTime', now);
        }
        return false;
      }
      this.macs.delete(id);
    }
    this.lastNsid = this.nsid ? nsidOf(msg, scan) : null;
    return true;
  }
}

function nsidOf(msg: Buffer, scan: RecordScan): string {
  const data = findEdnsOption(msg, scan, OPTION_NSID);
  return data === null || data.length === 0 ? NO_NSID : nsidText(data);
}

/** Longest NSID shown in full; a server controls it (up to 65535 bytes), so longer ones are cut. */
const MAX_NSID_BYTES = 64;

/**
 * RFC 5001 2.3: the payload is opaque; show printable ASCII as text, anything else as hex. Cut
 * to MAX_NSID_BYTES with a "..." marker, so a hostile server cannot make report keys huge. A
 * payload that reads like one of our own keys ("(none)", "(other)") is shown as hex, so a server
 * cannot pass itself off as "no NSID" or as the capped rest.
 */
export function nsidText(data: Uint8Array): string {
  const cut = data.length > MAX_NSID_BYTES;
  const shown = cut ? data.subarray(0, MAX_NSID_BYTES) : data;
  const more = cut ? '...' : '';
  const hex = (): string => `0x${Buffer.from(shown).toString('hex')}${more}`;
  for (const b of shown) if (b < 0x20 || b > 0x7e) return hex();
  const text = Buffer.from(shown).toString('latin1') + more;
  return text === NO_NSID || text === OTHER_KEY ? hex() : text;
}
