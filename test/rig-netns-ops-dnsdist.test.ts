// A backend dies behind dnsdist, measured by dnsbench (issue 12): load through dnsdist (health
// checks every 1 s, 100 ms timeout, one failure marks a backend down) to two named, and an
// --event that SIGKILLs d1's named 1 s into the run. Until dnsdist's check marks d1 down, every
// query it sends to d1 is lost: an outage of about half the queries, for about the detection time
// (NETNS.md: 0.7-1.0 s), then full service from d2 alone.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, listNamespaces, netnsSkip, pidAlive, skipReason, type Lab } from './support/netns.js';
import { startDnsdistIn, startNamedIn, type LabNamed } from './support/netns-servers.js';
// Totals only: the per-interval identity is the recorder's (an outcome later than its ring is
// counted in the oldest open interval), which a heavily loaded 2-core CI can reach.
import { expectAccounted } from './support/accounting.js';
import { dnsbenchIn } from './support/netns-dnsbench.js';
import { authNamedConf } from './support/rigconf/named.js';
import { DB_TEST } from './support/rigconf/zones.js';
import type { Report } from '../src/results/report.js';
import { renderOps } from '../src/report/ops-text.js';

const LB = '198.18.0.50';
const RATE = 1000;
const reason = skipReason('ip', 'dnsdist', 'named', 'dig');

describe.skipIf(netnsSkip(reason))('dnsbench drill: SIGKILL of a backend behind dnsdist (netns)', () => {
  let lab: Lab | undefined;
  let d1: LabNamed;
  let report: Report;

  beforeAll(async () => {
    lab = await createLab([
      { name: 'd1', addr: '198.18.0.1' },
      { name: 'd2', addr: '198.18.0.2' },
      { name: 'lb', addr: LB },
      { name: 'client', addr: '198.18.0.200' },
    ]);
    const l = lab;
    const zone = readFileSync(DB_TEST, 'utf8');
    const [n1] = await Promise.all(
      (['d1', 'd2'] as const).map((host) =>
        startNamedIn(l, host, {
          label: `named-${host}`,
          files: { 'db.test': zone },
          conf: (dir) => authNamedConf({ dir, serverId: host, zones: [{ name: 'test.com', file: 'db.test' }] }),
          probe: { query: { name: 'test.com', type: 'SOA' } },
        }),
      ),
    );
    d1 = n1!;
    await startDnsdistIn(l, 'lb', 'dnsdist', { listen: LB, backends: ['d1', 'd2'].map((h) => ({ name: h, address: l.addr(h) })) }, { query: { name: 'www.test.com' }, from: 'client' });
    await l.writeFile('q.txt', 'www.test.com A\nrr.test.com A\ntest.com MX\n');
    // The kill is an --event: SIGKILL by the pid this test started (the lab's named in d1).
    const run = await dnsbenchIn(l, 'client', [
      '-s', LB, '-d', `${l.dir}/q.txt`, '-l', '3.5', '-Q', String(RATE), '-t', '0.5', '-T', '1', '-c', '2', '-q', '800',
      '--interval', '0.1', '--nsid', '--outage-below', '75',
      '--event', `1=kill -KILL ${d1.proc.pid}`,
    ], { timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    report = run.report!;
    // The Timeline section as the text view prints it (README quotes it).
    console.log(renderOps(report));
  });

  afterAll(async () => {
    if (!lab) return;
    const pids = lab.processes().map((p) => p.pid);
    await lab.destroy();
    expect(listNamespaces(lab.id)).toEqual([]);
    expect(pids.filter(pidAlive)).toEqual([]);
  });

  it('one outage of about half the queries, for about the detection time, then full service from d2', async () => {
    expect(report.events![0]!.exitCode).toBe(0);
    expect(await d1.proc.exited).toMatchObject({ signal: 'SIGKILL' });
    for (const t of report.targets) expectAccounted(t.counters, t.label);
    const tl = report.timeline!.targets[0]!;
    const w = tl.outages;
    console.log(
      `dnsdist drill at ${RATE} qps: ${w.map((o) => `outage ${Math.round(o.durationMs)} ms (${o.intervals} intervals, min ${o.minAnsweredPct.toFixed(0)}% answered), ` +
        `${o.lost} of ${o.sent} unanswered (${((100 * o.lost) / o.sent).toFixed(0)}%), ${Math.round(o.event?.toStartMs ?? NaN)} ms after the kill, ` +
        `recovered ${Math.round(o.event?.toRecoveryMs ?? NaN)} ms after it; after: ${o.after}`).join('; ')}; answered by ${tl.identity.map((s) => `${s.id} ${s.t.toFixed(1)}s`).join(', ')}`,
    );
    expect(w).toHaveLength(1);
    const o = w[0]!;
    expect(o.event?.index).toBe(0);
    expect(o.recovered).toBe(true);
    // About the detection time: where the kill falls in dnsdist's 1 s check cycle decides, from
    // about checkTimeout (0.1 s, a check right after the kill) to checkInterval + checkTimeout
    // (1.1 s, one right before it; NETNS.md measured 0.7-1.0 s). Generous for a shared 2-core machine.
    expect(o.durationMs).toBeGreaterThan(30);
    expect(o.durationMs).toBeLessThan(2500);
    expect(Math.abs(o.event!.toStartMs)).toBeLessThan(300);
    // About half: d1's round-robin share. The edges (partly answered intervals) are included.
    expect(o.lost / o.sent).toBeGreaterThan(0.25);
    expect(o.lost / o.sent).toBeLessThan(0.75);
    expect(o.before).toBe('d1+d2');
    expect(o.after).toBe('d2');
    expect(tl.identity.map((x) => x.id)).toEqual(['d1+d2', 'd2']);
    // Full service afterwards: every interval after the outage answered everything (timeouts
    // would show there, since losses count in the interval a query was sent in).
    const t = report.targets[0]!;
    const after = t.intervals.filter((iv) => iv.startMs >= o.endMs + 100 && iv.counters.sent > 0);
    expect(after.length).toBeGreaterThan(5);
    for (const iv of after) expect(iv.counters.completed, `interval at ${iv.t} s`).toBe(iv.counters.sent - iv.counters.interrupted);
    for (const iv of after) expect(Object.keys(iv.nsid ?? {})).toEqual(['d2']);
  });
});
