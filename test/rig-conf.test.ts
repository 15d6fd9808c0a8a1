// The netns rig's pure parts, without root: the config builders produce files the real programs
// accept (named-checkconf, keepalived -t, dnsdist --check-config) and refuse what NETNS.md says
// cannot work; dig's text output parses into rcode, answers in order, NSID and TSIG; lab
// addresses stay inside 198.18.0.0/24.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLab, isLabAddress } from './support/netns.js';
import { outageOf, parseDigOutput, type ProbeSample } from './support/netns-dig.js';
import { dnsdistConf } from './support/rigconf/dnsdist.js';
import { keepalivedConf } from './support/rigconf/keepalived.js';
import { authNamedConf, newRndcKey, primaryNamedConf, rndcConf, secondaryNamedConf, SEED_KEY, type TwoViews } from './support/rigconf/named.js';
import { orderZone, viewZone, withSerial } from './support/rigconf/zones.js';
import { findBinary, skipWithout } from './support/servers.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-rigconf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a checker; resolves its exit code and output (never rejects). */
function check(bin: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(findBinary(bin) ?? bin, args, { timeout: 10_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const views: TwoViews = {
  key: SEED_KEY,
  keyViewClients: ['198.18.0.201'],
  keyZones: [{ name: 'view.test', file: 'db.view-chinanet' }],
  defaultZones: [{ name: 'view.test', file: 'db.view-default' }],
};

describe.skipIf(skipWithout('named-checkconf'))('named.conf builders pass named-checkconf -z', () => {
  write('db.view-chinanet', viewZone({ serial: 1, www: '198.51.100.1' }, 'chinanet'));
  write('db.view-default', viewZone({ serial: 1, www: '203.0.113.1' }, 'default'));
  write('db.order', orderZone());

  it('a director with rrset-order rules and an rndc channel', async () => {
    const conf = write(
      'auth.conf',
      authNamedConf({
        dir,
        serverId: 'd1',
        rndc: { key: newRndcKey() },
        zones: [{ name: 'order.test', file: 'db.order' }],
        rrsetOrder: [
          { name: 'rr-cyclic.order.test', order: 'cyclic' },
          { name: 'rr-none.order.test', order: 'none' },
        ],
      }),
    );
    const r = await check('named-checkconf', ['-z', conf]);
    expect(r.out).toMatch(/zone order\.test\/IN: loaded serial 1/);
    expect(r.code).toBe(0);
  });

  it('primary and secondary with the seed key and two views', async () => {
    const p = await check('named-checkconf', ['-z', write('primary.conf', primaryNamedConf({ dir, serverId: 'primary', secondary: '198.18.0.12', ...views }))]);
    // one zone load per view
    expect(p.out.match(/zone view\.test\/IN: loaded serial 1/g)).toHaveLength(2);
    expect(p.code).toBe(0);
    const s = await check('named-checkconf', [write('secondary.conf', secondaryNamedConf({ dir, serverId: 'secondary', primary: '198.18.0.11', ...views }))]);
    expect(s).toEqual({ code: 0, out: '' });
  });

  it('fixed rrset-order: Debian only warns that it is compiled out', async () => {
    const conf = write('fixed.conf', authNamedConf({ dir, serverId: 'x', zones: [{ name: 'order.test', file: 'db.order' }], rrsetOrder: [{ name: 'rr-fixed.order.test', order: 'fixed' }] }));
    const r = await check('named-checkconf', [conf]);
    expect(r.code).toBe(0);
    // with --enable-fixed-rrset there is no warning; either way the file is valid
    expect(r.out === '' || /order 'fixed' was disabled at compilation time/.test(r.out)).toBe(true);
  });

  it('rndc.conf names the same key as the controls statement', () => {
    const key = newRndcKey();
    expect(rndcConf({ key })).toContain(`secret "${key.secret}"`);
    expect(authNamedConf({ dir, serverId: 'x', rndc: { key }, zones: [] })).toContain(`controls { inet 127.0.0.1 port 953 allow { 127.0.0.1; } keys { "rndc-key"; }; };`);
    expect(newRndcKey().secret).not.toBe(key.secret);
  });
});

describe.skipIf(skipWithout('keepalived'))('keepalived.conf builder', () => {
  it('master and backup pass keepalived -t; a typo would not', async () => {
    for (const state of ['MASTER', 'BACKUP'] as const) {
      const r = await check('keepalived', ['-t', '-f', write(`k-${state}.conf`, keepalivedConf({ routerId: 'd1', state, priority: 100, vip: '198.18.0.100' }))]);
      expect(r, r.out).toMatchObject({ code: 0 });
    }
    const bad = await check('keepalived', ['-t', '-f', write('k-bad.conf', keepalivedConf({ routerId: 'd1', state: 'MASTER', priority: 100, vip: '198.18.0.100' }).replace('vrrp_version', 'vrrp_versio'))]);
    expect(bad.code).not.toBe(0);
  });

  it("the seed's v2 setting with PASS authentication passes too", async () => {
    const text = keepalivedConf({ routerId: 'd1', state: 'MASTER', priority: 100, vip: '198.18.0.100', version: 2, advertInt: 1, authPass: 'secret12' });
    expect(text).toMatch(/auth_type PASS/);
    expect((await check('keepalived', ['-t', '-f', write('k-v2.conf', text)])).code).toBe(0);
  });

  it('refuses what VRRP cannot do', () => {
    expect(() => keepalivedConf({ routerId: 'd1', state: 'MASTER', priority: 100, vip: '198.18.0.100', version: 2 })).toThrow(/whole seconds/);
    expect(() => keepalivedConf({ routerId: 'd1', state: 'MASTER', priority: 100, vip: '198.18.0.100', authPass: 'x' })).toThrow(/no authentication/);
    expect(() => keepalivedConf({ routerId: 'd1', state: 'MASTER', priority: 255, vip: '198.18.0.100' })).toThrow(/priority/);
    expect(() => keepalivedConf({ routerId: 'd1', state: 'MASTER', priority: 100, vip: '172.28.0.100' })).toThrow(/outside the lab/);
  });
});

describe.skipIf(skipWithout('dnsdist'))('dnsdist.conf builder', () => {
  it('passes dnsdist --check-config with the measured health-check settings', async () => {
    const text = dnsdistConf({ listen: '198.18.0.50', backends: [{ name: 'd1', address: '198.18.0.1' }, { name: 'd2', address: '198.18.0.2' }] });
    expect(text).toContain('checkName="www.test.com.", checkInterval=1, checkTimeout=100, maxCheckFailures=1');
    expect(text).toContain('setSecurityPollSuffix("")');
    const r = await check('dnsdist', ['--check-config', '-C', write('dnsdist.conf', text)]);
    expect(r, r.out).toMatchObject({ code: 0 });
  });

  it('refuses no backends, addresses outside the lab and fractional check intervals (1.7 counts whole seconds)', () => {
    expect(() => dnsdistConf({ listen: '198.18.0.50', backends: [] })).toThrow(/no backends/);
    expect(() => dnsdistConf({ listen: '198.18.0.50', backends: [{ name: 'a', address: '172.28.0.54' }] })).toThrow(/outside the lab/);
    expect(() => dnsdistConf({ listen: '198.18.0.50', backends: [{ name: 'a', address: '198.18.0.1' }], checkInterval: 0.5 })).toThrow(/whole seconds/);
  });
});

describe('zones', () => {
  it('withSerial replaces the SOA serial of db.test-style and one-line SOAs, and refuses a zone without', () => {
    expect(withSerial('@ IN SOA a. b. ( 2 604800 86400 2419200 604800 )', 7)).toBe('@ IN SOA a. b. ( 7 604800 86400 2419200 604800 )');
    expect(withSerial(viewZone({ serial: 1, www: '198.51.100.1' }, 'v'), 3)).toMatch(/SOA ns\.view\.test\. root\.view\.test\. \( 3 /);
    expect(() => withSerial('www IN A 1.2.3.4', 2)).toThrow(/no SOA serial/);
  });
});

describe('lab addresses', () => {
  it('only 198.18.0.1-254 are lab addresses', () => {
    expect(isLabAddress('198.18.0.1')).toBe(true);
    expect(isLabAddress('198.18.0.254')).toBe(true);
    for (const a of ['198.18.0.0', '198.18.0.255', '198.18.1.1', '172.28.0.54', '127.0.0.1', '198.18.0.1x', '198.18.0.0001', '198.18.0.01', ' 198.18.0.1']) expect(isLabAddress(a), a).toBe(false);
  });

  it('createLab refuses bad hosts before touching anything', async () => {
    await expect(createLab([])).rejects.toThrow(/no hosts/);
    await expect(createLab([{ name: 'd1', addr: '172.28.0.54' }])).rejects.toThrow(/not a host address in 198\.18\.0\.0\/24/);
    await expect(createLab([{ name: 'a-very-long-name', addr: '198.18.0.1' }])).rejects.toThrow(/must match/);
    await expect(createLab([{ name: 'sw', addr: '198.18.0.1' }])).rejects.toThrow(/must match/);
    await expect(createLab([{ name: 'a', addr: '198.18.0.1' }, { name: 'b', addr: '198.18.0.1' }])).rejects.toThrow(/twice/);
  });
});

describe('dig output parsing', () => {
  // Captured from dig 9.18 (+nsid -y, three queries in one process, the third NXDOMAIN).
  const block = (id: number, status: string, answers: string, tsig = true): string => `;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: ${status}, id: ${id}
;; flags: qr aa; QUERY: 1, ANSWER: 4, AUTHORITY: 0, ADDITIONAL: 2

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
; NSID: 64 31 ("d1")
;; QUESTION SECTION:
;rr.test.com.			IN	A

${answers}${tsig ? `;; TSIG PSEUDOSECTION:
chinanet.		0	ANY	TSIG	hmac-md5.sig-alg.reg.int. 1795967969 300 16 0JsjcInHgizLZcaWtlbAQw== ${id} NOERROR 0 

` : ''};; Query time: 0 msec
;; SERVER: 127.0.0.1#53(127.0.0.1) (UDP)
;; MSG SIZE  rcvd: 216

`;
  const rr = (order: number[]): string =>
    `;; ANSWER SECTION:\n${order.map((n) => `rr.test.com.\t\t604800\tIN\tA\t198.51.100.${n}`).join('\n')}\n\n`;
  const text = `
; <<>> DiG 9.18.49-1~deb12u3-Debian <<>> +nsid @127.0.0.1 rr.test.com A rr.test.com A nx.test.com A
; (1 server found)
;; global options: +cmd
${block(7985, 'NOERROR', rr([3, 4, 1, 2]))}${block(58176, 'NOERROR', rr([4, 1, 2, 3]))}${block(23682, 'NXDOMAIN', ';; AUTHORITY SECTION:\ntest.com.\t\t604800\tIN\tSOA\tspdns01.test.com. root.test.com. 2 604800 86400 2419200 604800\n\n', false)}`;

  it('gives every answer block in order, with all its records in the order received', () => {
    const p = parseDigOutput(text, 'A');
    expect(p.map((a) => a.rcode)).toEqual(['NOERROR', 'NOERROR', 'NXDOMAIN']);
    expect(p[0]?.answers).toEqual(['198.51.100.3', '198.51.100.4', '198.51.100.1', '198.51.100.2']);
    expect(p[1]?.answers).toEqual(['198.51.100.4', '198.51.100.1', '198.51.100.2', '198.51.100.3']);
    expect(p[2]?.answers).toEqual([]); // the SOA is in AUTHORITY, not an answer
    expect(p.map((a) => a.nsid)).toEqual(['d1', 'd1', 'd1']);
    expect(p.map((a) => a.signed)).toEqual([true, true, false]);
    expect(p.every((a) => a.warnings.length === 0)).toBe(true);
  });

  it('a timeout gives no answer; a TSIG failure shows as a warning', () => {
    expect(parseDigOutput(';; communications error to 198.18.0.100#53: timed out\n;; no servers could be reached\n', 'A')).toEqual([]);
    const bad = block(1, 'NOERROR', rr([1])).replace(';; Query time', ";; Couldn't verify signature: tsig verify failure\n;; Query time");
    expect(parseDigOutput(bad, 'A')[0]?.warnings).toEqual([";; Couldn't verify signature: tsig verify failure"]);
  });

  it('outageOf finds the window from the first bad sample to the first good one after the last bad', () => {
    const s = (atMs: number, ok: boolean): ProbeSample => ({ atMs, answer: ok ? { rcode: 'NOERROR', answers: [], nsid: null, signed: false, warnings: [] } : null });
    const good = (a: ProbeSample['answer']): boolean => a !== null;
    expect(outageOf([s(0, true), s(50, true)], good)).toBeNull();
    expect(outageOf([s(0, true), s(50, false), s(100, true), s(150, false), s(200, true)], good)).toEqual({ fromMs: 50, toMs: 200, bad: 2 });
    expect(outageOf([s(0, true), s(50, false)], good)).toEqual({ fromMs: 50, toMs: null, bad: 1 });
  });
});
