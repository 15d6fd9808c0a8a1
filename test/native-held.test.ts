// Queries held back on the native path: a send that stops on EAGAIN leaves the rest of the batch
// waiting in the engine for the socket to drain. Loopback never fills a UDP send buffer (the
// loopback device frees each datagram as it is sent), so the client sends through a token-bucket
// qdisc (tbf) on its eth0 in a lab namespace: its datagrams wait there, charged to its small
// socket buffer (-b 4), until sendmmsg returns EAGAIN and most of the window (-q 500) is held.
// The peer (another lab host) answers every query and counts what it received.
//
// Checked: a held query has not left, so (1) no answer can be its answer, however well forged,
// and (2) it cannot time out; one held for -t is not sent at all (a socket error, as when the
// kernel refuses a message), and the run accounts for every query that left.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, listNamespaces, netnsSkip, pidAlive, skipReason, type Lab, type LabProcess } from './support/netns.js';
import { dnsbenchIn } from './support/netns-dnsbench.js';
import { BIN } from './support/cli.js';
import type { Report } from '../src/results/report.js';
import { expectAccounted } from './support/accounting.js';
import { loadNativeUdp } from '../src/engine/native/addon.js';

const CLIENT = '198.18.0.31';
const PEER = '198.18.0.32';
const native = loadNativeUdp({ env: process.env, platform: process.platform });
const reason = skipReason('ip', 'tc') ?? (native.ok ? null : 'the native addon did not load');

/**
 * The peer: answers each query with its own question and RCODE NOERROR, and prints how many it
 * received when stopped (SIGTERM). With `storm`, after its 40th query it also sends one forged
 * answer for every ID 0..65535 (the right question, RCODE REFUSED), 256 every 5 ms so that most
 * reach the client's small receive buffer: a REFUSED the client counts is a forgery it took.
 */
const PEER_SCRIPT = `
import { createSocket } from 'node:dgram';
const [host, port, mode] = process.argv.slice(2);
const s = createSocket('udp4');
let received = 0, stormed = false, forged = 0;
s.on('message', (q, peer) => {
  if (q.length < 12) return;
  received++;
  const a = Buffer.from(q);
  a[2] |= 0x80;
  s.send(a, peer.port, peer.address);
  if (mode === 'storm' && received === 40 && !stormed) {
    stormed = true;
    const f = Buffer.from(a);
    f[3] = (f[3] & 0xf0) | 5;
    let id = 0;
    const burst = () => {
      for (let k = 0; k < 256 && id < 65536; k++, id++) {
        const m = Buffer.from(f);
        m.writeUInt16BE(id, 0);
        s.send(m, peer.port, peer.address);
        forged++;
      }
      if (id < 65536) setTimeout(burst, 5);
    };
    burst();
  }
});
process.on('SIGTERM', () => { console.log(JSON.stringify({ received, forged })); process.exit(0); });
s.bind(Number(port), host, () => console.log('ready'));
`;

