import { Buffer } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import type { DecodedPacket, OptAnswer } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResponder, type Responder } from '../src/serve/responder.js';
import { loadZoneFile, parseZone } from '../src/serve/zone.js';
import { TcpClient, UdpClient, makeQuery } from './serve-client.js';
import { startTcpResponder } from '../src/serve/tcp.js';

const DEMO_ZONE = fileURLToPath(new URL('../zones/demo.zone', import.meta.url));

let responder: Responder;
let client: UdpClient;

beforeAll(async () => {
  responder = await startResponder({ zone: loadZoneFile(DEMO_ZONE), address: '127.0.0.1', port: 0 });
  client = await UdpClient.open();
});

afterAll(async () => {
  await client?.close();
  await responder?.close();
});

type Rcode = DecodedPacket & { rcode: string };

async function ask(msg: Buffer): Promise<Rcode> {
  return dnsPacket.decode(await client.ask(msg, responder.port)) as Rcode;
}

function datas(p: DecodedPacket): unknown[] {
  return (p.answers ?? []).map((a) => ('data' in a ? a.data : undefined));
}

describe('responder answers', () => {
  it('answers A authoritatively with NOERROR and echoes the ID', async () => {
    const r = await ask(makeQuery('www.demo.test', 'A', { id: 4242 }));
    expect(r.id).toBe(4242);
    expect(r.type).toBe('response');
    expect(r.flag_aa).toBe(true);
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers).toEqual([expect.objectContaining({ name: 'www.demo.test', type: 'A', ttl: 300, data: '192.0.2.10' })]);
  });

  it('answers AAAA and MX', async () => {
    expect(datas(await ask(makeQuery('v6.demo.test', 'AAAA')))).toEqual(['2001:db8::6']);
    expect(datas(await ask(makeQuery('mail.demo.test', 'MX')))).toEqual([
      { preference: 10, exchange: 'mx1.demo.test' },
      { preference: 20, exchange: 'mx2.demo.test' },
    ]);
  });

  it('returns every record of a round-robin name', async () => {
    expect(datas(await ask(makeQuery('rr.demo.test', 'A')))).toHaveLength(4);
  });

  it('chases CNAMEs inside the zone and stops at one that leaves it', async () => {
    const chain = await ask(makeQuery('chain.demo.test', 'A'));
    expect(chain.rcode).toBe('NOERROR');
    expect(chain.answers!.map((a) => [a.name, a.type])).toEqual([
      ['chain.demo.test', 'CNAME'],
      ['alias.demo.test', 'CNAME'],
      ['www.demo.test', 'A'],
    ]);
    const cnameOnly = await ask(makeQuery('alias.demo.test', 'CNAME'));
    expect(datas(cnameOnly)).toEqual(['www.demo.test']);
    const external = await ask(makeQuery('external.demo.test', 'A'));
    expect(datas(external)).toEqual(['www.example.net']);
  });

  it('answers NXDOMAIN with the SOA in authority, TTL capped by the SOA minimum (RFC 2308)', async () => {
    const r = await ask(makeQuery('nosuch.demo.test', 'A'));
    expect(r.rcode).toBe('NXDOMAIN');
    expect(r.flag_aa).toBe(true);
    expect(r.answers).toEqual([]);
    expect(r.authorities).toEqual([expect.objectContaining({ name: 'demo.test', type: 'SOA', ttl: 60 })]);
  });

  it('answers NODATA (NOERROR, no answers, SOA) for a missing type and for an empty non-terminal', async () => {
    for (const [name, type] of [['www.demo.test', 'MX'], ['_udp.demo.test', 'SRV']] as const) {
      const r = await ask(makeQuery(name, type));
      expect(r.rcode, name).toBe('NOERROR');
      expect(r.answers, name).toEqual([]);
      expect(r.authorities!.map((a) => a.type), name).toEqual(['SOA']);
    }
  });

  it('refuses names outside the zone, without AA', async () => {
    const r = await ask(makeQuery('www.example.com', 'A'));
    expect(r.rcode).toBe('REFUSED');
    expect(r.flag_aa).toBe(false);
    expect(r.answers).toEqual([]);
  });

  it('matches names case-insensitively and echoes the question byte for byte', async () => {
    const q = makeQuery('WwW.DeMo.TeSt', 'A');
    const raw = await client.ask(q, responder.port);
    const questionEnd = q.length; // no OPT: the question runs to the end of the query
    expect(raw.subarray(12, questionEnd)).toEqual(q.subarray(12, questionEnd));
    const r = dnsPacket.decode(raw);
    expect(r.questions).toEqual([{ name: 'WwW.DeMo.TeSt', type: 'A', class: 'IN' }]);
    expect(datas(r)).toEqual(['192.0.2.10']);
  });

  it('patches ID and RD per query when the response comes from the cache', async () => {
    for (const [id, rd] of [[1, true], [0, false], [0xffff, true], [777, false]] as const) {
      const r = await ask(makeQuery('h7.demo.test', 'A', { id, rd }));
      expect(r.id).toBe(id);
      expect(r.flag_rd).toBe(rd);
      expect(datas(r)).toEqual(['192.0.2.8']);
    }
  });

  it('answers with an OPT RR only when the query had one, echoing DO', async () => {
    const plain = await ask(makeQuery('www.demo.test', 'A'));
    expect(plain.additionals).toEqual([]);
    const edns = await ask(makeQuery('www.demo.test', 'A', { edns: true, dnssecOk: true }));
    const opt = edns.additionals!.find((a): a is OptAnswer => a.type === 'OPT');
    expect(opt).toBeDefined();
    expect(opt!.ednsVersion).toBe(0);
    expect(opt!.flag_do).toBe(true);
    expect(datas(edns)).toEqual(['192.0.2.10']);
  });

  it('answers BADVERS to an EDNS version it does not speak (RFC 6891 6.1.3)', async () => {
    const r = await ask(makeQuery('www.demo.test', 'A', { edns: true, ednsVersion: 1 }));
    const opt = r.additionals!.find((a): a is OptAnswer => a.type === 'OPT');
    expect(opt!.extendedRcode).toBe(1); // 16 >> 4
    expect(r.answers).toEqual([]);
  });

  it('answers FORMERR to a query with two questions, and NOTIMP to another opcode, echoing the ID', async () => {
    const two = makeQuery('www.demo.test', 'A', { id: 99 });
    two.writeUInt16BE(2, 4);
    const formErr = await client.ask(two, responder.port);
    expect(formErr.readUInt16BE(0)).toBe(99);
    expect(formErr[3]! & 0xf).toBe(1);

    const update = makeQuery('demo.test', 'SOA', { id: 100 });
    update[2] = (update[2]! & 0x87) | (5 << 3);
    const notImp = await client.ask(update, responder.port);
    expect(notImp.readUInt16BE(0)).toBe(100);
    expect(notImp[3]! & 0xf).toBe(4);
  });

  it('accounts for every datagram in exactly one counter', () => {
    const s = responder.stats();
    expect(s.received).toBeGreaterThan(0);
    expect(s.overCapacity + s.answered + s.dropped + s.truncated + s.garbage + s.wrongId + s.servfail + s.malformed + s.errors).toBe(s.received);
    expect(s.errors).toBe(0);
  });
});

