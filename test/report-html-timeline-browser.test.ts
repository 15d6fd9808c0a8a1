// The HTML report's timeline (issue 12) in a real browser (Debian's chromium, headless, from
// file://, offline): one chart per target at interval resolution, the outage shaded where the
// timeline put it, each --event a dashed vertical line, who answered a colour band along the
// bottom, the same findings as text beside it; and hostile identities and event commands shown
// as text without anything running.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { renderHtml } from '../src/report/html.js';
import { loadHtmlAssets } from '../src/commands/outputs.js';
import { chartData, IDENTITY_PALETTE } from '../src/report/chart-data.js';
import type { Report } from '../src/results/report.js';
import { skipWithout } from './support/servers.js';
import { launchChromium, openFile, type OpenedPage } from './support/browser.js';
import { drillReport } from './support/ops-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-html-tl-'));
const assets = loadHtmlAssets();
const BASE_CHARTS = 5;

function writeReport(name: string, report: Report): string {
  const file = join(dir, name);
  writeFileSync(file, renderHtml(report, assets));
  return file;
}

/**
 * Pixels of the timeline canvas near `hex`, counted in vertical slices at chart x values (seconds):
 * the drawing is where the data says, not just somewhere on the canvas.
 */
async function pixelsAt(page: Page, chart: string, hex: string, xs: number[], band: 'all' | 'bottom' = 'all', alpha = false): Promise<number[]> {
  return page.evaluate(`(() => {
    const u = window.dnsbenchCharts[${JSON.stringify(chart)}];
    const c = u.ctx.canvas;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const r = parseInt(${JSON.stringify(hex)}.slice(1, 3), 16), g = parseInt(${JSON.stringify(hex)}.slice(3, 5), 16), b = parseInt(${JSON.stringify(hex)}.slice(5, 7), 16);
    const top = ${band === 'bottom' ? 'u.bbox.top + u.bbox.height - 8 * uPlot.pxRatio' : 'u.bbox.top'};
    const bottom = u.bbox.top + u.bbox.height;
    return ${JSON.stringify(xs)}.map((x) => {
      const px = Math.round(u.valToPos(x, 'x', true));
      let n = 0;
      for (let y = Math.round(top); y < bottom; y++) {
        for (let dx = -1; dx <= 1; dx++) {
          const i = (y * c.width + px + dx) * 4;
          const near = Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < ${alpha ? 60 : 40};
          if (near && d[i + 3] > 30) n++;
        }
      }
      return n;
    });
  })()`);
}

describe.skipIf(skipWithout('chromium'))('HTML timeline in chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe('the drill (two targets)', () => {
    let opened: OpenedPage;
    const report = drillReport({ targets: 2 });
    beforeAll(async () => {
      opened = await openFile(browser, writeReport('drill.html', report));
      await opened.page.waitForFunction(`window.dnsbenchCharts && Object.keys(window.dnsbenchCharts).length === ${BASE_CHARTS + 2}`);
    });
    afterAll(() => opened?.close());

    it('loads nothing but the file and logs no error', () => {
      expect(opened.requests).toEqual([opened.url]);
      expect(opened.problems).toEqual([]);
      expect(opened.dialogs).toEqual([]);
    });

    it('draws one timeline per target, at interval resolution', async () => {
      const n = (await opened.page.evaluate(`[0, 1].map((i) => window.dnsbenchCharts['timeline-' + i].data[0].length)`)) as number[];
      expect(n).toEqual([40, 40]);
      const answered = (await opened.page.evaluate(`window.dnsbenchCharts['timeline-0'].data[1]`)) as number[];
      expect(answered.slice(9, 14)).toEqual([100, 30, 0, 0, 50]);
      expect(await opened.page.locator('section[data-chart="timeline-1"] h2').textContent()).toBe('Timeline: vip2');
    });

    it('shades the outage where the timeline found it, and nowhere else', async () => {
      // Outage 1.03-1.35 s: inside it the shade (the canvas keeps its translucent red); at 0.5 s and 3.5 s none.
      const [inside, before, after] = await pixelsAt(opened.page, 'timeline-0', '#c62828', [1.2, 0.5, 3.5], 'all', true);
      expect(inside).toBeGreaterThan(50);
      expect(before).toBe(0);
      expect(after).toBe(0);
    });

    it('draws each event as a line at its time', async () => {
      const [down, up, none] = await pixelsAt(opened.page, 'timeline-0', '#6a1b9a', [1.02, 2.5, 2.0]);
      expect(down).toBeGreaterThan(20);
      expect(up).toBeGreaterThan(20);
      expect(none).toBe(0);
    });

    it('colours the bottom band by who answered: d1, d2, d1', async () => {
      const ids = chartData(report).timeline![0]!.ids;
      expect(ids.map((x) => x.id)).toEqual(['d1', 'd2']);
      const [d1a, d1b, gap] = await pixelsAt(opened.page, 'timeline-0', IDENTITY_PALETTE[0]!, [0.5, 3.5, 2.0], 'bottom');
      const [d2, d2gap] = await pixelsAt(opened.page, 'timeline-0', IDENTITY_PALETTE[1]!, [2.0, 0.5], 'bottom');
      expect(d1a).toBeGreaterThan(5);
      expect(d1b).toBeGreaterThan(5);
      expect(gap).toBe(0);
      expect(d2).toBeGreaterThan(5);
      expect(d2gap).toBe(0);
      const legend = await opened.page.locator('section[data-chart="timeline-0"] ul.idlegend li').allTextContents();
      expect(legend).toEqual(['outage (under 50% answered)', 'event (numbered as listed)', 'answered by d1', 'answered by d2']);
    });

    it('says the same as text beside the chart', async () => {
      const items = await opened.page.locator('section[data-chart="timeline-0"] ul.tl li').allTextContents();
      expect(items[0]).toBe('event 1 at 1.02 s: ip -n lab-sw link set p-d1 down (exit 0, 5 ms)');
      expect(items).toContain(
        "outage 1.03 s to 1.35 s (320 ms; intervals 1.00 s-1.30 s), 160 of 200 queries unanswered; 10 ms after event 1 'ip -n lab-sw link set p-d1 down', recovered 330 ms after it; answered by d1 before, d2 after",
      );
    });
  });

  describe('hostile identities and event commands', () => {
    let opened: OpenedPage;
    beforeAll(async () => {
      opened = await openFile(browser, writeReport('drill-hostile.html', drillReport({ hostile: true })));
      await opened.page.waitForFunction(`window.dnsbenchCharts && window.dnsbenchCharts['timeline-0']`);
      await opened.page.waitForTimeout(200);
    });
    afterAll(() => opened?.close());

    it('are shown as text, and nothing they contain runs or loads', async () => {
      const page = opened.page;
      expect(opened.dialogs).toEqual([]);
      expect(opened.problems).toEqual([]);
      expect(opened.requests).toEqual([opened.url]);
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.locator('script').count()).toBe(4);
      const legend = await page.locator('section[data-chart="timeline-0"] ul.idlegend li').allTextContents();
      expect(legend).toContain('answered by <img src=x onerror=alert(4)>');
      const items = await page.locator('section[data-chart="timeline-0"] ul.tl li').allTextContents();
      expect(items[0]).toContain('ip link set p-d1 down </script><script>alert(5)</script>');
    });
  });
});
