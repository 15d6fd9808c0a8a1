// --rrset-order against Debian's BIND (issue 12): one named serves rr-random, rr-cyclic, rr-fixed
// and rr-none (order.test, 192.0.2.1-4 each) with one rrset-order rule each. dnsbench's verdicts
// must be random, cyclic, fixed for none (zone-file order, one order), and for fixed: cyclic on a
// BIND built without --enable-fixed-rrset (Debian's; named-checkconf only warns), fixed otherwise.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, listNamespaces, netnsSkip, pidAlive, skipReason, type Lab } from './support/netns.js';
import { startNamedIn } from './support/netns-servers.js';
// Totals only: the per-interval identity is the recorder's (an outcome later than its ring is
// counted in the oldest open interval), which a heavily loaded 2-core CI can reach.
import { expectAccounted } from './support/accounting.js';
import { dnsbenchIn } from './support/netns-dnsbench.js';
import { authNamedConf } from './support/rigconf/named.js';
import { ORDER_ADDRS, orderZone } from './support/rigconf/zones.js';
import { findBinary } from './support/servers.js';
import type { Report } from '../src/results/report.js';
import type { RrsetOrderReport } from '../src/results/rrset-order.js';

const SERVER = '198.18.0.30';
const PASSES = 300;
const reason = skipReason('ip', 'named');

function namedHasFixedOrder(): boolean {
  const bin = findBinary('named');
  return bin !== null && execFileSync(bin, ['-V'], { encoding: 'utf8' }).includes('--enable-fixed-rrset');
}

describe.skipIf(netnsSkip(reason))('dnsbench --rrset-order against BIND (netns)', () => {
  let lab: Lab | undefined;
  let report: Report;
  const verdict = (name: string): RrsetOrderReport => {
    const r = report.targets[0]!.answerChecks!.rrsetOrder!.names.find((n) => n.query === `${name}. A`);
    if (r === undefined) throw new Error(`no rrset-order result for ${name}`);
    return r;
  };

  beforeAll(async () => {
    lab = await createLab([
      { name: 'ns', addr: SERVER },
      { name: 'client', addr: '198.18.0.200' },
    ]);
    const l = lab;
    await startNamedIn(l, 'ns', {
      label: 'named-order',
      files: { 'db.order': orderZone() },
      conf: (dir) =>
        authNamedConf({
          dir,
          serverId: 'ns-order',
          zones: [{ name: 'order.test', file: 'db.order' }],
          rrsetOrder: (['random', 'cyclic', 'fixed', 'none'] as const).map((order) => ({ name: `rr-${order}.order.test`, order })),
        }),
      probe: { query: { name: 'order.test', type: 'SOA' }, from: 'client' },
    });
    await l.writeFile('order.txt', ['random', 'cyclic', 'fixed', 'none'].map((o) => `rr-${o}.order.test A\n`).join(''));
    const run = await dnsbenchIn(l, 'client', ['-s', SERVER, '-d', `${l.dir}/order.txt`, '-n', String(PASSES), '-T', '1', '-c', '1', '-q', '8', '-t', '1', '--rrset-order'], { timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    report = run.report!;
    for (const n of report.targets[0]!.answerChecks!.rrsetOrder!.names) console.log(`${n.query} ${n.verdict}: ${n.evidence}`);
  });

  afterAll(async () => {
    if (!lab) return;
    const pids = lab.processes().map((p) => p.pid);
    await lab.destroy();
    expect(listNamespaces(lab.id)).toEqual([]);
    expect(pids.filter(pidAlive)).toEqual([]);
  });

  it('every answer tallied, each with the four records', () => {
    for (const t of report.targets) expectAccounted(t.counters, t.label);
    expect(report.targets[0]!.counters.completed).toBe(4 * PASSES);
    for (const o of ['random', 'cyclic', 'fixed', 'none']) {
      const v = verdict(`rr-${o}.order.test`);
      expect(v.answers).toBe(PASSES);
      expect([...v.records].sort()).toEqual([...ORDER_ADDRS]);
      expect(v.otherSets).toBe(0);
      expect(v.possibleOrders).toBe(24);
    }
  });

  it('random: more orders than rotations, first places and orders even (chi-square)', () => {
    const v = verdict('rr-random.order.test');
    expect(v.verdict).toBe('random');
    expect(v.distinctOrders).toBeGreaterThan(4);
    expect(v.pValue).not.toBeNull();
    for (const f of v.firstPlace) expect(f.share).toBeGreaterThan(0.1);
  });

  it('cyclic: the four rotations, each record first a quarter of the time', () => {
    const v = verdict('rr-cyclic.order.test');
    expect(v.verdict).toBe('cyclic');
    expect(v.distinctOrders).toBe(4);
    for (const f of v.firstPlace) expect(f.count).toBe(PASSES / 4);
  });

  it('none: always the zone-file order, which is a fixed order', () => {
    const v = verdict('rr-none.order.test');
    expect(v.verdict).toBe('fixed');
    expect(v.orders).toEqual([{ order: [...ORDER_ADDRS], count: PASSES }]);
  });

  it(`fixed: ${namedHasFixedOrder() ? 'fixed (this BIND has --enable-fixed-rrset)' : "cyclic, as Debian's BIND (built without --enable-fixed-rrset) does"}`, () => {
    const v = verdict('rr-fixed.order.test');
    expect(v.verdict).toBe(namedHasFixedOrder() ? 'fixed' : 'cyclic');
  });
});
