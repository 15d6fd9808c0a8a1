// The seed's BIND pair in network namespaces: a primary and a secondary sharing the TSIG key
// "chinanet" (hmac-md5) and two views, the key's view (also chosen by a client address, like the
// seed's ACL) and the default one, each serving view.test with a different www. NOTIFY and AXFR
// are signed in the key view. Checked with dig from a client namespace: which view answers, and
// how long a serial bump + `rndc reload` on the primary takes to reach the secondary in each view.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, listNamespaces, netnsSkip, pidAlive, skipReason, type Lab } from './support/netns.js';
import { dig, waitFor, type DigOptions } from './support/netns-dig.js';
import { startNamedIn, type LabNamed } from './support/netns-servers.js';
import { newRndcKey, primaryNamedConf, secondaryNamedConf, SEED_KEY, type TwoViews } from './support/rigconf/named.js';
import { VIEW_ANSWERS, viewZone } from './support/rigconf/zones.js';

const PRIMARY = '198.18.0.11';
const SECONDARY = '198.18.0.12';
const CLIENT = '198.18.0.200';
/** A second client address in the key view's ACL: chooses the key view without the key. */
const ACL_CLIENT = '198.18.0.201';
const reason = skipReason('ip', 'named', 'rndc', 'dig');

const zoneFiles = (serial: number): Record<string, string> => ({
  'db.view-chinanet': viewZone({ serial, www: VIEW_ANSWERS.key, nsAddr: PRIMARY }, 'chinanet'),
  'db.view-default': viewZone({ serial, www: VIEW_ANSWERS.default, nsAddr: PRIMARY }, 'default'),
});

const views: TwoViews = {
  key: SEED_KEY,
  keyViewClients: [ACL_CLIENT],
  keyZones: [{ name: 'view.test', file: 'db.view-chinanet' }],
  defaultZones: [{ name: 'view.test', file: 'db.view-default' }],
};

const KEYED: Pick<DigOptions, 'key'> = { key: SEED_KEY };

describe.skipIf(netnsSkip(reason))('BIND primary/secondary with TSIG and two views (netns)', () => {
  let lab: Lab | undefined;
  let primary: LabNamed;
  let secondary: LabNamed;

  /** view.test's SOA serial at `server` as the view (keyed or not) sees it; null when no answer. */
  const serial = async (server: string, keyed: boolean): Promise<number | null> => {
    const r = await dig(lab!, 'client', { name: 'view.test', type: 'SOA' }, { server, ...(keyed ? KEYED : {}) });
    const soa = r.answer?.rcode === 'NOERROR' ? r.answer.answers[0] : undefined;
    return soa === undefined ? null : Number(soa.split(/\s+/)[2]);
  };

  beforeAll(async () => {
    lab = await createLab([
      { name: 'primary', addr: PRIMARY },
      { name: 'secondary', addr: SECONDARY },
      { name: 'client', addr: CLIENT, extraAddrs: [ACL_CLIENT] },
    ]);
    const l = lab;
    const started = performance.now();
    // rndc's key: one per server, in both named.conf (controls) and rndc.conf
    const rndc = { key: newRndcKey() };
    primary = await startNamedIn(l, 'primary', {
      label: 'primary',
      files: zoneFiles(1),
      rndc,
      conf: (dir) => primaryNamedConf({ dir, serverId: 'primary', secondary: SECONDARY, rndc, ...views }),
      probe: { query: { name: 'view.test', type: 'SOA' }, from: 'client', key: SEED_KEY },
    });
    // After the primary: a secondary's first transfer that fails is retried only much later.
    secondary = await startNamedIn(l, 'secondary', {
      label: 'secondary',
      conf: (dir) => secondaryNamedConf({ dir, serverId: 'secondary', primary: PRIMARY, ...views }),
      // NOERROR (not SERVFAIL) for the SOA: the key view's transfer is done
      probe: { query: { name: 'view.test', type: 'SOA' }, from: 'client', key: SEED_KEY },
    });
    const defaultLoaded = await waitFor(async () => ((await serial(SECONDARY, false)) === 1 ? true : null), 10_000);
    expect(defaultLoaded, 'secondary never loaded the default view').toBe(true);
    console.log(`bind rig up in ${Math.round(performance.now() - started)} ms (primary ${primary.startMs} ms, secondary ${secondary.startMs} ms)`);
  });

  afterAll(async () => {
    if (!lab) return;
    const pids = lab.processes().map((p) => p.pid);
    await lab.destroy();
    expect(listNamespaces(lab.id)).toEqual([]);
    expect(pids.filter(pidAlive)).toEqual([]);
  });

  it.each([
    ['primary', PRIMARY],
    ['secondary', SECONDARY],
  ])('%s: the key gets the key view, no key the default view, the ACL address the key view', async (id, server) => {
    const q = { name: 'www.view.test', type: 'A' };
    const keyed = (await dig(lab!, 'client', q, { server, ...KEYED })).answer;
    expect(keyed).toMatchObject({ rcode: 'NOERROR', answers: [VIEW_ANSWERS.key], nsid: id, signed: true, warnings: [] });
    const plain = (await dig(lab!, 'client', q, { server })).answer;
    expect(plain).toMatchObject({ rcode: 'NOERROR', answers: [VIEW_ANSWERS.default], nsid: id, signed: false });
    const byAcl = (await dig(lab!, 'client', q, { server, source: ACL_CLIENT })).answer;
    expect(byAcl).toMatchObject({ rcode: 'NOERROR', answers: [VIEW_ANSWERS.key], nsid: id, signed: false });
    // the TXT names the view, so a mix-up of zone files would show too
    expect((await dig(lab!, 'client', { name: 'view.view.test', type: 'TXT' }, { server, ...KEYED })).answer?.answers).toEqual(['"chinanet"']);
    expect((await dig(lab!, 'client', { name: 'view.view.test', type: 'TXT' }, { server })).answer?.answers).toEqual(['"default"']);
  });

  it('a serial bump + rndc reload on the primary reaches the secondary in both views', async () => {
    for (const [name, content] of Object.entries(zoneFiles(2))) await lab!.writeFile(`primary/${name}`, content);
    const origin = performance.now();
    const out = await primary.rndc('reload');
    expect(out.stdout).toMatch(/reload successful/);
    const caughtUp = (keyed: boolean): Promise<number | null> =>
      waitFor(async () => ((await serial(SECONDARY, keyed)) === 2 ? performance.now() - origin : null), 10_000, 20);
    const [keyMs, defaultMs] = await Promise.all([caughtUp(true), caughtUp(false)]);
    console.log(
      `rndc reload on the primary (took ${Math.round(out.ms)} ms): secondary serves serial 2 in the key view after ${keyMs === null ? 'never' : `${Math.round(keyMs)} ms`}, ` +
        `in the default view after ${defaultMs === null ? 'never' : `${Math.round(defaultMs)} ms`} (SOA polled every 20 ms)`,
    );
    expect(keyMs, 'key view never caught up within 10 s').not.toBeNull();
    expect(defaultMs, 'default view never caught up within 10 s').not.toBeNull();
    expect(await serial(PRIMARY, true)).toBe(2);
    expect(await serial(PRIMARY, false)).toBe(2);
    // the views still differ after the transfer
    const q = { name: 'www.view.test', type: 'A' };
    expect((await dig(lab!, 'client', q, { server: SECONDARY, ...KEYED })).answer?.answers).toEqual([VIEW_ANSWERS.key]);
    expect((await dig(lab!, 'client', q, { server: SECONDARY })).answer?.answers).toEqual([VIEW_ANSWERS.default]);
  });
});
