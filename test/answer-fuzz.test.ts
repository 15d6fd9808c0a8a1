// Fuzzing the answer path (issue 11 "Done when"): real answers, captured from knotd, BIND and NSD
// at the start of the test, mutated a few hundred thousand times with a seeded generator (bit
// flips, lying counts, compression pointers aimed at loops, forward and past the end, RDLENGTHs
// and OPT option lengths changed, records duplicated, bytes cut, inserted and appended, flags and
// RCODEs changed), and delivered to a DnsChannel through test/support/fake-channel.ts on a fake
// clock. An independent reference parser, written here from RFC 1035 / 6891 / 8945 and the rules
// README "What counts as an answer" states, says what each message is; the channel must agree
// on every one: nothing malformed is ever completed, nothing well-formed is refused, the RCODE
// is the full 12-bit one, and at the end sent = completed + lost + interrupted.
//
// A second phase signs the answers with TSIG (an independent signer below) and checks that a
// signed answer completes only when not one byte of it was changed.
//
// On a failure the message says the seed, the iteration and the bytes, so it can be replayed.
import { createSocket } from 'node:dgram';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FALLBACK, INFLIGHT, TIMED_OUT } from '../src/engine/idtable.js';
import { ChannelFeatures } from '../src/engine/features.js';
import { TsigSigner } from '../src/tsig/tsig.js';
import { keyNameWire } from '../src/tsig/key.js';
import { rcodeName } from '../src/results/counters.js';
import { FakeChannel, fakeContext, fakeRecorder, queryViews } from './support/fake-channel.js';
import { message, opt, pointer, query, question, rr, u16, u32, withId } from './support/dns-wire.js';
import { skipWithout, startKnot, startNamed, startNsd, type RunningServer } from './support/servers.js';
import { expectAccounted } from './support/accounting.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 220_000);
const TSIG_ITERATIONS = Math.round(ITERATIONS / 7);

// ---------------------------------------------------------------------------------------------
// A seeded generator (mulberry32): the same seed gives the same mutations.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// The reference parser: what a message is, by the rules, with no shortcuts. Throws Bad.
class Bad extends Error {}

interface Parsed {
  qd: number;
  /** Full RCODE: header low 4 bits | OPT EXTENDED-RCODE << 4 (0 without OPT). */
  rcode: number;
  /** [start, end) of every record, for mutations that aim at records. */
  records: Array<{ start: number; rdlenAt: number; type: number }>;
  optAt: number;
}

function refName(m: Uint8Array, start: number): number {
  // RFC 1035 4.1.4: a pointer refers to a prior occurrence; here "prior" means before the labels
  // being read, the only reading under which no pointer can lead back to itself.
  let pos = start;
  let floor = start;
  let after = -1;
  let octets = 1;
  let items = 0;
  for (;;) {
    if (++items > 255) throw new Bad('name walk longer than 255 steps');
    if (pos >= m.length) throw new Bad('name runs past the end');
    const b = m[pos]!;
    switch (b >> 6) {
      case 0:
        if (b === 0) return after === -1 ? pos + 1 : after;
        octets += b + 1;
        if (octets > 255) throw new Bad('name over 255 octets');
        pos += b + 1;
        break;
      case 3: {
        if (pos + 1 >= m.length) throw new Bad('pointer cut');
        const target = ((b & 0x3f) << 8) | m[pos + 1]!;
        if (after === -1) after = pos + 2;
        if (target < 12) throw new Bad('pointer into the header');
        if (target >= floor) throw new Bad('pointer not strictly backwards');
        floor = target;
        pos = target;
        break;
      }
      default:
        throw new Bad('label type 0x40 or 0x80');
    }
  }
}

