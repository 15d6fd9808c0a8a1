import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { RRTYPE, loadZoneFile, parseZone, type Zone } from '../src/serve/zone.js';

function rrset(zone: Zone, name: string, type: keyof typeof RRTYPE): unknown[] {
  return (zone.nodes.get(name)?.get(RRTYPE[type]) ?? []).map((r) => ('data' in r ? r.data : undefined));
}

function problemsOf(text: string, origin?: string): InputError {
  try {
    parseZone(text, 'bad.zone', origin);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

const DEMO_ZONE = fileURLToPath(new URL('../zones/demo.zone', import.meta.url));
const SOA = '@ IN SOA ns1 hostmaster 1 3600 600 86400 60\n';

describe('parseZone', () => {
  it('reads $ORIGIN, $TTL, @, relative and absolute names, and a parenthesised SOA with comments', () => {
    const zone = parseZone(
      [
        '; a comment line',
        '$ORIGIN Example.TEST.',
        '$TTL 1h',
        '@   IN  SOA ns1 hostmaster.example.test. (',
        '        42      ; serial',
        '        3600 600',
        '        1w 60 ) ; trailing comment',
        '    IN  NS  ns1',
        'ns1 IN  A   192.0.2.1',
        'abs.example.test. A 192.0.2.2',
        '',
      ].join('\n'),
      'example.zone',
    );
    expect(zone.origin).toBe('Example.TEST');
    expect(zone.soa.data).toEqual({
      mname: 'ns1.Example.TEST', rname: 'hostmaster.example.test', serial: 42, refresh: 3600, retry: 600, expire: 604800, minimum: 60,
    });
    expect(zone.soa.ttl).toBe(3600);
    expect(rrset(zone, 'example.test', 'NS')).toEqual(['ns1.Example.TEST']);
    expect(rrset(zone, 'ns1.example.test', 'A')).toEqual(['192.0.2.1']);
    expect(rrset(zone, 'abs.example.test', 'A')).toEqual(['192.0.2.2']);
    expect(zone.recordCount).toBe(4);
  });

  it('gives a blank owner the previous owner, and accepts TTL and class in either order', () => {
    const zone = parseZone(`$TTL 300\n${SOA}www 60 IN A 192.0.2.1\n     IN 70 AAAA 2001:db8::1\n\tA 192.0.2.2\n`, 'z', 'demo.test.');
    const www = zone.nodes.get('www.demo.test')!;
    expect(www.get(RRTYPE.A)!.map((r) => r.type === 'A' && [r.data, r.ttl])).toEqual([['192.0.2.1', 60], ['192.0.2.2', 300]]);
    expect(www.get(RRTYPE.AAAA)![0]).toMatchObject({ name: 'www.demo.test', ttl: 70, data: '2001:db8::1' });
  });

  it('falls back to the last explicit TTL when there is no $TTL (RFC 1035)', () => {
    const zone = parseZone('@ 120 IN SOA ns1 hm 1 2 3 4 5\nwww A 192.0.2.1\n', 'z', 'demo.test');
    expect(zone.nodes.get('www.demo.test')!.get(RRTYPE.A)![0]).toMatchObject({ ttl: 120 });
  });

  it('parses every supported type into dns-packet shapes', () => {
    const zone = parseZone(
      [
        '$ORIGIN demo.test.',
        '$TTL 300',
        SOA.trim(),
        'mail  MX    10 mx1',
        'txt   TXT   "v=spf1 -all" "semi;colon \\"quoted\\" \\065" bare',
        'alias CNAME www.demo.test.',
        '4     PTR   host.demo.test.',
        '_sip._udp SRV 10 60 5060 sip',
        '@     CAA   0 issue "ca.example.net"',
        'v6    AAAA  2001:db8::6',
      ].join('\n'),
      'z',
    );
    expect(rrset(zone, 'mail.demo.test', 'MX')).toEqual([{ preference: 10, exchange: 'mx1.demo.test' }]);
    expect(rrset(zone, 'txt.demo.test', 'TXT')).toEqual([
      [Buffer.from('v=spf1 -all'), Buffer.from('semi;colon "quoted" A'), Buffer.from('bare')],
    ]);
    expect(rrset(zone, 'alias.demo.test', 'CNAME')).toEqual(['www.demo.test']);
    expect(rrset(zone, '4.demo.test', 'PTR')).toEqual(['host.demo.test']);
    expect(rrset(zone, '_sip._udp.demo.test', 'SRV')).toEqual([{ priority: 10, weight: 60, port: 5060, target: 'sip.demo.test' }]);
    expect(rrset(zone, 'demo.test', 'CAA')).toEqual([{ flags: 0, tag: 'issue', value: 'ca.example.net' }]);
    expect(rrset(zone, 'v6.demo.test', 'AAAA')).toEqual(['2001:db8::6']);
    // _udp owns nothing but has a child: it exists (NODATA, not NXDOMAIN).
    expect(zone.emptyNonTerminals.has('_udp.demo.test')).toBe(true);
  });

  it('matches names case-insensitively through lower-cased keys, keeping the case as written', () => {
    const zone = parseZone(`$TTL 1\n${SOA}MiXeD A 192.0.2.1\n`, 'z', 'Demo.Test');
    expect(zone.nodes.get('mixed.demo.test')!.get(RRTYPE.A)![0]!.name).toBe('MiXeD.Demo.Test');
  });

  it('accepts CRLF line endings', () => {
    const zone = parseZone(`$TTL 1\r\n${SOA.trim()}\r\nwww A 192.0.2.1\r\n`, 'z', 'demo.test');
    expect(rrset(zone, 'www.demo.test', 'A')).toEqual(['192.0.2.1']);
  });

  it('parses the bundled demo zone', () => {
    const zone = loadZoneFile(DEMO_ZONE);
    expect(zone.origin).toBe('demo.test');
    for (const name of ['www', 'mail', 'txt', 'v6', 'alias', 'rr', 'h0', 'h499']) {
      expect(zone.nodes.has(`${name}.demo.test`), name).toBe(true);
    }
    expect(rrset(zone, 'rr.demo.test', 'A')).toHaveLength(4);
    expect(rrset(zone, 'mail.demo.test', 'MX').length).toBeGreaterThan(0);
    expect(zone.nodes.has('h500.demo.test')).toBe(false);
  });
});

describe('parseZone errors', () => {
  it('lists bad lines as file:line: reason, in line order, with the total', () => {
    const err = problemsOf(
      [
        '$TTL 300',
        SOA.trim(),
        'a A 999.0.0.1', // 3
        'b AAAA not-an-address', // 4
        'c MX ten mx', // 5
        'd HINFO "cpu" "os"', // 6
        'e FOO 1', // 7
        'f CH A 192.0.2.1', // 8
        'g TXT "unterminated', // 9
        'h A 192.0.2.1 192.0.2.2', // 10
        '$INCLUDE other.zone', // 11
      ].join('\n'),
      'demo.test',
    );
    expect(err.totalProblems).toBe(9);
    expect(err.problems.map((p) => p.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(err.problems.every((p) => p.file === 'bad.zone')).toBe(true);
    expect(err.message).toContain('bad.zone: 9 problems in zone file');
    expect(err.message).toContain("bad.zone:3: bad IPv4 address '999.0.0.1'");
    expect(err.message).toContain('bad.zone:6: record type HINFO is not supported');
    expect(err.message).toContain("bad.zone:7: unknown record type or class 'FOO'");
    expect(err.message).toContain('bad.zone:8: class CH is not supported');
    expect(err.message).toContain('bad.zone:9: unterminated quoted string');
    expect(err.message).toContain('bad.zone:11: directive $INCLUDE is not supported');
    expect(err.exitCode).toBe(2);
  });

  it('lists at most 10 problems but counts them all', () => {
    const bad = Array.from({ length: 25 }, (_, i) => `h${i} A 300.1.1.1`).join('\n');
    const err = problemsOf(`$TTL 1\n${SOA}${bad}\n`, 'demo.test');
    expect(err.problems).toHaveLength(10);
    expect(err.totalProblems).toBe(25);
    expect(err.message).toContain('(and 15 more)');
  });

  it('reports zone-wide problems: no SOA, names outside the apex, CNAME beside other data', () => {
    expect(problemsOf('$TTL 1\nwww A 192.0.2.1\n', 'demo.test').message).toContain('no SOA record');
    const err = problemsOf(`$TTL 1\n${SOA}x.other.test. A 192.0.2.1\nc CNAME www\nc A 192.0.2.1\n@ SOA a b 1 2 3 4 5\n`, 'demo.test');
    expect(err.message).toContain("bad.zone:3: 'x.other.test.' is outside the zone 'demo.test.'");
    expect(err.message).toContain("bad.zone:4: CNAME at 'c.demo.test.' cannot coexist");
    expect(err.message).toContain('bad.zone:6: second SOA record');
  });

  it('explains relative names without an origin, blank owners at the start, missing TTLs and bad parentheses', () => {
    expect(problemsOf('www A 192.0.2.1\n').message).toContain("bad.zone:1: relative name 'www' but no $ORIGIN");
    expect(problemsOf('  A 192.0.2.1\n', 'demo.test').message).toContain('bad.zone:1: line starts with a blank but there is no previous owner');
    expect(problemsOf(`${SOA}`, 'demo.test').message).toContain('bad.zone:1: no TTL on this record and no $TTL');
    expect(problemsOf(`$TTL 1\n${SOA}www A ( 192.0.2.1\n`, 'demo.test').message).toContain("bad.zone:3: '(' is never closed");
    expect(problemsOf(`$TTL 1\n${SOA}www A 192.0.2.1 )\n`, 'demo.test').message).toContain("bad.zone:3: ')' without a matching '('");
    expect(problemsOf(`$TTL 1\n${SOA}*.w A 192.0.2.1\n`, 'demo.test').message).toContain('wildcards are not supported');
    expect(problemsOf(`$TTL 1\n${SOA}${'a'.repeat(64)} A 192.0.2.1\n`, 'demo.test').message).toContain('longer than 63');
    expect(problemsOf(`$TTL 1\n${SOA}t TXT "${'x'.repeat(256)}"\n`, 'demo.test').message).toContain('at most 255 fit');
  });

  it('turns an unreadable file into an InputError naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsbench-zone-'));
    const missing = join(dir, 'missing.zone');
    expect(() => loadZoneFile(missing)).toThrow(InputError);
    expect(() => loadZoneFile(missing)).toThrow(/missing\.zone: cannot read zone file \(ENOENT\)/);
    const good = join(dir, 'good.zone');
    writeFileSync(good, `$ORIGIN demo.test.\n$TTL 1\n${SOA}`);
    expect(loadZoneFile(good).origin).toBe('demo.test');
  });
});
