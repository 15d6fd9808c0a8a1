// dnsperf parity (issue 10 item 7): Debian's dnsperf and dnsbench run with the same flags against
// the same knotd, and their stdout is compared line by line from the banner to the end of the
// statistics block, with the numbers masked. The masked-diff method:
//   1. take dnsperf's stdout, and dnsbench's from its first line (which must be the banner) to the
//      blank line after "Latency StdDev" (or "Average Latency" when dnsperf omits the StdDev);
//   2. mask what legitimately differs: the program name on "[Status] Command line:", the version
//      on "Version", the date on "[Status] Started at:" (each checked on its own below), then
//      every number (digits with an optional fraction become "#");
//   3. sort each run of consecutive "> " (-v) lines (answers arrive in any order) and collapse each
//      run of identical masked -S lines into one (how many intervals fit in the run varies);
//   4. the two line lists must be equal. Numbers that are deterministic for a given server and
//      query file (queries sent and completed, response-code counts, packet sizes) are also
//      compared exactly for the -n variants.
// Then both outputs go through a port of a real wrapper's parser (test/support/snafu.ts).
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from './support/cli.js';
import { findBinary, skipWithout, startKnot, type RunningServer } from './support/servers.js';
import { parseCtime, parseDnsperfStdout } from './support/snafu.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-parity-'));
const QUERIES = join(dir, 'q.txt');
// In the presentation form dnsbench prints -v queries in, so dnsperf's "line as written" is the same.
const LINES = ['www.test.com A', 'mail.test.com MX', 'txt.test.com TXT', 'v6.test.com AAAA', 'nonexistent.test.com A', 'rr.test.com A'];
writeFileSync(QUERIES, `; parity test queries\n${LINES.join('\n')}\n`);

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a program, bounded (SIGKILL after `limitMs`); optionally SIGINT it after `sigintAfterMs`. */
function run(cmd: string, args: string[], o: { sigintAfterMs?: number; limitMs?: number } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const kill = setTimeout(() => child.kill('SIGKILL'), o.limitMs ?? 30_000);
    const int = o.sigintAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGINT'), o.sigintAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(kill);
      clearTimeout(int);
      resolve({ code, stdout, stderr });
    });
  });
}

const dnsperf = (args: string[], o?: { sigintAfterMs?: number }): Promise<Result> => run(findBinary('dnsperf') ?? 'dnsperf', args, o);
const dnsbench = (args: string[], o?: { sigintAfterMs?: number }): Promise<Result> => run(process.execPath, [BIN, ...args], o);

/** dnsperf's part of stdout: the banner (line 1) to the blank line that ends the statistics block. */
function dnsperfBlock(stdout: string): { block: string[]; rest: string[] } {
  const lines = stdout.split('\n');
  expect(lines[0], stdout).toBe('DNS Performance Testing Tool');
  let end = lines.findIndex((l) => l.startsWith('  Average Latency (s):'));
  expect(end, stdout).toBeGreaterThan(0);
  if (lines[end + 1]?.startsWith('  Latency StdDev (s):')) end++;
  expect(lines[end + 1], stdout).toBe('');
  return { block: lines.slice(0, end + 2), rest: lines.slice(end + 2) };
}

/** Step 2 and 3 of the method in the header. */
function masked(block: readonly string[]): string[] {
  const lines = block.map((l) =>
    l
      .replace(/^\[Status\] Command line: \S+/, '[Status] Command line: PROGRAM')
      .replace(/^Version \S+$/, 'Version VERSION')
      .replace(/^\[Status\] Started at: .*$/, '[Status] Started at: DATE')
      .replace(/\d+(\.\d+)?/g, '#'),
  );
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    if (lines[i]!.startsWith('> ')) {
      const run: string[] = [];
      while (i < lines.length && lines[i]!.startsWith('> ')) run.push(lines[i++]!);
      out.push(...run.sort());
    } else if (lines[i] === '#: #') {
      while (lines[i] === '#: #') i++;
      out.push('#: #');
    } else out.push(lines[i++]!);
  }
  return out;
}

