// The seed's VIP, for real: two directors in network namespaces, each with keepalived (VRRP v3,
// advert_int 0.1) and named listening on any address; the VIP 198.18.0.100 lives on the master.
// Taking the master's bridge port down (a node that died) moves the VIP to the backup; bringing
// it back returns it. Who answered is read from NSID (named's server-id), with dig in a client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, listNamespaces, netnsSkip, pidAlive, skipReason, type Lab } from './support/netns.js';
import { dig, digSeries, outageOf, waitFor, type DigAnswer, type ProbeSample } from './support/netns-dig.js';
import { startKeepalivedIn, startNamedIn, waitForVip } from './support/netns-servers.js';
import { authNamedConf } from './support/rigconf/named.js';
import { DB_TEST } from './support/rigconf/zones.js';
import { readFileSync } from 'node:fs';

const VIP = '198.18.0.100';
const WWW = { name: 'www.test.com', type: 'A' } as const;
const reason = skipReason('ip', 'keepalived', 'named', 'dig');

describe.skipIf(netnsSkip(reason))('keepalived VRRP between two directors (netns)', () => {
  let lab: Lab | undefined;

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
    // Everything at once: both named load while keepalived elects the master.
    const started = performance.now();
    const [n1, n2] = await Promise.all([
      named('d1'),
      named('d2'),
      startKeepalivedIn(l, 'd1', 'keepalived-d1', { routerId: 'd1', state: 'MASTER', priority: 100, vip: VIP }),
      startKeepalivedIn(l, 'd2', 'keepalived-d2', { routerId: 'd2', state: 'BACKUP', priority: 90, vip: VIP }),
    ]);
    await waitForVip(l, 'd1', VIP);
    console.log(`vrrp rig up in ${Math.round(performance.now() - started)} ms (named d1 ${n1.startMs} ms, d2 ${n2.startMs} ms)`);
  });

  afterAll(async () => {
    if (!lab) return;
    const pids = lab.processes().map((p) => p.pid);
    await lab.destroy();
    expect(listNamespaces(lab.id)).toEqual([]);
    expect(pids.filter(pidAlive)).toEqual([]);
  });

  const vipAnswer = async () => (await dig(lab!, 'client', WWW, { server: VIP })).answer;

  it('the VIP answers with the master d1 (NSID), and only d1 holds it', async () => {
    // named picks the VIP up a few ms after keepalived adds it: bounded poll, not a sleep
    const a = await waitFor(async () => ((await vipAnswer())?.nsid === 'd1' ? await vipAnswer() : null), 5000);
    expect(a?.rcode).toBe('NOERROR');
    expect(a?.answers).toEqual(['2.2.2.2']);
    expect(a?.nsid).toBe('d1');
    expect(await lab!.addresses('d2')).not.toContain(VIP);
  });

  it("taking d1's bridge port down moves the VIP to d2 within about a second", async () => {
    const origin = performance.now();
    await lab!.linkDown('d1');
    const samples = await digSeries(lab!, 'client', WWW, { server: VIP, everyMs: 50, forMs: 2500, origin, settle: from('d2') });
    const t = report('d1 port down', samples, 'd2');
    expect(t.switchMs, 'no answer from d2 within 2.5 s').not.toBeNull();
    expect(t.switchMs!).toBeLessThan(1500);
    // once d2 answered, nobody else did and nothing was lost
    expect(t.after.every((s) => s.answer?.nsid === 'd2')).toBe(true);
    expect(await lab!.addresses('d2')).toContain(VIP);
  });

  it('bringing d1 back returns the VIP to d1 (preemption)', async () => {
    expect((await vipAnswer())?.nsid, 'precondition: d2 holds the VIP').toBe('d2');
    const origin = performance.now();
    await lab!.linkUp('d1');
    const samples = await digSeries(lab!, 'client', WWW, { server: VIP, everyMs: 50, forMs: 2500, origin, settle: from('d1') });
    const t = report('d1 port up', samples, 'd1');
    expect(t.switchMs, 'd1 did not take the VIP back within 2.5 s').not.toBeNull();
    expect(t.switchMs!).toBeLessThan(1500);
    expect(t.after.every((s) => s.answer?.nsid === 'd1')).toBe(true);
    await waitForVip(lab!, 'd2', VIP, false, 3000);
  });
});

/** Stop a series once 10 answers in a row came from `id` (after something else). */
const from = (id: string) => ({ ok: (a: DigAnswer | null) => a?.nsid === id, count: 10 });

/** Logs the series (for docs/rig.md) and returns when `to` first answered and the samples after. */
function report(what: string, samples: readonly ProbeSample[], to: string): { switchMs: number | null; after: ProbeSample[] } {
  const i = samples.findIndex((s) => s.answer?.nsid === to);
  const out = outageOf(samples, (a) => a !== null);
  const who = samples.map((s) => (s.answer ? s.answer.nsid ?? '?' : '-')).join(' ');
  console.log(
    `${what}: first answer from ${to} sent at ${i < 0 ? 'never' : `${Math.round(samples[i]!.atMs)} ms`}; ` +
      `${out ? `${out.bad} lost, from ${Math.round(out.fromMs)} to ${out.toMs === null ? 'end' : `${Math.round(out.toMs)} ms`}` : 'none lost'} ` +
      `(dig every 50 ms: ${who})`,
  );
  return { switchMs: i < 0 ? null : samples[i]!.atMs, after: i < 0 ? [] : samples.slice(i) };
}
