// The HTML renderer as a pure function: same bytes for the same input, every user string escaped,
// the embedded JSON inert inside its <script> element and equal to the report, only our own
// scripts allowed by the CSP, nothing fetched. The browser tests (report-html-browser.test.ts)
// check what a reader actually sees.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { escapeHtml, jsonForScript, renderHtml } from '../src/report/html.js';
import { chartData, SPECTRUM_MAX_X } from '../src/report/chart-data.js';
import { loadHtmlAssets } from '../src/commands/outputs.js';
import { vipFixtureReport as fixtureReport, HOSTILE_LABELS, HOSTILE_TITLE } from './support/report-fixtures.js';

const assets = loadHtmlAssets();

function scripts(html: string): Array<{ attrs: string; body: string }> {
  return [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].map((m) => ({ attrs: m[1]!, body: m[2]! }));
}

describe('renderHtml', () => {
  it('is deterministic', () => {
    expect(renderHtml(fixtureReport(), assets)).toBe(renderHtml(fixtureReport(), assets));
  });

  it('embeds the report as JSON that parses back to exactly the report', () => {
    for (const report of [fixtureReport(), fixtureReport({ hostile: true })]) {
      const html = renderHtml(report, assets);
      const embedded = scripts(html).find((s) => s.attrs.includes('id="dnsbench-report"'))!;
      expect(embedded.attrs).toContain('type="application/json"');
      expect(JSON.parse(embedded.body)).toEqual(JSON.parse(JSON.stringify(report)));
    }
  });

  it('has exactly four script elements, whatever the title and labels contain', () => {
    const html = renderHtml(fixtureReport({ hostile: true }), assets);
    expect(scripts(html).map((s) => s.attrs.trim())).toEqual(['type="application/json" id="dnsbench-report"', 'type="application/json" id="dnsbench-charts"', '', '']);
    expect(html.match(/<script/gi)).toHaveLength(4);
    expect(html.match(/<\/script/gi)).toHaveLength(4);
    expect(html).not.toContain(HOSTILE_TITLE);
    for (const label of HOSTILE_LABELS) expect(html).not.toContain(label);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain(`<h1 data-field="title">${escapeHtml(HOSTILE_TITLE)}</h1>`);
    expect(html).toContain(`<title>${escapeHtml(HOSTILE_TITLE)}</title>`);
  });

  it('allows only its own two scripts (by SHA-256) and no network at all in the CSP', () => {
    const html = renderHtml(fixtureReport(), assets);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!.replace(/&#39;/g, "'");
    expect(csp).toContain("default-src 'none'");
    const runnable = scripts(html).filter((s) => s.attrs.trim() === '');
    expect(runnable).toHaveLength(2);
    for (const s of runnable) expect(csp).toContain(`'sha256-${createHash('sha256').update(s.body).digest('base64')}'`);
    expect(csp).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|https?:/);
  });

  it('references nothing outside the file', () => {
    const html = renderHtml(fixtureReport(), assets);
    expect(html).not.toMatch(/\s(src|href)="(?!data:)/i);
    expect(html).not.toMatch(/@import|url\((?!data:)/i);
    expect(html).toContain('<link rel="icon" href="data:,">');
  });

  it('shows the title, command line, date, machine and a card per target', () => {
    const report = fixtureReport();
    const html = renderHtml(report, assets);
    expect(html).toContain('<h1 data-field="title">VIP vs backends</h1>');
    expect(html).toContain(`<dd data-field="command">${escapeHtml(report.command.join(' '))}</dd>`);
    expect(html).toContain('<dd data-field="date">2025-01-15 09:30:00 UTC – 2025-01-15 09:30:02 UTC</dd>');
    expect(html).toContain('2 cores (Test CPU @ 2.0GHz), linux 6.1.0-test x64, 8.0 GiB RAM, Node v20.19.0');
    expect(html.match(/<section class="card"/g)).toHaveLength(3);
    expect(html).toContain('<section id="comparison">');
    for (const chart of ['spectrum', 'histogram', 'qps', 'loss', 'p99']) expect(html).toContain(`data-chart="${chart}"`);
    // One target: no comparison table.
    const single = renderHtml({ ...report, targets: report.targets.slice(0, 1), comparison: undefined }, assets);
    expect(single).not.toContain('id="comparison"');
  });
});

describe('jsonForScript and escapeHtml', () => {
  it('leaves no character that could end the element or the script, and round-trips', () => {
    const value = { s: '</script><!-- ]]> & \u2028\u2029 "q" \'s\'', n: [1, 2.5, null] };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });
});

describe('chartData', () => {
  it('spectrum: one curve per target on a shared, ascending "nines" axis ending at the maximum', () => {
    const report = fixtureReport();
    const d = chartData(report);
    expect(d.spectrum.y).toHaveLength(3);
    expect(d.spectrum.x.every((x, i) => i === 0 || x > d.spectrum.x[i - 1]!)).toBe(true);
    expect(d.spectrum.x.at(-1)).toBe(SPECTRUM_MAX_X);
    expect(d.spectrum.x[0]).toBe(0);
    d.spectrum.y.forEach((y, i) => {
      expect(y).toHaveLength(d.spectrum.x.length);
      expect(y.at(-1)).toBe(report.targets[i]!.latency.max / 1000);
      expect(y[d.spectrum.x.indexOf(2)]).toBe(report.targets[i]!.latency.percentiles.p99 / 1000);
    });
  });

  it('histogram: every target\'s bins add up to 100% of its answers', () => {
    const d = chartData(fixtureReport());
    expect(d.histogram.y).toHaveLength(3);
    for (const y of d.histogram.y) expect(y.reduce<number>((a, v) => a + (v ?? 0), 0)).toBeCloseTo(100, 2);
    expect(d.histogram.x.every((x, i) => i === 0 || x > d.histogram.x[i - 1]!)).toBe(true);
  });

  it('time series: start at t=0 as the CSV does, and targets of a sequential run line up on the same interval starts', () => {
    const report = fixtureReport({ mode: 'sequential' });
    const d = chartData(report);
    expect(d.time.x).toEqual([0, 1, 2]);
    for (const t of report.targets) expect(t.intervals.map((iv) => iv.t)).toEqual(d.time.x);
    report.targets.forEach((t, i) => {
      expect(d.time.qps[i]).toEqual(t.intervals.map((iv) => Number(iv.qps.toFixed(3))));
      expect(d.time.p99Ms[i]).toEqual(t.intervals.map((iv) => iv.latency.p99 / 1000));
      const loss = t.intervals.map((iv) => (100 * iv.counters.lost) / (iv.counters.lost + iv.counters.completed));
      d.time.lossPct[i]!.forEach((v, j) => expect(v).toBeCloseTo(loss[j]!, 3));
    });
  });
});

describe('renderHtml: checks and transport lines', () => {
  it('shows gate verdicts first, failures marked, in the terminal\'s words, escaped', () => {
    const report = fixtureReport({ hostile: true });
    report.gates = {
      passed: false,
      results: [
        { gate: 'p99<2ms', target: report.targets[0]!.label, passed: false, message: 'measured 3.41ms (+1.41ms, 70.5% over) <b>', value: 3410, threshold: 2000, unit: 'ms' },
        { gate: 'qps>=10', target: report.targets[0]!.label, passed: true, message: 'measured 500', value: 500, threshold: 10, unit: '' },
      ],
    } as unknown as NonNullable<typeof report.gates>;
    const html = renderHtml(report, assets);
    expect(html).toMatch(/<section id="checks"><h2>Checks: 1 failed<\/h2>/);
    expect(html).toContain('<li class="fail" data-verdict="fail"><b>FAIL</b> p99&lt;2ms: measured 3.41ms (+1.41ms, 70.5% over) &lt;b&gt;</li>');
    expect(html).toContain('<li class="pass" data-verdict="pass"><b>PASS</b> qps&gt;=10: measured 500</li>');
    expect(html.indexOf('id="checks"')).toBeLessThan(html.indexOf('id="targets"'));
  });

  it('has no checks section without gates, and lists connections and NSID in the card when present', () => {
    const report = fixtureReport();
    expect(renderHtml(report, assets)).not.toContain('id="checks"');
    const t = report.targets[0]!;
    t.nsid = { 'ns1<x>': 7 };
    const html = renderHtml(report, assets);
    expect(html).toMatch(/<ul class="extras" data-field="transport">.*<li>NSID: ns1&lt;x&gt; 7 \(100\.00%\)<\/li>/);
  });
});
