// The core job against a real BIND named from Debian's packages, started on a free loopback port:
// the dnsperf-compatible block on stdout, the percentile table, the JSON report, exact pass counts.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNamed, type RunningServer } from './support/servers.js';
import { ROOT, runCli } from './support/cli.js';
import type { Report } from '../src/results/report.js';
import { expectAccounted } from './support/accounting.js';

const QUERIES = join(ROOT, 'test/fixtures/test-com.txt');
const PER_PASS = 100;
let named: RunningServer;
const out = mkdtempSync(join(tmpdir(), 'dnsbench-named-'));

beforeAll(async () => {
  named = await startNamed();
});
afterAll(async () => {
  await named?.stop();
});

const readReport = (f: string): Report => JSON.parse(readFileSync(f, 'utf8')) as Report;

function accountedFor(r: Report): void {
  for (const t of r.targets) {
    const c = t.counters;
    expectAccounted(c);
  }
}

describe('dnsbench against named', () => {
  it('prints the dnsperf statistics block and the percentile table for a timed run', async () => {
    const json = join(out, 'timed.json');
    const r = await runCli(['-s', '127.0.0.1', '-p', String(named.port), '-d', QUERIES, '-l', '1.5', '-c', '2', '-T', '2', '-q', '20', '--json', json]);
    expect(r.code).toBe(0);
    for (const label of [
      'Statistics:',
      '  Queries sent:         ',
      '  Queries completed:    ',
      '  Queries lost:         ',
      '  Response codes:       NOERROR ',
      '  Average packet size:  request ',
      '  Run time (s):         ',
      '  Queries per second:   ',
      '  Average Latency (s):  ',
      '  Latency StdDev (s):   ',
    ]) {
      expect(r.stdout).toContain(label);
    }
    expect(r.stdout).toMatch(/│\s*p50\s*│\s*p90\s*│\s*p99\s*│\s*p99\.9\s*│\s*max/);
    // The awk that users run over queryperf output still works.
    const qpsLine = r.stdout.split('\n').find((l) => l.includes('Queries per second'))!;
    const qps = Number(qpsLine.trim().split(/\s+/)[3]);
    const report = readReport(json);
    const t = report.targets[0]!;
    expect(qps).toBeCloseTo(t.qps, 3);
    expect(t.counters.completed).toBeGreaterThan(0);
    expect(t.rcodes['NOERROR']).toBeGreaterThan(0);
    expect(t.rcodes['NXDOMAIN']).toBeGreaterThan(0);
    expect(t.latency.percentiles.p50).toBeGreaterThan(0);
    expect(t.latency.percentiles.p99).toBeGreaterThanOrEqual(t.latency.percentiles.p50);
    expect(t.latency.max).toBeGreaterThanOrEqual(t.latency.percentiles.p99 * 0.999);
    expect(t.runTimeSec).toBeGreaterThanOrEqual(1.5);
    expect(t.intervals.length).toBeGreaterThanOrEqual(1);
    expect(t.intervals.reduce((a, i) => a + i.counters.completed, 0)).toBe(t.counters.completed);
    expect(t.sockets).toHaveLength(2);
    accountedFor(report);
  });

  it('sends exactly passes x queries with -n, and every answer comes back', async () => {
    const json = join(out, 'passes.json');
    const r = await runCli(['-s', `127.0.0.1:${named.port}`, '-d', QUERIES, '-n', '3', '-T', '2', '-c', '4', '-q', '10', '--json', json]);
    expect(r.code).toBe(0);
    const t = readReport(json).targets[0]!;
    expect(t.counters.sent).toBe(3 * PER_PASS);
    expect(t.counters.completed).toBe(3 * PER_PASS);
    expect(t.rcodes['NXDOMAIN']).toBe(3);
    expect(r.stdout).toContain('[Status] Testing complete (end of file)');
  });

  it('reads stdin once and makes several passes over it', async () => {
    const json = join(out, 'stdin.json');
    const input = readFileSync(QUERIES, 'utf8');
    const r = await runCli(['-p', String(named.port), '-n', '2', '-T', '1', '--json', json, '--quiet'], { input });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const rep = readReport(json);
    expect(rep.querySet.source).toBe('<stdin>');
    expect(rep.targets[0]!.counters.completed).toBe(2 * PER_PASS);
  });

  it('--json - puts only JSON on stdout', async () => {
    const r = await runCli(['-s', '127.0.0.1', '-p', String(named.port), '-d', QUERIES, '-n', '1', '-T', '1', '--json', '-']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as Report;
    expect(rep.schemaVersion).toBe(1);
    expect(rep.targets[0]!.counters.sent).toBe(PER_PASS);
  });

  it('-v prints one line per query in dnsperf style', async () => {
    const r = await runCli(['-s', '127.0.0.1', '-p', String(named.port), '-d', QUERIES, '-n', '1', '-T', '1', '-v']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('> '));
    expect(lines).toHaveLength(PER_PASS);
    expect(lines).toContain(lines.find((l) => /^> NXDOMAIN nonexistent\.test\.com A \d+\.\d{6}$/.test(l)));
    expect(r.stderr).toMatch(/1 worker\(s\), 1 socket\(s\), 100 outstanding/);
  });

  it('sends from the local address and consecutive ports given by -a and -x', async () => {
    const json = join(out, 'local.json');
    const base = 20000 + Math.floor(Math.random() * 20000);
    const r = await runCli(['-s', '127.0.0.1', '-p', String(named.port), '-d', QUERIES, '-n', '1', '-c', '3', '-T', '1', '-a', '127.0.0.9', '-x', String(base), '-b', '64', '--json', json, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const t = readReport(json).targets[0]!;
    expect(t.counters.completed).toBe(PER_PASS);
    expect(t.sockets.map((s) => s.local).sort()).toEqual([`127.0.0.9:${base}`, `127.0.0.9:${base + 1}`, `127.0.0.9:${base + 2}`]);
    expect(new Set(t.sockets.map((s) => s.remote))).toEqual(new Set([`127.0.0.1:${named.port}`]));
  });

  it('clears RD with -R and still gets authoritative answers', async () => {
    const json = join(out, 'nord.json');
    const r = await runCli(['-s', '127.0.0.1', '-p', String(named.port), '-d', QUERIES, '-n', '1', '-R', '-e', '-D', '--json', json, '--quiet']);
    expect(r.code).toBe(0);
    const t = readReport(json).targets[0]!;
    expect(t.counters.completed).toBe(PER_PASS);
    // With EDNS the requests carry an 11-byte OPT record.
    expect(t.counters.requestBytes / t.counters.sent).toBeGreaterThan(11 + 12);
  });
});
