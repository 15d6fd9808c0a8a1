// The answer path on its own (engine/channel.ts answer, engine/wire.ts walk, engine/features.ts,
// tsig/tsig.ts), driven through a FakeChannel: each class of answer from issues 10 and 11, several
// members per class, built byte by byte (test/support/dns-wire.ts) so nothing a library would
// "fix" gets in the way. What each must become: completed with its full RCODE, malformed with the
// query still outstanding, truncated, a TSIG failure, or a foreign reply.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeQuery } from '../src/engine/describe.js';
import { answerNotes } from '../src/results/transport.js';
import { targetReport } from '../src/results/build.js';
import { nsidLine } from '../src/report/transport.js';
import { renderCounterTable } from '../src/report/table.js';
import { OTHER_KEY, TALLY_CAP } from '../src/results/tally.js';
import { renderCsv } from '../src/report/csv.js';
import { renderHtml } from '../src/report/html.js';
import { loadHtmlAssets } from '../src/commands/outputs.js';
import { fixtureReport, fixtureTarget, samples } from './support/report-fixtures.js';
import { ChannelFeatures } from '../src/engine/features.js';
import { TsigSigner, Verdict } from '../src/tsig/tsig.js';
import { keyNameWire } from '../src/tsig/key.js';
import type { Recorder } from '../src/engine/recorder.js';
import { FakeChannel, fakeContext, fakeRecorder, queryViews } from './support/fake-channel.js';
import { AA, message, opt, pointer, QR, query, question, rr, u16, u32, wireName, withId } from './support/dns-wire.js';

const Q = query('www.test.com');
const QUESTION = question('www.test.com');
const A = (owner: string | Buffer = pointer(12), addr = [192, 0, 2, 1]): Buffer => rr(owner, 1, Buffer.from(addr));

interface Rig {
  ch: FakeChannel;
  rec: Recorder;
  verbose: string[];
  /** Send the query; returns its DNS ID. */
  send(): number;
  /** Close the recorder and return what it counted (once per rig). */
  finish(): ReturnType<Recorder['finish']>;
}

function rig(o: { queries?: Buffer[]; features?: (rec: () => Recorder) => ChannelFeatures } = {}): Rig {
  const q = queryViews(o.queries ?? [Q]);
  const rec = fakeRecorder();
  const verbose: string[] = [];
  let now = 0;
  const ch = new FakeChannel(
    fakeContext({
      q,
      recorder: rec,
      now: () => (now += 0.1),
      owner: { slotFreed: () => undefined, verbose: (_c, outcome, qi, ms) => verbose.push(describeQuery(q, qi, outcome, ms)) },
    }),
  );
  if (o.features) ch.features = o.features(() => ch.recorder);
  let next = 0;
  return {
    ch,
    rec,
    verbose,
    send() {
      ch.send(next++ % q.questionLengths.length, -1);
      return ch.sent.at(-1)!.id;
    },
    finish: () => rec.finish({ startedAt: 0, sendEndedAt: now, endedAt: now }, (t) => t),
  };
}

/** Deliver `answer` for one fresh query; returns the counters after it. */
function one(answer: (id: number) => Buffer, o: Parameters<typeof rig>[0] = {}): { r: Rig; id: number } {
  const r = rig(o);
  const id = r.send();
  r.ch.receive(answer(id));
  return { r, id };
}

