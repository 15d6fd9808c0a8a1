// Every bad flag is refused before the first packet: exit code 2, one line naming the flag and
// what it accepts, no stack trace. Runs main() in-process with a capturing console.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/bin.js';
import { captureConsole, expectUsageError, ROOT } from './support/cli.js';

const Q = join(ROOT, 'test/fixtures/test-com.txt');
const dir = mkdtempSync(join(tmpdir(), 'dnsbench-cli-'));

const fails = async (args: string[], pattern: RegExp, opts: { stdinIsTTY?: boolean } = {}): Promise<void> => {
  await expectUsageError(args, pattern, opts);
};

describe('flag validation (exit 2, one line, names the flag)', () => {
  const cases: Array<[string[], RegExp]> = [
    [['-d', Q, '-p', '0'], /-p\/--port: expected a port from 1 to 65535, got "0"/],
    [['-d', Q, '-p', '70000'], /-p\/--port/],
    [['-d', Q, '-l', 'abc'], /-l\/--time-limit: expected seconds .* got "abc"/],
    [['-d', Q, '-l', '-5'], /-l\/--time-limit/],
    [['-d', Q, '-l', '0'], /-l\/--time-limit/],
    [['-d', Q, '-n', '1.5'], /-n\/--runs: expected a whole number/],
    [['-d', Q, '-n', '0'], /-n\/--runs/],
    [['-d', Q, '-c', '0'], /-c\/--clients/],
    [['-d', Q, '-c', '5000'], /-c\/--clients: .* from 1 to 1024/],
    [['-d', Q, '-T', '0'], /-T\/--threads/],
    [['-d', Q, '-T', '4', '-c', '2'], /-T\/--threads 4 is more than -c\/--clients 2/],
    [['-d', Q, '-q', '0'], /-q\/--outstanding/],
    [['-d', Q, '-q', '1', '-c', '2', '-T', '1'], /-q\/--outstanding 1 is less than -c\/--clients 2/],
    [['-d', Q, '-q', '200000', '-c', '1', '-T', '1'], /more than 65535 per socket/],
    [['-d', Q, '-Q', '0'], /-Q\/--max-qps/],
    [['-d', Q, '-Q', '1', '-T', '2'], /-Q\/--max-qps 1 is less than -T\/--threads 2/],
    [['-d', Q, '-t', 'x'], /-t\/--timeout/],
    [['-d', Q, '-S', '0'], /-S\/--stats-interval/],
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
    [['-d', Q, '-f', 'inet5'], /--family.*inet5.*invalid|Allowed choices/i],
    [['-d', join(dir, 'missing.txt')], /-d\/--datafile: no such file ".*missing\.txt"/],
    [['-d', dir], /-d\/--datafile: ".*" is a directory/],
    [['-d', Q, '--json', join(dir, 'no/such/dir/r.json')], /--json .*: directory ".*" does not exist/],
    [['-d', Q, '--bogus'], /unknown option '--bogus'/],
    [['-d'], /argument missing|option '-d, --datafile <file>' argument missing/],
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
