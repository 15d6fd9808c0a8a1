// BIND's rrset-order on a four-address name, for real: one named in a namespace serves
// rr-random, rr-cyclic, rr-fixed and rr-none (order.test, each 192.0.2.1-4 in that zone-file order)
// with one rrset-order rule each, plus test.com's rr, which no rule names. A second named serves
// test.com with no rrset-order statement at all. A handful of dig queries per name shows the
// behaviour NETNS.md measured: cyclic rotates, random shuffles, none keeps the zone-file order,
// Debian's BIND (built without --enable-fixed-rrset) treats fixed as cyclic, and no statement
// means random. Found here: once an rrset-order statement exists, a name that none of its rules
// matches is not shuffled at all (one order); a last catch-all rule (name "*") keeps it random.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, listNamespaces, netnsSkip, pidAlive, skipReason, type Lab } from './support/netns.js';
import { digMany } from './support/netns-dig.js';
import { startNamedIn } from './support/netns-servers.js';
import { authNamedConf } from './support/rigconf/named.js';
import { DB_TEST, ORDER_ADDRS, orderZone } from './support/rigconf/zones.js';
import { findBinary } from './support/servers.js';

const SERVER = '198.18.0.30';
/** named without any rrset-order statement. */
const PLAIN = '198.18.0.31';
/** named with a cyclic rule for one name and a catch-all random rule after it. */
const CATCHALL = '198.18.0.32';
const RR_TEST_COM = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4'];
/** Queries per name: "a handful", enough that random cannot pass for cyclic by chance (< 1e-9). */
const N = 24;
const reason = skipReason('ip', 'named', 'dig');

/** The 4 rotations of the zone-file order, as "a,b,c,d" strings. */
const ROTATIONS = new Set(ORDER_ADDRS.map((_, i) => [...ORDER_ADDRS.slice(i), ...ORDER_ADDRS.slice(0, i)].join(',')));

/** True when this named was built with fixed rrset-order (Debian's is not: fixed acts as cyclic). */
function namedHasFixedOrder(): boolean {
  const bin = findBinary('named');
  if (bin === null) return false;
  return execFileSync(bin, ['-V'], { encoding: 'utf8' }).includes('--enable-fixed-rrset');
}

