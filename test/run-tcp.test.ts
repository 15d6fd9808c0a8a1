// TCP runs: pipelined queries against knotd, reconnection after the server closes connections (the
// embedded responder's TCP listener with closeAfter), -a with -x, and --tcp-fallback against the
// embedded responder truncating every UDP answer. Every query is accounted for in each run.
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout, startKnot, type RunningServer } from './support/servers.js';
import { freePort } from './support/ports.js';
import { ROOT, runCli, type CliResult } from './support/cli.js';
import type { Report } from '../src/results/report.js';
import { startResponder, type Responder } from '../src/serve/responder.js';
import { startTcpResponder, type TcpResponder } from '../src/serve/tcp.js';
import { loadZoneFile } from '../src/serve/zone.js';
import { DEMO_ZONE } from '../src/serve/run.js';
import type { Faults } from '../src/serve/faults.js';
import { expectAccounted } from './support/accounting.js';

const TEST_COM = join(ROOT, 'test/fixtures/test-com.txt'); // 100 queries for test.com
const DEMO = join(ROOT, 'querysets/demo.txt'); // 1000 queries for demo.test
const out = mkdtempSync(join(tmpdir(), 'dnsbench-tcp-'));
let runNo = 0;

async function run(args: string[]): Promise<{ r: CliResult; report: Report; t: Report['targets'][number] }> {
  const json = join(out, `run${++runNo}.json`);
  const r = await runCli([...args, '--json', json]);
  const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  const t = report.targets[0]!;
  // Every query accounted for, and every loss has a reason.
  const c = t.counters;
  expectAccounted(c);
  return { r, report, t };
}

describe.skipIf(skipWithout('knotd'))('-m tcp against knotd', () => {
  let knot: RunningServer;
  beforeAll(async () => {
    knot = await startKnot();
  });
  afterAll(async () => {
    await knot?.stop();
  });

  it('pipelines queries over -c connections and prints dnsperf connection statistics', async () => {
    const { r, t } = await run(['-s', '127.0.0.1', '-p', String(knot.port), '-m', 'tcp', '-d', TEST_COM, '-n', '3', '-c', '3', '-T', '1', '-q', '30']);
    expect(r.code, r.stderr).toBe(0);
    expect(t.counters.completed).toBe(300);
    expect(t.rcodes['NXDOMAIN']).toBe(3);
    expect(t.connections).toMatchObject({ attempts: 3, successes: 3, reconnects: 0 });
    expect(t.connections!.latency.count).toBe(3);
    expect(t.connections!.latency.min).toBeGreaterThan(0);
    expect(t.sourcePairs).toBe(3);
    expect(r.stdout).toMatch(/\nConnection Statistics:\n\n {2}Reconnections: {8}0\n\n {2}Average Latency \(s\): {2}\d+\.\d{6} \(min \d+\.\d{6}, max \d+\.\d{6}\)\n {2}Latency StdDev \(s\): {3}\d+\.\d{6}\n/);
  });

  it('spreads -a addresses over the connections and numbers ports from -x', async () => {
    const port = await consecutiveFreePorts('127.28.1.5', '127.28.1.6');
    const { r, t } = await run([
      '-s', '127.0.0.1', '-p', String(knot.port), '-m', 'tcp', '-d', TEST_COM, '-n', '1', '-c', '2', '-T', '1',
      '-a', '127.28.1.5,127.28.1.6', '-x', String(port),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(t.sockets.map((s) => s.local)).toEqual([`127.28.1.5:${port}`, `127.28.1.6:${port + 1}`]);
    expect(r.stdout).toContain('Sources:      2 local address/port pair(s) from 2 address(es)');
  });
});

/** A port p free on the first address with p + 1 free on the second (bounded tries). */
async function consecutiveFreePorts(a: string, b: string): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const p = await freePort(a);
    if (await udpFree(b, p + 1)) return p;
  }
  throw new Error('no consecutive free ports');
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, host, () => s.close(() => resolve(true)));
  });
}

