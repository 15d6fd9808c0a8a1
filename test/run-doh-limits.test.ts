// DoH against a server's SETTINGS_MAX_CONCURRENT_STREAMS (issue 10.4): a small node:http2 server
// (certificate made by openssl here) that allows 10 concurrent streams and answers each query
// after 100 ms. With -c 1 -q 50 the window is capped at 10, so no query waits in Node's HTTP/2
// queue with its clock running: p50 is ~100 ms (it was ~500 ms), and a note says so and how to
// get the window back. A server that lowers its limit mid-run is followed the same way.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Report } from '../src/results/report.js';
import { expectAccounted } from './support/accounting.js';
import { runCli, type CliResult } from './support/cli.js';
import { findBinary, skipWithout } from './support/servers.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-doh-limits-'));
const QUERIES = join(dir, 'q.txt');
writeFileSync(QUERIES, Array.from({ length: 200 }, (_, i) => `h${i}.example A`).join('\n') + '\n');
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface DohServer {
  port: number;
  /** Most streams open at once, overall and since `since` (ms, performance.now()). */
  maxOpen(since?: number): number;
  streams: number;
  close(): void;
}

const servers: DohServer[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/**
 * An RFC 8484 server answering every GET after `delayMs` with the query echoed as a NOERROR
 * answer; it advertises `maxStreams`, and `lower` (if given) changes that on every session after
 * `afterMs` from its first stream.
 */
async function dohServer(maxStreams: number, delayMs: number, lower?: { to: number; afterMs: number }): Promise<DohServer & { loweredAt: number }> {
  let open = 0;
  let streams = 0;
  const samples: Array<{ at: number; open: number }> = [];
  const server = http2.createSecureServer({ key: readFileSync(key), cert: readFileSync(cert), settings: { maxConcurrentStreams: maxStreams } });
  const sessions = new Set<http2.ServerHttp2Session>();
  const state = { loweredAt: Infinity };
  let firstStream = -1;
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    streams++;
    open++;
    const now = performance.now();
    samples.push({ at: now, open });
    if (firstStream < 0) {
      firstStream = now;
      if (lower) {
        setTimeout(() => {
          state.loweredAt = performance.now();
          for (const s of sessions) s.settings({ maxConcurrentStreams: lower.to });
        }, lower.afterMs);
      }
    }
    stream.on('close', () => open--);
    stream.on('error', () => undefined);
    const q = new URL(String(headers[':path']), 'https://x').searchParams.get('dns');
    const msg = Buffer.from(q ?? '', 'base64url');
    setTimeout(() => {
      if (stream.destroyed) return;
      msg[2] = msg[2]! | 0x80;
      stream.respond({ ':status': 200, 'content-type': 'application/dns-message' });
      stream.end(msg);
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const srv = {
    port: (server.address() as { port: number }).port,
    maxOpen: (since = 0) => Math.max(0, ...samples.filter((s) => s.at >= since).map((s) => s.open)),
    get streams() {
      return streams;
    },
    get loweredAt() {
      return state.loweredAt;
    },
    close: () => {
      for (const s of sessions) s.destroy();
      server.close();
    },
  };
  servers.push(srv);
  return srv;
}

let runNo = 0;
async function run(port: number, args: string[]): Promise<{ r: CliResult; report: Report }> {
  const json = join(dir, `run${++runNo}.json`);
  const r = await runCli(['-s', `127.0.0.1:${port}`, '-m', 'doh', '--tls-ca', cert, '-d', QUERIES, '-T', '1', '-t', '5', ...args, '--json', json]);
  const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  for (const t of report.targets) expectAccounted(t.counters);
  return { r, report };
}

describe.skipIf(skipWithout('openssl'))('DoH and the server\'s concurrent-stream limit', () => {
  it('caps the window at SETTINGS_MAX_CONCURRENT_STREAMS: p50 is the server\'s 100 ms, not the queue\'s', async () => {
    const openssl = findBinary('openssl') ?? 'openssl';
    execFileSync(openssl, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe' });
    const srv = await dohServer(10, 100);
    const { r, report } = await run(srv.port, ['-c', '1', '-q', '50', '-n', '1']);
    expect(r.code, r.stderr).toBe(0);
    const t = report.targets[0]!;
    expect(t.counters.completed).toBe(200);
    expect(srv.maxOpen()).toBeLessThanOrEqual(10);
    // Every answer takes the server 100 ms; queued behind a 10-stream limit they took ~500 ms.
    // Generous upper bounds for a loaded 2-core machine, far below the queue's 400+ ms.
    expect(t.latency.percentiles.p50).toBeGreaterThanOrEqual(100_000);
    expect(t.latency.percentiles.p50).toBeLessThan(250_000);
    expect(t.latency.percentiles.p99).toBeLessThan(350_000);
    const note = `127.0.0.1:${srv.port}: the DoH server allows 10 concurrent streams per connection (SETTINGS_MAX_CONCURRENT_STREAMS), ` +
      'so 1 connection(s) kept at most 10 queries outstanding instead of 50 (-q 50 over -c 1); no query waited in a queue with its clock running. ' +
      'For the whole window, use -c 5 or more.';
    expect(report.notes).toContain(note);
    expect(r.stdout).toContain('the DoH server allows 10 concurrent streams per connection');
  });

  it('follows a server that lowers its limit mid-connection', async () => {
    const srv = await dohServer(10, 100, { to: 4, afterMs: 500 });
    const { r, report } = await run(srv.port, ['-c', '2', '-q', '40', '-n', '2']);
    expect(r.code, r.stderr).toBe(0);
    const t = report.targets[0]!;
    expect(t.counters.completed).toBe(400);
    expect(srv.loweredAt).toBeLessThan(Infinity);
    // Once the new SETTINGS had time to arrive (200 ms, generous), no connection opened more
    // than 4 at once; the server sees both connections' streams, so at most 8.
    expect(srv.maxOpen(srv.loweredAt + 200)).toBeLessThanOrEqual(8);
    expect(report.notes.join('\n')).toContain('the DoH server allows 4 concurrent streams per connection');
    expect(report.notes.join('\n')).toContain('instead of 20 (-q 40 over -c 2)');
    // Queued queries never count their wait: every latency stays near the server's 100 ms.
    expect(t.latency.percentiles.p99).toBeLessThan(350_000);
    expect(t.counters.timedOut).toBe(0);
  });
});
