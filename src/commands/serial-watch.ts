// --watch-serial ZONE: while the load runs, one SOA query for ZONE to each target every interval,
// from the main thread on sockets of its own, so none of it is in the load's counters. With -y
// the queries are signed (a view chosen by key is watched) and the answers verified; with -a they
// come from the first local address (a view chosen by address). The report lists when each
// target first served each serial and how far behind the first one it was.
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import type { TargetSpec } from '../config.js';
import { skipName } from '../engine/wire.js';
import { rcodeName } from '../results/counters.js';
import type { SerialSeen, SerialWatchSection } from '../results/ops.js';
import { tallyAdd } from '../results/tally.js';
import type { TsigKey } from '../tsig/key.js';
import { TsigSigner, Verdict } from '../tsig/tsig.js';

const TYPE_SOA = 6;
const CLASS_IN = 1;
/** An SOA answer later than this (ms) counts as unanswered. */
const MAX_WAIT_MS = 1000;
/** Serial changes kept (a zone that changes every interval for hours is bounded). */
const MAX_CHANGES = 1000;

/** The SOA query for `zone` ("view.test.") with ID `id`, RD clear (an authority is asked). */
export function soaQuery(zone: string, id: number): Buffer {
  const labels = zone === '.' ? [] : zone.replace(/\.$/, '').split('.');
  const name = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
  const msg = Buffer.alloc(12 + name.length + 4);
  msg.writeUInt16BE(id, 0);
  msg.writeUInt16BE(1, 4); // QDCOUNT
  name.copy(msg, 12);
  msg.writeUInt16BE(TYPE_SOA, 12 + name.length);
  msg.writeUInt16BE(CLASS_IN, 14 + name.length);
  return msg;
}

/** The SERIAL of the first SOA record in the answer section, or why there is none. */
export function soaSerial(msg: Uint8Array): number | string {
  if (msg.length < 12 || (msg[2]! & 0x80) === 0) return 'not a response';
  const rcode = msg[3]! & 0x0f;
  if (rcode !== 0) return rcodeName(rcode);
  const qd = (msg[4]! << 8) | msg[5]!;
  const an = (msg[6]! << 8) | msg[7]!;
  let off = 12;
  for (let i = 0; i < qd; i++) {
    off = skipName(msg, off);
    if (off < 0) return 'malformed';
    off += 4;
  }
  for (let i = 0; i < an; i++) {
    off = skipName(msg, off);
    if (off < 0 || off + 10 > msg.length) return 'malformed';
    const type = (msg[off]! << 8) | msg[off + 1]!;
    const len = (msg[off + 8]! << 8) | msg[off + 9]!;
    off += 10;
    if (off + len > msg.length) return 'malformed';
    if (type === TYPE_SOA) {
      const rname = skipName(msg, off);
      const serialAt = rname < 0 ? -1 : skipName(msg, rname);
      if (serialAt < 0 || serialAt + 4 > off + len) return 'malformed SOA';
      return ((msg[serialAt]! << 24) | (msg[serialAt + 1]! << 16) | (msg[serialAt + 2]! << 8) | msg[serialAt + 3]!) >>> 0;
    }
    off += len;
  }
  return 'no SOA in the answer';
}

interface Pending {
  sentAtMs: number;
  mac: Buffer | null;
}

interface TargetState {
  spec: TargetSpec;
  socket: dgram.Socket;
  pending: Map<number, Pending>;
  sent: number;
  answered: number;
  timedOut: number;
  failed: number;
  initial: number | null;
  last: number | null;
  /** serial -> first time (send time) it was seen. */
  seen: Map<number, number>;
}

export class SerialWatcher {
  private readonly states: TargetState[];
  private readonly signer: TsigSigner | null;
  private readonly problems = new Map<string, number>();
  private readonly order: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private startMs = 0;
  private ticks = 0;

  constructor(
    targets: readonly TargetSpec[],
    private readonly zone: string,
    private readonly intervalMs: number,
    private readonly key: TsigKey | null,
    localAddress: string | null,
  ) {
    this.signer = key === null ? null : new TsigSigner(key);
    this.states = targets.map((spec) => {
      const socket = dgram.createSocket(spec.family === 6 ? 'udp6' : 'udp4');
      socket.on('error', () => this.problem('socket error'));
      if (localAddress !== null) socket.bind({ address: localAddress, port: 0 });
      const st: TargetState = { spec, socket, pending: new Map(), sent: 0, answered: 0, timedOut: 0, failed: 0, initial: null, last: null, seen: new Map() };
      socket.on('message', (msg, rinfo) => {
        if (rinfo.address === spec.host && rinfo.port === spec.port) this.answer(st, msg);
        else this.problem('reply from another address');
      });
      return st;
    });
  }

