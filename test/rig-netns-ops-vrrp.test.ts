// A failover drill measured by dnsbench itself (issue 12): the seed's VIP on two directors
// (keepalived VRRP v3, advert_int 0.1, named on any address), load at the VIP from a client
// namespace, and two --event commands in the same run: d1's bridge port down at 1 s (the node
// "dies"), up again at 2.5 s (it comes back and takes the VIP back). The timeline must find
// exactly one outage, of about the 0.3 s NETNS.md measured, tied to the first event, with NSID
// saying d1 answered before and d2 after, and d1 again at the end.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, listNamespaces, netnsSkip, pidAlive, skipReason, type Lab } from './support/netns.js';
import { startKeepalivedIn, startNamedIn, waitForVip } from './support/netns-servers.js';
import { dig, waitFor } from './support/netns-dig.js';
// Totals only: the per-interval identity is the recorder's (an outcome later than its ring is
// counted in the oldest open interval), which a heavily loaded 2-core CI can reach.
import { expectAccounted } from './support/accounting.js';
import { dnsbenchIn } from './support/netns-dnsbench.js';
import { authNamedConf } from './support/rigconf/named.js';
import { DB_TEST } from './support/rigconf/zones.js';
import type { Report } from '../src/results/report.js';
import { renderOps } from '../src/report/ops-text.js';

const VIP = '198.18.0.100';
const RATE = 500;
const reason = skipReason('ip', 'keepalived', 'named', 'dig');

