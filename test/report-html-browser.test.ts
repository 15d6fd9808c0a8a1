// The HTML report in a real browser (Debian's chromium, headless, from file://, offline): no
// request but the file itself, no console error, every chart drawn with a series per target,
// hover and zoom working, the numbers on the page equal to the embedded JSON, and hostile titles
// and labels shown as text without any script running.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { renderHtml } from '../src/report/html.js';
import { loadHtmlAssets } from '../src/commands/outputs.js';
import { formatCount, formatPct, formatUs } from '../src/report/format.js';
import { formatLatencyDelta } from '../src/report/compare-table.js';
import type { Report } from '../src/results/report.js';
import { targetColor } from '../src/report/chart-data.js';
import { skipWithout } from './support/servers.js';
import { launchChromium, openFile, type OpenedPage } from './support/browser.js';
import { fixtureReport as plainReport, fixtureTarget, vipFixtureReport as fixtureReport, HOSTILE_LABELS, HOSTILE_TITLE } from './support/report-fixtures.js';

const CHARTS = ['spectrum', 'histogram', 'qps', 'loss', 'p99'];
const dir = mkdtempSync(join(tmpdir(), 'dnsbench-html-'));
const assets = loadHtmlAssets();

function writeReport(name: string, report: Report): string {
  const file = join(dir, name);
  writeFileSync(file, renderHtml(report, assets));
  return file;
}

interface ChartState {
  name: string;
  canvas: boolean;
  series: Array<{ label: string; show: boolean; drawn: boolean; values: number }>;
  legend: string[];
}

/** What each uPlot instance holds and drew (window.dnsbenchCharts is set by the page's script). */
async function chartStates(page: Page): Promise<ChartState[]> {
  return page.evaluate(`Object.entries(window.dnsbenchCharts).map(([name, u]) => ({
    name,
    canvas: !!document.querySelector('[data-chart="' + name + '"] canvas'),
    series: u.series.slice(1).map((s, i) => ({
      label: s.label,
      show: s.show,
      drawn: !!(s._paths && s._paths.stroke),
      values: u.data[i + 1].filter((v) => v != null).length,
    })),
    legend: [...document.querySelectorAll('[data-chart="' + name + '"] .u-legend .u-series .u-label')].slice(1).map((e) => e.textContent),
  }))`);
}

/** Pixels of the spectrum canvas close to each target's colour (the line is really on screen). */
async function colourPixels(page: Page, colours: string[]): Promise<number[]> {
  return page.evaluate(`(() => {
    const c = document.querySelector('[data-chart="spectrum"] canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return ${JSON.stringify(colours)}.map((hex) => {
      const r = parseInt(hex.slice(1, 3), 16), g = parseInt(hex.slice(3, 5), 16), b = parseInt(hex.slice(5, 7), 16);
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 30 && d[i + 3] > 200) n++;
      return n;
    });
  })()`);
}

const embeddedReport = (page: Page): Promise<Report> =>
  page.evaluate(`JSON.parse(document.getElementById('dnsbench-report').textContent)`);

