// The seed's BIND pair measured by dnsbench (issue 12): primary and secondary with the TSIG key
// "chinanet" (hmac-md5) and two views that answer www.view.test differently. Two runs from the
// client at the same --start-at, both against both servers (--interleave), both with the key
// view's answers as expect= columns and --watch-serial view.test:
//   - with -y (the key view): every answer matches, and the run's --event bumps the serial on the
//     primary (new zone files + rndc reload); the watch sees the secondary catch up in the key view;
//   - without -y (the default view): every answer is a wrong answer against the same expectations,
//     and the same bump shows up in the default view too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, listNamespaces, netnsSkip, pidAlive, skipReason, type Lab } from './support/netns.js';
import { startNamedIn, type LabNamed } from './support/netns-servers.js';
import { waitFor, dig } from './support/netns-dig.js';
// Totals only: the per-interval identity is the recorder's (an outcome later than its ring is
// counted in the oldest open interval), which a heavily loaded 2-core CI can reach.
import { expectAccounted } from './support/accounting.js';
import { dnsbenchIn, type LabRun } from './support/netns-dnsbench.js';
import { newRndcKey, primaryNamedConf, secondaryNamedConf, SEED_KEY, type TwoViews } from './support/rigconf/named.js';
import { VIEW_ANSWERS, viewZone } from './support/rigconf/zones.js';
import type { Report } from '../src/results/report.js';
import { renderOps, renderAnswerChecks } from '../src/report/ops-text.js';

const PRIMARY = '198.18.0.11';
const SECONDARY = '198.18.0.12';
const reason = skipReason('ip', 'named', 'rndc', 'dig');

const zoneFiles = (serial: number): Record<string, string> => ({
  'db.view-chinanet': viewZone({ serial, www: VIEW_ANSWERS.key, nsAddr: PRIMARY }, 'chinanet'),
  'db.view-default': viewZone({ serial, www: VIEW_ANSWERS.default, nsAddr: PRIMARY }, 'default'),
});

const views: TwoViews = {
  key: SEED_KEY,
  keyZones: [{ name: 'view.test', file: 'db.view-chinanet' }],
  defaultZones: [{ name: 'view.test', file: 'db.view-default' }],
};

