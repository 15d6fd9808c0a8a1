import { Buffer } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAnswer } from '../src/serve/answer.js';
import { mulberry32 } from '../src/serve/faults.js';
import { QueryStatus, newParsedQuery, parseQuery } from '../src/serve/query.js';
import { startResponder, type Responder } from '../src/serve/responder.js';
import { loadZoneFile } from '../src/serve/zone.js';
import { UdpClient, makeQuery, sleep } from './serve-client.js';

const zone = loadZoneFile(fileURLToPath(new URL('../zones/demo.zone', import.meta.url)));
const next = mulberry32(2024);

function randomBytes(length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = next() & 0xff;
  return b;
}

/** Valid queries with a few random bytes changed: closer to real corruption than pure noise. */
function mutated(): Buffer {
  const names = ['www.demo.test', 'chain.demo.test', 'nosuch.demo.test', 'example.com', '_udp.demo.test'];
  const q = makeQuery(names[next() % names.length]!, 'A', { edns: next() % 2 === 0, id: next() & 0xffff });
  for (let n = 1 + (next() % 4); n > 0; n--) q[next() % q.length] = next() & 0xff;
  return next() % 4 === 0 ? q.subarray(0, next() % q.length) : q;
}

/** Hand-made nasties: each aims at one bounds check in query.ts. */
function crafted(): Buffer[] {
  const header = (qd: number, an = 0, ns = 0, ar = 0): number[] => [0xab, 0xcd, 0x01, 0x00, 0, qd, an >> 8, an & 0xff, ns >> 8, ns & 0xff, ar >> 8, ar & 0xff];
  const www = [3, 0x77, 0x77, 0x77, 4, 0x64, 0x65, 0x6d, 0x6f, 4, 0x74, 0x65, 0x73, 0x74, 0, 0, 1, 0, 1];
  return [
    Buffer.alloc(0),
    Buffer.from([0x12]),
    Buffer.alloc(11),
    Buffer.from(header(1)), // header only, question missing
    Buffer.from([...header(1), 63]), // label runs off the end
    Buffer.from([...header(1), 0xc0, 0x0c, 0, 1, 0, 1]), // compression pointer to itself
    Buffer.from([...header(1), 0x40, 0x41]), // reserved label type
    Buffer.from([...header(1), ...Array.from({ length: 5 }, () => [63, ...Array(63).fill(0x61)]).flat(), 0, 0, 1, 0, 1]), // name > 255
    Buffer.from([...header(1), 0, 0, 1]), // truncated QTYPE/QCLASS
    Buffer.from([...header(1, 0, 0, 65535), ...www]), // 65535 additionals that are not there
    Buffer.from([...header(1, 65535, 65535, 65535), ...www, 0xc0]), // half a pointer
    Buffer.from([...header(1, 0, 0, 1), ...www, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0xff, 0xff]), // OPT rdlength past the end
    Buffer.from([...header(1, 0, 0, 2), ...www, ...[0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0], ...[0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0]]), // two OPTs
    Buffer.from([...header(1, 0, 0, 1), ...www, 1, 0x61, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0]), // OPT not owned by root
    Buffer.from([0, 1, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...www]), // a response, not a query
    Buffer.from([0, 1, 0x28, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...www]), // opcode UPDATE
    Buffer.from([...header(0)]), // no question
    Buffer.from([...header(1), ...www.slice(0, -4), 0, 252, 0, 1]), // AXFR over UDP
    Buffer.from([...header(1), ...www.slice(0, -4), 0, 1, 0, 3]), // class CH
    Buffer.from([...header(1), 1, 0x2e, 1, 0x5c, 0, 0, 1, 0, 1]), // labels holding '.' and '\'
  ];
}

describe('query parsing never throws', () => {
  it('survives crafted, mutated and random packets, always producing a status', () => {
    const q = newParsedQuery();
    const inputs = [...crafted(), ...Array.from({ length: 20_000 }, () => (next() % 2 === 0 ? mutated() : randomBytes(next() % 600)))];
    const statuses = new Set<number>();
    for (const msg of inputs) {
      parseQuery(msg, q);
      statuses.add(q.status);
      if (q.status === QueryStatus.ok) {
        expect(q.questionEnd).toBeLessThanOrEqual(msg.length);
        const reply = buildAnswer(zone, msg, q); // must not throw either
        expect(() => dnsPacket.decode(reply)).not.toThrow();
      }
    }
    expect([...statuses].sort()).toEqual([QueryStatus.ok, QueryStatus.ignore, QueryStatus.formErr, QueryStatus.notImp]);
  });
});

describe('responder under hostile input', () => {
  let responder: Responder;
  let client: UdpClient;
  beforeAll(async () => {
    responder = await startResponder({ zone, port: 0 });
    client = await UdpClient.open();
  });
  afterAll(async () => {
    await client?.close();
    await responder?.close();
  });

  it('keeps answering after garbage, short and random packets', async () => {
    const packets = [...crafted(), ...Array.from({ length: 1500 }, () => (next() % 2 === 0 ? mutated() : randomBytes(next() % 600)))];
    for (let i = 0; i < packets.length; i += 50) {
      for (const p of packets.slice(i, i + 50)) client.send(p, responder.port);
      for (let tries = 0; tries < 500 && responder.stats().received < Math.min(i + 50, packets.length); tries++) await sleep(1);
    }
    await client.drain(50);
    const s = responder.stats();
    expect(s.received).toBe(packets.length);
    expect(s.errors).toBe(0);
    expect(s.malformed).toBeGreaterThan(0);

    const reply = dnsPacket.decode(await client.ask(makeQuery('www.demo.test', 'A', { id: 5150 }), responder.port));
    expect(reply.id).toBe(5150);
    expect(reply.answers).toEqual([expect.objectContaining({ data: '192.0.2.10' })]);
  });
});
