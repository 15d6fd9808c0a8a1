// Several targets in one run, against embedded responders on loopback: with --interleave every
// target gets exactly the same queries at the same time, -c/-q/-Q apply per target, a dead target
// holds back only itself, and every query of every target is accounted for. The run's --html and
// --csv come from the same renderers as `dnsbench report` of its JSON.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResponder, type Responder } from '../src/serve/responder.js';
import { loadZoneFile } from '../src/serve/zone.js';
import { DEMO_ZONE } from '../src/serve/run.js';
import type { Report, TargetReport } from '../src/results/report.js';
import { renderHtml } from '../src/report/html.js';
import { renderCsv } from '../src/report/csv.js';
import { loadHtmlAssets } from '../src/commands/outputs.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ROOT, runCli } from './support/cli.js';
import { expectAccounted } from './support/accounting.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-interleave-'));
// 50 queries of the demo set (a few NXDOMAIN among them), so exact pass counts stay small.
const QUERIES = join(dir, 'q50.txt');
const PER_PASS = 50;
const zone = loadZoneFile(DEMO_ZONE);
const servers: Record<'a' | 'a2' | 'sf' | 'dead', Responder> = {} as never;

beforeAll(async () => {
  const lines = readFileSync(join(ROOT, 'querysets/demo.txt'), 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';'));
  writeFileSync(QUERIES, lines.slice(0, PER_PASS).join('\n') + '\n');
  servers.a = await startResponder({ address: '127.0.0.1', port: 0, zone, seed: 1 });
  servers.a2 = await startResponder({ address: '127.0.0.1', port: 0, zone, seed: 2 });
  servers.sf = await startResponder({ address: '127.0.0.1', port: 0, zone, faults: { servfail: 0.3 }, seed: 3 });
  servers.dead = await startResponder({ address: '127.0.0.1', port: 0, zone, faults: { drop: 1 }, seed: 4 });
});
afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

const spec = (label: keyof typeof servers): string => `${label}=127.0.0.1:${servers[label].port}`;
const ajv = new Ajv2020({ allErrors: true, strict: false });
ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'docs/report-v1.schema.json'), 'utf8')) as object);

const readReport = (f: string): Report => JSON.parse(readFileSync(f, 'utf8')) as Report;
const byLabel = (r: Report, label: string): TargetReport => r.targets.find((t) => t.label === label)!;

function accountedFor(r: Report): void {
  for (const t of r.targets) {
    const c = t.counters;
    expectAccounted(c, t.label);
    expect(Object.values(t.rcodes).reduce((a, b) => a + b, 0), t.label).toBe(c.completed);
  }
}

