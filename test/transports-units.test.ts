// Units behind the transports: TCP framing, TSIG signing and verification (checked against an
// independent HMAC computation in this file), client-subnet encoding (checked against dns-packet),
// and the record walk that finds OPT and TSIG in a response.
import { createHmac } from 'node:crypto';
import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { FrameReader, frame } from '../src/engine/transports/framing.js';
import { findEdnsOption, nameEquals, newRecordScan, scanRecords, skipName } from '../src/engine/wire.js';
import { nsidText } from '../src/engine/features.js';
import { keyNameWire, parseTsigKey } from '../src/tsig/key.js';
import { TsigError, TsigSigner, Verdict } from '../src/tsig/tsig.js';
import { encodeEcs } from '../src/queryset/ecs.js';
import { buildQuerySet } from '../src/queryset/load.js';
import { InputError, UsageError } from '../src/errors.js';
import type { EncodeOptions } from '../src/queryset/types.js';
import type { RunData as WorkerPartial } from '../src/results/model.js';
import { zeroCounters } from '../src/results/counters.js';
import { mergeRunData } from '../src/results/merge.js';
import { runDataOf, targetReport } from '../src/results/build.js';

const query = (id: number, name = 'www.example.com'): Buffer =>
  dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] });

describe('FrameReader (RFC 7766 length framing)', () => {
  const msgs = [query(1), query(2, 'a.b'), Buffer.alloc(0), query(3, 'last.example')];
  const stream = Buffer.concat(msgs.map(frame));

  it('reassembles messages split across reads, down to one byte per read', () => {
    for (const size of [1, 2, 3, 7, 64, stream.length]) {
      const got: string[] = [];
      const reader = new FrameReader((b, o, n) => got.push(b.subarray(o, o + n).toString('hex')));
      for (let i = 0; i < stream.length; i += size) reader.push(stream.subarray(i, i + size));
      expect(got, `reads of ${size} bytes`).toEqual(msgs.map((m) => m.toString('hex')));
    }
  });

  it('delivers several messages from one read and keeps a partial tail for the next', () => {
    const got: number[] = [];
    const reader = new FrameReader((_b, _o, n) => got.push(n));
    reader.push(stream.subarray(0, stream.length - 5));
    expect(got).toEqual([msgs[0]!.length, msgs[1]!.length, 0]);
    reader.push(stream.subarray(stream.length - 5));
    expect(got).toHaveLength(4);
  });

  it('forgets a partial message on reset (a new connection starts clean)', () => {
    const got: number[] = [];
    const reader = new FrameReader((_b, _o, n) => got.push(n));
    reader.push(stream.subarray(0, 5));
    reader.reset();
    reader.push(frame(query(9)));
    expect(got).toEqual([query(9).length]);
  });
});