describe('answers without a question section (RFC 1035 allows QDCOUNT 0 in an error answer)', () => {
  it('header-only FORMERR, SERVFAIL, NOTIMP, REFUSED, NOTAUTH answer their query, counted by RCODE', () => {
    for (const [rcode, name] of [[1, 'FORMERR'], [2, 'SERVFAIL'], [4, 'NOTIMP'], [5, 'REFUSED'], [9, 'NOTAUTH']] as const) {
      const { r } = one((id) => message({ id, flags: QR, rcode }));
      const res = r.finish();
      expect(res.counters, name).toMatchObject({ sent: 1, completed: 1, malformed: 0, lost: 0 });
      expect(res.rcodes).toEqual({ [name]: 1 });
      expect(r.verbose[0]).toMatch(new RegExp(`^> ${name} www\\.test\\.com A `));
    }
  });

  it('FORMERR with QDCOUNT 0 and an OPT record (a server rejecting EDNS options) is FORMERR', () => {
    const { r } = one((id) => message({ id, flags: QR, rcode: 1, ar: [opt()] }));
    expect(r.finish().rcodes).toEqual({ FORMERR: 1 });
  });

  it('an error carried only in the OPT (BADVERS: header 0, EXTENDED-RCODE 1) also answers without a question', () => {
    const { r } = one((id) => message({ id, flags: QR, rcode: 0, ar: [opt({ extendedRcode: 1 })] }));
    const res = r.finish();
    expect(res.counters.completed).toBe(1);
    expect(res.rcodes).toEqual({ BADVERS: 1 });
  });

  it('a NOERROR answer without a question answers nothing: malformed, and the query stays outstanding', () => {
    for (const extra of [[], [opt()]]) {
      const r = rig();
      const id = r.send();
      r.ch.receive(message({ id, flags: QR | AA, ar: extra }));
      expect(r.ch.inflight).toBe(1);
      r.ch.receive(message({ id, qd: [QUESTION], an: [A()] }));
      expect(r.finish().counters).toMatchObject({ sent: 1, completed: 1, malformed: 1 });
    }
  });

  it('header-only TC=1 is a truncation: lost without --tcp-fallback, handed to the TCP leg with it', () => {
    const plain = one((id) => message({ id, flags: QR, tc: true })).r.finish().counters;
    expect(plain).toMatchObject({ sent: 1, completed: 0, lost: 1, truncated: 1, malformed: 0 });

    const r = rig();
    const taken: number[] = [];
    r.ch.fallback = { take: (_ch, id) => (taken.push(id), true) };
    const id = r.send();
    r.ch.receive(message({ id, flags: QR, tc: true }));
    expect(taken).toEqual([id]);
    expect(r.ch.inflight).toBe(1);
    // The TCP leg's answer (full, with the question, under the leg's own ID) completes it.
    const viaTcp = message({ id: 999, qd: [QUESTION], an: [A()] });
    r.ch.answer(viaTcp, 0, viaTcp.length, id, 5);
    expect(r.finish().counters).toMatchObject({ completed: 1, tcpFallbacks: 1, truncated: 0 });
  });

  it('more than one question is malformed', () => {
    const { r } = one((id) => message({ id, qd: [QUESTION, QUESTION], an: [A()] }));
    expect(r.finish().counters).toMatchObject({ completed: 0, malformed: 1 });
  });
});

describe('extended RCODEs (RFC 6891 6.1.3): header 4 bits + OPT EXTENDED-RCODE << 4', () => {
  it('names BADVERS, BADCOOKIE and unassigned codes in the counts and in -v lines', () => {
    for (const [header, ext, name] of [
      [0, 1, 'BADVERS'], [7, 1, 'BADCOOKIE'], [0, 0, 'NOERROR'], [3, 0, 'NXDOMAIN'], [5, 2, 'RCODE37'], [15, 255, 'RCODE4095'],
    ] as const) {
      const { r } = one((id) => message({ id, rcode: header, qd: [QUESTION], ar: [opt({ extendedRcode: ext })] }));
      expect(r.finish().rcodes, name).toEqual({ [name]: 1 });
      expect(r.verbose[0]).toMatch(new RegExp(`^> ${name} `));
    }
  });

  it('YXRRSET without an OPT stays YXRRSET (the extension is only read from an OPT)', () => {
    const { r } = one((id) => message({ id, rcode: 7, qd: [QUESTION] }));
    expect(r.finish().rcodes).toEqual({ YXRRSET: 1 });
  });
});

