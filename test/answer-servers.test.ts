// Field cases of the answer path (issue 10 items 1, 2, 6, 10; issue 11 items 14, 15, 17), each
// class tried against real servers of that class: NSD and BIND from Debian's packages, and tiny
// scripted servers (test/support/tiny-server.ts) for what no packaged server does on demand.
// Every run is dnsbench as a user runs it (dist/bin.js), bounded by -n and -t.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createSocket } from 'node:dgram';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNativeUdp } from '../src/engine/native/addon.js';
import type { Report, TargetReport } from '../src/results/report.js';
import { runCli, type CliResult } from './support/cli.js';
import { freePort } from './support/ports.js';
import { requireBinary, skipWithout, startNamed, startNsd, type RunningServer } from './support/servers.js';
import { hasOpt, header, questionOf, startTinyServer, type TinyServer } from './support/tiny-server.js';
import { opt } from './support/dns-wire.js';
import { expectAccounted } from './support/accounting.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-answers-'));
const QUERIES = join(dir, 'q.txt');
writeFileSync(QUERIES, 'www.test.com A\n');
const N = 20;
const execFileAsync = promisify(execFile);

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

async function tiny(o: Parameters<typeof startTinyServer>[0]): Promise<TinyServer> {
  const s = await startTinyServer(o);
  cleanup.push(() => s.close());
  return s;
}

let runNo = 0;
async function bench(host: string, port: number, args: string[], o: { queries?: string; n?: number } = {}): Promise<{ r: CliResult; report: Report; t: TargetReport }> {
  const json = join(dir, `run${++runNo}.json`);
  const r = await runCli(['-s', host, '-p', String(port), '-d', o.queries ?? QUERIES, '-n', String(o.n ?? N), '-c', '1', '-T', '1', '-t', '0.5', '--json', json, ...args]);
  expect(r.stderr, r.stderr).not.toMatch(/internal error|\n\s+at /);
  const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  for (const t of report.targets) {
    const c = t.counters;
    expectAccounted(c);
  }
  return { r, report, t: report.targets[0]! };
}

/** A minimal full answer to `q`: its question and one A record. */
function fullAnswer(q: Buffer): Buffer {
  const qs = questionOf(q)!;
  return Buffer.concat([header(q, { qd: 1, an: 1, flags: 0x0400 }), qs, Buffer.from('c00c000100010000012c0004c0000201', 'hex')]);
}