describe('-y key parsing', () => {
  it('takes [alg:]name:secret with hmac-md5 as the default', () => {
    expect(parseTsigKey('chinanet:kve3QMmhjXGZUZURb6mucQ==')).toEqual({ algorithm: 'hmac-md5', name: 'chinanet', secret: 'kve3QMmhjXGZUZURb6mucQ==' });
    expect(parseTsigKey('HMAC-SHA256:key.example.:c2VjcmV0')).toMatchObject({ algorithm: 'hmac-sha256', name: 'key.example' });
    expect(parseTsigKey('hmac-md5.sig-alg.reg.int:k:c2VjcmV0')).toMatchObject({ algorithm: 'hmac-md5' });
  });
  it('refuses bad algorithms, names and secrets without echoing the secret', () => {
    const secret = 'not*base64*secret';
    for (const [v, re] of [
      ['hmac-sha3:k:c2VjcmV0', /unknown algorithm "hmac-sha3" \(expected one of hmac-md5, hmac-sha1/],
      ['k', /expected \[alg:\]name:secret/],
      ['a:b:c:d', /expected \[alg:\]name:secret/],
      ['hmac-sha1:bad..name:c2VjcmV0', /key name "bad..name" is not a valid domain name/],
      [`k:${secret}`, /secret of key "k" is not valid base64/],
      ['k:', /not valid base64/],
    ] as const) {
      let err: unknown;
      try {
        parseTsigKey(v);
      } catch (e) {
        err = e;
      }
      expect(err, v).toBeInstanceOf(UsageError);
      expect(String(err)).toMatch(re);
      expect(String(err)).not.toContain(secret);
    }
  });
});

// An independent TSIG "server" for the tests: RFC 8945 4.3 digests written out long-hand.
const KEY = { algorithm: 'hmac-sha256' as const, name: 'chinanet', secret: 'kve3QMmhjXGZUZURb6mucQ==' };
const secret = Buffer.from(KEY.secret, 'base64');
const nameWire = keyNameWire('chinanet')!;
const algWire = keyNameWire('hmac-sha256')!;
const u16 = (n: number): Buffer => Buffer.from([n >>> 8, n & 0xff]);
const time48 = (t: number): Buffer => Buffer.concat([u16(Math.floor(t / 2 ** 32)), Buffer.from([(t >>> 24) & 0xff, (t >>> 16) & 0xff, (t >>> 8) & 0xff, t & 0xff])]);

interface ParsedTsig {
  unsigned: Buffer;
  mac: Buffer;
  time: number;
  fudge: number;
  originalId: number;
  error: number;
}

/** Split a signed message into the message without its (last) TSIG RR and the RR's fields. */
function splitTsig(signed: Buffer): ParsedTsig {
  const scan = newRecordScan();
  expect(scanRecords(signed, scan)).toBe(true);
  expect(scan.lastType).toBe(250);
  const start = scan.lastStart;
  let off = skipName(signed, start) + 10;
  off = skipName(signed, off);
  const time = signed.readUIntBE(off, 6);
  const fudge = signed.readUInt16BE(off + 6);
  const macSize = signed.readUInt16BE(off + 8);
  const mac = signed.subarray(off + 10, off + 10 + macSize);
  off += 10 + macSize;
  const unsigned = Buffer.from(signed.subarray(0, start));
  unsigned.writeUInt16BE(signed.readUInt16BE(10) - 1, 10);
  return { unsigned, mac, time, fudge, originalId: signed.readUInt16BE(off), error: signed.readUInt16BE(off + 2) };
}

function variables(time: number, fudge: number, error: number): Buffer {
  return Buffer.concat([nameWire, u16(255), Buffer.alloc(4), algWire, time48(time), u16(fudge), u16(error), u16(0)]);
}

/** What a server sends back: `response` signed over the request MAC (RFC 8945 4.3.3). */
function signResponse(response: Buffer, requestMac: Buffer, o: { time: number; error?: number; macFor?: Buffer }): Buffer {
  const error = o.error ?? 0;
  const h = createHmac('sha256', o.macFor ?? secret);
  h.update(u16(requestMac.length));
  h.update(requestMac);
  h.update(response);
  h.update(variables(o.time, 300, error));
  const mac = error === TsigError.badKey || error === TsigError.badSig ? Buffer.alloc(0) : h.digest();
  const rdata = Buffer.concat([algWire, time48(o.time), u16(300), u16(mac.length), mac, response.subarray(0, 2), u16(error), u16(0)]);
  const rr = Buffer.concat([nameWire, u16(250), u16(255), Buffer.alloc(4), u16(rdata.length), rdata]);
  const out = Buffer.concat([response, rr]);
  out.writeUInt16BE(response.readUInt16BE(10) + 1, 10);
  return out;
}

describe('TSIG (RFC 8945)', () => {
  const now = 1_700_000_000;
  const signer = new TsigSigner(KEY, () => now);
  const answer = (id: number): Buffer =>
    dnsPacket.encode({
      type: 'response', id, flags: dnsPacket.AUTHORITATIVE_ANSWER,
      questions: [{ type: 'A', name: 'www.example.com' }],
      answers: [{ type: 'A', name: 'www.example.com', ttl: 300, data: '192.0.2.1' }],
    });

  it('signs a query with a MAC an independent HMAC computation agrees with', () => {
    const q = query(0x1234);
    const signed = signer.sign(q);
    const p = splitTsig(signed);
    expect(p.unsigned.equals(q)).toBe(true);
    expect(p.time).toBe(now);
    expect(p.fudge).toBe(300);
    expect(p.originalId).toBe(0x1234);
    const expected = createHmac('sha256', secret).update(q).update(variables(now, 300, 0)).digest();
    expect(p.mac.equals(expected)).toBe(true);
    expect(signer.lastMac.equals(expected)).toBe(true);
  });

  it('verifies a signed response, and rejects it tampered with, unsigned, late or under another key', () => {
    const q = signer.sign(query(7));
    const mac = Buffer.from(signer.lastMac);
    expect(splitTsig(q).originalId).toBe(7);
    const good = signResponse(answer(7), mac, { time: now });
    expect(signer.verify(good, mac)).toBe(Verdict.ok);

    const tampered = Buffer.from(good);
    tampered[tampered.indexOf(Buffer.from([192, 0, 2, 1]))] = 10; // the A record's first octet
    expect(signer.verify(tampered, mac)).toBe(Verdict.badMac);
    expect(signer.verify(answer(7), mac)).toBe(Verdict.unsigned);
    expect(signer.verify(signResponse(answer(7), mac, { time: now - 301 }), mac)).toBe(Verdict.badTime);
    expect(signer.verify(signResponse(answer(7), mac, { time: now, macFor: Buffer.from('other') }), mac)).toBe(Verdict.badMac);
    // The response MAC covers the request MAC: another request's MAC does not verify it.
    expect(signer.verify(good, Buffer.alloc(mac.length))).toBe(Verdict.badMac);
  });

  it('reports the server TSIG errors (BADKEY, BADSIG come unsigned)', () => {
    signer.sign(query(9));
    const mac = Buffer.from(signer.lastMac);
    for (const error of [TsigError.badKey, TsigError.badSig, TsigError.badTime]) {
      const r = answer(9);
      r.writeUInt16BE(r.readUInt16BE(2) | 9, 2); // NOTAUTH
      expect(signer.verify(signResponse(r, mac, { time: now, error }), mac)).toBe(Verdict.serverError);
      expect(signer.lastError).toBe(error);
    }
  });
});

describe('EDNS client subnet (RFC 7871)', () => {
  const decodeOption = (opt: Uint8Array): Record<string, unknown> => {
    const msg = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'x.test' }] });
    // Wrap the option in an OPT RR and let dns-packet decode it.
    const rr = Buffer.concat([Buffer.from([0, 0, 41, 16, 0, 0, 0, 0, 0]), u16(opt.length), Buffer.from(opt)]);
    const full = Buffer.concat([msg, rr]);
    full.writeUInt16BE(1, 10);
    const decoded = dnsPacket.decode(full) as unknown as { additionals: Array<{ options: Array<Record<string, unknown>> }> };
    return decoded.additionals[0]!.options[0]!;
  };

  it('encodes IPv4 and IPv6 subnets as dns-packet decodes them, cutting and zeroing past the prefix', () => {
    expect(decodeOption(encodeEcs('198.51.100.0/24') as Uint8Array)).toMatchObject({ code: 8, family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip: '198.51.100.0' });
    const cut = encodeEcs('198.51.100.77/20') as Uint8Array;
    expect([...cut]).toEqual([0, 8, 0, 7, 0, 1, 20, 0, 198, 51, 96]);
    expect(decodeOption(encodeEcs('2001:db8:abcd::1/48') as Uint8Array)).toMatchObject({ family: 2, sourcePrefixLength: 48, ip: '2001:db8:abcd::' });
    expect([...(encodeEcs('0.0.0.0/0') as Uint8Array)]).toEqual([0, 8, 0, 4, 0, 1, 0, 0]);
    expect([...(encodeEcs('::ffff:192.0.2.1') as Uint8Array)].slice(-4)).toEqual([192, 0, 2, 1]);
  });

  it('explains a bad subnet', () => {
    expect(encodeEcs('198.51.100.0/33')).toMatch(/prefix length must be 0 to 32/);
    expect(encodeEcs('2001:db8::/129')).toMatch(/0 to 128/);
    expect(encodeEcs('example.com/24')).toMatch(/not an IPv4 or IPv6 subnet/);
  });

  const opts = (ecs: string[], edns = false): EncodeOptions => ({
    recursionDesired: true,
    edns: edns ? { udpSize: 1232, dnssecOk: true, options: [{ code: 10, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) }] } : null,
    ecs,
  });
  const subnets = (raw: string, o: EncodeOptions): Array<string | null> => {
    const qs = buildQuerySet(Buffer.from(raw), 'test', o);
    const wire = Buffer.from(qs.wire);
    const offsets = new Uint32Array(qs.offsets);
    return Array.from({ length: qs.count }, (_, i) => {
      const p = dnsPacket.decode(wire.subarray(offsets[i], offsets[i + 1])) as unknown as { additionals: Array<{ options: Array<{ code: number; ip: string; sourcePrefixLength: number }> }> };
      const ecs = p.additionals[0]?.options.find((o) => o.code === 8);
      return ecs ? `${ecs.ip}/${ecs.sourcePrefixLength}` : null;
    });
  };

  it('rotates --ecs over the queries (query i gets subnet i mod k), and an ecs= column wins', () => {
    const raw = 'a.test A\nb.test A\n; comment\nc.test A ecs=203.0.113.0/24\nd.test A\ne.test A other=column\n';
    expect(subnets(raw, opts(['198.51.100.0/24', '2001:db8::/56']))).toEqual([
      '198.51.100.0/24', '2001:db8::/56', '203.0.113.0/24', '2001:db8::/56', '198.51.100.0/24',
    ]);
    expect(subnets(raw, opts([]))).toEqual([null, null, '203.0.113.0/24', null, null]);
  });

  it('keeps the run\'s other EDNS options, size and DO bit beside the subnet', () => {
    const qs = buildQuerySet(Buffer.from('a.test A\n'), 'test', opts(['198.51.100.0/24'], true));
    const p = dnsPacket.decode(Buffer.from(qs.wire)) as unknown as { additionals: Array<{ udpPayloadSize: number; flag_do: boolean; options: Array<{ code: number }> }> };
    expect(p.additionals).toHaveLength(1);
    expect(p.additionals[0]).toMatchObject({ udpPayloadSize: 1232, flag_do: true });
    expect(p.additionals[0]!.options.map((o) => o.code)).toEqual([10, 8]);
  });

  it('rejects a bad ecs= column as a bad line', () => {
    expect(() => buildQuerySet(Buffer.from('a.test A ecs=1.2.3.4/40\n'), 'q.txt', opts([]))).toThrow(InputError);
    expect(() => buildQuerySet(Buffer.from('a.test A ecs=1.2.3.4/40\n'), 'q.txt', opts([]))).toThrow(/q\.txt:1: bad ecs= column: "1\.2\.3\.4\/40": prefix length must be 0 to 32/);
  });
});