describe('every section is walked before an answer counts (issue 11 item 16)', () => {
  // Each of these answers the query's ID with the right question, so only the walk can refuse it.
  const broken: Record<string, (id: number) => Buffer> = {
    'pointer loop in an owner name': (id) => message({ id, qd: [QUESTION], an: [rr(Buffer.concat([Buffer.from([1, 0x61]), pointer(30)]), 1, Buffer.from([1, 2, 3, 4]))] }),
    'pointer to itself': (id) => message({ id, qd: [QUESTION], an: [rr(pointer(30), 1, Buffer.from([1, 2, 3, 4]))] }),
    // The first answer's owner points ahead, to the second's (at 46), a valid name.
    'forward pointer': (id) => message({ id, qd: [QUESTION], an: [A(pointer(46)), A('www.test.com')] }),
    'pointer past the end': (id) => message({ id, qd: [QUESTION], an: [A(pointer(0x3fff))] }),
    'pointer into the header': (id) => message({ id, qd: [QUESTION], an: [A(pointer(4))] }),
    'ANCOUNT larger than the records': (id) => message({ id, qd: [QUESTION], an: [A()], counts: { an: 2 } }),
    'ANCOUNT smaller than the records (bytes left over)': (id) => message({ id, qd: [QUESTION], an: [A(), A()], counts: { an: 1 } }),
    'ARCOUNT 65535': (id) => message({ id, qd: [QUESTION], an: [A()], counts: { ar: 65535 } }),
    'bytes after the last record': (id) => Buffer.concat([message({ id, qd: [QUESTION], an: [A()] }), Buffer.alloc(3)]),
    'RDLENGTH past the end': (id) => message({ id, qd: [QUESTION], an: [rr(pointer(12), 1, Buffer.from([1, 2, 3, 4]), { rdLength: 200 })] }),
    'A record of 5 bytes': (id) => message({ id, qd: [QUESTION], an: [A(pointer(12), [1, 2, 3, 4, 5])] }),
    'CNAME target running past its RDATA': (id) => message({ id, qd: [QUESTION], an: [rr(pointer(12), 5, wireName('alias.test.com'), { rdLength: 3 }), A()] }),
    'MX without room for the name': (id) => message({ id, qd: [QUESTION], an: [rr(pointer(12), 15, u16(10))] }),
    'SOA one byte short': (id) => message({ id, qd: [QUESTION], ns: [rr(pointer(12), 6, Buffer.concat([pointer(12), pointer(12), Buffer.alloc(19)]))] }),
    'TXT string longer than its RDATA': (id) => message({ id, qd: [QUESTION], an: [rr(pointer(12), 16, Buffer.from([9, 0x61, 0x62]))] }),
    'label type 0x40 (retired extended label)': (id) => message({ id, qd: [QUESTION], an: [A(Buffer.from([0x41, 0]))] }),
    'a name over 255 octets': (id) => message({ id, qd: [QUESTION], an: [A(Buffer.concat([...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([60]), Buffer.alloc(60, 0x61)])), Buffer.from([0])]))] }),
    'OPT option length past its RDATA': (id) => message({ id, qd: [QUESTION], an: [A()], ar: [opt({ raw: Buffer.concat([u16(3), u16(10), Buffer.from('abc')]) })] }),
    'OPT option header cut short': (id) => message({ id, qd: [QUESTION], an: [A()], ar: [opt({ raw: Buffer.from([0, 3, 0]) })] }),
    'two OPT records': (id) => message({ id, qd: [QUESTION], an: [A()], ar: [opt(), opt()] }),
    'OPT in the answer section': (id) => message({ id, qd: [QUESTION], an: [opt()] }),
    'OPT not owned by the root': (id) => message({ id, qd: [QUESTION], an: [A()], ar: [rr(pointer(12), 41, Buffer.alloc(0), { cls: 1232, ttl: 0 })] }),
    'TSIG RR before another record': (id) =>
      message({ id, qd: [QUESTION], ar: [rr('k', 250, Buffer.alloc(0), { cls: 255, ttl: 0 }), opt()] }),
    'TSIG RR in the answer section': (id) => message({ id, qd: [QUESTION], an: [rr('k', 250, Buffer.alloc(0), { cls: 255, ttl: 0 })] }),
    'question name past the end': (id) => Buffer.concat([message({ id, counts: { qd: 1 } }), Buffer.from([3, 0x77, 0x77])]),
  };

  for (const [what, build] of Object.entries(broken)) {
    it(`${what}: malformed, never completed, the query still outstanding`, () => {
      const r = rig();
      const id = r.send();
      r.ch.receive(build(id));
      expect(r.ch.inflight, what).toBe(1);
      // The real answer still completes it.
      r.ch.receive(message({ id, qd: [QUESTION], an: [A()] }));
      const res = r.finish();
      expect(res.counters, what).toMatchObject({ sent: 1, completed: 1, malformed: 1, mismatched: 0 });
      expect(res.rcodes).toEqual({ NOERROR: 1 });
    });
  }

  it('well-formed answers of every RDATA kind it checks complete', () => {
    const rdatas: Array<[string, number, Buffer]> = [
      ['A', 1, Buffer.from([192, 0, 2, 1])],
      ['AAAA', 28, Buffer.alloc(16, 1)],
      ['CNAME (compressed)', 5, Buffer.concat([Buffer.from([5]), Buffer.from('alias'), pointer(16)])],
      ['NS', 2, wireName('ns1.test.com')],
      ['MX', 15, Buffer.concat([u16(10), pointer(12)])],
      ['SRV', 33, Buffer.concat([u16(1), u16(2), u16(53), pointer(12)])],
      ['SOA', 6, Buffer.concat([pointer(12), wireName('root.test.com'), Buffer.alloc(20)])],
      ['TXT', 16, Buffer.from([3, 0x61, 0x62, 0x63, 0])],
      ['RRSIG (opaque)', 46, Buffer.alloc(7)],
    ];
    for (const [what, type, rdata] of rdatas) {
      const { r } = one((id) => message({ id, qd: [QUESTION], an: [rr(pointer(12), type, rdata)], ar: [opt({ options: [{ code: 10, data: Buffer.alloc(8) }] })] }));
      expect(r.finish().counters, what).toMatchObject({ completed: 1, malformed: 0 });
    }
    // A chain of pointers, each to an earlier name: a.<b.<www.test.com>>.
    const chain = (id: number): Buffer => {
      const head = message({ id, qd: [QUESTION] });
      const b = Buffer.concat([Buffer.from([1, 0x62]), pointer(12)]); // at head.length + 0
      const rec1 = rr(b, 1, Buffer.from([1, 2, 3, 4]));
      const aName = Buffer.concat([Buffer.from([1, 0x61]), pointer(head.length)]);
      const rec2 = rr(aName, 1, Buffer.from([1, 2, 3, 4]));
      const out = Buffer.concat([head, rec1, rec2]);
      out.writeUInt16BE(2, 6);
      return out;
    };
    expect(one(chain).r.finish().counters).toMatchObject({ completed: 1, malformed: 0 });
  });

  it('a TC=1 answer cut inside its records is still a truncation, not malformed', () => {
    const { r } = one((id) => message({ id, qd: [QUESTION], tc: true, an: [A()], counts: { an: 5 } }));
    expect(r.finish().counters).toMatchObject({ truncated: 1, malformed: 0, completed: 0 });
  });

  it('a question that differs is mismatched (the walk does not hide it)', () => {
    const { r } = one((id) => message({ id, qd: [question('www.test.org')], an: [A()] }));
    expect(r.finish().counters).toMatchObject({ mismatched: 1, malformed: 0, completed: 0 });
  });
});