function refRdata(m: Uint8Array, type: number, cls: number, at: number, end: number): void {
  const names = (pos: number, n: number): number => {
    for (let i = 0; i < n; i++) {
      pos = refName(m, pos);
      if (pos > end) throw new Bad('name past its RDATA');
    }
    return pos;
  };
  const exactly = (pos: number): void => {
    if (pos !== end) throw new Bad(`RDATA of type ${type} does not fill RDLENGTH`);
  };
  switch (type) {
    case 1:
      if (cls === 1 && end - at !== 4) throw new Bad('A not 4 bytes');
      return;
    case 28:
      if (cls === 1 && end - at !== 16) throw new Bad('AAAA not 16 bytes');
      return;
    case 2: case 3: case 4: case 5: case 7: case 8: case 9: case 12: case 39:
      return exactly(names(at, 1));
    case 6: {
      const p = names(at, 2);
      return exactly(p + 20);
    }
    case 14: case 17:
      return exactly(names(at, 2));
    case 15: case 18: case 21: case 36:
      if (at + 2 > end) throw new Bad('no room for the preference');
      return exactly(names(at + 2, 1));
    case 33:
      if (at + 6 > end) throw new Bad('no room for SRV fields');
      return exactly(names(at + 6, 1));
    case 16: case 99: {
      if (at === end) throw new Bad('empty TXT');
      let p = at;
      while (p < end) p += 1 + m[p]!;
      return exactly(p);
    }
    default:
  }
}

function refParse(m: Uint8Array): Parsed {
  if (m.length < 12) throw new Bad('shorter than a header');
  const count = (i: number): number => (m[4 + 2 * i]! << 8) | m[5 + 2 * i]!;
  const [qd, an, ns, ar] = [count(0), count(1), count(2), count(3)];
  let pos = 12;
  for (let i = 0; i < qd; i++) {
    pos = refName(m, pos) + 4;
    if (pos > m.length) throw new Bad('question cut');
  }
  const records: Parsed['records'] = [];
  let optAt = -1;
  let ext = 0;
  const total = an + ns + ar;
  for (let i = 0; i < total; i++) {
    const start = pos;
    pos = refName(m, pos);
    if (pos + 10 > m.length) throw new Bad('record header cut');
    const type = (m[pos]! << 8) | m[pos + 1]!;
    const cls = (m[pos + 2]! << 8) | m[pos + 3]!;
    const rdlen = (m[pos + 8]! << 8) | m[pos + 9]!;
    const at = pos + 10;
    const end = at + rdlen;
    if (end > m.length) throw new Bad('RDATA past the end');
    const additional = i >= an + ns;
    if (type === 41) {
      if (!additional) throw new Bad('OPT outside the additional section');
      if (optAt !== -1) throw new Bad('second OPT');
      if (m[start] !== 0) throw new Bad('OPT owner not the root');
      let p = at;
      while (p < end) {
        if (p + 4 > end) throw new Bad('OPT option header cut');
        p += 4 + ((m[p + 2]! << 8) | m[p + 3]!);
      }
      if (p !== end) throw new Bad('OPT option past RDATA');
      optAt = start;
      ext = m[pos + 4]!;
    } else if (type === 250) {
      if (!additional || i !== total - 1) throw new Bad('TSIG not the last record');
    } else {
      refRdata(m, type, cls, at, end);
    }
    records.push({ start, rdlenAt: pos + 8, type });
    pos = end;
  }
  if (pos !== m.length) throw new Bad('bytes after the last record');
  return { qd, rcode: (m[3]! & 0x0f) | (ext << 4), records, optAt };
}

// ---------------------------------------------------------------------------------------------
// The corpus: real answers.
interface Sample {
  query: Buffer;
  answer: Buffer;
  from: string;
}

/** One raw UDP exchange with a loopback server; the answer bytes as received, or null. */
function exchange(port: number, q: Buffer): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const done = (r: Buffer | null): void => {
      clearTimeout(timer);
      s.close();
      resolve(r);
    };
    const timer = setTimeout(() => done(null), 1000);
    s.on('message', (msg) => done(msg));
    s.on('error', () => done(null));
    s.send(withId(q, 0x4242), port, '127.0.0.1');
  });
}

const CAPTURE: Array<[string, number]> = [
  ['www.test.com', 1], ['rr.test.com', 1], ['mail.test.com', 15], ['txt.test.com', 16], ['v6.test.com', 28],
  ['alias.test.com', 1], ['test.com', 6], ['test.com', 2], ['nonexistent.test.com', 1], ['www.test.com', 28],
  ['spdns01.test.com', 1], ['h42.test.com', 1], ['example.org', 1], ['test.com', 255],
];