  private problem(kind: string): void {
    tallyAdd(this.problems, kind, 1, 20);
  }

  /** Start asking at the run's start (epoch ms); one round at once, then every interval. Once. */
  start(runStartMs: number): void {
    if (this.timer !== null) return;
    this.startMs = runStartMs;
    const tick = (): void => {
      this.round();
      this.ticks++;
      this.timer = setTimeout(tick, Math.max(0, this.startMs + this.ticks * this.intervalMs - Date.now()));
    };
    this.timer = setTimeout(tick, Math.max(0, runStartMs - Date.now()));
  }

  private round(): void {
    const now = Date.now();
    for (const st of this.states) {
      // What was asked more than MAX_WAIT_MS ago and never answered is unanswered.
      for (const [id, p] of st.pending) {
        if (now - p.sentAtMs >= Math.max(MAX_WAIT_MS, this.intervalMs)) {
          st.pending.delete(id);
          st.timedOut++;
        }
      }
      let id = randomInt(0, 65536);
      while (st.pending.has(id)) id = (id + 1) & 0xffff;
      let msg = soaQuery(this.zone, id);
      let mac: Buffer | null = null;
      if (this.signer !== null) {
        msg = this.signer.sign(msg);
        mac = this.signer.lastMac;
      }
      st.pending.set(id, { sentAtMs: now, mac });
      st.sent++;
      st.socket.send(msg, st.spec.port, st.spec.host);
    }
  }

  private answer(st: TargetState, msg: Buffer): void {
    if (msg.length < 12) return this.problem('malformed');
    const id = msg.readUInt16BE(0);
    const p = st.pending.get(id);
    if (p === undefined) return this.problem('late or unknown ID');
    st.pending.delete(id);
    if (this.signer !== null && p.mac !== null) {
      const v = this.signer.verify(msg, p.mac);
      if (v !== Verdict.ok) {
        st.failed++;
        return this.problem(v === Verdict.unsigned ? 'unsigned answer to a signed query' : 'TSIG verification failed');
      }
    }
    const serial = soaSerial(msg);
    if (typeof serial === 'string') {
      st.failed++;
      return this.problem(serial);
    }
    st.answered++;
    if (st.initial === null) st.initial = serial;
    if (serial !== st.last) {
      st.last = serial;
      if (!st.seen.has(serial) && st.seen.size < MAX_CHANGES) {
        st.seen.set(serial, p.sentAtMs);
        if (!this.order.includes(serial) && this.order.length < MAX_CHANGES) this.order.push(serial);
      }
    }
  }

  /** Stop asking, wait for the answers still due (bounded), close the sockets, and report. */
  async stop(): Promise<SerialWatchSection> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const due = Math.max(0, ...this.states.flatMap((s) => [...s.pending.values()].map((p) => p.sentAtMs + MAX_WAIT_MS - Date.now())));
    if (due > 0) await new Promise((r) => setTimeout(r, Math.min(due, MAX_WAIT_MS)));
    for (const st of this.states) {
      st.timedOut += st.pending.size;
      st.pending.clear();
      st.socket.close();
    }
    const changes: SerialWatchSection['changes'] = [];
    for (const serial of this.order) {
      // Only serials a target moved to: a target's initial serial is where it started, not a change,
      // unless another target changed to it.
      const at = this.states.filter((s) => s.seen.has(serial)).map((s) => ({ label: s.spec.label, atMs: s.seen.get(serial)!, initial: s.initial === serial }));
      if (at.every((a) => a.initial)) continue;
      const first = Math.min(...at.map((a) => a.atMs));
      const seen: SerialSeen[] = at
        .sort((a, b) => a.atMs - b.atMs)
        .map((a) => ({ label: a.label, atMs: a.atMs, t: (a.atMs - this.startMs) / 1000, lagMs: a.atMs - first }));
      changes.push({ serial, seen });
    }
    return {
      zone: this.zone,
      intervalSec: this.intervalMs / 1000,
      key: this.key?.name ?? null,
      startedAtMs: this.startMs,
      targets: this.states.map((s) => ({
        label: s.spec.label,
        server: s.spec.family === 6 ? `[${s.spec.host}]:${s.spec.port}` : `${s.spec.host}:${s.spec.port}`,
        sent: s.sent,
        answered: s.answered,
        timedOut: s.timedOut,
        failed: s.failed,
        initial: s.initial,
        last: s.last,
      })),
      changes,
      problems: Object.fromEntries(this.problems),
    };
  }
}
