// DoT and DoH through Debian's dnsdist (in front of named) with a throw-away CA and server
// certificate made by openssl here: verified with --tls-ca, refused without it (one line, exit 3),
// --insecure, --tls-sni; DoH GET and POST. A small Node HTTP/2 server pins the RFC 8484 request
// format and what happens to a non-200 status.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary, skipWithout, startDnsdist, startNamed, type RunningServer } from './support/servers.js';
import { freePort } from './support/ports.js';
import { ROOT, runCli, type CliResult } from './support/cli.js';
import type { Report } from '../src/results/report.js';
import { expectAccounted } from './support/accounting.js';

const QUERIES = join(ROOT, 'test/fixtures/test-com.txt'); // 100 queries
const dir = mkdtempSync(join(tmpdir(), 'dnsbench-tls-'));
const ca = join(dir, 'ca.pem');
const cert = join(dir, 'server.pem');
const key = join(dir, 'server.key');

/** A CA, and a server certificate it signs for dns.test and 127.0.0.1 (valid for a day). */
function makeCertificates(): void {
  const openssl = findBinary('openssl') ?? 'openssl';
  const run = (args: string[]): void => void execFileSync(openssl, args, { cwd: dir, stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=dnsbench test CA']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=dns.test']);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:dns.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf']);
}

let runNo = 0;
async function run(args: string[]): Promise<{ r: CliResult; report: Report | null }> {
  const json = join(dir, `run${++runNo}.json`);
  const r = await runCli(['-d', QUERIES, '-T', '1', '-c', '2', '-q', '20', '-t', '2', ...args, '--json', json]);
  let report: Report | null = null;
  try {
    report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  } catch {
    // a run that failed before it started writes no report
  }
  if (report) {
    const c = report.targets[0]!.counters;
    expectAccounted(c);
  }
  return { r, report };
}

/** A certificate failure is one line on stderr, exit 3, no stack trace. */
function expectCertificateFailure(r: CliResult, pattern: RegExp): void {
  expect(r.code).toBe(3);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe.skipIf(skipWithout('named', 'dnsdist', 'openssl'))('DoT and DoH through dnsdist', () => {
  let named: RunningServer;
  let dnsdist: RunningServer;
  let dotPort = 0;
  let dohPort = 0;

  beforeAll(async () => {
    makeCertificates();
    named = await startNamed();
    dotPort = await freePort();
    dohPort = await freePort();
    dnsdist = await startDnsdist([{ host: named.host, port: named.port }], {
      // maxInFlight: without it dnsdist 1.7 serves one query at a time per DoT connection and stalls
      // on pipelined queries its TLS layer has already read (measured: of 10 queries written in one
      // TLS record, 1 answered). Those would show up, correctly, as lost.
      extraConf: `addTLSLocal("127.0.0.1:${dotPort}", "${cert}", "${key}", { maxInFlight=1000 })
addDOHLocal("127.0.0.1:${dohPort}", "${cert}", "${key}", "/dns-query")`,
    });
  });
  afterAll(async () => {
    await dnsdist?.stop();
    await named?.stop();
  });

  it('DoT with --tls-ca: every query answered over verified TLS', async () => {
    const { r, report } = await run(['-s', '127.0.0.1', '-p', String(dotPort), '-m', 'dot', '--tls-ca', ca, '-n', '2']);
    expect(r.code, r.stderr).toBe(0);
    const t = report!.targets[0]!;
    expect(t.counters.completed).toBe(200);
    expect(t.rcodes['NXDOMAIN']).toBe(2);
    expect(t.connections).toMatchObject({ attempts: 2, successes: 2, reconnects: 0 });
    expect(r.stdout).toContain('Connection Statistics:');
  });

  it('DoT without --tls-ca fails in one line naming the fix; --insecure skips the check', async () => {
    const bad = await run(['-s', '127.0.0.1', '-p', String(dotPort), '-m', 'dot', '-n', '1']);
    expectCertificateFailure(bad.r, /^dnsbench: cannot connect over DoT to 127\.0\.0\.1:\d+: certificate not trusted: .*\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); give the CA that signed it with --tls-ca FILE/);
    const insecure = await run(['-s', '127.0.0.1', '-p', String(dotPort), '-m', 'dot', '--insecure', '-n', '1']);
    expect(insecure.r.code, insecure.r.stderr).toBe(0);
    expect(insecure.report!.targets[0]!.counters.completed).toBe(100);
  });

  it('--tls-sni is checked against the certificate', async () => {
    const good = await run(['-s', '127.0.0.1', '-p', String(dotPort), '-m', 'dot', '--tls-ca', ca, '--tls-sni', 'dns.test', '-n', '1']);
    expect(good.r.code, good.r.stderr).toBe(0);
    const wrong = await run(['-s', '127.0.0.1', '-p', String(dotPort), '-m', 'dot', '--tls-ca', ca, '--tls-sni', 'other.test', '-n', '1']);
    expectCertificateFailure(wrong.r, /certificate not trusted: .*\(ERR_TLS_CERT_ALTNAME_INVALID\); name the server as its certificate does with --tls-sni NAME/);
  });

  for (const method of ['GET', 'POST']) {
    it(`DoH ${method} with --tls-ca: every query answered over HTTP/2`, async () => {
      const { r, report } = await run(['-s', '127.0.0.1', '-p', String(dohPort), '-m', 'doh', '--tls-ca', ca, '--doh-method', method, '-n', '2']);
      expect(r.code, r.stderr).toBe(0);
      const t = report!.targets[0]!;
      expect(t.counters.completed).toBe(200);
      expect(t.counters.httpErrors).toBe(0);
      expect(t.connections).toMatchObject({ attempts: 2, successes: 2 });
    });
  }

  it('DoH without --tls-ca fails in one line', async () => {
    const { r } = await run(['-s', '127.0.0.1', '-p', String(dohPort), '-m', 'doh', '-n', '1']);
    expectCertificateFailure(r, /^dnsbench: cannot connect over DoH to 127\.0\.0\.1:\d+: certificate not trusted/);
  });
});

