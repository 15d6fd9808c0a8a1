// The transport, TSIG and EDNS flags: every bad value is refused before the first packet (exit 2,
// one line naming the flag), good ones resolve to the right config, and the TSIG secret never
// reaches an output.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli-main.js';
import { configForReport, resolveConfig } from '../src/config.js';
import { redactArgv } from '../src/redact.js';
import { captureConsole, expectUsageError, ROOT } from './support/cli.js';

const Q = join(ROOT, 'test/fixtures/test-com.txt');
const dir = mkdtempSync(join(tmpdir(), 'dnsbench-cli-tr-'));
const notPem = join(dir, 'not.pem');
writeFileSync(notPem, 'hello\n');
const pem = join(dir, 'ca.pem');
writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const SECRET = 'c3VwZXItc2VjcmV0LXRzaWcta2V5';

const fails = (args: string[], pattern: RegExp): Promise<string> => expectUsageError(['-d', Q, ...args], pattern);

describe('transport flag validation (exit 2, one line, names the flag)', () => {
  const cases: Array<[string[], RegExp]> = [
    [['-m', 'quic'], /-m\/--mode: expected udp, tcp, dot or doh, got "quic"/],
    [['-m', 'tcp', '--tcp-fallback'], /--tcp-fallback: only with -m udp/],
    [['--tls-ca', pem], /--tls-ca: only with -m dot or -m doh/],
    [['-m', 'tcp', '--insecure'], /--insecure: only with -m dot or -m doh/],
    [['--tls-sni', 'dns.test'], /--tls-sni: only with -m dot or -m doh/],
    [['-m', 'dot', '--doh-uri', '/q'], /--doh-uri: only with -m doh/],
    [['-m', 'doh', '--doh-method', 'PUT'], /--doh-method: expected GET or POST, got "PUT"/],
    [['-m', 'doh', '--doh-uri', 'http://dns.test/dns-query'], /--doh-uri: expected an https:\/\/ URL/],
    [['-m', 'doh', '--doh-uri', 'dns-query'], /--doh-uri: expected a path \(\/dns-query\) or an https:\/\/ URL/],
    [['-m', 'doh', '--doh-uri', '/dns-query?x=1'], /--doh-uri: expected a path without spaces, query or fragment/],
    [['-m', 'dot', '--tls-ca', join(dir, 'missing.pem')], /--tls-ca .*missing\.pem: cannot read it \(ENOENT\)/],
    [['-m', 'dot', '--tls-ca', dir], /--tls-ca .*: is a directory/],
    [['-m', 'dot', '--tls-ca', notPem], /--tls-ca .*not\.pem: no PEM certificate in it/],
    [['-m', 'dot', '--tls-ca', pem, '--insecure'], /--insecure and --tls-ca: choose one/],
    [['-m', 'dot', '--tls-sni', 'bad name'], /--tls-sni: expected a host name/],
    [['-y', 'hmac-sha3:k:c2VjcmV0'], /-y\/--tsig: unknown algorithm "hmac-sha3"/],
    [['-y', 'nocolon'], /-y\/--tsig: expected \[alg:\]name:secret/],
    [['--edns-size', '511'], /--edns-size: expected a whole number from 512 to 65535, got "511"/],
    [['--edns-size', '65536'], /--edns-size/],
    [['--ecs', '198.51.100.0/33'], /--ecs: "198\.51\.100\.0\/33": prefix length must be 0 to 32/],
    [['--ecs', '198.51.100.0/24,nonsense'], /--ecs: "nonsense" is not an IPv4 or IPv6 subnet/],
    [['--ecs', '198.51.100.0/24', '-E', '8:000118'], /--ecs and -E 8:\.\.\.: both add a client subnet option/],
    [['-a', '127.0.0.1,127.0.0.2', '-c', '1', '-T', '1'], /-a\/--local-addr: 2 addresses but only 1 socket\(s\)/],
    [['-a', '127.0.0.1,127.0.0.1', '-c', '2', '-T', '1'], /-a\/--local-addr: an address is listed twice/],
    [['-a', '127.0.0.1,::1', '-c', '2', '-T', '1', '-s', '127.0.0.1'], /-a\/--local-addr ::1 is IPv6 but -s 127\.0\.0\.1 is IPv4/],
    // dnsperf's -O: the settings we have become our flags (and their checks), the rest is refused.
    // ... named as given: -O doh-uri= is what the user wrote, not --doh-uri.
    [['-O', 'doh-uri=/q'], /^dnsbench: -O doh-uri=: only with -m doh/],
    [['-O', 'doh-method=POST'], /^dnsbench: -O doh-method=: only with -m doh/],
    [['-O', 'tls-sni=dns.test'], /^dnsbench: -O tls-sni=: only with -m dot or -m doh/],
    [['--doh-method', 'POST'], /^dnsbench: --doh-method: only with -m doh/],
    [['-m', 'doh', '-O', 'doh-method=PUT'], /--doh-method: expected GET or POST, got "PUT"/],
    [['-O', 'doh-uri'], /-O: expected NAME=VALUE as in dnsperf \(e\.g\. -O doh-method=POST\), got "doh-uri"/],
    [['-O', 'num-queries-per-conn=10'], /-O num-queries-per-conn: not supported .*connections here stay open/],
    [['-O', 'latency-histogram=1'], /-O latency-histogram: not supported \(dnsbench takes dnsperf's -O doh-uri=, doh-method=, tls-sni= and suppress=/],
    [['-O', 'suppress=timeouts,bogus'], /-O suppress: expected a list of timeouts, congestion, sendfailed, sockready, unexpected .*got "bogus"/],
    [['-m', 'doh', '-O', 'doh-uri=/a', '--doh-uri', '/b'], /-O doh-uri= and --doh-uri give different values/],
  ];
  for (const [args, pattern] of cases) {
    it(args.join(' '), async () => {
      await fails(args, pattern);
    });
  }

  it('never echoes a TSIG secret, even a malformed one', async () => {
    const err = await fails(['-y', `bad..name:${SECRET}`], /-y\/--tsig: key name "bad\.\.name"/);
    expect(err).not.toContain(SECRET);
    expect(await fails(['-y', `k:${SECRET}!`], /not valid base64/)).not.toContain(SECRET);
  });
});

describe('transport flags resolve', () => {
  it('default ports by mode, as dnsperf -p 0', async () => {
    for (const [mode, port] of [['udp', 53], ['tcp', 53], ['dot', 853], ['doh', 443]] as const) {
      const c = await resolveConfig({ datafile: Q, mode });
      expect(c.targets[0]!.port, mode).toBe(port);
      expect(c.transport.mode).toBe(mode);
    }
    expect((await resolveConfig({ datafile: Q, mode: 'dot', port: '8853' })).targets[0]!.port).toBe(8853);
  });

  it('--edns-size, --nsid and --ecs imply EDNS; -a spreads a list', async () => {
    const c = await resolveConfig({ datafile: Q, ednsSize: '1232', nsid: true, ecs: ['198.51.100.0/24,2001:db8::/56', '203.0.113.0/24'], localAddr: '127.0.0.1, 127.0.0.2', clients: '2' });
    expect(c.encode.edns).toMatchObject({ udpSize: 1232, options: [{ code: 3 }] });
    expect(c.encode.ecs).toEqual(['198.51.100.0/24', '2001:db8::/56', '203.0.113.0/24']);
    expect(c.localAddresses).toEqual(['127.0.0.1', '127.0.0.2']);
    expect((await resolveConfig({ datafile: Q, ecs: ['198.51.100.0/24'] })).encode.edns?.udpSize).toBe(4096);
  });

  it('DoH: a full --doh-uri gives the path and :authority; GET by default', async () => {
    const c = await resolveConfig({ datafile: Q, mode: 'doh', dohUri: 'https://dns.example:8443/q', tlsCa: pem, tlsSni: 'dns.example' });
    expect(c.transport.doh).toEqual({ path: '/q', authority: 'dns.example:8443', method: 'GET' });
    expect(c.transport.tls).toEqual({ insecure: false, caFile: pem, sni: 'dns.example' });
  });

  it("dnsperf's -O doh-uri=, doh-method=, tls-sni= resolve as our flags; suppress= changes nothing", async () => {
    const c = await resolveConfig({
      datafile: Q,
      mode: 'doh',
      tlsCa: pem,
      dnsperfOption: ['doh-uri=https://dns.example:8443/q', 'doh-method=post', 'tls-sni=dns.example', 'suppress=timeouts,unexpected'],
    });
    expect(c.transport.doh).toEqual({ path: '/q', authority: 'dns.example:8443', method: 'POST' });
    expect(c.transport.tls).toEqual({ insecure: false, caFile: pem, sni: 'dns.example' });
    // The same value both ways is no conflict.
    const same = await resolveConfig({ datafile: Q, mode: 'doh', dohMethod: 'POST', dnsperfOption: ['doh-method=POST'] });
    expect(same.transport.doh.method).toBe('POST');
    const plain = await resolveConfig({ datafile: Q, dnsperfOption: ['suppress=timeouts'] });
    expect(plain.transport).toEqual((await resolveConfig({ datafile: Q })).transport);
  });

  it('the reported config and command line carry the key name, never the secret', async () => {
    const c = await resolveConfig({ datafile: Q, tsig: `hmac-sha512:chinanet:${SECRET}` });
    expect(c.transport.tsig).toEqual({ algorithm: 'hmac-sha512', name: 'chinanet', secret: SECRET });
    const shown = JSON.stringify(configForReport(c));
    expect(shown).not.toContain(SECRET);
    expect(shown).toContain('"name":"chinanet"');
    for (const argv of [['-y', `hmac-sha512:chinanet:${SECRET}`], [`-yhmac-sha512:chinanet:${SECRET}`], [`--tsig=chinanet:${SECRET}`]]) {
      expect(redactArgv(argv).join(' ')).not.toContain(SECRET);
    }
  });
});
