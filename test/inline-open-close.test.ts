// A session that fails to open while the main thread (engine/inline.ts) is still connecting its
// own channels: the process must still end. A worker's connections end with its isolate
// (terminate()), but on the main thread a TLS handshake still under way when the session closed
// used to go on: finished later, its connection stayed open and the process never exited (until a
// second Ctrl-C); never finished, it kept the process until -t. Here the other thread fails at
// once (-a gives its socket an address this host does not have) while the main thread's first
// channel waits on a TLS server that is slow to answer the handshake, or never does.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findBinary, skipWithout } from './support/servers.js';
import { ROOT, runCli } from './support/cli.js';

const DEMO = join(ROOT, 'querysets/demo.txt');
const dir = mkdtempSync(join(tmpdir(), 'dnsbench-inline-open-'));
let secure: ReturnType<typeof createSecureContext>;

beforeAll(() => {
  const openssl = findBinary('openssl') ?? 'openssl';
  execFileSync(openssl, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '1', '-subj', '/CN=127.0.0.1'], { cwd: dir, stdio: 'pipe' });
  secure = createSecureContext({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) });
});

interface SlowTls {
  port: number;
  /** Connections accepted, and how many of them have closed since. */
  accepted: number;
  closed: number;
  server: Server;
}

const servers: SlowTls[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await new Promise((r) => s.server.close(r));
});

/** A TLS server on 127.0.0.1 that starts each handshake `delayMs` after the TCP connect (null: never). */
async function slowTls(delayMs: number | null): Promise<SlowTls> {
  const s: SlowTls = { port: 0, accepted: 0, closed: 0, server: createServer() };
  s.server.on('connection', (c) => {
    s.accepted++;
    sockets.push(c);
    c.on('error', () => undefined);
    c.on('close', () => s.closed++);
    // Never: the ClientHello is read and ignored (read, so that the client's close is seen).
    if (delayMs === null) return void c.on('data', () => undefined);
    c.pause();
    setTimeout(() => {
      if (c.destroyed) return;
      const t = new TLSSocket(c, { isServer: true, secureContext: secure, ALPNProtocols: ['h2', 'dot'] });
      t.on('error', () => undefined);
    }, delayMs);
  });
  await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', r));
  s.port = (s.server.address() as { port: number }).port;
  servers.push(s);
  return s;
}

/** Waits (bounded) until every connection the server took has closed. */
async function allClosed(s: SlowTls): Promise<void> {
  for (let i = 0; i < 100 && s.closed < s.accepted; i++) await new Promise((r) => setTimeout(r, 20));
}

// Two threads, so that the other one is a worker that fails while this one connects.
describe.skipIf(skipWithout('openssl') || availableParallelism() < 2)('a session that fails while the main thread is still connecting', () => {
  // -t 30 is the connect timeout: a process kept alive by a connection still being made would
  // outlive the 10 s bound below by far (a run that fails to open ends in well under a second).
  const args = (mode: string, port: number): string[] => [
    '-s', `127.0.0.1:${port}`, '-m', mode, '--insecure', '-T', '2', '-c', '2', '-a', '127.0.0.1,192.0.2.1', '-t', '30', '-d', DEMO, '-l', '1', '--quiet',
  ];

  it('ends when the main thread\'s handshake completes only after the session closed (DoT)', async () => {
    const s = await slowTls(1500);
    const r = await runCli(args('dot', s.port), { timeoutMs: 10_000 });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/EADDRNOTAVAIL/);
    await allClosed(s);
    expect(s.closed).toBe(s.accepted);
  });

  for (const mode of ['dot', 'doh']) {
    it(`gives up a handshake still under way when the session closes, not at -t (${mode})`, async () => {
      const s = await slowTls(null);
      const r = await runCli(args(mode, s.port), { timeoutMs: 10_000 });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      await allClosed(s);
      expect(s.closed).toBe(s.accepted);
    });
  }
});