describe('answers without a question section (issue 10 item 1)', () => {
  it.skipIf(skipWithout('nsd'))('NSD answers an unknown TSIG key with NOTAUTH, QDCOUNT 0 and TSIG BADKEY: counted as BADKEY, and a known key completes', async () => {
    const secret = 'kve3QMmhjXGZUZURb6mucQ==';
    const nsd: RunningServer = await startNsd({ keys: [{ name: 'known', algorithm: 'hmac-sha256', secret }] });
    cleanup.push(() => nsd.stop());
    const bad = await bench('127.0.0.1', nsd.port, ['-y', `hmac-sha256:nokey:${secret}`]);
    expect(bad.t.counters).toMatchObject({ sent: N, completed: 0, malformed: 0, tsigFailed: N, tsigBadKey: N, timedOut: N });
    expect(bad.report.notes.join('\n')).toMatch(/BADKEY 20: 127\.0\.0\.1:\d+ does not know key "nokey"/);
    expect(bad.report.notes.join('\n')).not.toMatch(/Is a DNS server listening/);
    expect(bad.r.stdout).toMatch(/TSIG: +20 response\(s\) failed verification \(BADKEY 20/);
    // NSD signs its answers for a key it knows: they verify.
    const good = await bench('127.0.0.1', nsd.port, ['-y', `hmac-sha256:known:${secret}`]);
    expect(good.t.counters).toMatchObject({ completed: N, tsigFailed: 0, malformed: 0 });
    expect(good.r.code).toBe(0);
  });

  it.skipIf(skipWithout('dnsperf'))('a server answering FORMERR with QDCOUNT 0 to any EDNS query: FORMERR 20 with -e, as dnsperf says', async () => {
    const s = await tiny({ udp: (q) => (hasOpt(q) ? header(q, { rcode: 1 }) : fullAnswer(q)) });
    const { r, t } = await bench(s.host, s.port, ['-e']);
    expect(t.counters).toMatchObject({ sent: N, completed: N, malformed: 0 });
    expect(t.rcodes).toEqual({ FORMERR: N });
    expect(r.stdout).toMatch(/Response codes: +FORMERR 20 \(100\.00%\)/);
    expect(r.code).toBe(0);
    // Asynchronously: the tiny server answers from this process's event loop.
    const dnsperf = await execFileAsync(requireBinary('dnsperf'), ['-s', s.host, '-p', String(s.port), '-d', QUERIES, '-n', String(N), '-e', '-t', '1'], { timeout: 20_000 });
    expect(dnsperf.stdout).toMatch(/Response codes: +FORMERR 20 \(100\.00%\)/);
    // Without -e the same server answers in full.
    expect((await bench(s.host, s.port, [])).t.rcodes).toEqual({ NOERROR: N });
  });

  it('header-only REFUSED, NOTIMP and SERVFAIL are answers counted by RCODE; a header-only NOERROR is malformed', async () => {
    for (const [rcode, name] of [[5, 'REFUSED'], [4, 'NOTIMP'], [2, 'SERVFAIL']] as const) {
      const s = await tiny({ udp: (q) => header(q, { rcode }) });
      const { r, t } = await bench(s.host, s.port, ['-v']);
      expect(t.rcodes, name).toEqual({ [name]: N });
      expect(t.counters.malformed).toBe(0);
      expect(r.stdout.match(new RegExp(`^> ${name} www\\.test\\.com A `, 'gm'))).toHaveLength(N);
    }
    const noerror = await tiny({ udp: (q) => header(q, {}) });
    const { r, t } = await bench(noerror.host, noerror.port, []);
    expect(t.counters).toMatchObject({ completed: 0, malformed: N, timedOut: N });
    expect(r.code).toBe(3);
  });

  it('a header-only TC=1 is retried over TCP with --tcp-fallback, and lost as truncated without', async () => {
    const s = await tiny({ udp: (q) => header(q, { flags: 0x0200 }), tcp: (q) => fullAnswer(q) });
    const plain = await bench(s.host, s.port, []);
    expect(plain.t.counters).toMatchObject({ completed: 0, truncated: N, malformed: 0 });
    const fb = await bench(s.host, s.port, ['--tcp-fallback']);
    expect(fb.t.counters).toMatchObject({ completed: N, tcpFallbacks: N, truncated: 0, malformed: 0 });
    expect(s.received.tcp).toBe(N);
  });
});

describe('extended RCODEs (issue 10 item 2)', () => {
  it.skipIf(skipWithout('named'))('BIND with require-server-cookie answers BADCOOKIE, shown as such everywhere, and a BADCOOKIE gate evaluates', async () => {
    const named = await startNamed({ extraOptions: 'require-server-cookie yes;' });
    cleanup.push(() => named.stop());
    const csv = join(dir, 'cookie.csv');
    const html = join(dir, 'cookie.html');
    const { r, report, t } = await bench('127.0.0.1', named.port, ['-E', '10:0011223344556677', '-v', '--csv', csv, '--html', html, '--gate', 'rcode.BADCOOKIE==0']);
    expect(t.rcodes).toEqual({ BADCOOKIE: N });
    expect(r.stdout).toMatch(/Response codes: +BADCOOKIE 20 \(100\.00%\)/);
    expect(r.stdout).not.toMatch(/YXRRSET/);
    expect(r.stdout.match(/^> BADCOOKIE www\.test\.com A /gm)).toHaveLength(N);
    expect(readFileSync(csv, 'utf8').split('\r\n')[0]).toMatch(/,BADCOOKIE$/);
    expect(readFileSync(html, 'utf8')).toContain('data-rcode="BADCOOKIE"');
    expect(report.gates?.results[0]).toMatchObject({ metric: 'rcode.BADCOOKIE', passed: false });
    expect(r.code).toBe(1);
    // The same gate on the saved report, and a comparison of two runs, read the same name.
    const json = join(dir, 'cookie.json');
    writeFileSync(json, JSON.stringify(report));
    const again = await runCli(['report', json, '--gate', 'rcode.BADCOOKIE>=100%']);
    expect(again.code, again.stderr).toBe(0);
    const two = await runCli(['-s', `127.0.0.1:${named.port}`, '-s', `b=127.0.0.1:${named.port}`, '-d', QUERIES, '-n', '5', '-t', '0.5', '-E', '10:0011223344556677', '--json', join(dir, 'cookie2.json')]);
    const rep2 = JSON.parse(readFileSync(join(dir, 'cookie2.json'), 'utf8')) as Report;
    expect(rep2.comparison!.targets[1]!.rcodes.map((x) => x.rcode)).toEqual(['BADCOOKIE']);
    expect(two.stdout).toMatch(/BADCOOKIE/);
  });

  it('a server rejecting the EDNS version (BADVERS: header NOERROR, EXTENDED-RCODE 1) is never NOERROR', async () => {
    const s = await tiny({
      udp: (q) => (hasOpt(q) ? Buffer.concat([header(q, { qd: 1, ar: 1 }), questionOf(q)!, opt({ extendedRcode: 1 })]) : fullAnswer(q)),
    });
    const { r, t } = await bench(s.host, s.port, ['-e', '--gate', 'rcode.NOERROR>=1']);
    expect(t.rcodes).toEqual({ BADVERS: N });
    expect(r.stdout).toMatch(/Response codes: +BADVERS 20 \(100\.00%\)/);
    expect(r.code).toBe(1);
  });
});

// Both UDP paths see them: dgram through its unconnected sidecar socket, native through its
// unconnected socket's per-message source check (FLAG_FROM_TARGET).
const IO_PATHS = loadNativeUdp({ env: process.env, platform: process.platform }).ok ? ['dgram', 'native'] : ['dgram'];
describe.each(IO_PATHS)('replies from an unexpected source (issue 10 item 6), --io %s', (io) => {
  it('a server answering from another address: foreignSource, never answers, and a note naming the source', async () => {
    const port = await freePort('127.0.0.2');
    const s = await tiny({ host: '127.0.0.2', port, udp: (q) => ({ from: 'other', msg: fullAnswer(q) }), other: { host: '127.0.0.1', port } });
    const { r, report, t } = await bench(s.host, s.port, ['--io', io]);
    expect(t.counters).toMatchObject({ sent: N, completed: 0, foreignSource: N, timedOut: N });
    expect(t.foreignSources).toEqual({ [`127.0.0.1:${port}`]: N });
    expect(report.notes).toContain(
      `20 replies came from 127.0.0.1:${port}, not 127.0.0.2:${port}: is the server answering from another address? They were counted as foreignSource, never as answers.`,
    );
    expect(report.notes.join('\n')).not.toMatch(/Is a DNS server listening/);
    expect(r.stdout).toMatch(/│ foreign source │/);
    expect(r.code).toBe(3);
  });

  it('another port (NAT), IPv6, and a server answering half from its own address: each counted apart', async () => {
    const nat = await tiny({ udp: (q) => ({ from: 'other', msg: fullAnswer(q) }), other: {} });
    const a = await bench(nat.host, nat.port, ['--io', io]);
    expect(a.t.counters).toMatchObject({ completed: 0, foreignSource: N });
    expect(a.report.notes.join('\n')).toContain(`came from ${nat.otherEndpoint}, not 127.0.0.1:${nat.port}: is something between here and the server rewriting its port (NAT)?`);

    const v6 = await tiny({ host: '::1', udp: (q) => ({ from: 'other', msg: fullAnswer(q) }), other: {} });
    const b = await bench('::1', v6.port, ['--io', io]);
    expect(b.t.counters).toMatchObject({ completed: 0, foreignSource: N });
    expect(b.t.foreignSources).toEqual({ [v6.otherEndpoint!]: N });

    const half = await tiny({ udp: (q, n) => (n % 2 === 0 ? fullAnswer(q) : { from: 'other', msg: fullAnswer(q) }), other: { host: '127.0.0.3' } });
    const c = await bench(half.host, half.port, ['--io', io, '-q', '1', '-t', '0.2']);
    expect(c.t.counters).toMatchObject({ sent: N, completed: N / 2, foreignSource: N / 2, timedOut: N / 2 });
    expect(c.r.code).toBe(0);
    const gate = await runCli(['report', join(dir, `run${runNo}.json`), '--gate', 'foreign-source==0']);
    expect(gate.code).toBe(1);
    expect(gate.stdout).toMatch(/FAIL foreign-source==0: measured 10/);
  });
});

describe('socket errors are the kernel\'s ICMP errors, counted the same in every mode (issue 10 item 10)', () => {
  it('a closed port gives socket errors with one query, a burst and paced sends, alone and with --interleave', async () => {
    const port = await freePort();
    // Every shape on the dgram path; the native path (the default where its addon builds) too.
    const shapes: Array<[string, string[]]> = [
      ['one query', ['-n', '1', '--io', 'dgram']],
      ['a burst', ['-n', '50', '-q', '100', '--io', 'dgram']],
      ['paced', ['-n', '20', '-Q', '200', '--io', 'dgram']],
      ['a burst, default I/O', ['-n', '50', '-q', '100']],
      ...(IO_PATHS.includes('native')
        ? ([
            ['one query, native', ['-n', '1', '--io', 'native']],
            ['paced, native', ['-n', '20', '-Q', '200', '--io', 'native']],
          ] as Array<[string, string[]]>)
        : []),
    ];
    for (const [what, args] of shapes) {
      const seq = await runCli(['-s', `127.0.0.1:${port}`, '-d', QUERIES, '-t', '0.3', '--json', join(dir, 'icmp1.json'), ...args]);
      const il = await runCli(['-s', `127.0.0.1:${port}`, '-s', `b=127.0.0.1:${port}`, '--interleave', '-d', QUERIES, '-t', '0.3', '--json', join(dir, 'icmp2.json'), ...args]);
      expect([seq.code, il.code], what).toEqual([3, 3]);
      for (const f of ['icmp1.json', 'icmp2.json']) {
        const rep = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Report;
        for (const t of rep.targets) {
          // Every ICMP error the kernel kept is seen once, at a send or a receive; how many the kernel
          // keeps for a socket depends on timing, so the count is > 0, not a fixed number.
          expect(t.counters.socketErrors, `${what} ${f} ${t.label}`).toBeGreaterThan(0);
          expect(t.counters.socketErrors).toBeLessThanOrEqual(t.counters.sent);
        }
        expect(rep.notes.join('\n'), `${what} ${f}`).toMatch(/the kernel reported \d+ ICMP\/socket errors \(port unreachable\)/);
      }
    }
  });
});

describe('TSIG strictness against BIND with a real key (issue 11 item 17)', () => {
  it.skipIf(skipWithout('named'))('answers changed on the way (64 bytes appended, CLASS IN, TTL 3600) never complete; untouched ones do', async () => {
    const secret = 'kve3QMmhjXGZUZURb6mucQ==';
    const named = await startNamed({ extraConf: `key chinanet { algorithm hmac-sha256; secret "${secret}"; };` });
    cleanup.push(() => named.stop());
    // A UDP proxy in front of named that changes three answers of every four. The TSIG RR is
    // last: its RDATA (hmac-sha256: 13 + 6 + 2 + 2 + 32 + 6 = 61 bytes) ends the message, and its
    // CLASS and TTL sit right before RDLENGTH.
    const front = createSocket('udp4');
    const up = createSocket('udp4');
    await new Promise<void>((res) => front.bind(0, '127.0.0.1', () => res()));
    await new Promise<void>((res) => up.bind(0, '127.0.0.1', () => res()));
    cleanup.push(async () => {
      front.close();
      up.close();
    });
    const clients = new Map<number, { port: number; address: string }>();
    front.on('message', (q, from) => {
      clients.set(q.readUInt16BE(0), from);
      up.send(q, named.port, '127.0.0.1');
    });
    let n = 0;
    up.on('message', (a) => {
      const kind = n++ % 4;
      const classAt = a.length - 61 - 8;
      let out = Buffer.from(a);
      if (kind === 1) out = Buffer.concat([a, Buffer.alloc(64, 0xab)]);
      if (kind === 2) out.writeUInt16BE(1, classAt);
      if (kind === 3) out.writeUInt32BE(3600, classAt + 2);
      const to = clients.get(a.readUInt16BE(0));
      if (to) front.send(out, to.port, to.address);
    });
    const { t } = await bench('127.0.0.1', front.address().port, ['-y', `hmac-sha256:chinanet:${secret}`, '-q', '1', '-t', '0.2']);
    // Each changed answer leaves its query outstanding until -t, and the next one goes out.
    expect(t.counters).toMatchObject({ sent: N, completed: N / 4, malformed: N / 4, tsigFailed: N / 2, timedOut: (3 * N) / 4 });
    expect(t.counters.tsigBadKey + t.counters.tsigBadSig + t.counters.tsigBadTime).toBe(0);
  });
});

describe('NSID values are server data (issue 11 items 14, 15)', () => {
  const nsidAnswer = (q: Buffer, nsid: string): Buffer =>
    Buffer.concat([header(q, { qd: 1, an: 1, ar: 1, flags: 0x0400 }), questionOf(q)!, Buffer.from('c00c000100010000012c0004c0000201', 'hex'), opt({ options: [{ code: 3, data: Buffer.from(nsid, 'latin1') }] })]);

  it('__proto__, constructor and toString are names like any other, in every output', async () => {
    const names = ['__proto__', 'constructor', 'toString', 'ns1'];
    const s = await tiny({ udp: (q, i) => nsidAnswer(q, names[i % names.length]!) });
    const { r, t } = await bench(s.host, s.port, ['--nsid', '-q', '1']);
    expect(t.nsid).not.toBeNull();
    for (const n of names) expect(Object.hasOwn(t.nsid!, n) ? t.nsid![n] : undefined, n).toBe(N / names.length);
    expect(r.stdout).toMatch(/NSID: +.*__proto__ 5 \(25\.00%\)/);
    expect(r.stdout).not.toMatch(/NaN|undefined|\[object/);
    const html = join(dir, 'nsid.html');
    const rep = await runCli(['report', join(dir, `run${runNo}.json`), '--html', html]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.stdout).toMatch(/constructor 5 \(25\.00%\)/);
  });

  it('a new NSID per answer keeps the report capped at 100 identities with "(other)" and a note', async () => {
    let k = 0;
    const s = await tiny({ udp: (q) => nsidAnswer(q, `backend-${(k++ * 2654435761) >>> 0}`) });
    const { r, report, t } = await bench(s.host, s.port, ['--nsid'], { n: 400 });
    expect(t.counters.completed).toBe(400);
    expect(Object.keys(t.nsid!).length).toBeLessThanOrEqual(100);
    expect(t.nsid!['(other)']).toBe(400 - 99);
    for (const iv of t.intervals) expect(Object.keys(iv.nsid ?? {}).length).toBeLessThanOrEqual(101);
    expect(report.notes.join('\n')).toMatch(/more distinct NSID identities than the report keeps; the 99 most frequent are named and 301 answer\(s\) from the rest are counted under "\(other\)"/);
    const line = r.stdout.split('\n').find((l) => l.startsWith('NSID:'))!;
    expect(line).toMatch(/89 more 89 \(22\.25%\), \(other\) 301 \(75\.25%; identities past the report's cap\)$/);
  });
});