describe.skipIf(netnsSkip(reason))('dnsbench against BIND primary/secondary with TSIG and two views (netns)', () => {
  let lab: Lab | undefined;
  let primary: LabNamed;
  let keyed: Report;
  let plain: Report;

  beforeAll(async () => {
    lab = await createLab([
      { name: 'primary', addr: PRIMARY },
      { name: 'secondary', addr: SECONDARY },
      { name: 'client', addr: '198.18.0.200' },
    ]);
    const l = lab;
    const rndc = { key: newRndcKey() };
    primary = await startNamedIn(l, 'primary', {
      label: 'primary',
      files: zoneFiles(1),
      rndc,
      conf: (dir) => primaryNamedConf({ dir, serverId: 'primary', secondary: SECONDARY, rndc, ...views }),
      probe: { query: { name: 'view.test', type: 'SOA' }, from: 'client', key: SEED_KEY },
    });
    await startNamedIn(l, 'secondary', {
      label: 'secondary',
      conf: (dir) => secondaryNamedConf({ dir, serverId: 'secondary', primary: PRIMARY, ...views }),
      probe: { query: { name: 'view.test', type: 'SOA' }, from: 'client', key: SEED_KEY },
    });
    // Both views transferred before the runs start.
    const loaded = await waitFor(async () => ((await dig(l, 'client', { name: 'view.test', type: 'SOA' }, { server: SECONDARY })).answer?.rcode === 'NOERROR' ? true : null), 10_000);
    expect(loaded, 'the secondary never loaded the default view').toBe(true);

    for (const [name, text] of Object.entries(zoneFiles(2))) await l.writeFile(`next/${name}`, text);
    await l.writeFile('views.txt', `www.view.test A expect=${VIEW_ANSWERS.key}\nview.view.test TXT expect="chinanet"\nview.test SOA\n`);
    const bump =
      `cp ${l.dir}/next/db.view-chinanet ${l.dir}/next/db.view-default ${primary.dir}/ && ` +
      `ip netns exec ${l.ns('primary')} rndc -c ${primary.dir}/rndc.conf reload`;
    const startAt = ((Date.now() + 2500) / 1000).toFixed(3);
    const common = ['-s', `primary=${PRIMARY}`, '-s', `secondary=${SECONDARY}`, '--interleave', '-d', `${l.dir}/views.txt`, '-l', '3', '-Q', '200', '-t', '0.5',
      '-T', '1', '--interval', '0.05', '--expect', '--watch-serial', 'view.test', '--start-at', startAt];
    const key = `${SEED_KEY.algorithm}:${SEED_KEY.name}:${SEED_KEY.secret}`;
    const runs: LabRun[] = await Promise.all([
      dnsbenchIn(l, 'client', [...common, '-y', key, '--event', `0.8=${bump}`], { timeoutMs: 30_000 }),
      dnsbenchIn(l, 'client', common, { timeoutMs: 30_000 }),
    ]);
    expect(runs[0]!.code, runs[0]!.stderr).toBe(0);
    expect(runs[1]!.code, runs[1]!.stderr).toBe(0);
    keyed = runs[0]!.report!;
    plain = runs[1]!.report!;
    // As the text view prints them (README quotes these).
    console.log(renderOps(keyed) + renderAnswerChecks(plain.targets[0]!) + renderOps(plain));
  });

  afterAll(async () => {
    if (!lab) return;
    const pids = lab.processes().map((p) => p.pid);
    await lab.destroy();
    expect(listNamespaces(lab.id)).toEqual([]);
    expect(pids.filter(pidAlive)).toEqual([]);
  });

  it('with -y every answer from both servers matches the key view\'s expect=', () => {
    for (const t of keyed.targets) expectAccounted(t.counters, t.label);
    for (const t of keyed.targets) {
      const c = t.counters;
      expect(c.wrongAnswer, t.label).toBe(0);
      expect(c.tsigFailed, t.label).toBe(0);
      expect(c.completed, t.label).toBeGreaterThan(100);
      // Two of the three queries have an expectation.
      expect(t.answerChecks?.expect?.checked).toBeGreaterThan(c.completed / 2);
      expect(t.answerChecks?.expect?.examples).toEqual([]);
    }
  });

  it('without -y every checked answer is a wrong answer: the default view answered', () => {
    for (const t of plain.targets) expectAccounted(t.counters, t.label);
    for (const t of plain.targets) {
      const c = t.counters;
      const checked = t.answerChecks!.expect!.checked;
      expect(checked, t.label).toBeGreaterThan(100);
      expect(c.wrongAnswer, t.label).toBe(checked);
      // Only the SOA query (no expectation) completes.
      expect(c.completed + c.wrongAnswer + c.timedOut).toBe(c.sent - c.interrupted);
      const got = t.answerChecks!.expect!.examples.map((e) => `${e.query}: got ${e.got}, expected ${e.expected}`).sort();
      expect(got).toEqual([
        `view.view.test. TXT: got "default", expected "chinanet"`,
        `www.view.test. A: got ${VIEW_ANSWERS.default}, expected ${VIEW_ANSWERS.key}`,
      ]);
    }
  });

  it.each([
    ['key view (-y)', () => keyed],
    ['default view', () => plain],
  ])('--watch-serial: the bump reaches the primary, then the secondary (%s)', (view, get) => {
    const s = get().serials!;
    expect(s.zone).toBe('view.test.');
    expect(s.key).toBe(view.startsWith('key') ? SEED_KEY.name : null);
    for (const t of s.targets) {
      expect(t.initial, t.label).toBe(1);
      expect(t.last, t.label).toBe(2);
      expect(t.failed, t.label).toBe(0);
    }
    expect(s.changes).toHaveLength(1);
    const c = s.changes[0]!;
    expect(c.serial).toBe(2);
    expect(c.seen.map((x) => x.label)).toEqual(['primary', 'secondary']);
    const bumpAt = keyed.events![0]!.startedAtMs!;
    const [p, sec] = c.seen;
    console.log(`${view}: serial 2 at the primary ${Math.round(p!.atMs - bumpAt)} ms after the bump started, at the secondary ${Math.round(sec!.atMs - bumpAt)} ms (+${Math.round(sec!.lagMs)} ms), SOA every ${s.intervalSec} s`);
    expect(p!.atMs).toBeGreaterThanOrEqual(bumpAt - 60);
    // NETNS.md: 89-176 ms primary -> secondary with these settings; bounded generously.
    expect(sec!.lagMs).toBeGreaterThanOrEqual(0);
    expect(sec!.lagMs).toBeLessThan(2000);
  });

  it('the bump event itself succeeded, and the two runs started together', () => {
    const e = keyed.events![0]!;
    expect(e.exitCode, e.output).toBe(0);
    expect(e.output).toMatch(/reload successful/);
    expect(Math.abs(keyed.start!.actualAtMs - plain.start!.actualAtMs)).toBeLessThan(500);
  });
});
