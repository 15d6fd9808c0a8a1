import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { encodeQuery, HEADER_LENGTH, QueryEncoder, questionLength } from '../src/queryset/encode.js';
import { parseQueryLine } from '../src/queryset/parse.js';
import type { EdnsOptions, EncodeOptions, QuerySpec } from '../src/queryset/types.js';

function spec(line: string): QuerySpec {
  const parsed = parseQueryLine(line, 1);
  if (parsed.kind !== 'query') throw new Error(`not a query: ${line}`);
  return parsed.spec;
}

const plain: EncodeOptions = { recursionDesired: true, edns: null };
const edns = (e: Partial<EdnsOptions>): EncodeOptions => ({
  recursionDesired: true,
  edns: { udpSize: 4096, dnssecOk: false, options: [], ...e },
});

function decode(message: Uint8Array): dnsPacket.Packet {
  return dnsPacket.decode(Buffer.from(message));
}

/** The OPT RR as dns-packet decodes it (its typings leave these fields out). */
interface DecodedOpt {
  type: string;
  name: string;
  udpPayloadSize: number;
  flags: number;
  flag_do: boolean;
  extendedRcode: number;
  ednsVersion: number;
  options: { code: number; data: Buffer }[];
}

describe('encodeQuery', () => {
  it('writes a standard query with ID 0, RD set, one question, class IN', () => {
    const message = encodeQuery(spec('www.example.com AAAA'), plain);
    expect([...message.subarray(0, HEADER_LENGTH)]).toEqual([0, 0, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    const packet = decode(message);
    expect(packet.id).toBe(0);
    expect(packet.type).toBe('query');
    expect((packet as { opcode?: string }).opcode).toBe('QUERY'); // missing from @types/dns-packet
    expect(packet.flags).toBe(dnsPacket.RECURSION_DESIRED);
    expect(packet.questions).toEqual([{ name: 'www.example.com', type: 'AAAA', class: 'IN' }]);
    expect(packet.answers).toEqual([]);
    expect(packet.additionals).toEqual([]);
    expect(message).toHaveLength(12 + 17 + 4);
  });

  it('clears RD when recursionDesired is false (queryperf -R)', () => {
    const message = encodeQuery(spec('example.com A'), { recursionDesired: false, edns: null });
    expect(message[2]).toBe(0);
    expect(decode(message).flags).toBe(0);
  });

  it('encodes the root name and numeric types', () => {
    const message = encodeQuery(spec('. TYPE65535'), plain);
    expect([...message.subarray(12)]).toEqual([0, 0xff, 0xff, 0, 1]);
    expect(decode(message).questions?.[0]).toMatchObject({ name: '.', type: 'UNKNOWN_65535', class: 'IN' }) // dns-packet's spelling;
  });

  it('keeps the QNAME bytes, escapes included, and case', () => {
    const message = encodeQuery(spec('A\\.b\\255.Example A'), plain);
    expect([...message.subarray(12, 12 + 14)]).toEqual([4, 0x41, 0x2e, 0x62, 255, 7, ...Buffer.from('Example'), 0]);
  });

  it('adds an OPT RR with the UDP size and no DO bit', () => {
    const message = encodeQuery(spec('example.com A'), edns({ udpSize: 1232 }));
    expect(message[11]).toBe(1); // ARCOUNT
    const packet = decode(message);
    expect(packet.additionals).toHaveLength(1);
    const opt = packet.additionals?.[0] as unknown as DecodedOpt;
    expect(opt).toMatchObject({
      type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, flag_do: false, extendedRcode: 0, ednsVersion: 0,
    });
    expect(opt.options).toEqual([]);
    expect(message).toHaveLength(12 + 13 + 4 + 11);
  });

  it('sets the DO bit in the OPT TTL flags (RFC 3225)', () => {
    const message = encodeQuery(spec('example.com DNSKEY'), edns({ dnssecOk: true }));
    const opt = decode(message).additionals?.[0] as unknown as DecodedOpt;
    expect(opt.flag_do).toBe(true);
    expect(opt.flags & dnsPacket.DNSSEC_OK).toBe(dnsPacket.DNSSEC_OK);
    expect(opt.udpPayloadSize).toBe(4096);
    expect([...message.subarray(-6, -2)]).toEqual([0, 0, 0x80, 0]); // TTL: rcode, version, flags
  });

  it('writes several EDNS options in order, each as code/length/data', () => {
    const cookie = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const options = [
      { code: 10, data: cookie },
      { code: 65001, data: Uint8Array.from([0xaa, 0xbb, 0xcc]) },
      { code: 65002, data: new Uint8Array(0) },
    ];
    const message = encodeQuery(spec('example.com A'), edns({ options }));
    const opt = decode(message).additionals?.[0] as unknown as DecodedOpt;
    expect(opt.options.map((o) => ({ code: o.code, data: [...o.data] }))).toEqual([
      { code: 10, data: [...cookie] },
      { code: 65001, data: [0xaa, 0xbb, 0xcc] },
      { code: 65002, data: [] },
    ]);
    expect(message).toHaveLength(12 + 13 + 4 + 11 + (4 + 8) + (4 + 3) + 4);
  });

  it('rejects EDNS values that do not fit their 16-bit fields', () => {
    expect(() => encodeQuery(spec('x A'), edns({ udpSize: 70000 }))).toThrow(UsageError);
    expect(() => encodeQuery(spec('x A'), edns({ options: [{ code: 65536, data: new Uint8Array(0) }] })))
      .toThrow(/EDNS option code must be an integer from 0 to 65535/);
    expect(() => encodeQuery(spec('x A'), edns({ options: [{ code: 1, data: new Uint8Array(65536) }] })))
      .toThrow(UsageError);
  });
});

describe('questionLength', () => {
  it('covers exactly QNAME + QTYPE + QCLASS after the header', () => {
    const s = spec('www.example.com MX');
    const message = encodeQuery(s, edns({ dnssecOk: true }));
    const qlen = questionLength(s.qname.length);
    expect(qlen).toBe(17 + 4);
    expect([...message.subarray(12, 12 + qlen)]).toEqual([...s.qname, 0, 15, 0, 1]);
    expect(message[12 + qlen]).toBe(0); // the OPT RR's root owner starts right after
    expect(message[12 + qlen + 2]).toBe(41);
  });
});

describe('QueryEncoder', () => {
  it('writes at an offset, returns the end, and matches encodeQuery and messageLength', () => {
    const opts = edns({ options: [{ code: 65001, data: Uint8Array.from([9]) }] });
    const encoder = new QueryEncoder(opts);
    const a = spec('a.example A');
    const b = spec('bb.example TXT');
    const dst = new Uint8Array(200).fill(0xee);
    const mid = encoder.write(dst, 3, a.qname, a.qname.length, a.qtype);
    const end = encoder.write(dst, mid, b.qname, b.qname.length, b.qtype);
    expect(mid - 3).toBe(encoder.messageLength(a.qname.length));
    expect(end - mid).toBe(encoder.messageLength(b.qname.length));
    expect([...dst.subarray(3, mid)]).toEqual([...encodeQuery(a, opts)]);
    expect([...dst.subarray(mid, end)]).toEqual([...encodeQuery(b, opts)]);
    expect(dst[2]).toBe(0xee);
    expect(dst[end]).toBe(0xee);
  });

  it('honours qnameLength when the name buffer is longer (the scanner reuses one)', () => {
    const s = spec('a.example A');
    const scratch = new Uint8Array(256).fill(7);
    scratch.set(s.qname);
    const encoder = new QueryEncoder(plain);
    const dst = new Uint8Array(64);
    const end = encoder.write(dst, 0, scratch, s.qname.length, 1);
    expect([...dst.subarray(0, end)]).toEqual([...encodeQuery(s, plain)]);
  });
});