describe.skipIf(skipWithout('chromium'))('HTML report in chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe('a three-target report', () => {
    let opened: OpenedPage;
    let report: Report;
    beforeAll(async () => {
      report = fixtureReport();
      opened = await openFile(browser, writeReport('fixture.html', report));
      await opened.page.waitForFunction(`window.dnsbenchCharts && Object.keys(window.dnsbenchCharts).length === ${CHARTS.length}`);
    });
    afterAll(() => opened?.close());

    it('loads nothing but the file and logs no error', () => {
      expect(opened.requests).toEqual([opened.url]);
      expect(opened.problems).toEqual([]);
      expect(opened.dialogs).toEqual([]);
    });

    it('draws every chart with one series per target, each with data', async () => {
      const states = await chartStates(opened.page);
      expect(states.map((s) => s.name).sort()).toEqual([...CHARTS].sort());
      for (const s of states) {
        expect(s.canvas, s.name).toBe(true);
        expect(s.series.map((x) => x.label), s.name).toEqual(report.targets.map((t) => t.label));
        expect(s.legend, s.name).toEqual(report.targets.map((t) => t.label));
        for (const x of s.series) {
          expect(x.show && x.drawn, `${s.name}/${x.label}`).toBe(true);
          expect(x.values, `${s.name}/${x.label}`).toBeGreaterThan(0);
        }
      }
      const pixels = await colourPixels(opened.page, report.targets.map((_, i) => targetColor(i)));
      pixels.forEach((n, i) => expect(n, `spectrum pixels of ${report.targets[i]!.label}`).toBeGreaterThan(0));
    });

    it('shows the numbers of the embedded JSON on the cards and in the comparison table', async () => {
      const json = await embeddedReport(opened.page);
      expect(json).toEqual(JSON.parse(JSON.stringify(report)));
      const page = opened.page;
      for (const [i, t] of json.targets.entries()) {
        const card = page.locator(`section.card[data-target="${i}"]`);
        const text = (f: string): Promise<string | null> => card.locator(`[data-field="${f}"]`).textContent();
        expect(await text('label')).toBe(t.label);
        expect(await text('server')).toBe(t.server);
        expect(await text('qps')).toBe(formatCount(t.qps));
        expect(await text('sent')).toBe(formatCount(t.counters.sent));
        expect(await text('completed')).toBe(`${formatCount(t.counters.completed)} (${formatPct(t.counters.completed, t.counters.sent)})`);
        expect(await text('lost')).toBe(`${formatCount(t.counters.lost)} (${formatPct(t.counters.lost, t.counters.sent)})`);
        expect(await text('p50')).toBe(formatUs(t.latency.percentiles.p50));
        expect(await text('p99')).toBe(formatUs(t.latency.percentiles.p99));
        expect(await text('max')).toBe(formatUs(t.latency.max));
      }
      const c = json.comparison!;
      for (const [i, t] of c.targets.entries()) {
        const row = page.locator(`#comparison tr[data-target="${i}"]`);
        const cell = (f: string): Promise<string | null> => row.locator(`[data-field="${f}"]`).textContent();
        expect(await cell('label')).toBe(t.label);
        expect(await cell('qpsRatio')).toBe(t.qpsRatio!.toFixed(2));
        expect(await cell('loss')).toBe(`${t.lossPct.toFixed(2)}%`);
        if (i > 0) expect(await cell('p99Delta')).toBe(formatLatencyDelta(t.p99DeltaUs, t.p99DeltaPct));
      }
      for (const [i, t] of json.targets.entries()) {
        for (const [code, n] of Object.entries(t.rcodes)) {
          const text = await page.locator(`#rcodes td[data-target="${i}"][data-rcode="${code}"] .n`).textContent();
          expect(text).toBe(`${formatCount(n)} (${formatPct(n, t.counters.completed)})`);
        }
      }
    });

    it('shows values on hover and zooms on a drag', async () => {
      const page = opened.page;
      const over = page.locator('[data-chart="qps"] .u-over');
      await over.scrollIntoViewIfNeeded();
      const box = (await over.boundingBox())!;
      const value = page.locator('[data-chart="qps"] .u-legend .u-series').nth(1).locator('.u-value');
      expect(await value.textContent()).toBe('-- qps');
      await page.mouse.move(box.x + box.width * 0.02, box.y + box.height / 2);
      await expect.poll(() => value.textContent()).toMatch(/^[\d,]+ qps$/);
      const before = (await page.evaluate('[window.dnsbenchCharts.qps.scales.x.min, window.dnsbenchCharts.qps.scales.x.max]')) as number[];
      await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
      await page.mouse.up();
      const after = (await page.evaluate('[window.dnsbenchCharts.qps.scales.x.min, window.dnsbenchCharts.qps.scales.x.max]')) as number[];
      expect(after[0]!).toBeGreaterThan(before[0]!);
      expect(after[1]!).toBeLessThan(before[1]!);
      expect(opened.problems).toEqual([]);
    });
  });

  // Issue 10 items 10 and 12: no sample shows n/a; time charts start at t=0 like the CSV; the
  // spectrum's axis ends near the maximum; the card names never wrap, at any width.
  describe('a target that answered nothing, a 113 ms maximum, and narrow windows', () => {
    let report: Report;
    let file: string;
    beforeAll(() => {
      const lat = Array.from({ length: 400 }, (_, i) => 800 + ((i * 7919) % 4000));
      lat.push(113_000);
      report = plainReport([
        fixtureTarget(lat, { label: 'slow-tail', durationMs: 3000, counters: { lost: 0 } }),
        { ...fixtureTarget([], { label: 'silent', counters: { lost: 50 }, port: 5400 }), server: '127.0.0.1:5400' },
      ]);
      file = writeReport('edge.html', report);
    });

    it('n/a for the silent target on its card and in the comparison, and the page still draws', async () => {
      const opened = await openFile(browser, file);
      try {
        await opened.page.waitForFunction(`window.dnsbenchCharts && Object.keys(window.dnsbenchCharts).length === ${CHARTS.length}`);
        expect(opened.problems).toEqual([]);
        const card = opened.page.locator('section.card[data-target="1"]');
        for (const f of ['p50', 'p90', 'p99', 'p99.9', 'max', 'mean']) expect(await card.locator(`[data-field="${f}"]`).textContent(), f).toBe('n/a');
        const row = opened.page.locator('#comparison tr[data-target="1"]');
        for (const f of ['p50', 'p50Delta', 'p99', 'p99Delta']) expect(await row.locator(`[data-field="${f}"]`).textContent(), f).toBe('n/a');
      } finally {
        await opened.close();
      }
    });

    it('time charts start at t=0 (the CSV\'s first t) and the spectrum axis ends near the 113 ms maximum', async () => {
      const opened = await openFile(browser, file);
      try {
        await opened.page.waitForFunction(`window.dnsbenchCharts && Object.keys(window.dnsbenchCharts).length === ${CHARTS.length}`);
        const x = (await opened.page.evaluate('[0,1,2].map((i) => window.dnsbenchCharts.qps.data[0][i])')) as number[];
        expect(x).toEqual(report.targets[0]!.intervals.map((iv) => iv.t));
        expect(x[0]).toBe(0);
        for (const name of ['qps', 'loss', 'p99']) {
          expect(await opened.page.evaluate(`window.dnsbenchCharts.${name}.scales.x.min`), name).toBeLessThanOrEqual(0);
        }
        const [min, max] = (await opened.page.evaluate('[window.dnsbenchCharts.spectrum.scales.y.min, window.dnsbenchCharts.spectrum.scales.y.max]')) as number[];
        // Latency in ms: the axis must show 113 ms and must not run on to the next decade (1 s).
        expect(max).toBeGreaterThanOrEqual(113);
        expect(max).toBeLessThan(200);
        expect(min).toBeGreaterThan(0.4);
        expect(min).toBeLessThanOrEqual(0.8);
      } finally {
        await opened.close();
      }
    });

    for (const width of [1200, 900, 700, 375]) {
      it(`at ${width} px no card name wraps and no value spills out of its card`, async () => {
        const opened = await openFile(browser, writeReport('fixture-cards.html', fixtureReport()), { width, height: 900 });
        try {
          const bad = (await opened.page.evaluate(`[...document.querySelectorAll('section.card')].flatMap((card) => {
            const box = card.getBoundingClientRect();
            return [...card.querySelectorAll('dt, dd')].flatMap((el) => {
              const r = el.getBoundingClientRect();
              const line = parseFloat(getComputedStyle(el).lineHeight);
              const out = [];
              if (r.height > line * 1.5) out.push(el.textContent + ' wraps (' + r.height + 'px)');
              if (r.right > box.right + 0.5 || r.left < box.left - 0.5) out.push(el.textContent + ' spills out');
              return out;
            });
          })`)) as string[];
          expect(bad).toEqual([]);
          expect(await opened.page.locator('section.card dt', { hasText: 'Queries per second' }).count()).toBe(3);
        } finally {
          await opened.close();
        }
      });
    }
  });

  describe('hostile title and labels', () => {
    let opened: OpenedPage;
    beforeAll(async () => {
      opened = await openFile(browser, writeReport('hostile.html', fixtureReport({ hostile: true })));
      await opened.page.waitForFunction(`window.dnsbenchCharts && Object.keys(window.dnsbenchCharts).length === ${CHARTS.length}`);
      // Give anything injected a chance to run before asserting it did not.
      await opened.page.waitForTimeout(200);
    });
    afterAll(() => opened?.close());

    it('are shown as text, and nothing they contain runs or loads', async () => {
      const page = opened.page;
      expect(opened.dialogs).toEqual([]);
      expect(opened.problems).toEqual([]);
      expect(opened.requests).toEqual([opened.url]);
      expect(await page.title()).toBe(HOSTILE_TITLE);
      expect(await page.locator('h1').textContent()).toBe(HOSTILE_TITLE);
      const labels = await page.locator('section.card [data-field="label"]').allTextContents();
      expect(labels).toEqual(HOSTILE_LABELS);
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.locator('script').count()).toBe(4);
      for (const s of await chartStates(page)) expect(s.legend).toEqual(HOSTILE_LABELS);
      expect(await page.locator('#notes li').textContent()).toBe('Note with <b>markup</b> & "quotes" </script>');
      expect(await page.locator('[data-field="queries"]').textContent()).toContain('queries <b>&amp; "list".txt');
    });
  });
});