// An independent TSIG server side for these tests (RFC 8945 4.3): the digest written out long-hand.
const KEY = { algorithm: 'hmac-sha256' as const, name: 'chinanet', secret: 'kve3QMmhjXGZUZURb6mucQ==' };
const SECRET = Buffer.from(KEY.secret, 'base64');
const NOW = 1_700_000_000;

function signAnswer(answer: Buffer, requestMac: Buffer, o: { error?: number; time?: number } = {}): Buffer {
  const error = o.error ?? 0;
  const time = o.time ?? NOW;
  const nameWire = keyNameWire(KEY.name)!;
  const algWire = keyNameWire('hmac-sha256')!;
  const time48 = Buffer.concat([u16(Math.floor(time / 2 ** 32)), u32(time >>> 0)]);
  const vars = Buffer.concat([nameWire, u16(255), u32(0), algWire, time48, u16(300), u16(error), u16(0)]);
  const mac = error === 17 || error === 16 ? Buffer.alloc(0) : createHmac('sha256', SECRET).update(u16(requestMac.length)).update(requestMac).update(answer).update(vars).digest();
  const rdata = Buffer.concat([algWire, time48, u16(300), u16(mac.length), mac, answer.subarray(0, 2), u16(error), u16(0)]);
  const out = Buffer.concat([answer, rr(nameWire, 250, rdata, { cls: 255, ttl: 0 })]);
  out.writeUInt16BE(answer.readUInt16BE(10) + 1, 10);
  return out;
}

