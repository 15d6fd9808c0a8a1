// BIND with views like our users' (one chosen by TSIG key or by client address in 127.28.1.0/24,
// one default), each serving view.test with different names. Which view answered shows in the
// rcodes: chinanet-only.view.test exists only in the chinanet view (NOERROR there, NXDOMAIN in the
// default view). A signed run, an unsigned one, one from 127.28.1.5, and wrong keys.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout, startNamed, type RunningServer } from './support/servers.js';
import { ROOT, runCli, type CliResult } from './support/cli.js';
import type { Report } from '../src/results/report.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expectAccounted } from './support/accounting.js';

const SHA256 = 'kve3QMmhjXGZUZURb6mucQ==';
const MD5 = 'bWQ1LWtleS1mb3ItZG5zYmVuY2g=';
const SHA512 = 'c2hhNTEyLWtleS1mb3ItZG5zYmVuY2gtdGVzdHM=';
const WRONG = 'd3Jvbmctc2VjcmV0LW5vdC10aGUta2V5';
const PASSES = 20;

const out = mkdtempSync(join(tmpdir(), 'dnsbench-views-'));
const queries = join(out, 'queries.txt');
writeFileSync(queries, 'chinanet-only.view.test A\n');
// Five 200-octet strings: about 1 KB, more than fits a UDP answer without EDNS (512 octets).
const bigQueries = join(out, 'big.txt');
writeFileSync(bigQueries, 'big.view.test TXT\n');
const bigTxt = Array.from({ length: 5 }, (_, i) => `big IN TXT "${String(i).repeat(200)}"`).join('\n');

const zone = (extra: string): string =>
  `$TTL 300\n@ IN SOA ns.view.test. root.view.test. ( 1 3600 600 86400 300 )\n@ IN NS ns.view.test.\nns IN A 127.0.0.1\n${extra}`;

let named: RunningServer;

beforeAll(async () => {
  if (skipWithout('named')) return;
  named = await startNamed({
    extraConf: `key chinanet { algorithm hmac-sha256; secret "${SHA256}"; };
key md5key { algorithm hmac-md5; secret "${MD5}"; };
key sha512key { algorithm hmac-sha512; secret "${SHA512}"; };
acl chinanet { 127.28.1.0/24; };`,
    // NSID (RFC 5001): named answers it with server-id.
    extraOptions: 'server-id "ns-views";',
    files: {
      'db.view-chinanet': zone(`www IN A 198.51.100.1\nchinanet-only IN A 198.51.100.2\n${bigTxt}\n`),
      'db.view-default': zone('www IN A 203.0.113.1\n'),
    },
    views: `view "chinanetzone" {
  match-clients { key chinanet; key md5key; key sha512key; chinanet; };
  zone "view.test" { type primary; file "db.view-chinanet"; };
};
view "default" {
  match-clients { any; };
  zone "view.test" { type primary; file "db.view-default"; };
};`,
    probe: { name: 'view.test', type: 'SOA' },
  });
});
afterAll(async () => {
  await named?.stop();
});

let runNo = 0;
async function run(args: string[]): Promise<{ r: CliResult; report: Report; json: string }> {
  const json = join(out, `run${++runNo}.json`);
  const r = await runCli(['-s', '127.0.0.1', '-p', String(named.port), '-d', queries, '-n', String(PASSES), '-T', '1', '-c', '1', '-q', '5', '-t', '0.5', '--json', json, ...args]);
  const text = readFileSync(json, 'utf8');
  return { r, report: JSON.parse(text) as Report, json: text };
}

function accountedFor(rep: Report): void {
  const c = rep.targets[0]!.counters;
  expectAccounted(c);
}