describe('responder size limits', () => {
  let big: Responder;
  beforeAll(async () => {
    const txt = Array.from({ length: 20 }, (_, i) => `big TXT "${String(i).padStart(2, '0')}${'x'.repeat(60)}"`).join('\n');
    big = await startResponder({ zone: parseZone(`$TTL 60\n@ SOA ns hm 1 2 3 4 5\n${txt}\n`, 'big.zone', 'big.test'), port: 0 });
  });
  afterAll(async () => {
    await big?.close();
  });

  it('sets TC and sends no records when the answer exceeds 512 bytes without EDNS, but fits it with EDNS', async () => {
    const small = dnsPacket.decode(await client.ask(makeQuery('big.big.test', 'TXT'), big.port));
    expect(small.flag_tc).toBe(true);
    expect(small.answers).toEqual([]);
    expect(small.questions![0]!.name).toBe('big.big.test');

    const large = dnsPacket.decode(await client.ask(makeQuery('big.big.test', 'TXT', { edns: true }), big.port));
    expect(large.flag_tc).toBe(false);
    expect(large.answers).toHaveLength(20);
  });
});

// A zone that gives one name more records than any DNS message holds (65535 bytes: at most 5957
// records). Answering it spread the RRset into push()'s arguments, which throws past ~125 000:
// `dnsbench serve --zone` died with a stack trace at the first query for that name. Over UDP and
// TCP alike the answer is TC=1 with no records, and the responder keeps answering.
describe('an RRset larger than any message', () => {
  const N = 200_000;
  const many = Array.from({ length: N }, (_, i) => `many A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`).join('\n');
  const zone = parseZone(`$TTL 60\n@ SOA ns hm 1 2 3 4 5\nwww A 192.0.2.1\n${many}\n`, 'many.zone', 'many.test');

  it('UDP and TCP: TC=1 without records, and the next query is answered', async () => {
    const udp = await startResponder({ zone, port: 0 });
    const tcp = await startTcpResponder({ zone, port: 0 });
    const conn = await TcpClient.open(tcp.port);
    try {
      for (const opts of [{}, { edns: true }]) {
        const r = dnsPacket.decode(await client.ask(makeQuery('many.many.test', 'A', opts), udp.port));
        expect(r.flag_tc).toBe(true);
        expect(r.answers).toEqual([]);
      }
      expect(dnsPacket.decode(await client.ask(makeQuery('www.many.test', 'A'), udp.port)).answers).toHaveLength(1);
      expect(udp.stats().errors).toBe(0);
      // ANY (not in dns-packet's RecordType, encoded all the same): every RRset of the name.
      conn.send(makeQuery('many.many.test', 'ANY' as Parameters<typeof makeQuery>[1]));
      const overTcp = await conn.next(5000);
      expect(overTcp).not.toBeNull();
      const t = dnsPacket.decode(overTcp!);
      expect(t.flag_tc).toBe(true);
      expect(t.answers).toEqual([]);
      conn.send(makeQuery('www.many.test', 'A'));
      expect(dnsPacket.decode((await conn.next(5000))!).answers).toHaveLength(1);
    } finally {
      conn.close();
      await udp.close();
      await tcp.close();
    }
  }, 30_000);
});