describe.skipIf(netnsSkip(reason))('queries held after EAGAIN on the native path (netns, tbf qdisc)', () => {
  let lab: Lab | undefined;
  let script = '';
  let queries = '';

  beforeAll(async () => {
    lab = await createLab([
      { name: 'c', addr: CLIENT },
      { name: 'p', addr: PEER },
    ]);
    // ~140 queries a second leave the client; the qdisc holds up to 100 kB, far more than the
    // socket's 8 kB buffer, so the socket fills (EAGAIN) before the qdisc would drop (ENOBUFS).
    await lab.exec('c', ['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', '100kbit', 'burst', '1600', 'limit', '100000']);
    script = await lab.writeFile('peer.mjs', PEER_SCRIPT);
    // One name: a forged answer carries the question every query asks.
    queries = await lab.writeFile('q.txt', 'www.example.com A\n');
  });

  afterAll(async () => {
    if (!lab) return;
    const pids = lab.processes().map((p) => p.pid);
    const prefix = lab.id;
    await lab.destroy();
    for (const pid of pids) expect(pidAlive(pid), `pid ${pid} stopped`).toBe(false);
    expect(listNamespaces(prefix)).toEqual([]);
  });

  async function peer(name: string, mode: 'storm' | 'plain'): Promise<LabProcess> {
    const p = lab!.spawn('p', name, [process.execPath, script, PEER, '5353', mode]);
    for (let i = 0; i < 100 && !p.logTail(5).includes('ready'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(p.logTail(5), 'the peer is listening').toContain('ready');
    return p;
  }

  async function peerCounts(p: LabProcess): Promise<{ received: number; forged: number }> {
    await p.stop();
    const line = p.logTail(5).split('\n').find((l) => l.startsWith('{'));
    expect(line, p.logTail()).toBeDefined();
    return JSON.parse(line!) as { received: number; forged: number };
  }

  const base = ['-s', `${PEER}:5353`, '--io', 'native', '-T', '1', '-c', '1'];

  it('no forged answer completes a query still waiting for the socket to drain', async () => {
    const p = await peer('storm', 'storm');
    const r = await dnsbenchIn(lab!, 'c', [...base, '-q', '500', '-b', '4', '-d', queries, '-l', '3', '-t', '10'], { timeoutMs: 60_000 });
    const at = await peerCounts(p);
    expect(r.code, r.stderr).toBe(0);
    const t = r.report!.targets[0]!;
    expect(r.report!.config.io, 'the native path ran').toMatch(/^native/);
    expectAccounted(t.counters, 'storm run');
    expect(at.forged, 'the peer forged every ID').toBe(65536);
    // The storm reached the client: tens of thousands of answers matched no outstanding query.
    expect(t.counters.mismatched).toBeGreaterThan(5000);
    expect(t.counters.sent, 'every query that left reached the peer').toBe(at.received);
    // Held queries outnumber those in flight (in the qdisc, at most the socket's 8 kB: ~30) by ~15
    // to one while the storm passes. A forgery for a query in flight is indistinguishable from its
    // answer and is taken (~30 a run); one for a held query must not be (taken, 580 in a run).
    // Some real answers are lost in the storm (the receive buffer is 8 kB too): not asserted.
    const refused = t.rcodes['REFUSED'] ?? 0;
    expect(refused, 'forgeries taken: only for queries that had left').toBeLessThanOrEqual(64);
    expect(t.counters.completed - refused, 'the rest completed with the real answer').toBeGreaterThan(0);
  });

  it('a held query never times out; one held for -t is not sent, and counted as a socket error', async () => {
    const p = await peer('plain', 'plain');
    // -b 16: room in the receive buffer for the answers the qdisc lets through in bursts. Its
    // 32 kB send buffer keeps ~120 queries in the qdisc (~0.9 s); -q 1000 holds ~880 behind them
    // (~6 s), so -t 2 drops the oldest held ones and times out none of those that left.
    const r = await dnsbenchIn(lab!, 'c', [...base, '-q', '1000', '-b', '16', '-d', queries, '-l', '3', '-t', '2'], { timeoutMs: 60_000 });
    const at = await peerCounts(p);
    expect(r.code, r.stderr).toBe(0);
    const t = r.report!.targets[0]!;
    expectAccounted(t.counters, 'plain run');
    expect(t.counters.socketErrors, 'held longer than -t: not sent').toBeGreaterThan(0);
    expect(t.counters.sent, 'what was counted sent is what left').toBe(at.received);
    // Every query that left waited at most ~0.1 s in the qdisc and was answered: none is lost.
    // (A held query swept as a timeout would be lost without having left.)
    expect(t.counters.lost, JSON.stringify(t.counters)).toBe(0);
    expect(t.counters.completed).toBe(t.counters.sent);
  });

  it('-y: a signed query the full buffer refused is not counted sent (it never left)', async () => {
    const p = await peer('signed', 'plain');
    // Signed queries leave one sendto each (sendRaw), not from the held queue: one refused with
    // EAGAIN is dropped at once. The peer echoes the query, TSIG and all, so its answers fail
    // verification (tsigFailed) and those queries time out: not asserted, only what left is.
    const r = await dnsbenchIn(lab!, 'c', [...base, '-q', '500', '-b', '4', '-d', queries, '-l', '2', '-t', '1', '-y', 'hmac-sha256:k:' + Buffer.alloc(32, 7).toString('base64')], { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 1000)); // the qdisc's last queries (the socket's 8 kB) reach the peer
    const at = await peerCounts(p);
    expect(r.report, r.stderr).not.toBeNull();
    const t = r.report!.targets[0]!;
    expectAccounted(t.counters, 'signed run');
    expect(t.counters.socketErrors, 'the buffer filled: sends were refused').toBeGreaterThan(0);
    expect(t.counters.sent, 'what was counted sent is what left').toBe(at.received);
  });

  it('Ctrl-C while queries are held: the held ones are neither sent nor interrupted', async () => {
    const p = await peer('sigint', 'plain');
    const out = join(dirname(queries), 'sigint.json');
    const d = lab!.spawn('c', 'dnsbench-sigint', [process.execPath, BIN, ...base, '-q', '1000', '-b', '16', '-d', queries, '-l', '20', '-t', '10', '--json', out, '--quiet']);
    // Long enough for the buffer to fill and hundreds of queries to be held (~140 leave a second).
    await new Promise((r) => setTimeout(r, 2500));
    d.signal('SIGINT');
    const exit = await Promise.race([d.exited, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
    if (exit === null) await d.stop();
    expect(exit, d.logTail()).not.toBeNull();
    // What had left waits in the qdisc (~120 queries, ~0.9 s at 100 kbit/s) after the exit: let
    // it reach the peer before the peer is asked what it received.
    await new Promise((r) => setTimeout(r, 2500));
    const at = await peerCounts(p);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    const t = report.targets[0]!;
    expectAccounted(t.counters, 'interrupted run');
    expect(t.counters.sent, 'what was counted sent is what left').toBe(at.received);
    // At most the queries that had left and were unanswered (the qdisc holds ~120) are interrupted.
    expect(t.counters.interrupted, JSON.stringify(t.counters)).toBeLessThanOrEqual(t.counters.sent);
  });

  it('a socket that never drains: the run still ends about -t after -l', async () => {
    // 8 bit/s: after the first burst nothing more leaves, the socket stays full for good.
    await lab!.exec('c', ['tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'tbf', 'rate', '8bit', 'burst', '1600', 'limit', '100000']);
    try {
      const p = await peer('stuck', 'plain');
      const r = await dnsbenchIn(lab!, 'c', [...base, '-q', '500', '-b', '4', '-d', queries, '-l', '1', '-t', '1'], { timeoutMs: 40_000 });
      const at = await peerCounts(p);
      expect(r.report, r.stderr).not.toBeNull();
      const t = r.report!.targets[0]!;
      expectAccounted(t.counters, 'stuck run');
      expect(t.counters.sent, 'what was counted sent is what left').toBeGreaterThanOrEqual(at.received);
      expect(t.counters.socketErrors, 'held past -t: not sent').toBeGreaterThan(0);
      // -l 1 -t 1: about 2 s plus start-up; generous for a busy 2-core machine, far under the
      // 40 s bound a run held open by its stuck queries would hit.
      expect(r.ms, r.stderr).toBeLessThan(20_000);
    } finally {
      await lab!.exec('c', ['tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'tbf', 'rate', '100kbit', 'burst', '1600', 'limit', '100000']);
    }
  });
});