describe.skipIf(skipWithout('openssl'))('DoH requests (RFC 8484) seen by an HTTP/2 server', () => {
  const seen: Array<{ method: string; path: string; type: string | undefined; body: Buffer }> = [];
  let server: http2.Http2SecureServer;
  let port = 0;
  let status = 200;

  beforeAll(async () => {
    if (!findBinary('openssl')) return;
    if (!readFileSafe(cert)) makeCertificates();
    server = http2.createSecureServer({ cert: readFileSync(cert), key: readFileSync(key) });
    server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const method = String(headers[':method']);
        const path = String(headers[':path']);
        const body = Buffer.concat(chunks);
        seen.push({ method, path, type: headers['content-type'] as string | undefined, body });
        const wire = method === 'GET' ? Buffer.from(new URL(path, 'https://x').searchParams.get('dns') ?? '', 'base64url') : body;
        const q = dnsPacket.decode(wire);
        const answer = dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: q.questions });
        stream.respond({ ':status': status, 'content-type': 'application/dns-message' });
        stream.end(status === 200 ? answer : undefined);
      });
    });
    port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  const one = join(dir, 'one.txt');
  writeFileSync(one, 'www.test.com A\n');

  it('GET puts the query base64url-encoded in ?dns= on --doh-uri; POST sends it as the body', async () => {
    seen.length = 0;
    status = 200;
    for (const method of ['GET', 'POST']) {
      const r = await runCli(['-s', `127.0.0.1:${port}`, '-m', 'doh', '--tls-ca', ca, '--doh-uri', '/custom-path', '--doh-method', method, '-d', one, '-n', '1', '-T', '1', '--quiet']);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(seen).toHaveLength(2);
    const [get, post] = seen;
    expect(get!.method).toBe('GET');
    expect(get!.path).toMatch(/^\/custom-path\?dns=[A-Za-z0-9_-]+$/); // base64url, no padding
    const q = dnsPacket.decode(Buffer.from(get!.path.split('dns=')[1]!, 'base64url'));
    expect(q.questions?.[0]).toMatchObject({ name: 'www.test.com', type: 'A' });
    expect(post!.method).toBe('POST');
    expect(post!.path).toBe('/custom-path');
    expect(post!.type).toBe('application/dns-message');
    expect(dnsPacket.decode(post!.body).questions?.[0]?.name).toBe('www.test.com');
  });

  it('a status other than 200 loses the query at once (aborted, counted in httpErrors)', async () => {
    status = 503;
    const { r, report } = await run(['-s', `127.0.0.1:${port}`, '-m', 'doh', '--tls-ca', ca, '-n', '1', '-t', '5']);
    expect(r.code).toBe(3);
    const c = report!.targets[0]!.counters;
    expect(c.httpErrors).toBe(100);
    expect(c.aborted).toBe(100);
    expect(c.timedOut).toBe(0);
    expect(r.stdout).toMatch(/Aborted: +100 queries lost with a closed connection or failed stream \(100 HTTP status other than 200\)/);
  });
});

function readFileSafe(file: string): boolean {
  try {
    readFileSync(file);
    return true;
  } catch {
    return false;
  }
}