describe.skipIf(netnsSkip(reason))('BIND rrset-order on a four-address name (netns)', () => {
  let lab: Lab | undefined;

  beforeAll(async () => {
    lab = await createLab([
      { name: 'ns', addr: SERVER },
      { name: 'plain', addr: PLAIN },
      { name: 'catchall', addr: CATCHALL },
      { name: 'client', addr: '198.18.0.200' },
    ]);
    const l = lab;
    const plain = startNamedIn(l, 'plain', {
      label: 'named-plain',
      files: { 'db.test': readFileSync(DB_TEST, 'utf8') },
      conf: (dir) => authNamedConf({ dir, serverId: 'ns-plain', zones: [{ name: 'test.com', file: 'db.test' }] }),
      probe: { query: { name: 'test.com', type: 'SOA' }, from: 'client' },
    });
    const catchall = startNamedIn(l, 'catchall', {
      label: 'named-catchall',
      files: { 'db.order': orderZone(), 'db.test': readFileSync(DB_TEST, 'utf8') },
      conf: (dir) =>
        authNamedConf({
          dir,
          serverId: 'ns-catchall',
          zones: [
            { name: 'order.test', file: 'db.order' },
            { name: 'test.com', file: 'db.test' },
          ],
          rrsetOrder: [
            { name: 'rr-cyclic.order.test', order: 'cyclic' },
            { name: '*', order: 'random' },
          ],
        }),
      probe: { query: { name: 'order.test', type: 'SOA' }, from: 'client' },
    });
    const ordered = startNamedIn(l, 'ns', {
      label: 'named-order',
      files: { 'db.order': orderZone(), 'db.test': readFileSync(DB_TEST, 'utf8') },
      conf: (dir) =>
        authNamedConf({
          dir,
          serverId: 'ns-order',
          zones: [
            { name: 'order.test', file: 'db.order' },
            { name: 'test.com', file: 'db.test' },
          ],
          rrsetOrder: (['random', 'cyclic', 'fixed', 'none'] as const).map((order) => ({ name: `rr-${order}.order.test`, order })),
        }),
      probe: { query: { name: 'order.test', type: 'SOA' }, from: 'client' },
    });
    await Promise.all([plain, catchall, ordered]);
  });

  afterAll(async () => {
    if (!lab) return;
    const pids = lab.processes().map((p) => p.pid);
    await lab.destroy();
    expect(listNamespaces(lab.id)).toEqual([]);
    expect(pids.filter(pidAlive)).toEqual([]);
  });

  /** N answers' orders for `name` (each must hold exactly `addrs`), logged with first-place counts. */
  async function orders(name: string, addrs: readonly string[] = ORDER_ADDRS, server = SERVER): Promise<string[]> {
    const answers = await digMany(lab!, 'client', Array.from({ length: N }, () => ({ name, type: 'A' })), { server, nsid: false });
    const seen = answers.map((a) => a.answers.join(','));
    for (const s of seen) expect(s.split(',').sort()).toEqual([...addrs].sort());
    const first = new Map<string, number>();
    for (const s of seen) first.set(s.split(',')[0] ?? '', (first.get(s.split(',')[0] ?? '') ?? 0) + 1);
    const where = server === PLAIN ? ' (no rrset-order statement)' : server === CATCHALL ? ' (cyclic rule + catch-all random)' : '';
    console.log(`${name}${where}: ${new Set(seen).size} distinct orders in ${N} answers; first place ${[...first].map(([a, n]) => `${a} ${n}`).join(', ')}`);
    return seen;
  }

  /** Consecutive answers step through the rotations one by one (BIND's cyclic counter). */
  function expectCyclic(seen: readonly string[]): void {
    expect(seen.every((s) => ROTATIONS.has(s))).toBe(true);
    expect(new Set(seen).size).toBe(4);
    // each record is first N/4 times: a strict rotation, not just "only rotations"
    const firsts = seen.map((s) => s.split(',')[0]);
    for (const a of ORDER_ADDRS) expect(firsts.filter((f) => f === a).length).toBe(N / 4);
  }

  it('cyclic: only the 4 rotations of the zone order, each record first equally often', async () => {
    expectCyclic(await orders('rr-cyclic.order.test'));
  });

  it('random: more orders than rotations (BIND picks from 12 of the 24)', async () => {
    const seen = await orders('rr-random.order.test');
    expect(new Set(seen).size).toBeGreaterThan(4);
    expect(seen.some((s) => !ROTATIONS.has(s))).toBe(true);
  });

  it('no rrset-order statement at all: random too (test.com rr)', async () => {
    const seen = await orders('rr.test.com', RR_TEST_COM, PLAIN);
    expect(new Set(seen).size).toBeGreaterThan(4);
  });

  it('a statement whose rules do not name it: one order, not random (test.com rr)', async () => {
    const seen = await orders('rr.test.com', RR_TEST_COM);
    expect(new Set(seen).size).toBe(1);
  });

  it('a catch-all rule after the specific ones keeps the others random', async () => {
    expect(new Set(await orders('rr.test.com', RR_TEST_COM, CATCHALL)).size).toBeGreaterThan(4);
    expectCyclic(await orders('rr-cyclic.order.test', ORDER_ADDRS, CATCHALL));
  });

  it('none: always the zone-file order', async () => {
    const seen = await orders('rr-none.order.test');
    expect(new Set(seen)).toEqual(new Set([ORDER_ADDRS.join(',')]));
  });

  it(`fixed: ${namedHasFixedOrder() ? 'one order (named built with --enable-fixed-rrset)' : "behaves as cyclic (Debian's named is built without fixed)"}`, async () => {
    const seen = await orders('rr-fixed.order.test');
    if (namedHasFixedOrder()) expect(new Set(seen).size).toBe(1);
    else expectCyclic(seen);
  });
});