/** The numbers that must be equal for the same server, query file and -n. */
function deterministic(stdout: string): Record<string, string> {
  const pick = (re: RegExp): string => re.exec(stdout)?.[1] ?? 'missing';
  return {
    sent: pick(/^ {2}Queries sent: +(\d+)$/m),
    completed: pick(/^ {2}Queries completed: +(.*)$/m),
    lost: pick(/^ {2}Queries lost: +(.*)$/m),
    rcodes: pick(/^ {2}Response codes: +(.*)$/m),
    sizes: pick(/^ {2}Average packet size: +(.*)$/m),
  };
}

describe.skipIf(skipWithout('knotd', 'dnsperf'))('dnsperf 2.x stdout parity (Debian dnsperf vs dnsbench, same knotd)', () => {
  let v4: RunningServer;
  let v6: RunningServer;
  let silent: Socket;
  let silentPort = 0;

  beforeAll(async () => {
    [v4, v6] = await Promise.all([startKnot(), startKnot({ host: '::1' })]);
    // A port that reads queries and never answers: both tools see timeouts (and Ctrl-C) there.
    silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    silentPort = silent.address().port;
  }, 60_000);
  afterAll(async () => {
    silent?.close();
    await Promise.all([v4?.stop(), v6?.stop()]);
  });

  interface Variant {
    name: string;
    args: () => string[];
    /** Compare the deterministic numbers exactly (a fixed number of queries, all answered). */
    exact?: boolean;
    sigintAfterMs?: number;
  }
  const at = (s: () => RunningServer, ...rest: string[]) => (): string[] => ['-s', s().host, '-p', String(s().port), '-d', QUERIES, ...rest];
  const variants: Variant[] = [
    { name: '-n 3 (end of file, "3 runs through file")', args: at(() => v4, '-n', '3', '-T', '1', '-c', '1'), exact: true },
    { name: '-n 1 (no -l, no -n: "1 run through file" too)', args: at(() => v4, '-T', '1', '-c', '1'), exact: true },
    { name: '-l 0.5 (time limit)', args: at(() => v4, '-l', '0.5', '-T', '1', '-c', '1') },
    { name: '-l 0.5 -n 1000000 ("X seconds or N runs")', args: at(() => v4, '-l', '0.5', '-n', '1000000', '-T', '1', '-c', '1') },
    { name: '-l 1 -S 0.3 (-S lines)', args: at(() => v4, '-l', '1', '-S', '0.3', '-T', '1', '-c', '1') },
    { name: '-v -n 2 (verbose lines)', args: at(() => v4, '-v', '-n', '2', '-T', '1', '-c', '1'), exact: true },
    { name: '-n 2 -T 2 -c 4 -q 8 (several threads and sockets)', args: at(() => v4, '-n', '2', '-T', '2', '-c', '4', '-q', '8'), exact: true },
    { name: 'IPv6 ::1 (the "[::1]:port" form, no === heading)', args: at(() => v6, '-n', '2', '-T', '1', '-c', '1'), exact: true },
    { name: 'IPv6 ::1 with -v', args: at(() => v6, '-v', '-n', '1', '-T', '1', '-c', '1'), exact: true },
    {
      name: '-v timeouts ("> T name type", no StdDev line)',
      args: () => ['-s', '127.0.0.1', '-p', String(silentPort), '-d', QUERIES, '-v', '-n', '1', '-t', '0.3', '-T', '1', '-c', '1'],
    },
    {
      // dnsperf 2.10 ignores Ctrl-C while it drains after the last send, so stop both while sending.
      name: 'Ctrl-C while sending ("> I name type", interruption)',
      args: () => ['-s', '127.0.0.1', '-p', String(silentPort), '-d', QUERIES, '-v', '-l', '20', '-q', '3', '-t', '10', '-T', '1', '-c', '1'],
      sigintAfterMs: 1500,
    },
  ];

  for (const v of variants) {
    it(v.name, async () => {
      const args = v.args();
      const theirs = await dnsperf(args, { sigintAfterMs: v.sigintAfterMs });
      const ours = await dnsbench(args, { sigintAfterMs: v.sigintAfterMs });
      expect(theirs.code, theirs.stderr).toBe(0);
      const a = dnsperfBlock(theirs.stdout);
      const b = dnsperfBlock(ours.stdout);
      expect(masked(b.block)).toEqual(masked(a.block));
      // Masked apart, each on its own: the command line, the version word and the date.
      expect(b.block[3]).toBe(`[Status] Command line: dnsbench ${args.join(' ')}`);
      expect(b.block[1]).toMatch(/^Version \d+\.\d+\.\d+\+dnsbench$/);
      const started = (block: string[]): Date => parseCtime(block.find((l) => l.startsWith('[Status] Started at: '))!.slice(21));
      expect(Math.abs(started(b.block).getTime() - started(a.block).getTime())).toBeLessThan(120_000);
      if (v.exact) expect(deterministic(ours.stdout)).toEqual(deterministic(theirs.stdout));
      // Our own lines come after dnsperf's block and never repeat its lines.
      expect(b.rest.join('\n')).not.toMatch(/^(\[Status\]|Statistics:|DNS Performance Testing Tool|=== )/m);
    });
  }

  it("the snafu wrapper's parser reads both outputs alike, with its own command line (-S .0011, -l .01)", async () => {
    // The wrapper's command: dnsperf -v -s ADDR -p PORT -d FILE -c 1 -l .01 -t 5 -m udp -S .0011
    const args = ['-v', '-s', v4.host, '-p', String(v4.port), '-d', QUERIES, '-c', '1', '-l', '.01', '-t', '5', '-m', 'udp', '-S', '.0011'];
    const theirs = await dnsperf(args);
    const ours = await dnsbench(args);
    expect(theirs.code, theirs.stderr).toBe(0);
    expect(ours.code, ours.stderr).toBe(0);
    // -S that small is raised to 0.01 s with one dnsperf-style warning on stderr, not refused.
    expect(ours.stderr).toMatch(/^Warning: -S \.0011 is below 0\.01 s, printing every 0\.01 s/m);
    const p = parseDnsperfStdout(theirs.stdout, 5);
    const q = parseDnsperfStdout(ours.stdout, 5);
    expect(q.dnsperf_version).toMatch(/^\d+\.\d+\.\d+\+dnsbench$/);
    expect(p.runtime_length).toBe(0.01);
    expect(q.runtime_length).toBe(0.01);
    expect(Math.abs(q.start_time.getTime() - Date.now())).toBeLessThan(120_000);
    for (const r of [p, q]) {
      expect(r.queries_sent).toBeGreaterThan(0);
      expect(r.queries_completed).toBe(r.queries_sent);
      // One -v line per answered query, each naming a query of the file and an RCODE.
      expect(r.rtt_samples).toHaveLength(r.queries_completed);
      for (const s of r.rtt_samples) {
        expect(LINES).toContain(`${s.fqdn} ${s.qtype}`);
        expect(['NOERROR', 'NXDOMAIN']).toContain(s.response_state);
        expect(s.rtt_s).toBeGreaterThan(0);
        expect(s.rtt_s).toBeLessThan(5);
      }
      for (const t of r.throughput_ts) expect(Math.abs(t.timestamp.getTime() - Date.now())).toBeLessThan(120_000);
      // Queries per second = completed / run time (both rounded to 6 decimals when printed).
      expect(Math.abs(r.throughput_mean - r.queries_completed / r.run_time) / r.throughput_mean).toBeLessThan(1e-3);
    }
  });
});