function ednsQuery(name: string, type: number, cookie: boolean): Buffer {
  const options = [{ code: 3, data: Buffer.alloc(0) }];
  if (cookie) options.push({ code: 10, data: Buffer.from('0011223344556677', 'hex') });
  return message({ id: 0, flags: 0, qd: [question(name, type)], ar: [opt({ udpSize: 4096, options })] });
}

/** Answers no server above sends but the path must handle: header-only errors, TC, extended RCODEs. */
function craftedSamples(): Sample[] {
  const q = query('www.test.com');
  const qq = question('www.test.com');
  const a = rr(pointer(12), 1, Buffer.from([192, 0, 2, 1]));
  return [
    { query: q, answer: message({ id: 0, flags: 0x8000, rcode: 5 }), from: 'crafted REFUSED' },
    { query: q, answer: message({ id: 0, flags: 0x8000, rcode: 1, ar: [opt()] }), from: 'crafted FORMERR+OPT' },
    { query: q, answer: message({ id: 0, flags: 0x8000, tc: true }), from: 'crafted TC' },
    { query: q, answer: message({ id: 0, qd: [qq], tc: true, an: [a] }), from: 'crafted TC with records' },
    { query: q, answer: message({ id: 0, qd: [qq], rcode: 7, ar: [opt({ extendedRcode: 1 })] }), from: 'crafted BADCOOKIE' },
    { query: q, answer: message({ id: 0, rcode: 0, qd: [qq], ar: [opt({ extendedRcode: 1 })] }), from: 'crafted BADVERS' },
    { query: q, answer: message({ id: 0, qd: [qq], an: [a, rr(pointer(12), 5, Buffer.concat([Buffer.from([1, 0x61]), pointer(12)]))], ns: [rr(pointer(16), 6, Buffer.concat([pointer(12), pointer(16), Buffer.alloc(20)]))] }), from: 'crafted compressed' },
  ];
}

let servers: RunningServer[] = [];
let corpus: Sample[] = [];