describe('walking a response', () => {
  it('finds the OPT RR and its NSID option past compressed answers', () => {
    const plain = dnsPacket.encode({
      type: 'response', id: 5, questions: [{ type: 'A', name: 'www.example.com' }],
      answers: [{ type: 'A', name: 'www.example.com', data: '192.0.2.1' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, options: [{ code: 3, data: Buffer.from('ns1.example') }] } as unknown as dnsPacket.Answer],
    });
    // dns-packet does not compress: add a second answer whose owner is a pointer to the question name.
    const opt = plain.length - 11 - 15;
    const second = opt;
    const r = Buffer.concat([plain.subarray(0, opt), Buffer.from('c00c00010001000000000004c0000202', 'hex'), plain.subarray(opt)]);
    r.writeUInt16BE(2, 6);
    const scan = newRecordScan();
    expect(scanRecords(r, scan)).toBe(true);
    expect(scan.lastType).toBe(41);
    expect(Buffer.from(findEdnsOption(r, scan, 3)!).toString()).toBe('ns1.example');
    expect(findEdnsOption(r, scan, 8)).toBeNull();
    expect(nameEquals(r, second, keyNameWire('WWW.example.com')!)).toBe(true);
    expect(nameEquals(r, second, keyNameWire('www.example.org')!)).toBe(false);
    expect(scanRecords(r.subarray(0, r.length - 3), scan)).toBe(false);
  });

  it('shows NSID payloads as text when printable, else hex', () => {
    expect(nsidText(Buffer.from('ns-a'))).toBe('ns-a');
    expect(nsidText(Uint8Array.from([0, 0xff]))).toBe('0x00ff');
  });
});

