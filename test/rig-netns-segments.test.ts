// Issue 14 item 5, as separate hosts: three generators, each `node dist/bin.js` in its own network
// namespace with its own address, `--segment i/3` of one query file and one shared `--start-at`
// a few seconds ahead, against named in a server namespace; their --json outputs merged with
// `dnsbench merge -`. Checked: every query of the file sent exactly once per pass across the
// segments (and counted at the server with `rndc stats`), the accounting identity for the whole,
// the merged qps equal to the generators' answers over the same span, and the start skew stated.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, listNamespaces, netnsSkip, pidAlive, skipReason, type Lab } from './support/netns.js';
import { startNamedIn, type LabNamed } from './support/netns-servers.js';
// Totals only: the per-interval identity is the recorder's (an outcome later than its ring is
// counted in the oldest open interval), which a heavily loaded 2-core CI can reach.
import { expectAccounted } from './support/accounting.js';
import { dnsbenchIn, type LabRun } from './support/netns-dnsbench.js';
import { authNamedConf, newRndcKey } from './support/rigconf/named.js';
import { DB_TEST } from './support/rigconf/zones.js';
import { runCli } from './support/cli.js';
import { segmentSize } from '../src/queryset/segment.js';
import type { Report } from '../src/results/report.js';

const SERVER = '198.18.0.20';
const N = 3;
const PASSES = 2;
const FILE_QUERIES = 1000;
const reason = skipReason('ip', 'named', 'rndc');

/** Incoming QUERY requests named has counted so far (its statistics file, after `rndc stats`). */
async function serverQueries(named: LabNamed): Promise<number> {
  await named.rndc('stats');
  const text = readFileSync(`${named.dir}/named.stats`, 'utf8');
  const dumps = text.split('+++ Statistics Dump +++');
  const last = dumps.at(-1) ?? '';
  const m = /\+\+ Incoming Requests \+\+\n(?:\s+\d+ \S+\n)*?\s+(\d+) QUERY\n/.exec(last);
  return m ? Number(m[1]) : 0;
}

describe.skipIf(netnsSkip(reason))(`${N} generators in ${N} namespaces, one segment each, one start time (netns)`, () => {
  let lab: Lab | undefined;
  let named: LabNamed;
  let runs: LabRun[] = [];
  let reports: Report[] = [];
  let merged: Report;
  let atServer = 0;
  let intendedMs = 0;

  beforeAll(async () => {
    lab = await createLab([
      { name: 'ns', addr: SERVER },
      ...Array.from({ length: N }, (_, i) => ({ name: `g${i + 1}`, addr: `198.18.0.${101 + i}` })),
    ]);
    const l = lab;
    const rndc = { key: newRndcKey() };
    named = await startNamedIn(l, 'ns', {
      label: 'named',
      files: { 'db.test': readFileSync(DB_TEST, 'utf8') },
      rndc,
      conf: (dir) => authNamedConf({ dir, serverId: 'ns', rndc, zones: [{ name: 'test.com', file: 'db.test' }], extraOptions: `statistics-file "${dir}/named.stats";` }),
      probe: { query: { name: 'test.com', type: 'SOA' }, from: 'g1' },
    });
    await l.writeFile('q.txt', Array.from({ length: FILE_QUERIES }, (_, i) => `h${i}.test.com A\n`).join(''));
    const before = await serverQueries(named);
    intendedMs = Math.ceil(Date.now() / 1000) * 1000 + 3000;
    const startAt = new Date(intendedMs).toISOString();
    runs = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        dnsbenchIn(l, `g${i + 1}`, ['-s', SERVER, '-a', `198.18.0.${101 + i}`, '-d', `${l.dir}/q.txt`, '-n', String(PASSES), '-T', '1', '-c', '1', '-q', '20', '-t', '2',
          '--segment', `${i + 1}/${N}`, '--start-at', startAt], { timeoutMs: 40_000 }),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    reports = runs.map((r) => r.report!);
    atServer = (await serverQueries(named)) - before;
    const m = await runCli(['merge', '-', '-o', '-'], { input: runs.map((r) => r.stdout).join(''), timeoutMs: 30_000 });
    expect(m.code, m.stderr).toBe(0);
    merged = JSON.parse(m.stdout) as Report;
  });

  afterAll(async () => {
    if (!lab) return;
    const pids = lab.processes().map((p) => p.pid);
    await lab.destroy();
    expect(listNamespaces(lab.id)).toEqual([]);
    expect(pids.filter(pidAlive)).toEqual([]);
  });

  it('each generator sent its own segment from its own address, every pass', () => {
    reports.forEach((r, i) => {
      expect(r.segment).toEqual({ index: i + 1, count: N, fileQueries: FILE_QUERIES });
      const c = r.targets[0]!.counters;
      expect(c.sent).toBe(PASSES * segmentSize(FILE_QUERIES, { index: i + 1, count: N }));
      for (const t of r.targets) expectAccounted(t.counters, t.label);
      expect(r.targets[0]!.sockets[0]!.local).toMatch(new RegExp(`^198\\.18\\.0\\.${101 + i}:`));
      expect(r.start!.intendedAtMs).toBe(intendedMs);
    });
  });

  it('merged: the whole file exactly once per pass, counted at the server too', () => {
    const c = merged.targets[0]!.counters;
    expect(c.sent).toBe(PASSES * FILE_QUERIES);
    for (const t of merged.targets) expectAccounted(t.counters, t.label);
    expect(c.completed).toBe(PASSES * FILE_QUERIES);
    expect(merged.notes).toContain(`The runs were segments 1..${N} of the query file, each exactly once: together they sent the whole file.`);
    expect(atServer).toBe(PASSES * FILE_QUERIES);
  });

  it('merged qps is every generator\'s answers over the same span', () => {
    const t = merged.targets[0]!;
    const start = Math.min(...reports.map((r) => r.targets[0]!.timing.startedAtMs));
    const end = Math.max(...reports.map((r) => Math.max(r.targets[0]!.timing.sendEndedAtMs, r.targets[0]!.timing.lastCompletionAtMs)));
    const span = (end - start) / 1000;
    expect(t.runTimeSec).toBeCloseTo(span, 9);
    const sum = reports.reduce((s, r) => s + r.targets[0]!.counters.completed, 0);
    expect(t.qps).toBeCloseTo(sum / span, 6);
  });

  it('every generator started at --start-at, and the skew is stated and small', () => {
    const starts = reports.map((r) => r.start!.actualAtMs);
    const skew = merged.startSkew!;
    console.log(`${N} generators in namespaces: starts ${starts.map((s) => `${(s - intendedMs).toFixed(1)} ms`).join(', ')} after --start-at; merged skew ${skew.ms.toFixed(1)} ms; ${atServer} queries at the server`);
    expect(skew.basis).toBe('start-at');
    expect(skew.ms).toBeCloseTo(Math.max(...starts) - Math.min(...starts), 9);
    for (const s of starts) expect(s).toBeGreaterThanOrEqual(intendedMs - 1);
    // Three processes on two cores, each waking its workers at the same instant: tens of ms at
    // worst; the bound only catches a start that ignored --start-at.
    expect(skew.ms).toBeLessThan(250);
    expect(merged.notes.some((n) => /Start skew \d+\.\d ms/.test(n))).toBe(true);
  });
});
