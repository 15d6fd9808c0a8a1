// The "done when", for real: Debian's dnsdist as a VIP on loopback in front of two BIND
// named backends, all three benchmarked and compared in one dnsbench run, sequential and
// interleaved. The interleaved run's HTML (with a hostile title) is opened in chromium.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Report } from '../src/results/report.js';
import { skipWithout, startDnsdist, startNamed, type RunningServer } from './support/servers.js';
import { ROOT, runCli } from './support/cli.js';
import { launchChromium, openFile } from './support/browser.js';
import { expectAccounted } from './support/accounting.js';

const QUERIES = join(ROOT, 'test/fixtures/test-com.txt');
const dir = mkdtempSync(join(tmpdir(), 'dnsbench-compare-real-'));
const TITLE = '<script>alert(1)</script> VIP & backends';

describe.skipIf(skipWithout('named', 'dnsdist'))('VIP (dnsdist) and two named backends compared in one run', () => {
  const started: RunningServer[] = [];
  let vip: RunningServer;
  let dns1: RunningServer;
  let dns2: RunningServer;

  beforeAll(async () => {
    dns1 = await startNamed();
    started.push(dns1);
    dns2 = await startNamed();
    started.push(dns2);
    vip = await startDnsdist([dns1, dns2].map((s) => ({ host: s.host, port: s.port })));
    started.push(vip);
  });
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  const targets = (): string[] => ['-s', `vip=${vip.host}:${vip.port}`, '-s', `dns1=${dns1.host}:${dns1.port}`, '-s', `dns2=${dns2.host}:${dns2.port}`];

  function check(report: Report): void {
    expect(report.targets.map((t) => t.label)).toEqual(['vip', 'dns1', 'dns2']);
    for (const t of report.targets) {
      const c = t.counters;
      expect(c.completed, t.label).toBeGreaterThan(0);
      expect(t.rcodes['NOERROR'], t.label).toBeGreaterThan(0);
      expectAccounted(c, t.label);
    }
    const c = report.comparison!;
    expect(c.reference).toBe('vip');
    expect(c.targets.map((t) => t.label)).toEqual(['vip', 'dns1', 'dns2']);
    for (const t of c.targets) {
      expect(t.qpsRatio).not.toBeNull();
      expect(t.p50Us).not.toBeNull();
    }
  }

  it('sequential: each target in turn, with the comparison after the per-target blocks', async () => {
    const json = join(dir, 'seq.json');
    const r = await runCli([...targets(), '-d', QUERIES, '-l', '1', '-T', '1', '-q', '20', '-t', '2', '--json', json]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    check(report);
    expect(report.mode).toBe('sequential');
    for (let i = 1; i < 3; i++) expect(report.targets[i]!.timing.startedAtMs).toBeGreaterThanOrEqual(report.targets[i - 1]!.timing.endedAtMs);
    expect(r.stdout).toContain(`=== vip (${vip.host}:${vip.port}) ===`);
    expect(r.stdout.indexOf('Comparison against vip')).toBeGreaterThan(r.stdout.lastIndexOf('Statistics:'));
  });

  describe('interleaved', () => {
    let browser: Browser | undefined;
    afterAll(async () => {
      await browser?.close();
    });

    it('all three at once, and a page that opens offline with every chart for every target', async () => {
      const json = join(dir, 'inter.json');
      const html = join(dir, 'inter.html');
      const csv = join(dir, 'inter.csv');
      const r = await runCli([...targets(), '-d', QUERIES, '-l', '1.5', '-T', '1', '-q', '20', '-t', '2', '--interleave', '--title', TITLE, '--json', json, '--html', html, '--csv', csv]);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
      check(report);
      expect(report.mode).toBe('interleave');
      // Measured in the same window: one engine run, one start for every target.
      const starts = new Set(report.targets.map((t) => t.timing.startedAtMs));
      expect(starts.size).toBe(1);
      expect(r.stdout).toContain('[Status] Interleaved: 3 targets at once');
      expect(r.stdout).toContain(`[Status] Title: ${TITLE}\n`);
      expect(readFileSync(csv, 'utf8').split('\r\n').filter((l) => l.startsWith(`${vip.host}:${dns2.port},dns2,`)).length).toBe(report.targets[2]!.intervals.length);

      if (skipWithout('chromium')) return;
      browser = await launchChromium();
      const page = await openFile(browser, html);
      await page.page.waitForFunction('window.dnsbenchCharts && Object.keys(window.dnsbenchCharts).length === 5');
      const series = (await page.page.evaluate(
        'Object.values(window.dnsbenchCharts).map((u) => u.series.slice(1).map((s, i) => !!(s._paths && s._paths.stroke) && u.data[i + 1].some((v) => v != null)))',
      )) as boolean[][];
      expect(series).toEqual(Array.from({ length: 5 }, () => [true, true, true]));
      expect(await page.page.locator('h1').textContent()).toBe(TITLE);
      expect(page.dialogs).toEqual([]);
      expect(page.problems).toEqual([]);
      expect(page.requests).toEqual([page.url]);
      await page.close();
    });
  });
});
