// dnsdist with health checks in front of two named (the seed's LVS, as a proxy): both backends
// answer through it; after a SIGKILL of one backend the pool keeps answering once the health check
// has marked it down. Who answered is read from NSID, with dig in a client namespace.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, listNamespaces, netnsSkip, pidAlive, skipReason, type Lab } from './support/netns.js';
import { dig, digMany, digSeries, outageOf } from './support/netns-dig.js';
import { startDnsdistIn, startNamedIn, type LabNamed } from './support/netns-servers.js';
import { authNamedConf } from './support/rigconf/named.js';
import { DB_TEST } from './support/rigconf/zones.js';

const LB = '198.18.0.50';
const WWW = { name: 'www.test.com', type: 'A' } as const;
const reason = skipReason('ip', 'dnsdist', 'named', 'dig');

describe.skipIf(netnsSkip(reason))('dnsdist with health checks in front of two named (netns)', () => {
  let lab: Lab | undefined;
  const named = new Map<string, LabNamed>();

  beforeAll(async () => {
    lab = await createLab([
      { name: 'd1', addr: '198.18.0.1' },
      { name: 'd2', addr: '198.18.0.2' },
      { name: 'lb', addr: LB },
      { name: 'client', addr: '198.18.0.200' },
    ]);
    const l = lab;
    const zone = readFileSync(DB_TEST, 'utf8');
    const started = performance.now();
    const backends = await Promise.all(
      (['d1', 'd2'] as const).map((host) =>
        startNamedIn(l, host, {
          label: `named-${host}`,
          files: { 'db.test': zone },
          conf: (dir) => authNamedConf({ dir, serverId: host, zones: [{ name: 'test.com', file: 'db.test' }] }),
          probe: { query: { name: 'test.com', type: 'SOA' } },
        }),
      ),
    );
    for (const b of backends) named.set(b.host, b);
    const dd = await startDnsdistIn(
      l,
      'lb',
      'dnsdist',
      { listen: LB, backends: ['d1', 'd2'].map((h) => ({ name: h, address: l.addr(h) })) },
      { query: WWW, from: 'client' },
    );
    console.log(`dnsdist rig up in ${Math.round(performance.now() - started)} ms (dnsdist answered ${dd.startMs} ms after spawn)`);
  });

  afterAll(async () => {
    if (!lab) return;
    const pids = lab.processes().map((p) => p.pid);
    await lab.destroy();
    expect(listNamespaces(lab.id)).toEqual([]);
    expect(pids.filter(pidAlive)).toEqual([]);
  });

  it('answers through the balancer from both backends (round robin)', async () => {
    const answers = await digMany(lab!, 'client', Array.from({ length: 8 }, () => WWW), { server: LB });
    expect(answers.every((a) => a.rcode === 'NOERROR' && a.answers.join() === '2.2.2.2')).toBe(true);
    expect(new Set(answers.map((a) => a.nsid))).toEqual(new Set(['d1', 'd2']));
  });

  it('keeps answering after a SIGKILL of one backend, once the health check marked it down', async () => {
    const origin = performance.now();
    named.get('d1')!.proc.signal('SIGKILL');
    const samples = await digSeries(lab!, 'client', WWW, {
      server: LB,
      everyMs: 50,
      forMs: 4000,
      origin,
      settle: { ok: (a) => a !== null, count: 10 },
    });
    const out = outageOf(samples, (a) => a !== null);
    const who = samples.map((s) => (s.answer ? s.answer.nsid ?? '?' : '-')).join(' ');
    console.log(
      `dnsdist, SIGKILL of d1: ${out ? `${out.bad} of ${samples.length} lost, last loss sent at ${Math.round(samples.filter((s) => !s.answer).at(-1)!.atMs)} ms, ` + `full service from ${out.toMs === null ? 'never' : `${Math.round(out.toMs)} ms`}` : 'none lost'} (dig every 50 ms: ${who})`,
    );
    expect(await named.get('d1')!.proc.exited).toMatchObject({ signal: 'SIGKILL' });
    // d1 is really gone: a direct query gets nothing
    expect((await dig(lab!, 'client', WWW, { server: lab!.addr('d1') })).answer).toBeNull();
    // after the last loss, every answer came from d2, and there were 10 in a row
    const lastBad = samples.map((s) => s.answer === null).lastIndexOf(true);
    const after = samples.slice(lastBad + 1);
    expect(after.length).toBeGreaterThanOrEqual(10);
    expect(after.every((s) => s.answer?.nsid === 'd2' && s.answer.rcode === 'NOERROR')).toBe(true);
    // before that, only d1's share was lost: d2 kept answering throughout (a query sent in the first
    // 100 ms may still have reached d1 before the kernel finished killing it)
    expect(samples.filter((s) => s.answer !== null).every((s) => s.answer?.nsid === 'd2' || s.atMs < 100)).toBe(true);
  });
});
