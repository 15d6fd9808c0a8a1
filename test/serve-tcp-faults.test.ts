// `dnsbench serve --tcp`: every fault knob applies to TCP answers too (issue 10, item 11), except
// --truncate, which is UDP only and says so (TC=1 means "retry over TCP"). Each knob is checked on
// both transports of one responder, so a knob that skipped one of them would fail here.
import dnsPacket from 'dns-packet';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { Faults } from '../src/serve/faults.js';
import { runServe, type ServeHandle } from '../src/serve/run.js';
import { TcpClient, UdpClient, makeQuery } from './serve-client.js';
import { runCli } from './support/cli.js';

let handle: ServeHandle | null = null;
const clients: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await handle?.close();
  handle = null;
});

async function serve(faults: Partial<Faults>, seed = 5): Promise<{ port: number; udp: UdpClient; tcp: TcpClient }> {
  handle = await runServe({ address: '127.0.0.1', port: 0, faults, seed, tcp: true }, () => {});
  const udp = await UdpClient.open();
  const tcp = await TcpClient.open(handle.port);
  clients.push(udp, tcp);
  return { port: handle.port, udp, tcp };
}

/** One query on each transport: the UDP reply and the TCP reply (null when none came in `ms`). */
async function askBoth(s: { port: number; udp: UdpClient; tcp: TcpClient }, id: number, ms = 400): Promise<[Buffer | null, Buffer | null]> {
  const q = makeQuery('www.demo.test', 'A', { id });
  s.udp.send(q, s.port);
  s.tcp.send(q);
  return Promise.all([s.udp.next(ms), s.tcp.next(ms)]);
}

describe('serve --tcp: the fault knobs on both transports', () => {
  it('--drop 1: no answer over UDP or TCP', async () => {
    const s = await serve({ drop: 1 });
    expect(await askBoth(s, 1)).toEqual([null, null]);
    expect(handle!.stats()).toMatchObject({ dropped: 1, answered: 0 });
    expect(handle!.tcpStats()).toMatchObject({ received: 1, dropped: 1, answered: 0 });
  });

  it('--servfail 1: SERVFAIL with the question over both', async () => {
    const s = await serve({ servfail: 1 });
    for (const raw of await askBoth(s, 2)) {
      const r = dnsPacket.decode(raw!) as ReturnType<typeof dnsPacket.decode> & { rcode: string };
      expect(r.rcode).toBe('SERVFAIL');
      expect(r.id).toBe(2);
      expect(r.questions![0]!.name).toBe('www.demo.test');
    }
    expect(handle!.tcpStats()!.servfail).toBe(1);
  });

  it('--garbage 1: bytes that do not decode, with the query ID, over both', async () => {
    const s = await serve({ garbage: 1 });
    for (const raw of await askBoth(s, 3)) {
      expect(raw!.readUInt16BE(0)).toBe(3);
      expect(() => dnsPacket.decode(raw!)).toThrow();
    }
    expect(handle!.tcpStats()!.garbage).toBe(1);
  });

  it('--wrong-id 1: a proper answer with another ID over both', async () => {
    const s = await serve({ wrongId: 1 });
    for (const raw of await askBoth(s, 4)) {
      const r = dnsPacket.decode(raw!);
      expect(r.id).not.toBe(4);
      expect(r.answers).toHaveLength(1);
    }
    expect(handle!.tcpStats()!.wrongId).toBe(1);
  });

  it('--delay 300: every answer at least 300 ms late over both', async () => {
    const s = await serve({ delayMs: 300 });
    const t0 = performance.now();
    const q = makeQuery('www.demo.test', 'A', { id: 5 });
    s.udp.send(q, s.port);
    s.tcp.send(q);
    const udpAt = s.udp.next(2000).then((m) => (m ? performance.now() - t0 : -1));
    const tcpAt = s.tcp.next(2000).then((m) => (m ? performance.now() - t0 : -1));
    expect(await udpAt).toBeGreaterThanOrEqual(300);
    expect(await tcpAt).toBeGreaterThanOrEqual(300);
  });

  it('--drop 0.5 --delay 300 (the reported case): TCP drops about half and delays the rest', async () => {
    const s = await serve({ drop: 0.5, delayMs: 300 }, 11);
    const t0 = performance.now();
    for (let i = 0; i < 40; i++) s.tcp.send(makeQuery(`h${i}.demo.test`, 'A', { id: 100 + i }));
    const got: number[] = [];
    for (let m = await s.tcp.next(1500); m !== null; m = await s.tcp.next(500)) got.push(performance.now() - t0);
    const t = handle!.tcpStats()!;
    expect(t.received).toBe(40);
    expect(t.dropped + t.answered).toBe(40);
    expect(t.dropped).toBeGreaterThan(5);
    expect(t.answered).toBeGreaterThan(5);
    expect(got).toHaveLength(t.answered);
    for (const at of got) expect(at).toBeGreaterThanOrEqual(300);
  });

  it('--truncate 1 is UDP only: TC=1 over UDP, the whole answer over TCP', async () => {
    const s = await serve({ truncate: 1 });
    const [u, t] = await askBoth(s, 6);
    expect(dnsPacket.decode(u!).flag_tc).toBe(true);
    const whole = dnsPacket.decode(t!);
    expect(whole.flag_tc).toBe(false);
    expect(whole.answers).toHaveLength(1);
  });

  it('serve --help says which knobs apply to which transport', async () => {
    const r = await runCli(['serve', '--help']);
    expect(r.stdout).toMatch(/--drop <ratio> +fault \(udp and tcp\)/);
    expect(r.stdout).toMatch(/--truncate <ratio> +fault \(udp only\)/);
    for (const knob of ['--delay', '--garbage', '--wrong-id', '--servfail']) expect(r.stdout).toMatch(new RegExp(`${knob} <\\w+> +fault \\(udp and tcp\\)`));
  });
});