describe.skipIf(netnsSkip(reason))('dnsbench failover drill: VRRP VIP, d1 down and back (netns)', () => {
  let lab: Lab | undefined;
  let report: Report;
  let stderr = '';

  beforeAll(async () => {
    lab = await createLab([
      { name: 'd1', addr: '198.18.0.1' },
      { name: 'd2', addr: '198.18.0.2' },
      { name: 'client', addr: '198.18.0.200' },
    ]);
    const l = lab;
    const zone = readFileSync(DB_TEST, 'utf8');
    const named = (host: 'd1' | 'd2') =>
      startNamedIn(l, host, {
        label: `named-${host}`,
        files: { 'db.test': zone },
        conf: (dir) => authNamedConf({ dir, serverId: host, zones: [{ name: 'test.com', file: 'db.test' }] }),
        probe: { query: { name: 'test.com', type: 'SOA' }, from: 'client' },
      });
    await Promise.all([
      named('d1'),
      named('d2'),
      startKeepalivedIn(l, 'd1', 'keepalived-d1', { routerId: 'd1', state: 'MASTER', priority: 100, vip: VIP }),
      startKeepalivedIn(l, 'd2', 'keepalived-d2', { routerId: 'd2', state: 'BACKUP', priority: 90, vip: VIP }),
    ]);
    await waitForVip(l, 'd1', VIP);
    const up = await waitFor(async () => ((await dig(l, 'client', { name: 'www.test.com' }, { server: VIP })).answer?.nsid === 'd1' ? true : null), 5000);
    expect(up, 'the VIP never answered from d1').toBe(true);
    await l.writeFile('q.txt', 'www.test.com A\ntest.com SOA\nrr.test.com A\n');
    const run = await dnsbenchIn(l, 'client', [
      '-s', VIP, '-d', `${l.dir}/q.txt`, '-l', '4.5', '-Q', String(RATE), '-t', '0.5', '-T', '1', '-c', '2', '-q', '400',
      '--interval', '0.1', '--nsid',
      '--event', `1=${l.linkCommand('d1', 'down')}`,
      '--event', `2.5=${l.linkCommand('d1', 'up')}`,
    ], { timeoutMs: 30_000, quiet: false });
    expect(run.code, run.stderr).toBe(0);
    report = run.report!;
    // The Timeline section as the text view prints it (README quotes it).
    console.log(renderOps(report));
    stderr = run.stderr;
  });

  afterAll(async () => {
    if (!lab) return;
    const pids = lab.processes().map((p) => p.pid);
    await lab.destroy();
    expect(listNamespaces(lab.id)).toEqual([]);
    expect(pids.filter(pidAlive)).toEqual([]);
  });

  it('ran both events, at their times, with exit status 0', () => {
    expect(report.events).toHaveLength(2);
    report.events!.forEach((e) => {
      expect(e.exitCode, `${e.command}: ${e.output}`).toBe(0);
      expect(e.error).toBeNull();
      // Started at its due time (the run's common start + TIME); the main thread is idle while
      // the workers send, but the bound is generous for a loaded 2-core CI.
      expect(e.startedAtMs!).toBeGreaterThanOrEqual(e.dueAtMs!);
      expect(e.startedAtMs! - e.dueAtMs!).toBeLessThan(250);
    });
    expect(report.events![1]!.dueAtMs! - report.events![0]!.dueAtMs!).toBe(1500);
    for (const t of report.targets) expectAccounted(t.counters, t.label);
  });

  it('finds exactly one outage, about 0.3 s long, right after the port went down, d1 before and d2 after', () => {
    const tl = report.timeline!.targets[0]!;
    const o = tl.outages;
    const t = report.targets[0]!;
    console.log(
      `VRRP drill at ${RATE} qps, 0.1 s intervals: ${o.map((w) => `outage ${Math.round(w.durationMs)} ms (intervals ${w.intervals}), ` +
        `${w.lost} of ${w.sent} unanswered, ${Math.round(w.event?.toStartMs ?? NaN)} ms after event ${(w.event?.index ?? -1) + 1}, ` +
        `recovered ${Math.round(w.event?.toRecoveryMs ?? NaN)} ms after it; ${w.before} before, ${w.after} after`).join('; ')}; ` +
        `answered by ${tl.identity.map((s) => `${s.id} ${s.t.toFixed(1)}s`).join(', ')}; totals ${t.counters.sent} sent, ${t.counters.lost} lost`,
    );
    expect(o).toHaveLength(1);
    const w = o[0]!;
    expect(w.event?.index).toBe(0);
    // NETNS.md: 273-364 ms from port down to d2 answering (docs/rig.md: 306-358 ms). Bounds are
    // generous (2 cores shared with other test runs), but an outage of 0 or of seconds fails.
    expect(w.durationMs).toBeGreaterThan(150);
    expect(w.durationMs).toBeLessThan(1200);
    expect(Math.abs(w.event!.toStartMs)).toBeLessThan(200);
    expect(w.recovered).toBe(true);
    // The queries lost are about the send rate times the outage (-Q is a ceiling: a loaded
    // generator skips slots, so the rate actually offered is the measure).
    const rate = t.sendRate;
    expect(w.lost).toBeGreaterThan((rate * w.durationMs) / 1000 / 2);
    expect(w.lost).toBeLessThan((rate * w.durationMs) / 1000 * 2 + 20);
    expect(w.before).toBe('d1');
    expect(w.after).toBe('d2');
    // The longest outage and its losses, as gates read them.
    expect(tl.longestOutageMs).toBe(w.durationMs);
    expect(tl.outageLost).toBe(w.lost);
  });

  it('shows the takeover back: d1, then d2, then d1 again', () => {
    const spans = report.timeline!.targets[0]!.identity;
    const ids = spans.map((s) => s.id);
    // The interval in which the VIP moved back may be answered by both (d2 until the move, d1 after).
    expect(ids.filter((id) => id !== 'd1+d2')).toEqual(['d1', 'd2', 'd1']);
    expect(ids.indexOf('d1+d2')).not.toBe(1);
    expect(ids.filter((id) => id === 'd1+d2').length).toBeLessThanOrEqual(1);
    const back = spans.at(-1)!;
    const upAt = report.events![1]!.startedAtMs!;
    // d1 takes the VIP back 0.4-0.5 s after its port is up (NETNS.md); generous bound.
    expect(back.fromMs - upAt).toBeGreaterThan(0);
    expect(back.fromMs - upAt).toBeLessThan(2000);
  });

  it('prints each event on stderr as it ends', () => {
    expect(stderr).toMatch(/event 1 at 1 s exited 0 after \d+ ms: ip -n \S+ link set p-d1 down/);
    expect(stderr).toMatch(/event 2 at 2\.5 s exited 0/);
  });
});