describe('--interleave', () => {
  it('sends every target the same queries, the same number of times, in one run', async () => {
    const received = Object.fromEntries(Object.entries(servers).map(([k, s]) => [k, s.stats().received]));
    const json = join(dir, 'passes.json');
    const r = await runCli(['-s', spec('a'), '-s', spec('a2'), '-s', spec('sf'), '-s', spec('dead'), '-d', QUERIES, '-n', '2', '-T', '1', '-q', '100', '-t', '0.3', '--interleave', '--json', json]);
    // The dead target answered nothing: exit code 3, and the report says so.
    expect(r.code).toBe(3);
    const report = readReport(json);
    accountedFor(report);
    expect(report.mode).toBe('interleave');
    expect(report.targets.map((t) => t.label)).toEqual(['a', 'a2', 'sf', 'dead']);
    for (const t of report.targets) expect(t.counters.sent, t.label).toBe(2 * PER_PASS);
    for (const [k, s] of Object.entries(servers)) expect(s.stats().received - received[k]!, k).toBe(2 * PER_PASS);
    // Same queries: two identical servers give identical response-code counts.
    const a = byLabel(report, 'a');
    expect(a.counters.completed).toBe(2 * PER_PASS);
    expect(byLabel(report, 'a2').rcodes).toEqual(a.rcodes);
    expect(byLabel(report, 'sf').rcodes['SERVFAIL']).toBeGreaterThan(0);
    expect(byLabel(report, 'dead').counters.lost).toBe(2 * PER_PASS);
    // Each target's sockets go to its own server.
    for (const t of report.targets) {
      expect(t.sockets.length).toBe(1);
      expect(t.sockets[0]!.remote).toBe(`127.0.0.1:${t.port}`);
    }
    // The comparison against the first target, in the JSON and after the per-target blocks.
    const c = report.comparison!;
    expect(c.reference).toBe('a');
    expect(c.targets.map((t) => t.label)).toEqual(['a', 'a2', 'sf', 'dead']);
    expect(c.targets[1]!.rcodes.every((x) => x.deltaPp === 0)).toBe(true);
    expect(c.targets[2]!.rcodes.find((x) => x.rcode === 'SERVFAIL')!.deltaPp).toBeGreaterThan(0);
    expect(c.targets[3]!.lossDeltaPp).toBe(100);
    expect(r.stdout).toContain('[Status] Interleaved: 4 targets at once, each with its own 1 socket(s), 100 outstanding');
    expect(r.stdout).toContain(`=== dead (127.0.0.1:${servers.dead.port}) ===`);
    expect(r.stdout.indexOf('Comparison against a (')).toBeGreaterThan(r.stdout.lastIndexOf('Statistics:'));
    expect(r.stdout).toContain('Note: Nothing answered from dead');
    expect(report.config['split']).toContain('-c, -q and -Q are per target');
    // The comparison is part of the documented schema, and the schema checks it.
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    const broken = JSON.parse(JSON.stringify(report)) as Record<string, { targets: Array<Record<string, unknown>> }>;
    broken['comparison']!.targets[1]!['lossPct'] = 'none';
    expect(validate(broken)).toBe(false);
  });

  it('a dead target holds back only its own queries', async () => {
    const json = join(dir, 'dead.json');
    const window = 10;
    const r = await runCli(['-s', spec('a'), '-s', spec('dead'), '-d', QUERIES, '-l', '1', '-T', '1', '-q', String(window), '-t', '0.2', '--interleave', '--json', json]);
    expect(r.code).toBe(3);
    const report = readReport(json);
    accountedFor(report);
    const a = byLabel(report, 'a');
    const dead = byLabel(report, 'dead');
    expect(dead.counters.completed).toBe(0);
    expect(dead.counters.sent).toBeGreaterThanOrEqual(window);
    // In a lock-step stream a could never get more than one window ahead of dead.
    expect(a.counters.sent).toBeGreaterThan(dead.counters.sent + window);
    expect(a.counters.completed).toBe(a.counters.sent - a.counters.interrupted);
  });

  it('-Q is per target: each gets the rate, the paced stream alternates between them', async () => {
    const json = join(dir, 'paced.json');
    const rate = 300;
    const r = await runCli(['-s', spec('a'), '-s', spec('a2'), '-d', QUERIES, '-l', '1', '-T', '1', '-Q', String(rate), '--interleave', '--json', json]);
    expect(r.code).toBe(0);
    const report = readReport(json);
    accountedFor(report);
    const [a, a2] = report.targets as [TargetReport, TargetReport];
    expect(a.targetQps).toBe(rate);
    expect(a2.targetQps).toBe(rate);
    // Open loop never sends ahead of the schedule; target 2's slots sit half a period after 1's.
    expect(a.counters.sent).toBeLessThanOrEqual(rate + 1);
    expect(a.counters.sent).toBeGreaterThan(0);
    // Both walk the same schedule: sent + skipped (slots a starved generator could not keep) agree.
    expect(Math.abs(a.counters.sent + a.pacing!.skipped - (a2.counters.sent + a2.pacing!.skipped))).toBeLessThanOrEqual(1);
    expect(a.correctedLatency).not.toBeNull();
    expect(r.stdout).toContain(`${rate} qps (-c, -q and -Q are per target; in total 2 socket(s), 200 outstanding, ${2 * rate} qps)`);
  });

  it('-S prints one line per target per interval, with its label', async () => {
    const r = await runCli(['-s', spec('a'), '-s', spec('a2'), '-d', QUERIES, '-l', '1', '-T', '1', '-Q', '200', '-S', '0.5', '--interleave']);
    expect(r.code).toBe(0);
    for (const label of ['a', 'a2']) expect(r.stdout).toMatch(new RegExp(`^\\d+\\.\\d{6}: \\d+\\.\\d{6} ${label}$`, 'm'));
  });
});

describe('sequential (default) with several targets', () => {
  it('runs each target in turn with the same share, compares them, and writes HTML and CSV from the same renderers', async () => {
    const json = join(dir, 'seq.json');
    const html = join(dir, 'seq.html');
    const csv = join(dir, 'seq.csv');
    const r = await runCli(['-s', spec('a'), '-s', spec('sf'), '-d', QUERIES, '-n', '2', '-T', '1', '-t', '0.5', '--title', 'a vs sf', '--json', json, '--html', html, '--csv', csv]);
    expect(r.code).toBe(0);
    const report = readReport(json);
    accountedFor(report);
    expect(report.mode).toBe('sequential');
    for (const t of report.targets) expect(t.counters.sent).toBe(2 * PER_PASS);
    expect(report.comparison!.reference).toBe('a');
    expect(Date.parse(report.targets[1]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(report.targets[0]!.endedAt));
    // The files are exactly what the renderers make of the JSON: the JSON is the source of truth.
    expect(readFileSync(html, 'utf8')).toBe(renderHtml(report, loadHtmlAssets()));
    expect(readFileSync(csv, 'utf8')).toBe(renderCsv(report));
    expect(r.stderr).toContain(`dnsbench: wrote ${html}`);
    expect(r.stdout.match(/^\[Status\] Title: a vs sf$/gm)).toHaveLength(2);
    // And `dnsbench report` of that JSON writes the very same page.
    const again = join(dir, 'again.html');
    const rep = await runCli(['report', json, '--html', again, '--quiet']);
    expect(rep.code).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(html, 'utf8'));
  });

  it('refuses --html and --csv it could not write, before sending anything', async () => {
    const before = servers.a.stats().received;
    const r = await runCli(['-s', spec('a'), '-d', QUERIES, '-n', '1', '--html', join(dir, 'no/such/dir/r.html')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--html');
    const dash = await runCli(['-s', spec('a'), '-d', QUERIES, '-n', '1', '--csv', '-']);
    expect(dash.code).toBe(2);
    expect(dash.stderr).toContain('--csv: give a file name');
    expect(servers.a.stats().received).toBe(before);
  });
});