/** Offset of the TSIG RR's CLASS field in a message signAnswer made. */
const tsigClassAt = (signed: Buffer): number => signed.length - (keyNameWire('hmac-sha256')!.length + 10 + 32 + 6) - 10 + 2;

describe('TSIG verification is strict (RFC 8945 4.2, 5.1; issue 11 item 17)', () => {
  const signer = new TsigSigner(KEY, () => NOW);
  const good = (id: number): Buffer => message({ id, qd: [QUESTION], an: [A()] });

  it('TsigSigner.verify refuses trailing bytes, CLASS IN, a TTL, and accepts the untouched answer', () => {
    signer.sign(withId(Q, 7));
    const mac = Buffer.from(signer.lastMac);
    const signed = signAnswer(good(7), mac);
    expect(signer.verify(signed, mac)).toBe(Verdict.ok);
    expect(signer.verify(Buffer.concat([signed, Buffer.alloc(64)]), mac)).not.toBe(Verdict.ok);
    const classIn = Buffer.from(signed);
    classIn.writeUInt16BE(1, tsigClassAt(signed));
    expect(signer.verify(classIn, mac)).not.toBe(Verdict.ok);
    const ttl = Buffer.from(signed);
    ttl.writeUInt32BE(3600, tsigClassAt(signed) + 2);
    expect(signer.verify(ttl, mac)).not.toBe(Verdict.ok);
    // Flipping any byte the MAC covers fails, wherever it is (the digest reads the received bytes).
    for (let i = 2; i < signed.length; i++) {
      const t = Buffer.from(signed);
      t[i] = t[i]! ^ 0x01;
      expect(signer.verify(t, mac), `byte ${i}`).not.toBe(Verdict.ok);
    }
  });

  it('through the channel: each tampered answer is counted and never completed; the real one completes', () => {
    const r = rig({ features: (rec) => new ChannelFeatures(new TsigSigner(KEY, () => NOW), false, rec) });
    const id = r.send();
    // The channel's features keep the request MAC: recompute it from the signed query it sent.
    const sentQuery = r.ch.sent[0]!.bytes;
    const reqMac = sentQuery.subarray(sentQuery.length - 6 - 32, sentQuery.length - 6);
    const signed = signAnswer(good(id), Buffer.from(reqMac));
    const classIn = Buffer.from(signed);
    classIn.writeUInt16BE(1, tsigClassAt(signed));
    const ttl = Buffer.from(signed);
    ttl.writeUInt32BE(3600, tsigClassAt(signed) + 2);
    r.ch.receive(Buffer.concat([signed, Buffer.alloc(64)]));
    r.ch.receive(classIn);
    r.ch.receive(ttl);
    r.ch.receive(good(id)); // unsigned
    expect(r.ch.inflight).toBe(1);
    r.ch.receive(signed);
    const c = r.finish().counters;
    // 64 bytes after the TSIG RR break the message itself (nothing may follow the last record).
    expect(c).toMatchObject({ sent: 1, completed: 1, malformed: 1, tsigFailed: 3 });
  });

  it("NSD's answer to an unknown key (NOTAUTH, QDCOUNT 0, TSIG BADKEY) is a BADKEY TSIG failure", () => {
    const r = rig({ features: (rec) => new ChannelFeatures(new TsigSigner(KEY, () => NOW), false, rec) });
    const id = r.send();
    const badKey = signAnswer(message({ id, flags: QR, rcode: 9, ar: [opt()] }), Buffer.alloc(32), { error: 17 });
    r.ch.receive(badKey);
    expect(r.ch.inflight).toBe(1);
    expect(r.finish().counters).toMatchObject({ sent: 1, completed: 0, malformed: 0, tsigFailed: 1, tsigBadKey: 1 });
  });
});