describe.skipIf(skipWithout('named'))('BIND views chosen by TSIG key or client address', () => {
  it('a run signed with the chinanet key gets the chinanet view, and the secret appears nowhere', async () => {
    const { r, report, json } = await run(['-y', `hmac-sha256:chinanet:${SHA256}`]);
    expect(r.code).toBe(0);
    const t = report.targets[0]!;
    expect(t.counters.completed).toBe(PASSES);
    expect(t.rcodes).toEqual({ NOERROR: PASSES });
    expect(t.counters.tsigFailed).toBe(0);
    // Each query carries a TSIG RR: key name, algorithm, 32-byte MAC and fixed fields.
    expect(t.counters.requestBytes / t.counters.sent).toBeGreaterThan(100);
    for (const text of [r.stdout, r.stderr, json]) expect(text).not.toContain(SHA256);
    expect(report.command.join(' ')).toContain('hmac-sha256:chinanet:<redacted>');
    accountedFor(report);
  });

  it('an unsigned run gets the default view', async () => {
    const { r, report } = await run([]);
    expect(r.code).toBe(0);
    expect(report.targets[0]!.rcodes).toEqual({ NXDOMAIN: PASSES });
  });

  it('a run from 127.28.1.5 gets the chinanet view, and the report names its one source pair', async () => {
    const { r, report } = await run(['-a', '127.28.1.5']);
    expect(r.code).toBe(0);
    const t = report.targets[0]!;
    expect(t.rcodes).toEqual({ NOERROR: PASSES });
    expect(t.sockets[0]!.local).toMatch(/^127\.28\.1\.5:\d+$/);
    expect(t.sourcePairs).toBe(1);
    expect(r.stdout).toMatch(/Sources: +1 local address\/port pair\(s\) from 1 address\(es\)/);
  });

  it('-a with two addresses spreads the sockets over both views', async () => {
    const { r, report } = await run(['-a', '127.28.1.5,127.0.0.1', '-c', '2', '-q', '2']);
    expect(r.code).toBe(0);
    const t = report.targets[0]!;
    expect(t.sockets.map((s) => s.local.replace(/:\d+$/, '')).sort()).toEqual(['127.0.0.1', '127.28.1.5']);
    expect(t.sourcePairs).toBe(2);
    // Each socket had queries in flight from the start, so each view answered some.
    expect(t.rcodes['NOERROR']).toBeGreaterThan(0);
    expect(t.rcodes['NXDOMAIN']).toBeGreaterThan(0);
    expect(t.counters.completed).toBe(PASSES);
  });

  it('hmac-md5 is the default algorithm, and hmac-sha512 works too', async () => {
    for (const key of [`md5key:${MD5}`, `hmac-sha512:sha512key:${SHA512}`]) {
      const { r, report } = await run(['-y', key]);
      expect(r.code, r.stderr).toBe(0);
      expect(report.targets[0]!.rcodes).toEqual({ NOERROR: PASSES });
      expect(report.targets[0]!.counters.tsigFailed).toBe(0);
    }
  });

  it('an unknown key gets no completed answers: every response is BADKEY and counted', async () => {
    const { r, report } = await run(['-y', `hmac-sha256:nosuchkey:${SHA256}`, '-q', '20']);
    expect(r.code).toBe(3);
    const c = report.targets[0]!.counters;
    expect(c.completed).toBe(0);
    expect(c.tsigBadKey).toBe(PASSES);
    expect(c.tsigFailed).toBe(PASSES);
    expect(c.timedOut).toBe(PASSES);
    expect(report.targets[0]!.rcodes).toEqual({});
    expect(r.stdout).toMatch(/TSIG: +20 response\(s\) failed verification \(BADKEY 20, BADSIG 0, BADTIME 0\)/);
    expect(report.notes.join('\n')).toContain('does not know key "nosuchkey" with hmac-sha256');
    expect(report.notes.join('\n')).not.toContain('Is a DNS server listening');
    accountedFor(report);
  });

  it('the right key name with a wrong secret gets BADSIG, never an answer', async () => {
    const { r, report } = await run(['-y', `hmac-sha256:chinanet:${WRONG}`, '-q', '20']);
    expect(r.code).toBe(3);
    const c = report.targets[0]!.counters;
    expect(c.completed).toBe(0);
    expect(c.tsigBadSig).toBe(PASSES);
    for (const text of [r.stdout, r.stderr]) expect(text).not.toContain(WRONG);
    accountedFor(report);
  });

  it('a signed answer too big for UDP is retried over TCP, signed again and verified', async () => {
    const json = join(out, 'big.json');
    const r = await runCli(['-s', `127.0.0.1:${named.port}`, '-d', bigQueries, '-n', String(PASSES), '-T', '1', '-q', '5', '-t', '2',
      '-y', `hmac-sha256:chinanet:${SHA256}`, '--tcp-fallback', '--json', json]);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(json, 'utf8')) as Report;
    const c = rep.targets[0]!.counters;
    expect(c.tcpFallbacks).toBe(PASSES);
    expect(c.completed).toBe(PASSES);
    expect(c.tsigFailed).toBe(0);
    expect(rep.targets[0]!.rcodes).toEqual({ NOERROR: PASSES });
    // Completed TCP answers are the whole TXT set.
    expect(c.responseBytes / c.completed).toBeGreaterThan(1000);
    accountedFor(rep);
  });

  it('signs over TCP too, and counts answers per NSID identity', async () => {
    const { r, report } = await run(['-m', 'tcp', '-y', `hmac-sha256:chinanet:${SHA256}`, '--nsid']);
    expect(r.code, r.stderr).toBe(0);
    const t = report.targets[0]!;
    expect(t.rcodes).toEqual({ NOERROR: PASSES });
    expect(t.nsid).toEqual({ 'ns-views': PASSES });
    expect(t.connections?.successes).toBe(1);
    expect(r.stdout).toContain('NSID:         ns-views 20 (100.00%)');
    accountedFor(report);
    // The transport fields are part of the documented schema.
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
    const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'docs/report-v1.schema.json'), 'utf8')) as object);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    (t.nsid as Record<string, unknown>)['ns-views'] = 'twenty';
    expect(validate(report)).toBe(false);
  });
});