describe('the embedded responder over UDP and TCP', () => {
  const zone = loadZoneFile(DEMO_ZONE);
  let udp: Responder | null = null;
  let tcp: TcpResponder | null = null;
  afterEach(async () => {
    await udp?.close();
    await tcp?.close();
    udp = tcp = null;
  });
  async function serve(faults: Partial<Faults>, tcpOptions: { closeAfter?: number } | null): Promise<number> {
    const port = await freePort();
    udp = await startResponder({ zone, port, faults, seed: 7 });
    if (tcpOptions) tcp = await startTcpResponder({ zone, port, ...tcpOptions });
    return port;
  }

  it('-m tcp reconnects when the server closes, losing (aborting) only what was in flight', async () => {
    const port = await serve({}, { closeAfter: 25 });
    const { r, t } = await run(['-s', `127.0.0.1:${port}`, '-m', 'tcp', '-d', DEMO, '-n', '1', '-c', '1', '-T', '1', '-q', '10', '-t', '2']);
    expect(r.code, r.stderr).toBe(0);
    const s = tcp!.stats();
    expect(s.closedByFault).toBeGreaterThan(5);
    expect(t.counters.completed).toBe(s.answered);
    expect(t.counters.aborted).toBeGreaterThan(0);
    expect(t.counters.timedOut).toBe(0);
    expect(t.connections!.reconnects).toBe(t.connections!.successes - 1);
    expect(t.connections!.successes).toBe(s.connections);
    expect(r.stdout).toMatch(/Aborted: +\d+ queries lost with a closed connection or failed stream/);
  });

  it('--tcp-fallback retries every TC=1 answer over TCP and times it from the UDP send', async () => {
    // Each truncated UDP answer comes 15 ms late; the TCP answers come at once. A latency measured
    // from the UDP send includes the 15 ms; one measured from the TCP retry would not.
    const port = await serve({ truncate: 1, delayMs: 15 }, {});
    const { r, t } = await run(['-s', `127.0.0.1:${port}`, '-d', DEMO, '-n', '1', '-c', '2', '-T', '1', '-q', '100', '--tcp-fallback', '-t', '3']);
    expect(r.code, r.stderr).toBe(0);
    expect(t.counters.completed).toBe(1000);
    expect(t.counters.tcpFallbacks).toBe(1000);
    expect(t.counters.truncated).toBe(0);
    expect(udp!.stats().truncated).toBe(1000);
    expect(tcp!.stats().answered).toBe(1000);
    expect(t.latency.min).toBeGreaterThanOrEqual(15_000);
    // One TCP connection for the worker's one target and address.
    expect(t.connections).toMatchObject({ attempts: 1, successes: 1 });
    expect(r.stdout).toContain('Truncation:   1,000 answer(s) with TC=1 (100.00% of queries sent); 1,000 retried over TCP, 0 counted lost');
  });

  it('--tcp-fallback retries only the truncated share', async () => {
    const port = await serve({ truncate: 0.3 }, {});
    const { r, t } = await run(['-s', `127.0.0.1:${port}`, '-d', DEMO, '-n', '2', '-c', '2', '-T', '2', '--tcp-fallback']);
    expect(r.code, r.stderr).toBe(0);
    expect(t.counters.completed).toBe(2000);
    expect(t.counters.tcpFallbacks).toBe(udp!.stats().truncated);
    expect(t.counters.tcpFallbacks).toBeGreaterThan(0);
    expect(t.counters.tcpFallbacks).toBe(tcp!.stats().answered);
  });

  it('without --tcp-fallback a TC=1 answer is no answer', async () => {
    const port = await serve({ truncate: 1 }, {});
    const { r, t } = await run(['-s', `127.0.0.1:${port}`, '-d', DEMO, '-n', '1', '-T', '1']);
    expect(r.code).toBe(3);
    expect(t.counters.truncated).toBe(1000);
    expect(t.counters.completed).toBe(0);
    expect(tcp!.stats().connections).toBe(0);
  });

  it('--tcp-fallback with nothing listening on TCP loses the truncated queries, not the run', async () => {
    const port = await serve({ truncate: 1 }, null);
    const { r, t } = await run(['-s', `127.0.0.1:${port}`, '-d', DEMO, '-n', '1', '-T', '1', '-q', '10', '--tcp-fallback', '-t', '1']);
    expect(r.code).toBe(3);
    expect(t.counters.completed).toBe(0);
    // The queries handed to the failing connection are aborted; later TC answers (within a second
    // of the failure) are not retried and count as truncated.
    expect(t.counters.aborted + t.counters.truncated).toBe(1000);
    expect(t.counters.aborted).toBeGreaterThan(0);
    expect(t.connections!.successes).toBe(0);
    expect(t.connections!.attempts).toBeGreaterThan(0);
  });
});

// -m tcp pointed at something that is not a DNS server (here: a listener that accepts and closes
// every connection at once, as a wrong port often does). The note said the kernel reported "ICMP
// errors (port unreachable)" and asked whether anything listened there, which is the UDP story:
// over TCP the connections were accepted and reset.
describe('-m tcp against a port that accepts and closes', () => {
  it('the note says the server accepted connections but answered nothing, not "port unreachable"', async () => {
    const { createServer } = await import('node:net');
    let accepted = 0;
    const server = createServer((sock) => {
      accepted++;
      sock.on('error', () => undefined);
      sock.end(); // FIN at once: later queries on it meet a reset (socket errors)
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const { r, t } = await run(['-s', `127.0.0.1:${port}`, '-m', 'tcp', '-d', DEMO, '-l', '1', '-t', '0.5', '-c', '2', '-T', '1']);
      expect(r.code).toBe(3);
      expect(t.counters.completed).toBe(0);
      expect(t.counters.connSuccesses).toBeGreaterThan(0);
      expect(accepted).toBeGreaterThan(0);
      expect(r.stdout).toMatch(/Note: Nothing answered from 127\.0\.0\.1:\d+: \d+ queries sent, none answered.* The server accepted \d+ connection\(s\) but answered no query on them: is it a DNS server over TCP \(-m tcp\) at that port\?/);
      expect(r.stdout).not.toContain('port unreachable');
    } finally {
      server.close();
    }
  });
});