beforeAll(async () => {
  corpus = craftedSamples();
  if (skipWithout('knotd', 'named', 'nsd')) return;
  servers = await Promise.all([
    startKnot(),
    startNamed({ extraOptions: 'server-id "bind-fuzz";' }),
    startNsd({ nsid: 'nsd-fuzz' }),
  ]);
  for (const s of servers) {
    for (const [name, type] of CAPTURE) {
      for (const q of [query(name, type), ednsQuery(name, type, s.kind === 'named')]) {
        const answer = await exchange(s.port, q);
        if (answer !== null) corpus.push({ query: q, answer: withId(answer, 0), from: `${s.kind} ${name}/${type}` });
      }
    }
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

// ---------------------------------------------------------------------------------------------
// Mutations.
function mutate(src: Buffer, rnd: () => number): Buffer {
  const int = (n: number): number => Math.floor(rnd() * n);
  let m = Buffer.from(src);
  const rounds = 1 + (rnd() < 0.3 ? int(3) : 0);
  for (let r = 0; r < rounds; r++) {
    let parsed: Parsed | null = null;
    try {
      parsed = refParse(m);
    } catch {
      parsed = null;
    }
    const at = m.length > 12 ? 12 + int(m.length - 12) : int(Math.max(1, m.length));
    switch (int(16)) {
      case 0: // bit flips anywhere past the ID
        for (let i = int(4) + 1; i > 0 && m.length > 2; i--) m[2 + int(m.length - 2)]! ^= 1 << int(8);
        break;
      case 1: // a byte set to an interesting value
        if (m.length > 2) m[2 + int(m.length - 2)] = [0, 0xff, 0xc0, 0x3f, 0x40, 0x80, 1, int(256)][int(8)]!;
        break;
      case 2: // cut short
        m = m.subarray(0, int(m.length + 1));
        break;
      case 3: // bytes appended
        m = Buffer.concat([m, Buffer.from(Array.from({ length: 1 + int(64) }, () => int(256)))]);
        break;
      case 4: // bytes inserted
        m = Buffer.concat([m.subarray(0, at), Buffer.from(Array.from({ length: 1 + int(8) }, () => int(256))), m.subarray(at)]);
        break;
      case 5: // a range deleted
        m = Buffer.concat([m.subarray(0, at), m.subarray(Math.min(m.length, at + 1 + int(12)))]);
        break;
      case 6: { // a count that lies
        if (m.length < 12) break;
        const f = 4 + 2 * int(4);
        const v = (m[f]! << 8) | m[f + 1]!;
        const nv = [v + 1, v - 1, 0, 65535, v + 2][int(5)]! & 0xffff;
        m[f] = nv >>> 8;
        m[f + 1] = nv & 0xff;
        break;
      }
      case 7: { // a pointer: to itself, forward, past the end, into the header, or backwards
        if (m.length < 14) break;
        const p = at < m.length - 1 ? at : m.length - 2;
        const target = [p, p + 2 + int(20), m.length + int(100), int(12), 12 + int(Math.max(1, p - 12))][int(5)]! & 0x3fff;
        m[p] = 0xc0 | (target >>> 8);
        m[p + 1] = target & 0xff;
        break;
      }
      case 8: { // an RDLENGTH changed
        const rec = parsed?.records[int(parsed.records.length)];
        if (rec === undefined) break;
        const v = m.readUInt16BE(rec.rdlenAt);
        m.writeUInt16BE([v + 1, v - 1, 0, 65535, v + 16, int(65536)][int(6)]! & 0xffff, rec.rdlenAt);
        break;
      }
      case 9: { // an OPT option length changed (or an OPT added with a bad one)
        if (parsed !== null && parsed.optAt >= 0 && m.length >= parsed.optAt + 15) {
          const o = parsed.optAt + 11;
          m.writeUInt16BE(int(16), o + 2);
        } else if (m.length >= 12) {
          m = Buffer.concat([m, opt({ raw: Buffer.concat([u16(3), u16(int(8)), Buffer.alloc(int(8))]) })]);
          m.writeUInt16BE((m.readUInt16BE(10) + 1) & 0xffff, 10);
        }
        break;
      }
      case 10: // TC set or cleared
        if (m.length > 2) m[2]! ^= 0x02;
        break;
      case 11: // QR cleared
        if (m.length > 2) m[2]! &= 0x7f;
        break;
      case 12: // header RCODE
        if (m.length > 3) m[3] = (m[3]! & 0xf0) | int(16);
        break;
      case 13: // EXTENDED-RCODE in the OPT
        if (parsed !== null && parsed.optAt >= 0) m[parsed.optAt + 5] = [1, 0, 0xff, int(256)][int(4)]!;
        break;
      case 14: { // a record duplicated (count fixed or not)
        const recs = parsed?.records ?? [];
        const k = int(recs.length);
        const rec = recs[k];
        if (rec === undefined) break;
        const end = k + 1 < recs.length ? recs[k + 1]!.start : m.length;
        m = Buffer.concat([m, m.subarray(rec.start, end)]);
        if (rnd() < 0.7) m.writeUInt16BE((m.readUInt16BE(10) + 1) & 0xffff, 10);
        break;
      }
      default: // QDCOUNT 0 or 2
        if (m.length >= 6) m.writeUInt16BE([0, 2][int(2)]!, 4);
    }
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// The run.
type Outcome = { kind: 'malformed' | 'mismatched' | 'late' | 'truncated' | 'tsig' } | { kind: 'completed'; rcode: number };

/** What the channel must make of `m`, by the reference parser and the README's rules. */
function expected(ch: FakeChannel, q: ReturnType<typeof queryViews>, m: Uint8Array, signedOk: ((m: Uint8Array) => boolean) | null): Outcome {
  if (m.length < 12 || (m[2]! & 0x80) === 0) return { kind: 'malformed' };
  const id = (m[0]! << 8) | m[1]!;
  const state = ch.table.state[id];
  if (state !== INFLIGHT) return { kind: state === TIMED_OUT ? 'late' : 'mismatched' };
  const qi = ch.table.query[id]!;
  const qd = (m[4]! << 8) | m[5]!;
  if (qd > 1) return { kind: 'malformed' };
  if (qd === 1) {
    const qlen = q.questionLengths[qi]!;
    if (m.length < 12 + qlen) return { kind: 'malformed' };
    const ours = q.wire.subarray(q.offsets[qi]! + 12, q.offsets[qi]! + 12 + qlen);
    const theirs = m.subarray(12, 12 + qlen);
    const lower = (b: Uint8Array, nameLen: number): string =>
      Array.from(b, (x, i) => (i < nameLen && x >= 0x41 && x <= 0x5a ? x | 0x20 : x)).join(',');
    if (lower(ours, qlen - 4) !== lower(theirs, qlen - 4)) return { kind: 'mismatched' };
  }
  const tc = (m[2]! & 0x02) !== 0;
  let parsed: Parsed | null = null;
  try {
    parsed = refParse(m);
  } catch (e) {
    if (!(e instanceof Bad)) throw e;
  }
  if (parsed === null && !tc) return { kind: 'malformed' };
  const rcode = parsed?.rcode ?? 0;
  if (qd === 0 && rcode === 0 && !tc) return { kind: 'malformed' };
  if (signedOk !== null && !signedOk(m)) return { kind: 'tsig' };
  if (tc) return { kind: 'truncated' };
  return { kind: 'completed', rcode };
}

interface Tally {
  malformed: number;
  mismatched: number;
  late: number;
  tsig: number;
}

function runFuzz(o: {
  seed: number;
  iterations: number;
  samples: Sample[];
  sign?: {
    signer: (answer: Buffer, requestMac: Buffer) => Buffer;
    features: (rec: () => ReturnType<typeof fakeRecorder>) => ChannelFeatures;
    /** The request MAC of a signed query as sent (or, with `id`, of that ID's last query). */
    macOf: (signedQuery: Buffer, id?: number) => Buffer;
    /** Whether `x` is `signed` as far as the MAC can tell. */
    same: (x: Uint8Array, signed: Buffer) => boolean;
  };
  /** Outcomes the corpus can reach; the run must reach each of them. */
  reach: { truncations: boolean; tsig: boolean };
}): void {
  const rnd = prng(o.seed);
  const q = queryViews(o.samples.map((s) => s.query));
  const rec = fakeRecorder({ timeoutMs: 20 });
  let now = 0;
  const outcomes: string[] = [];
  const ch = new FakeChannel(
    fakeContext({ q, recorder: rec, now: () => now, owner: { slotFreed: () => undefined, verbose: (_c, outcome) => outcomes.push(outcome) } }),
  );
  if (o.sign) ch.features = o.sign.features(() => ch.recorder);
  // --tcp-fallback for half the truncations; the leg answers some of them later, cleanly.
  const legQueue: Array<{ id: number; sentAt: number; k: number }> = [];
  let takeIt = false;
  ch.fallback = { take: (_c, id) => (takeIt ? (legQueue.push({ id, sentAt: ch.table.sentAt[id]!, k: ch.table.query[id]! }), true) : false) };

  const want: Tally = { malformed: 0, mismatched: 0, late: 0, tsig: 0 };
  let wantCompleted = 0;
  for (let i = 0; i < o.iterations; i++) {
    now += 0.01;
    if (i % 500 === 0) ch.sweep(now, 20);
    const k = Math.floor(rnd() * o.samples.length);
    const sample = o.samples[k]!;
    ch.send(k, -1);
    const sent = ch.sent.pop()!;
    let clean = withId(sample.answer, sent.id);
    const signed = o.sign ? o.sign.signer(clean, o.sign.macOf(sent.bytes)) : null;
    if (signed) clean = signed;
    const roll = rnd();
    // 15% untouched (so answers complete), 5% for another ID (late or mismatched), else mutated.
    const m = roll < 0.15 ? clean : roll < 0.2 ? withId(mutate(clean, rnd), Math.floor(rnd() * 65536)) : mutate(clean, rnd);
    const signedOk = signed && o.sign ? (x: Uint8Array) => o.sign!.same(x, signed) : null;
    const exp = expected(ch, q, m, signedOk);
    takeIt = rnd() < 0.5;
    const before = { completed: rec.live.completed, lost: rec.live.lost, outcomes: outcomes.length, fallbacks: legQueue.length };
    ch.receive(m, now);
    const got = outcomes.slice(before.outcomes);
    const where = `seed ${o.seed}, iteration ${i}, sample "${sample.from}", message ${Buffer.from(m).toString('hex')}`;
    if (exp.kind === 'completed') {
      wantCompleted++;
      if (rec.live.completed !== before.completed + 1 || got[0] !== String(exp.rcode)) {
        expect.fail(`expected completed ${rcodeName(exp.rcode)}, got ${got.join(',') || 'nothing'}: ${where}`);
      }
    } else {
      if (rec.live.completed !== before.completed) expect.fail(`a ${exp.kind} message was completed (${got.join(',')}): ${where}`);
      if (exp.kind === 'truncated') {
        const handed = legQueue.length > before.fallbacks;
        if (!handed && (got[0] !== 'truncated' || rec.live.lost !== before.lost + 1)) expect.fail(`expected truncated, got ${got.join(',') || 'nothing'}: ${where}`);
      } else {
        want[exp.kind]++;
        if (got.length > 0) expect.fail(`expected ${exp.kind}, got ${got.join(',')}: ${where}`);
      }
    }
    // Now and then the TCP leg answers one it was handed (if its slot is still waiting on it).
    if (legQueue.length > 0 && rnd() < 0.3) {
      const leg = legQueue.shift()!;
      if (ch.table.state[leg.id] === FALLBACK && ch.table.sentAt[leg.id] === leg.sentAt) {
        const viaTcp = withId(o.samples[leg.k]!.answer, 0x7777);
        const before2 = rec.live.completed;
        const tcpMsg = o.sign ? o.sign.signer(viaTcp, o.sign.macOf(Buffer.alloc(0), leg.id)) : viaTcp;
        const completes = expectedClean(tcpMsg) === 'completes';
        ch.answer(tcpMsg, 0, tcpMsg.length, leg.id, now);
        if (rec.live.completed !== before2 + (completes ? 1 : 0)) expect.fail(`TCP leg answer, expected ${completes ? '' : 'not '}completed: ${tcpMsg.toString('hex')}`);
        if (completes) wantCompleted++;
      }
    }
  }
  // Some still outstanding are interrupted (Ctrl-C), the rest time out.
  for (let i = 0; i < 10; i++) ch.send(i % o.samples.length, -1);
  const leftBeforeSweep = ch.inflight;
  expect(leftBeforeSweep).toBeGreaterThan(10);
  ch.sweep(now + 100, 20);
  for (let i = 0; i < 10; i++) ch.send(i % o.samples.length, -1);
  ch.interruptAll();
  const res = rec.finish({ startedAt: 0, sendEndedAt: now, endedAt: now + 30 }, (t) => t);
  const c = res.counters;
  expect(c.sent).toBe(o.iterations + 20);
  expectAccounted(c);
  expect(c.interrupted).toBe(10);
  expect(c.completed).toBe(wantCompleted);
  expect({ malformed: c.malformed, mismatched: c.mismatched, late: c.late, tsig: c.tsigFailed }).toEqual(want);
  // The fuzz must reach every outcome, or it proves little.
  expect(c.completed).toBeGreaterThan(o.iterations / 20);
  expect(c.malformed).toBeGreaterThan(o.iterations / 5);
  if (o.reach.truncations) expect(c.truncated).toBeGreaterThan(100);
  if (o.reach.truncations) expect(c.tcpFallbacks).toBeGreaterThan(100);
  if (o.reach.tsig) expect(c.tsigFailed).toBeGreaterThan(o.iterations / 10);
  expect(c.mismatched).toBeGreaterThan(100);
  expect(c.late).toBeGreaterThan(10);
  const codes = Object.keys(res.rcodes);
  expect(codes.length).toBeGreaterThan(5);
}

/** Whether an unmutated corpus answer completes (it may be TC=1 or a question-less NOERROR). */
function expectedClean(m: Uint8Array): 'completes' | 'not' {
  try {
    const p = refParse(m);
    return (m[2]! & 0x02) === 0 && (p.qd === 1 || p.rcode !== 0) ? 'completes' : 'not';
  } catch {
    return 'not';
  }
}

describe('fuzzing the answer path with mutated real answers', () => {
  it('every captured answer, untouched, walks and completes (the rules refuse nothing real servers send)', () => {
    for (const s of corpus) {
      if (s.from.startsWith('crafted')) continue;
      expect(() => refParse(s.answer), s.from).not.toThrow();
      const q = queryViews([s.query]);
      const rec = fakeRecorder();
      const ch = new FakeChannel(fakeContext({ q, recorder: rec }));
      ch.send(0, -1);
      ch.receive(withId(s.answer, ch.sent[0]!.id));
      expect(rec.live.completed + rec.live.lost, s.from).toBe(1);
    }
  });

  it(`${ITERATIONS} mutated answers: nothing malformed completes, every verdict matches the reference parser, the identity holds`, () => {
    expect(corpus.length).toBeGreaterThan(skipWithout('knotd', 'named', 'nsd') ? 5 : 60);
    runFuzz({ seed: SEED, iterations: ITERATIONS, samples: corpus, reach: { truncations: true, tsig: false } });
  }, 120_000);

  it(`${TSIG_ITERATIONS} mutated signed answers: one completes only if not a byte of it changed`, () => {
    const key = { algorithm: 'hmac-sha256' as const, name: 'fuzz-key', secret: 'kve3QMmhjXGZUZURb6mucQ==' };
    const secret = Buffer.from(key.secret, 'base64');
    const nameWire = keyNameWire(key.name)!;
    const algWire = keyNameWire('hmac-sha256')!;
    const time = 1_700_000_000;
    const time48 = Buffer.concat([u16(0), u32(time)]);
    // The request MAC of each ID as the channel sent it (the fallback leg resigns under the same ID).
    const macs = new Map<number, Buffer>();
    const signer = (answer: Buffer, requestMac: Buffer): Buffer => {
      const vars = Buffer.concat([nameWire, u16(255), u32(0), algWire, time48, u16(300), u16(0), u16(0)]);
      const mac = createHmac('sha256', secret).update(u16(requestMac.length)).update(requestMac).update(answer).update(vars).digest();
      const rdata = Buffer.concat([algWire, time48, u16(300), u16(mac.length), mac, answer.subarray(0, 2), u16(0), u16(0)]);
      const out = Buffer.concat([answer, rr(nameWire, 250, rdata, { cls: 255, ttl: 0 })]);
      out.writeUInt16BE((answer.readUInt16BE(10) + 1) & 0xffff, 10);
      return out;
    };
    const macOf = (signedQuery: Buffer, id?: number): Buffer => {
      if (id !== undefined) return macs.get(id)!;
      const mac = Buffer.from(signedQuery.subarray(signedQuery.length - 6 - 32, signedQuery.length - 6));
      macs.set(signedQuery.readUInt16BE(0), mac);
      return mac;
    };
    // RFC 8945 4.3.3 digests the key and algorithm names in canonical (lower-case) form, so their
    // case is the one change the MAC cannot see; any other changed byte must fail.
    const same = (x: Uint8Array, signed: Buffer): boolean => {
      if (x.length !== signed.length) return false;
      const rrStart = signed.length - (nameWire.length + 10 + algWire.length + 10 + 32 + 6);
      const alg = rrStart + nameWire.length + 10;
      for (let i = 0; i < x.length; i++) {
        if (x[i] === signed[i]) continue;
        const inName = (i >= rrStart && i < rrStart + nameWire.length) || (i >= alg && i < alg + algWire.length);
        const letter = (signed[i]! | 0x20) >= 0x61 && (signed[i]! | 0x20) <= 0x7a;
        if (!(inName && letter && (x[i]! ^ signed[i]!) === 0x20)) return false;
      }
      return true;
    };
    // TSIG answers only from the corpus's untruncated answers with a question (what a server signs).
    const samples = corpus.filter((s) => expectedClean(s.answer) === 'completes');
    runFuzz({
      seed: SEED + 1,
      iterations: TSIG_ITERATIONS,
      samples,
      sign: { signer, features: (rec) => new ChannelFeatures(new TsigSigner(key, () => time), false, rec), macOf, same },
      reach: { truncations: false, tsig: true },
    });
  }, 120_000);
});
