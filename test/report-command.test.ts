// `dnsbench report A.json [B.json ...]`: saved runs re-rendered offline through the same renderers
// as a live run, and compared: last week's run against today's, every target against the first.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli-main.js';
import type { Report } from '../src/results/report.js';
import { compareTargets } from '../src/results/compare.js';
import { renderJson } from '../src/report/json.js';
import { renderHtml } from '../src/report/html.js';
import { renderCsv } from '../src/report/csv.js';
import { renderComparison } from '../src/report/compare-table.js';
import { loadHtmlAssets } from '../src/commands/outputs.js';
import { captureConsole } from './support/cli.js';
import { vipFixtureReport as fixtureReport } from './support/report-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-report-'));

function save(name: string, report: Report): string {
  const file = join(dir, name);
  writeFileSync(file, renderJson(report));
  return file;
}

/** Last week: the fixture. Today: the same three targets, a week later, under another title. */
function twoRuns(): { lastWeek: string; today: string } {
  const old = fixtureReport();
  const now = fixtureReport({ mode: 'sequential' });
  const week = 7 * 86_400_000;
  now.title = 'today';
  now.startedAt = new Date(Date.parse(old.startedAt) + week).toISOString();
  // Faster this week: the same answers in less time (qps stays completed / runTimeSec).
  now.targets = now.targets.map((t, i) => ({ ...t, runTimeSec: t.runTimeSec / (1 + i / 10), qps: t.qps * (1 + i / 10) }));
  now.comparison = compareTargets(now.targets);
  return { lastWeek: save('last-week.json', old), today: save('today.json', now) };
}

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const con = captureConsole();
  const code = await main(args, con);
  return { code, stdout: con.stdout, stderr: con.stderr };
}

describe('dnsbench report', () => {
  it('compares two saved runs: every target of both against the first run\'s first target', async () => {
    const { lastWeek, today } = twoRuns();
    const json = join(dir, 'combined.json');
    const r = await run(['report', lastWeek, today, '--json', json]);
    expect(r.code).toBe(0);
    const combined = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(combined.targets.map((t) => t.label)).toEqual(['vip', 'dns1', 'dns2', 'vip@today', 'dns1@today', 'dns2@today']);
    expect(combined.title).toBe('VIP vs backends vs today');
    // The combined report was made by this command, not by the first run's (as merge records its own).
    expect(combined.command).toEqual(['dnsbench', 'report', lastWeek, today]);
    const c = combined.comparison!;
    expect(c.reference).toBe('vip');
    expect(c.targets).toHaveLength(6);
    // Today's VIP against last week's: same counters in the fixture, qps scaled by 1.0.
    expect(c.targets[3]!.qpsRatio).toBeCloseTo(1, 12);
    expect(c.targets[4]!.qpsRatio).toBeCloseTo((combined.targets[4]!.qps) / combined.targets[0]!.qps, 12);
    expect(r.stdout).toContain(renderComparison(c));
    // Each run's blocks carry that run's own title; the combined one names the JSON report.
    expect(r.stdout).toContain('[Status] Title: VIP vs backends\n');
    expect(r.stdout).toContain('[Status] Title: today\n');
    expect(r.stdout.indexOf('Comparison against vip')).toBeGreaterThan(r.stdout.lastIndexOf('Statistics:'));
  });

  it("prints each run's own command line and limit, not the first run's, above its targets", async () => {
    const { lastWeek } = twoRuns();
    const other = fixtureReport({ mode: 'sequential' });
    other.targets = other.targets.slice(0, 1);
    delete other.comparison;
    other.command = ['dnsbench', '-s', '127.0.0.1', '-p', '5399', '-d', 'q.txt', '-n', '3'];
    other.config = { ...other.config, timeLimitSec: null, passes: 3 };
    const r = await run(['report', lastWeek, save('other.json', other)]);
    expect(r.code).toBe(0);
    const blocks = r.stdout.split(/^=== /m).slice(1);
    expect(blocks).toHaveLength(4);
    for (const b of blocks.slice(0, 3)) {
      expect(b).toContain('[Status] Command line: dnsbench -s vip=');
      expect(b).toContain('[Status] Stopping after 2.500000 seconds\n');
    }
    expect(blocks[3]).toContain('[Status] Command line: dnsbench -s 127.0.0.1 -p 5399 -d q.txt -n 3\n');
    expect(blocks[3]).toContain('[Status] Stopping after 3 runs through file\n');
    expect(blocks[3]).not.toContain('2.500000 seconds');
  });

  it('writes --html and --csv through the same renderers as a live run', async () => {
    const { lastWeek, today } = twoRuns();
    const json = join(dir, 'c2.json');
    const html = join(dir, 'c2.html');
    const csv = join(dir, 'c2.csv');
    const r = await run(['report', lastWeek, today, '--json', json, '--html', html, '--csv', csv]);
    expect(r.code).toBe(0);
    const combined = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(readFileSync(html, 'utf8')).toBe(renderHtml(combined, loadHtmlAssets()));
    expect(readFileSync(csv, 'utf8')).toBe(renderCsv(combined));
    expect(r.stderr).toContain(`dnsbench: wrote ${html}`);
  });

  it('recomputes the comparison rather than trusting a stale one in the file', async () => {
    const report = fixtureReport();
    report.comparison = { ...report.comparison!, reference: 'bogus' };
    const file = save('stale.json', report);
    const r = await run(['report', file, '--json', '-']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Report;
    expect(out.comparison).toEqual(compareTargets(report.targets));
  });

  it('a saved single-target run has no comparison', async () => {
    const one = fixtureReport();
    one.targets = one.targets.slice(0, 1);
    delete one.comparison;
    const r = await run(['report', save('one.json', one), '--json', '-']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).not.toHaveProperty('comparison');
  });

  it('refuses an --html it could not write before reading any report', async () => {
    const r = await run(['report', join(dir, 'missing.json'), '--html', join(dir, 'nope/x.html')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--html');
    expect(r.stderr).not.toContain('missing.json');
  });
});

describe('dnsbench report combining more targets than a report holds', () => {
  it('exit 2 with one line, instead of writing a JSON report that no dnsbench reads back', async () => {
    const big = fixtureReport();
    big.targets = Array.from({ length: 600 }, (_, i) => ({ ...big.targets[0]!, label: `t${i}` }));
    delete big.comparison;
    const file = save('600.json', big);
    const r = await run(['report', file, file, '--quiet']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe('dnsbench: report: the reports hold 1200 targets together, more than the 1024 one report holds; compare fewer at a time\n');
    expect((await run(['report', file, '--quiet'])).code).toBe(0);
  });
});
