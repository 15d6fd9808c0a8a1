// A hostile DoH server (a small node:http2 server on loopback, certificate made by openssl here)
// that answers every query with a body that never ends. A DNS message is at most 65 535 bytes
// (RFC 1035 4.2.2, RFC 8484 6), so the client stops reading a body past that and resets the
// stream: the query is lost (aborted) and the answer counted as malformed. Before, the client
// kept every chunk of every such body in memory until the query's stream closed, and a query
// that timed out left its stream open: -q streams of endless bodies grew the generator without
// bound. Bodies of a status other than 200 are not kept at all.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../src/results/report.js';
import { expectAccounted } from './support/accounting.js';
import { runCli } from './support/cli.js';
import { findBinary, skipWithout } from './support/servers.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-doh-hostile-'));
const QUERIES = join(dir, 'q.txt');
writeFileSync(QUERIES, Array.from({ length: 4 }, (_, i) => `h${i}.example A`).join('\n') + '\n');
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Most bytes the server writes on one stream: the bound of this test's load, 64 MiB. */
const SERVER_CAP = 64 << 20;

/**
 * Answers every query with `status` and then 64 KiB chunks until the client stops reading or
 * resets the stream (at most SERVER_CAP bytes). Records the bytes each stream got out.
 */
async function endlessServer(status: number): Promise<{ port: number; written: number[]; close(): void }> {
  const server = http2.createSecureServer({ key: readFileSync(key), cert: readFileSync(cert) });
  const sessions = new Set<http2.ServerHttp2Session>();
  const written: number[] = [];
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream) => {
    const k = written.push(0) - 1;
    stream.on('error', () => undefined);
    stream.respond({ ':status': status, 'content-type': 'application/dns-message' });
    const chunk = Buffer.alloc(64 << 10, 0x41);
    const pump = (): void => {
      while (!stream.destroyed && written[k]! < SERVER_CAP) {
        written[k]! += chunk.length;
        if (!stream.write(chunk)) {
          stream.once('drain', pump);
          return;
        }
      }
      if (!stream.destroyed) stream.end();
    };
    // The body starts a moment after the headers, so the client has read the status before the
    // first 64 KiB arrive (Node may emit a chunk read together with the headers before 'response').
    setTimeout(pump, 50);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as { port: number }).port,
    written,
    close: () => {
      for (const s of sessions) s.destroy();
      server.close();
    },
  };
}

describe.skipIf(skipWithout('openssl'))('DoH server whose answers never end', () => {
  it('makes the certificate', () => {
    const openssl = findBinary('openssl') ?? 'openssl';
    execFileSync(openssl, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe' });
  });

  it('a 200 body past 65 535 bytes: stream reset, query aborted, answer malformed; the server could not push its 64 MiB', async () => {
    const srv = await endlessServer(200);
    try {
      const json = join(dir, 'r200.json');
      const r = await runCli(['-s', `127.0.0.1:${srv.port}`, '-m', 'doh', '--tls-ca', cert, '-d', QUERIES, '-T', '1', '-c', '1', '-q', '4', '-n', '1', '-t', '3', '--json', json]);
      // Nothing was answered: exit 3 (README "Exit codes").
      expect(r.code, r.stderr).toBe(3);
      const t = (JSON.parse(readFileSync(json, 'utf8')) as Report).targets[0]!;
      expectAccounted(t.counters);
      expect(t.counters.sent).toBe(4);
      expect(t.counters.completed).toBe(0);
      // Each stream is given up as soon as it passed a DNS message's size: aborted, not left to time out.
      expect(t.counters.aborted).toBe(4);
      expect(t.counters.timedOut).toBe(0);
      expect(t.counters.malformed).toBe(4);
      expect(srv.written).toHaveLength(4);
      // The reset arrives while the server still writes; HTTP/2 flow control and socket buffers
      // let it get a few MiB out at most, far from the 64 MiB it would push to a reader that keeps reading.
      for (const w of srv.written) expect(w).toBeLessThan(SERVER_CAP / 4);
    } finally {
      srv.close();
    }
  });

  it('a 404 with an endless body: counted as an HTTP error and aborted, its body never kept', async () => {
    const srv = await endlessServer(404);
    try {
      const json = join(dir, 'r404.json');
      const r = await runCli(['-s', `127.0.0.1:${srv.port}`, '-m', 'doh', '--tls-ca', cert, '-d', QUERIES, '-T', '1', '-c', '1', '-q', '4', '-n', '1', '-t', '3', '--json', json]);
      // Nothing was answered: exit 3 (README "Exit codes").
      expect(r.code, r.stderr).toBe(3);
      const t = (JSON.parse(readFileSync(json, 'utf8')) as Report).targets[0]!;
      expectAccounted(t.counters);
      expect(t.counters.sent).toBe(4);
      expect(t.counters.aborted).toBe(4);
      expect(t.counters.timedOut).toBe(0);
      expect(t.counters.httpErrors).toBe(4);
      for (const w of srv.written) expect(w).toBeLessThan(SERVER_CAP / 4);
    } finally {
      srv.close();
    }
  });
});

// A server that pushes (RFC 9113 8.4) streams nobody asked for, full of data, with every answer.
// Nothing read them, and with endless pushed streams their unread data filled the connection's
// flow-control window: every connection broke after its first few answers (measured by hand: 59
// connections, 98% of the queries lost in 3 s). The client now sends SETTINGS_ENABLE_PUSH 0,
// which a server must respect; here the server pushes exactly when the client allows it.
describe.skipIf(skipWithout('openssl'))('DoH server that pushes', () => {
  it('is told not to push: every query answered on one connection', async () => {
    const server = http2.createSecureServer({ key: readFileSync(key), cert: readFileSync(cert) });
    let pushed = 0;
    const chunk = Buffer.alloc(16 << 10, 0x41);
    server.on('stream', (stream, headers) => {
      stream.on('error', () => undefined);
      for (let i = 0; i < 20 && stream.pushAllowed; i++) {
        stream.pushStream({ ':path': `/pushed/${i}` }, (err, ps) => {
          if (err) return;
          pushed++;
          ps.on('error', () => undefined);
          ps.respond({ ':status': 200 });
          ps.end(chunk);
        });
      }
      const msg = Buffer.from(new URL(String(headers[':path']), 'https://x').searchParams.get('dns') ?? '', 'base64url');
      msg[2] = msg[2]! | 0x80;
      stream.respond({ ':status': 200, 'content-type': 'application/dns-message' });
      stream.end(msg);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const json = join(dir, 'push.json');
      const many = join(dir, 'many.txt');
      writeFileSync(many, Array.from({ length: 200 }, (_, i) => `h${i}.example A`).join('\n') + '\n');
      const port = (server.address() as { port: number }).port;
      const r = await runCli(['-s', `127.0.0.1:${port}`, '-m', 'doh', '--tls-ca', cert, '-d', many, '-T', '1', '-c', '1', '-q', '10', '-n', '1', '-t', '3', '--json', json]);
      expect(r.code, r.stderr).toBe(0);
      const t = (JSON.parse(readFileSync(json, 'utf8')) as Report).targets[0]!;
      expectAccounted(t.counters);
      expect(t.counters.completed).toBe(200);
      expect(t.counters.connAttempts).toBe(1);
      expect(pushed).toBe(0);
    } finally {
      server.close();
    }
  });
});