describe('NSID values are server data: Map-safe and capped (issue 11 items 14, 15)', () => {
  const nsidAnswer = (id: number, nsid: string): Buffer =>
    message({ id, qd: [QUESTION], an: [A()], ar: [opt({ options: [{ code: 3, data: Buffer.from(nsid, 'latin1') }] })] });
  const withNsid = (rec: () => Recorder): ChannelFeatures => new ChannelFeatures(null, true, rec);

  it('__proto__, constructor, toString and hasOwnProperty are just names, in the counts and the report', () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'ns1'];
    const r = rig({ features: withNsid });
    for (let i = 0; i < 20; i++) {
      const id = r.send();
      r.ch.receive(nsidAnswer(id, names[i % names.length]!));
    }
    const data = r.finish();
    const t = targetReport({ label: 'x', host: '192.0.2.53', port: 53 }, data, { targetQps: null, sockets: [] });
    for (const n of names) expect(Object.hasOwn(t.nsid!, n) && t.nsid![n], n).toBe(4);
    expect(Object.getPrototypeOf(t.nsid)).toBe(Object.prototype);
    const json = JSON.parse(JSON.stringify(t)) as typeof t;
    expect(Object.keys(json.nsid!).sort()).toEqual([...names].sort());
    const line = nsidLine(json.nsid!);
    for (const n of names) expect(line).toContain(`${n} 4 (20.00%)`);
    expect(line).not.toMatch(/NaN|undefined|function/);
    expect(answerNotes(t)).toEqual([]);
  });

  it('a new NSID per answer keeps the table at the cap, with the rest under "(other)" and a note', () => {
    const r = rig({ features: withNsid });
    const N = 5000;
    let seed = 1;
    for (let i = 0; i < N; i++) {
      const id = r.send();
      seed = (seed * 1103515245 + 12345) >>> 0;
      r.ch.receive(nsidAnswer(id, `id-${seed.toString(36)}`));
    }
    expect(r.rec.nsid.size).toBeLessThanOrEqual(TALLY_CAP + 1);
    const data = r.finish();
    for (const iv of data.intervals) expect(Object.keys(iv.nsid ?? {}).length).toBeLessThanOrEqual(TALLY_CAP + 1);
    const t = targetReport({ label: 'x', host: '192.0.2.53', port: 53 }, data, { targetQps: null, sockets: [] });
    expect(Object.keys(t.nsid!).length).toBeLessThanOrEqual(TALLY_CAP);
    expect(Object.values(t.nsid!).reduce((a, b) => a + b, 0)).toBe(N);
    expect(t.nsid![OTHER_KEY]).toBeGreaterThan(N - TALLY_CAP - 1);
    const notes = answerNotes(t);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/more distinct NSID identities than the report keeps; the 99 most frequent are named and \d+ answer\(s\) from the rest are counted under "\(other\)"/);
    // The text line names ten and sums the rest: a bounded line.
    const line = nsidLine(t.nsid!);
    expect(line.length).toBeLessThan(600);
    expect(line).toMatch(/89 more \d+ \(.*\), \(other\) \d+/);
  });

  it('a server cannot pose as "(none)" or "(other)", and a long NSID is cut', () => {
    const r = rig({ features: withNsid });
    for (const n of ['(none)', '(other)', 'x'.repeat(300)]) r.ch.receive(nsidAnswer(r.send(), n));
    const keys = Object.keys(r.finish().nsid!);
    expect(keys).toContain('0x286e6f6e6529');
    expect(keys).toContain('0x286f7468657229');
    expect(keys).toContain(`${'x'.repeat(64)}...`);
    expect(keys).not.toContain(OTHER_KEY);
  });
});

