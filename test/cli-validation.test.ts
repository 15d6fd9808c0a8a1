// Every bad flag is refused before the first packet: exit code 2, one line naming the flag and
// what it accepts, no stack trace. Runs main() in-process with a capturing console.
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli-main.js';
import { loadNativeUdp } from '../src/engine/native/addon.js';
import { resolveConfig, type BenchConfig, type RawRunOptions } from '../src/config.js';
import { captureConsole, expectUsageError, ROOT, runCli } from './support/cli.js';

const Q = join(ROOT, 'test/fixtures/test-com.txt');
const dir = mkdtempSync(join(tmpdir(), 'dnsbench-cli-'));

const fails = async (args: string[], pattern: RegExp, opts: { stdinIsTTY?: boolean } = {}): Promise<void> => {
  await expectUsageError(args, pattern, opts);
};

describe('flag validation (exit 2, one line, names the flag)', () => {
  const cases: Array<[string[], RegExp]> = [
    [['-d', Q, '-p', '0'], /-p\/--port: expected a port from 1 to 65535, got "0"/],
    // More targets than a report holds: the run would write a JSON report no dnsbench reads back.
    [['-d', Q, ...Array.from({ length: 1025 }, (_, i) => ['-s', `t${i}=127.0.0.1:9`]).flat()], /-s\/--server: at most 1024 targets in one run \(the most a report holds\), got 1025/],
    [['-d', Q, '-p', '70000'], /-p\/--port/],
    [['-d', Q, '-l', 'abc'], /-l\/--time-limit: expected seconds .* got "abc"/],
    [['-d', Q, '-l', '-5'], /-l\/--time-limit/],
    [['-d', Q, '-n', '1.5'], /-n\/--runs: expected a whole number/],
    [['-d', Q, '-n', '0'], /-n\/--runs/],
    [['-d', Q, '-c', '0'], /-c\/--clients/],
    [['-d', Q, '-T', '0'], /-T\/--threads/],
    [['-d', Q, '-q', '0'], /-q\/--outstanding/],
    [['-d', Q, '-Q', '0'], /-Q\/--max-qps/],
    [['-d', Q, '-t', 'x'], /-t\/--timeout/],
    [['-d', Q, '-t', '0'], /-t\/--timeout 0: expected more than 0 seconds/],
    [['-d', Q, '-t', 'x'], /-t\/--timeout: expected seconds \(fractions allowed\) above 0, at most 3600, got "x"/],
    [['-d', Q, '-t', '500ms'], /-t\/--timeout: expected .* got "500ms" \(a plain number of seconds, without a unit: 0\.5 for 500ms\)/],
    [['-d', Q, '-l', '2m'], /-l\/--time-limit: expected seconds \(fractions allowed\) from 0 to 31536000, got "2m" \(a plain number of seconds, without a unit: 120 for 2m\)/],
    [['-d', Q, '-S', '-1'], /-S\/--stats-interval/],
    [['-d', Q, '-S', '.'], /-S\/--stats-interval/],
    [['-d', Q, '-1', '-n', '2'], /-1 means -n 1 .* but -n 2 is given too/],
    [['-s', '127.0.0.1', '25353', '-d', Q], /unexpected argument '25353' \(did you mean -p 25353\?\)/],
    [['-d', Q, '-e', '4096'], /unexpected argument '4096': -e takes no value \(did you mean --edns-size 4096\?\)/],
    [['-d', Q, '-v', '5300'], /unexpected argument '5300': -v takes no value \(did you mean -p 5300\?\)/],
    [['-d', Q, '127.0.0.1'], /unexpected argument '127\.0\.0\.1' \(did you mean -s 127\.0\.0\.1\?\)/],
    [['-d', Q, '[::1]:5300'], /unexpected argument '\[::1\]:5300' \(did you mean -s \[::1\]:5300\?\)/],
    [['-s', '127.0.0.1', Q], /unexpected argument '.*test-com\.txt' \(did you mean -d .*test-com\.txt\?\)/],
    [['-d', Q, 'bogus'], /too many arguments: a word where a flag was expected \(not shown: it may be a value such as a key; give each value its flag\) \(see dnsbench --help\)$/],
    [['-d', Q, '99999'], /too many arguments: a word where a flag was expected \(not shown/],
    [['help', 'bogus'], /help: no command 'bogus' \(commands: serve, demo, report, merge, kubernetes, capacity\)/],
    [['-d', Q, '-b', '0'], /-b\/--buffer-size/],
    [['-d', Q, '-a', 'not-an-ip'], /-a\/--local-addr: expected an IPv4 or IPv6 address/],
    [['-d', Q, '-a', '::1', '-s', '127.0.0.1'], /-a\/--local-addr ::1 is IPv6 but -s 127.0.0.1 is IPv4/],
    [['-d', Q, '-x', '99999'], /-x\/--local-port/],
    [['-d', Q, '-x', '65535', '-c', '2', '-T', '1'], /-x\/--local-port 65535: 2 sockets need consecutive ports/],
    [['-d', Q, '-E', '10:abc'], /-E: expected code:hexvalue/],
    [['-d', Q, '-E', '70000:00'], /-E: expected code:hexvalue/],
    [['-d', Q, '-s', '127.0.0.1:0'], /-s 127.0.0.1:0: expected a port/],
    [['-d', Q, '-s', 'bad label=127.0.0.1'], /-s bad label=127.0.0.1: label "bad label"/],
    [['-d', Q, '-s', 'a=127.0.0.1', '-s', 'a=127.0.0.2'], /label "a" is used twice/],
    [['-d', Q, '-s', '1:2:3'], /-s 1:2:3: expected host, host:port/],
    [['-d', Q, '-f', 'inet5'], /^dnsbench: -f\/--family: expected one of inet, inet6, any \(see dnsbench --help\)$/],
    [['-d', join(dir, 'missing.txt')], /-d\/--datafile: no such file ".*missing\.txt"/],
    [['-d', dir], /-d\/--datafile: ".*" is a directory/],
    [['-d', Q, '--json', join(dir, 'no/such/dir/r.json')], /--json .*: directory ".*" does not exist/],
    [['-d', Q, '--bogus'], /unknown option '--bogus'/],
    // A flag where a value belongs (queryperf's -c is a switch) is named, not a stray file name.
    [['-s', '127.0.0.1', '-c', '-d', Q], /^dnsbench: -c\/--clients: expected a value, got the flag -d \(queryperf's -c, print response codes, is not needed/],
    [['-d', Q, '-l', '-v'], /^dnsbench: -l\/--time-limit: expected a value, got the flag -v \(see dnsbench --help\)$/],
    [['capacity', '-d', Q, '--slo', '-q', '10'], /^dnsbench: --slo: expected a value, got the flag -q/],
    // dnsperf's and queryperf's flags that dnsbench lacks say what to do instead.
    [['-d', Q, '-W'], /unknown option '-W': dnsperf's -W \(warnings on stdout\) is not supported: warnings and errors always go to stderr/],
    [['-d', Q, '-u'], /unknown option '-u': dnsperf's -u \(dynamic updates\) is not supported/],
    [['-d', Q, '-B'], /unknown option '-B': dnsperf's -B \(binary TCP-stream query files\) is not supported/],
    [['-d', Q, '-i', '1'], /unknown option '-i': queryperf's -i \(interval statistics\) is -S here, e\.g\. -S 1/],
    [['serve', '-u'], /^dnsbench: unknown option '-u' \(see dnsbench --help\)$/],
    [['-d'], /^dnsbench: -d\/--datafile: expected a value <file> after it \(see dnsbench --help\)$/],
    [['-d', Q, '--title'], /^dnsbench: --title: expected a value <text> after it/],
  ];
  for (const [args, pattern] of cases) {
    it(args.filter((a) => a !== Q).join(' ') || '(none)', () => fails(args, pattern));
  }

  it('asks for a query file when stdin is a terminal', () => fails([], /-d\/--datafile: no query file given and stdin is a terminal/, { stdinIsTTY: true }));
});

describe('query file errors (exit 2, file:line: reason, nothing sent)', () => {
  it('lists up to 10 bad lines with the total', async () => {
    const f = join(dir, 'bad.txt');
    const lines = ['www.test.com A', 'www.test.com AA', 'a..b.test.com A', 'nolabel'];
    for (let i = 0; i < 12; i++) lines.push(`x${i}.test.com BOGUS`);
    writeFileSync(f, lines.join('\n') + '\n');
    const con = captureConsole();
    const code = await main(['-s', '127.0.0.1', '-p', '9', '-d', f], con);
    expect(code).toBe(2);
    const err = con.stderr.trimEnd().split('\n');
    expect(err[0]).toMatch(/^dnsbench: .*bad\.txt:2: unknown query type "AA"/);
    expect(err.filter((l) => /bad\.txt:\d+: /.test(l))).toHaveLength(10);
    expect(con.stderr).toMatch(/15 bad lines/);
    expect(con.stdout).toBe('');
  });

  it('refuses a file with no queries', async () => {
    const f = join(dir, 'empty.txt');
    writeFileSync(f, '; only a comment\n\n');
    const con = captureConsole();
    expect(await main(['-p', '9', '-d', f], con)).toBe(2);
    expect(con.stderr).toMatch(/empty\.txt.*no queries/);
  });
});

describe('help and version', () => {
  it('--help exits 0 with examples, the split rule and exit codes', async () => {
    const con = captureConsole();
    expect(await main(['--help'], con)).toBe(0);
    expect(con.stdout).toContain('Examples:');
    expect(con.stdout).toContain('-q 100 over 3 sockets = 34+33+33');
    expect(con.stdout).toMatch(/Exit codes: 0 ok, 1 a --gate failed, 2 bad flag/);
  });
  it('--version prints the package version', async () => {
    const con = captureConsole();
    expect(await main(['--version'], con)).toBe(0);
    expect(con.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('dnsbench help [command]', () => {
  for (const [args, usage] of [
    [['help'], 'Usage: dnsbench [options] [command]'],
    [['help', 'run'], 'Usage: dnsbench [options] [command]'],
    [['help', 'serve'], 'Usage: dnsbench serve [options]'],
    [['help', 'k8s'], 'Usage: dnsbench kubernetes|k8s [options]'],
  ] as const) {
    it(args.join(' '), async () => {
      const con = captureConsole();
      expect(await main([...args], con)).toBe(0);
      expect(con.stdout.startsWith(usage), con.stdout).toBe(true);
      expect(con.stderr).toBe('');
    });
  }
  it('is listed in --help', async () => {
    const con = captureConsole();
    await main(['--help'], con);
    expect(con.stdout).toMatch(/^ {2}help \[command\] +show help/m);
  });
});

describe('dnsperf command lines are adjusted, not refused (issue 10 item 8)', () => {
  const resolve = (raw: RawRunOptions): Promise<BenchConfig> => resolveConfig({ datafile: Q, ...raw });

  it('-T 4 -c 2: two threads, with dnsperf\'s warning', async () => {
    const c = await resolve({ threads: '4', clients: '2' });
    expect([c.threads, c.sockets, c.outstanding]).toEqual([2, 2, 100]);
    expect(c.warnings).toEqual(['requested number of threads (-T 4) exceeds number of clients (-c 2), lowering number of threads to 2']);
  });
  it("queryperf's -T 5000 (a rate there): lowered as dnsperf does, and the warning names -Q", async () => {
    const c = await resolve({ threads: '5000' });
    expect([c.threads, c.sockets, c.maxQps]).toEqual([100, 100, null]);
    expect(c.warnings).toEqual([
      "requested number of threads (-T 5000) exceeds number of clients (-c 100), lowering number of threads to 100 (queryperf's -T 5000, queries per second, is -Q 5000 here)",
    ]);
    // With -Q given the user already knows the rate flag; a dnsperf-sized -T keeps dnsperf's line.
    const q = await resolve({ threads: '5000', maxQps: '20000' });
    expect(q.warnings.join('\n')).not.toContain("queryperf's");
    const d = await resolve({ threads: '256', clients: '8' });
    expect(d.warnings).toEqual(['requested number of threads (-T 256) exceeds number of clients (-c 8), lowering number of threads to 8']);
  });
  it('-c 16 -q 8 and -c 200 (default -q 100): as many sockets as outstanding queries, the same load', async () => {
    const a = await resolve({ clients: '16', outstanding: '8', threads: '2' });
    expect([a.threads, a.sockets, a.outstanding]).toEqual([2, 8, 8]);
    expect(a.warnings).toHaveLength(1);
    expect(a.warnings[0]).toMatch(/^requested number of clients \(-c 16\) exceeds the number of outstanding queries \(-q 8\), lowering number of clients to 8/);
    const b = await resolve({ clients: '200', threads: '1' });
    expect([b.threads, b.sockets, b.outstanding]).toEqual([1, 100, 100]);
    expect(b.warnings[0]).toMatch(/-c 200\) exceeds the number of outstanding queries \(-q 100\)/);
  });
  it('-Q 1 lowers -T (with a warning when -T was given, silently from the core-count default)', async () => {
    const a = await resolve({ maxQps: '1', threads: '4' });
    expect(a.threads).toBe(1);
    expect(a.warnings).toEqual(['requested max QPS limit (-Q 1) is lower than number of threads (-T 4), lowering number of threads to 1']);
    const b = await resolve({ maxQps: '1' });
    expect(b.threads).toBe(1);
    expect(b.warnings).toEqual([]);
  });
  it('-c 2000 -T 10 with -q 10000: capped at 1024 sockets, saying how to get more', async () => {
    const c = await resolve({ clients: '2000', threads: '10', outstanding: '10000' });
    expect([c.threads, c.sockets, c.outstanding]).toEqual([10, 1024, 10000]);
    expect(c.warnings).toEqual([expect.stringMatching(/^requested number of clients \(-c 2000\) exceeds built-in maximum 1024, adjusting .*--segment/)]);
  });
  it('-c 2000 -T 10 with the default -q 100: 100 sockets', async () => {
    const c = await resolve({ clients: '2000', threads: '10' });
    expect([c.threads, c.sockets, c.outstanding]).toEqual([10, 100, 100]);
  });
  it('-T above 256 is accepted (loops share min(-T, cores) worker threads)', async () => {
    const c = await resolve({ threads: '300', clients: '300', outstanding: '300' });
    expect([c.threads, c.sockets]).toEqual([300, 300]);
    expect(c.warnings).toEqual([]);
  });
  it('-q above 65535 per socket is lowered to what the ID space holds', async () => {
    const c = await resolve({ outstanding: '200000', clients: '1', threads: '1' });
    expect(c.outstanding).toBe(65535);
    expect(c.warnings[0]).toMatch(/^requested number of outstanding queries \(-q 200000\) per socket exceeds built-in maximum 65535, adjusting to 65535/);
  });
  it('-l 0.0001, -l 0, -S 0.0011, -S 0, -t 0.0005, queryperf -1', async () => {
    expect((await resolve({ timeLimit: '0.0001' })).timeLimitSec).toBe(0.0001);
    const zero = await resolve({ timeLimit: '0' });
    expect([zero.timeLimitSec, zero.passes]).toEqual([null, 1]);
    const s = await resolve({ statsInterval: '.0011' });
    expect(s.statsIntervalSec).toBe(0.01);
    expect(s.warnings).toEqual([expect.stringMatching(/^-S \.0011 is below 0\.01 s, printing every 0\.01 s \(dnsperf would print a line every 1\.1 ms/)]);
    expect((await resolve({ statsInterval: '0' })).statsIntervalSec).toBeNull();
    expect((await resolve({ timeout: '0.0005' })).timeoutSec).toBe(0.0005);
    expect((await resolve({ onePass: true, timeLimit: '10' })).passes).toBe(1);
  });
  it('the warnings go to stderr as "Warning: ..." lines before anything is sent, and stay out of the JSON', async () => {
    // Port 9 (discard) on loopback with a 1 ms timeout: nothing answers, the run is short (exit 3).
    const r = await runCli(['-s', '127.0.0.1', '-p', '9', '-d', Q, '-n', '1', '-t', '0.001', '-T', '4', '-c', '2', '--json', join(dir, 'w.json')]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr.split('\n')[0]).toBe('Warning: requested number of threads (-T 4) exceeds number of clients (-c 2), lowering number of threads to 2');
    expect(r.stdout).not.toContain('Warning');
    const saved = JSON.parse(readFileSync(join(dir, 'w.json'), 'utf8')) as { config: Record<string, unknown> };
    expect(saved.config['warnings']).toBeUndefined();
    expect(saved.config['threads']).toBe(2);
  });
});

describe("a query file with queryperf's #server line", () => {
  it('warns on stderr, naming the file and line, that -s and -p decide; --quiet keeps it out', async () => {
    const f = join(dir, 'qp-directives.txt');
    writeFileSync(f, '#server 198.51.100.7\nwww.example.com A\n');
    // Port 9 (discard) on loopback with a 1 ms timeout: nothing answers, the run is short (exit 3).
    const r = await runCli(['-s', '127.0.0.1', '-p', '9', '-d', f, '-n', '1', '-t', '0.001']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr.split('\n')[0]).toBe(`Warning: ${f} line 1: queryperf's directive "#server 198.51.100.7" is read as a comment; the server and port are -s and -p`);
    expect(r.stdout).toContain('Sending queries (to 127.0.0.1:9)');
    const q = await runCli(['-s', '127.0.0.1', '-p', '9', '-d', f, '-n', '1', '-t', '0.001', '--quiet']);
    expect(q.stderr).not.toContain('Warning');
  });

  it("escapes the file's name: an escape sequence in it reaches the terminal as text", async () => {
    // A file name is outside text (a shared directory, a name from a tarball): ESC ] 0 ; sets the
    // terminal's title, ESC [ 2 J clears the screen.
    const f = join(dir, 'qp-\x1b]0;pwned\x07-\x1b[2J.txt');
    writeFileSync(f, '#port 5300\nwww.example.com A\n');
    const r = await runCli(['-s', '127.0.0.1', '-p', '9', '-d', f, '-n', '1', '-t', '0.001']);
    expect(r.code, r.stderr).toBe(3);
    const warning = r.stderr.split('\n')[0]!;
    expect(warning).toContain('line 1: queryperf\'s directive "#port 5300"');
    expect(warning).not.toMatch(/[\x00-\x1f\x7f]/);
    expect(warning).toContain('qp-\\x1b]0;pwned\\x07-\\x1b[2J.txt');
  });
});

describe('a local bind that fails names the flag to change (exit 3, nothing sent)', () => {
  // Both UDP paths word their bind errors differently; the native one only where the addon loads.
  const paths = loadNativeUdp({ env: process.env, platform: process.platform }).ok ? ['native', 'dgram'] : ['dgram'];
  // Nothing listens at 127.0.0.1:9 here; both runs fail while opening sockets, before any send.
  it.each(paths)('-a with an address this host does not have (--io %s)', async (io) => {
    const r = await runCli(['-s', '127.0.0.1:9', '-d', Q, '-a', '192.0.2.77', '-c', '1', '-T', '1', '--io', io]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/cannot open socket: .*EADDRNOTAVAIL.*; -a must be an address of this host/);
  });

  it.each(paths)('-x on a port in use (--io %s)', async (io) => {
    const holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind({ address: '0.0.0.0', port: 0, exclusive: true }, () => resolve()));
    try {
      const r = await runCli(['-s', '127.0.0.1:9', '-d', Q, '-x', String(holder.address().port), '-c', '1', '-T', '1', '--io', io]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/cannot open socket: .*EADDRINUSE.*; with -x the sockets take consecutive local ports/);
    } finally {
      holder.close();
    }
  });
});
