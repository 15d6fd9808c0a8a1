// Smoke test of the test rig itself: each real server starts on a free loopback port, answers
// www.test.com A = 2.2.2.2 from test/fixtures/db.test, and is really gone after stop().
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { addresses, dnsQuery } from './support/dnsquery.js';
import { skipWithout, startDnsdist, startKnot, startNamed, type RunningServer } from './support/servers.js';

/** Everything a test started; afterEach stops what a failed test left running. */
const started: RunningServer[] = [];
async function track<T extends RunningServer>(p: Promise<T>): Promise<T> {
  const s = await p;
  started.push(s);
  console.log(`${s.kind} on ${s.host}:${s.port} pid ${s.pid} answered after ${s.startMs} ms`);
  return s;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function expectWww(s: RunningServer): Promise<void> {
  const r = await dnsQuery(s.port, 'www.test.com', { host: s.host, timeoutMs: 2000 });
  expect(r?.rcode).toBe('NOERROR');
  expect(addresses(r)).toEqual(['2.2.2.2']);
}

async function stopAndCheckGone(s: RunningServer): Promise<void> {
  await s.stop();
  expect(alive(s.pid)).toBe(false);
  expect(await dnsQuery(s.port, 'www.test.com', { host: s.host, timeoutMs: 300 })).toBeNull();
}

describe.skipIf(skipWithout('named'))('named', () => {
  it('answers www.test.com from the fixture zone and stops by pid', async () => {
    const named = await track(startNamed());
    await expectWww(named);
    // authoritative only: a name outside its zones is REFUSED, never recursed for
    const out = await dnsQuery(named.port, 'example.org', { recursionDesired: true });
    expect(out?.rcode).toBe('REFUSED');
    await stopAndCheckGone(named);
  });

  it('serves views selected by source address', async () => {
    const viewZone = (addr: string): string =>
      `$TTL 300\n@ IN SOA ns.view.test. root.view.test. ( 1 3600 600 86400 300 )\n@ IN NS ns.view.test.\nns IN A 127.0.0.1\nwww IN A ${addr}\n`;
    const named = await track(
      startNamed({
        extraConf: 'acl special { 127.0.0.77; };',
        files: { 'db.view-special': viewZone('198.51.100.1'), 'db.view-default': viewZone('203.0.113.1') },
        views: `view "special" { match-clients { special; }; zone "view.test" { type primary; file "db.view-special"; }; };
view "default" { match-clients { any; }; zone "view.test" { type primary; file "db.view-default"; }; };`,
        probe: { name: 'view.test', type: 'SOA' },
      }),
    );
    expect(addresses(await dnsQuery(named.port, 'www.view.test'))).toEqual(['203.0.113.1']);
    expect(addresses(await dnsQuery(named.port, 'www.view.test', { localAddress: '127.0.0.77' }))).toEqual(['198.51.100.1']);
  });

  it('fails fast with the log tail when named cannot start', async () => {
    const t = performance.now();
    const err: unknown = await startNamed({ extraConf: 'no-such-statement yes;' }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/named on 127\.0\.0\.1:\d+ exited/);
    expect(String(err)).toContain('no-such-statement');
    expect(performance.now() - t).toBeLessThan(5000);
    const dir = /--- (\S+)\/log/.exec(String(err))?.[1] ?? '';
    expect(dir).toMatch(/dnsbench-named-/);
    expect(existsSync(dir)).toBe(false); // nothing left behind
  });
});

describe.skipIf(skipWithout('knotd'))('knotd', () => {
  it('answers www.test.com and stops by pid', async () => {
    const knot = await track(startKnot());
    await expectWww(knot);
    await stopAndCheckGone(knot);
  });
});

describe.skipIf(skipWithout('named', 'dnsdist'))('dnsdist in front of two named', () => {
  it('answers through the balancer, survives a backend going down, and stops by pid', async () => {
    const [a, b] = await Promise.all([track(startNamed()), track(startNamed())]);
    const dd = await track(startDnsdist([a, b].map((s) => ({ host: s.host, port: s.port }))));
    for (let i = 0; i < 4; i++) await expectWww(dd); // round robin: both backends answer

    // The health check (www.test.com, every 1 s) marks a stopped backend down; after that every
    // query succeeds again. Bounded: at most 20 polls of 500 ms.
    await a.stop();
    let consecutive = 0;
    for (let i = 0; i < 20 && consecutive < 6; i++) {
      const r = await dnsQuery(dd.port, 'www.test.com', { timeoutMs: 500 });
      consecutive = r?.rcode === 'NOERROR' ? consecutive + 1 : 0;
    }
    expect(consecutive).toBe(6);

    await stopAndCheckGone(dd);
    await stopAndCheckGone(b);
  });
});