describe('replies from an unexpected source (issue 10 item 6)', () => {
  it('are counted as foreignSource, never as answers, and the note names where they came from', () => {
    const r = rig();
    const id = r.send();
    for (let i = 0; i < 20; i++) r.ch.receiveForeign('127.0.0.1:5570');
    expect(r.ch.inflight).toBe(1);
    r.ch.receive(message({ id, qd: [QUESTION], an: [A()] }));
    const data = r.finish();
    expect(data.counters).toMatchObject({ sent: 1, completed: 1, foreignSource: 20 });
    expect(data.foreignSources).toEqual({ '127.0.0.1:5570': 20 });
    const t = targetReport({ label: 'b', host: '127.0.0.2', port: 5570 }, data, { targetQps: null, sockets: [] });
    expect(answerNotes(t)).toEqual([
      '20 replies came from 127.0.0.1:5570, not 127.0.0.2:5570: is the server answering from another address? They were counted as foreignSource, never as answers.',
    ]);
    expect(renderCounterTable(t)).toMatch(/foreign source[\s\S]*│ 20 +│/);
  });

  it('several sources are named with their counts; a changed port alone asks about NAT; sources are capped', () => {
    const r = rig();
    r.send();
    for (let i = 0; i < 30; i++) r.ch.receiveForeign(`192.0.2.53:${1000 + (i % 2)}`);
    for (let i = 0; i < 100; i++) r.ch.receiveForeign(`198.51.100.${i}:53`);
    const data = r.finish();
    expect(Object.keys(data.foreignSources!).length).toBeLessThanOrEqual(17);
    const t = targetReport({ label: 'x', host: '192.0.2.53', port: 53 }, data, { targetQps: null, sockets: [] });
    expect(answerNotes(t)[0]).toMatch(/^130 replies came from 192\.0\.2\.53:1000 \(15\), 192\.0\.2\.53:1001 \(15\), 198\.51\.100\.\d+:53 \(1\) and 99 from elsewhere, not 192\.0\.2\.53:53: is the server answering from another address\?/);

    const nat = rig();
    nat.send();
    nat.ch.receiveForeign('192.0.2.53:40000');
    const tn = targetReport({ label: 'x', host: '192.0.2.53', port: 53 }, nat.finish(), { targetQps: null, sockets: [] });
    expect(answerNotes(tn)[0]).toBe(
      '1 reply came from 192.0.2.53:40000, not 192.0.2.53:53: is something between here and the server rewriting its port (NAT)? They were counted as foreignSource, never as answers.',
    );
  });
});

describe('response-code names from a saved report are names only (issue 11 item 14)', () => {
  it('CSV and HTML count "constructor", "toString" and "__proto__" like any code, never as Object properties', () => {
    const t = fixtureTarget(samples(40, 100, 900), { rcodes: { NOERROR: 37, BADCOOKIE: 1 } });
    // As JSON.parse makes them: own properties, "__proto__" included.
    const hostile = JSON.parse('{"constructor": 1, "toString": 1, "__proto__": 1, "NOERROR": 37, "BADCOOKIE": 1}') as Record<string, number>;
    t.rcodes = hostile;
    t.intervals[0]!.rcodes = JSON.parse('{"constructor": 2, "__proto__": 3, "NOERROR": 5}') as Record<string, number>;
    const report = fixtureReport([t]);
    const csv = renderCsv(report).split('\r\n');
    const head = csv[0]!.split(',');
    expect(head).toEqual(expect.arrayContaining(['NOERROR', 'constructor', '__proto__']));
    const row = csv[1]!.split(',');
    expect(row[head.indexOf('constructor')]).toBe('2');
    expect(row[head.indexOf('__proto__')]).toBe('3');
    expect(csv.join('\n')).not.toMatch(/function|NaN|\[object/);
    const html = renderHtml(report, loadHtmlAssets());
    for (const code of ['constructor', 'toString', '__proto__', 'BADCOOKIE']) expect(html).toContain(`data-rcode="${code}"`);
    expect(html).not.toMatch(/native code|NaN|\[object Object\]/);
  });
});

describe('a run whose answers were mostly REFUSED says so', () => {
  // REFUSED completes its query (dnsperf counts it the same way), so the qps looks fine while the
  // server resolved nothing: a view or ACL not matching, or names it is not authoritative for.
  const target = (rcodes: Record<string, number>): Parameters<typeof answerNotes>[0] => {
    const t = fixtureTarget([100, 200]);
    const completed = Object.values(rcodes).reduce((a, b) => a + b, 0);
    return { ...t, rcodes, counters: { ...t.counters, completed } };
  };
  it('at half the answers or more: one note naming the count and the likely causes', () => {
    const notes = answerNotes(target({ REFUSED: 500, NOERROR: 500 }));
    expect(notes).toEqual([
      'dns1: 500 of 1000 answers (50.00%) were REFUSED: they count as completed and in the qps, as in dnsperf, but nothing was resolved. ' +
        'Is the server authoritative for these names (or recursive for this client), and does its ACL or view match this source address or TSIG key?',
    ]);
  });
  it('below half, or with no answers, nothing', () => {
    expect(answerNotes(target({ REFUSED: 499, NOERROR: 501 }))).toEqual([]);
    expect(answerNotes(target({}))).toEqual([]);
    expect(answerNotes(target({ NOERROR: 10, NXDOMAIN: 10 }))).toEqual([]);
  });
});
