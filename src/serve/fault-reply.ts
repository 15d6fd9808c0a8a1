// One query's reply under the fault plan, shared by the UDP and the TCP listener so every knob
// means the same on both transports (README "The built-in responder"). Pure apart from the
// plan's seeded generator and the counters it adds to.
import { Buffer } from 'node:buffer';
import { AA, RCODE, TC, buildBare } from './answer.js';
import { FaultAction, type FaultActionValue, type FaultPlan } from './faults.js';
import type { ParsedQuery } from './query.js';

/** Where each query went; every query lands in exactly one of these. */
export interface FaultCounters {
  /** A proper reply (any RCODE, including REFUSED and NOTIMP). */
  answered: number;
  /** No reply: the drop fault. */
  dropped: number;
  truncated: number;
  garbage: number;
  wrongId: number;
  servfail: number;
}

export const zeroFaultCounters = (): FaultCounters => ({ answered: 0, dropped: 0, truncated: 0, garbage: 0, wrongId: 0, servfail: 0 });

/** Copies the query's ID, RD and CD into a response (RFC 1035 4.1.1; RFC 4035 3.1.6 for CD). */
export function patchHeader(reply: Buffer, msg: Buffer): Buffer {
  reply[0] = msg[0]!;
  reply[1] = msg[1]!;
  reply[2] = (reply[2]! & 0xfe) | (msg[2]! & 0x01);
  reply[3] = (reply[3]! & 0xef) | (msg[3]! & 0x10);
  return reply;
}

/**
 * The reply to `msg` (parsed as `q`) when `action` was drawn, or null for no reply. `answer`
 * builds the proper (unpatched) answer; it is called only when one is needed. Counts into `stats`.
 */
export function faultyReply(action: FaultActionValue, msg: Buffer, q: ParsedQuery, plan: FaultPlan, answer: () => Buffer, stats: FaultCounters): Buffer | null {
  switch (action) {
    case FaultAction.drop:
      stats.dropped++;
      return null;
    case FaultAction.servfail:
      stats.servfail++;
      return patchHeader(buildBare(msg, q, 0, RCODE.servFail), msg);
    case FaultAction.truncate:
      stats.truncated++;
      return patchHeader(buildBare(msg, q, AA | TC, RCODE.noError), msg);
    case FaultAction.garbage:
      stats.garbage++;
      return garbage(msg, plan);
    default: {
      const reply = patchHeader(answer(), msg);
      if (action === FaultAction.wrongId) {
        stats.wrongId++;
        // Any ID but the query's: add 1..65535 modulo 2^16.
        reply.writeUInt16BE((reply.readUInt16BE(0) + 1 + (plan.next() % 0xffff)) & 0xffff, 0);
      } else {
        stats.answered++;
      }
      return reply;
    }
  }
}

/**
 * Random bytes that can never decode as a DNS message: QDCOUNT is forced to 65535, more questions
 * than fit. The query's ID is kept so the client's ID table accepts it and its parser must reject it.
 */
function garbage(msg: Buffer, plan: FaultPlan): Buffer {
  const length = 12 + (plan.next() % 100);
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i += 4) {
    const r = plan.next();
    for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (r >>> (j * 8)) & 0xff;
  }
  out[0] = msg[0]!;
  out[1] = msg[1]!;
  out[2] = out[2]! | 0x80;
  out[4] = 0xff;
  out[5] = 0xff;
  return out;
}