describe('transport results merge like counters', () => {
  const part = (connectUs: number[], nsid: Record<string, number>, sourcePairs: number): WorkerPartial => {
    const counters = { ...zeroCounters(), sent: 10, completed: 10, connAttempts: connectUs.length + 1, connSuccesses: connectUs.length, reconnects: 1 };
    return {
      counters,
      rcodes: { NOERROR: 10 },
      latency: { count: 10, min: 5, max: 50, sum: 200, sumSquares: 6000 },
      histogram: '',
      corrected: null,
      intervals: [],
      startedAt: 1000,
      sendEndedAt: 2000,
      lastCompletionAt: 2000,
      endedAt: 2001,
      connect: {
        count: connectUs.length,
        min: Math.min(...connectUs),
        max: Math.max(...connectUs),
        sum: connectUs.reduce((a, b) => a + b, 0),
        sumSquares: connectUs.reduce((a, b) => a + b * b, 0),
      },
      nsid,
      sourcePairs,
    };
  };

  it('adds connection sums, NSID counts and source pairs, and survives a saved report', () => {
    const merged = mergeRunData([part([100, 300], { ns1: 6, ns2: 4 }, 2), part([200], { ns1: 10 }, 1)]);
    const t = targetReport({ label: 'x', host: '127.0.0.1', port: 53 }, merged, { targetQps: null, sockets: [] });
    expect(t.connections).toMatchObject({ attempts: 5, successes: 3, reconnects: 2, latency: { count: 3, min: 100, max: 300, mean: 200 } });
    expect(t.connections!.latency.stddev).toBeCloseTo(100, 9);
    expect(t.nsid).toEqual({ ns1: 16, ns2: 4 });
    expect(t.sourcePairs).toBe(3);
    // A saved report merges again exactly (dnsbench merge / report).
    const again = targetReport({ label: 'x', host: '127.0.0.1', port: 53 }, mergeRunData([runDataOf(t), runDataOf(t)]), { targetQps: null, sockets: [] });
    expect(again.connections!.latency).toMatchObject({ count: 6, min: 100, max: 300, mean: 200 });
    expect(again.nsid).toEqual({ ns1: 32, ns2: 8 });
    expect(again.sourcePairs).toBe(6);
    // A UDP run has none of it.
    const udp = targetReport({ label: 'x', host: '127.0.0.1', port: 53 }, mergeRunData([{ ...part([], {}, 1), counters: { ...zeroCounters(), sent: 1 } }]), { targetQps: null, sockets: [] });
    expect(udp.connections).toBeNull();
    expect(udp.nsid).toBeNull();
  });
});
