// -Q: an open-loop schedule at a global rate. The report shows the achieved against the target
// rate, and latency from each query's intended send time beside the raw latency.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startResponder, type Responder } from '../src/serve/responder.js';
import { loadZoneFile } from '../src/serve/zone.js';
import { DEMO_ZONE } from '../src/serve/run.js';
import type { Report } from '../src/results/report.js';
import { ROOT, runCli } from './support/cli.js';
import { expectAccounted } from './support/accounting.js';

const DEMO = join(ROOT, 'querysets/demo.txt');
const zone = loadZoneFile(DEMO_ZONE);
const dir = mkdtempSync(join(tmpdir(), 'dnsbench-rate-'));
let responder: Responder | undefined;
afterEach(async () => {
  await responder?.close();
  responder = undefined;
});

async function paced(delayMs: number, args: string[]): Promise<{ report: Report; stdout: string }> {
  responder = await startResponder({ address: '127.0.0.1', port: 0, zone, faults: { delayMs }, seed: 7 });
  const json = join(dir, `paced-${delayMs}.json`);
  const r = await runCli(['-s', `127.0.0.1:${responder.port}`, '-d', DEMO, '--json', json, ...args]);
  expect(r.code).toBe(0);
  return { report: JSON.parse(readFileSync(json, 'utf8')) as Report, stdout: r.stdout };
}

describe('-Q open-loop rate', () => {
  it('offers the target rate, split across workers, and says so', async () => {
    const { report, stdout } = await paced(0, ['-Q', '3000', '-l', '1.5', '-T', '2', '-c', '2']);
    const t = report.targets[0]!;
    expect(t.targetQps).toBe(3000);
    // Open loop: the schedule is kept, not the server's pace. Every slot is sent or, when this
    // generator was starved of CPU by more than the 1 ms horizon (a loaded machine), skipped and
    // counted as the generator's own (skipped - skippedWindowFull), never sent late in a burst.
    const p = t.pacing!;
    expect(t.counters.sent + p.skipped).toBeGreaterThan(3000 * 1.5 * 0.98);
    expect(t.counters.sent + p.skipped).toBeLessThanOrEqual(3000 * 1.5 + 4);
    expect(p.skipped).toBeGreaterThanOrEqual(p.skippedWindowFull);
    expect(t.counters.sent).toBeGreaterThan(3000 * 1.5 * 0.5);
    expect(t.sendRate).toBeLessThan(3300);
    expect(report.config.split).toMatch(/1500 qps; .*1500 qps/);
    expect(t.correctedLatency).not.toBeNull();
    expect(stdout).toMatch(/Rate: target 3,000 qps, offered [\d,]+ qps/);
    expect(stdout).toMatch(/corrected\*/);
  });

  it('charges the wait for a window slot to latency, skips what it cannot send, and says so', async () => {
    // 20 ms per answer and 4 slots: at most ~200 qps, but 800 qps are scheduled.
    const { report, stdout } = await paced(20, ['-Q', '800', '-l', '1', '-T', '1', '-c', '1', '-q', '4']);
    const t = report.targets[0]!;
    const raw = t.latency.percentiles.p90;
    const corrected = t.correctedLatency!.percentiles.p90;
    expect(raw).toBeGreaterThanOrEqual(20_000);
    expect(raw).toBeLessThan(100_000);
    // The window frees 4 slots every 20 ms: 3 go on schedule, and the next due query waits ~15 ms
    // for the window. That one in four is charged from its due time, so p90 moves, p50 need not.
    expect(corrected).toBeGreaterThan(raw + 5_000);
    expect(t.sendRate).toBeLessThan(0.5 * 800);
    // -Q is a ceiling: the slots the full window missed are counted, not sent in a burst.
    const p = t.pacing!;
    expect(p.skippedWindowFull).toBeGreaterThan(300);
    expect(p.skipped).toBeGreaterThanOrEqual(p.skippedWindowFull);
    expect(p.windowFullSec).toBeGreaterThan(0.3);
    expect(t.counters.sent + p.skipped).toBeGreaterThan(0.9 * 800);
    expect(t.counters.sent + p.skipped).toBeLessThanOrEqual(800 + 2);
    expectAccounted(t.counters);
    expect(report.notes.join('\n')).toMatch(/the window \(-q 4\) was full for [\d.]+ s, so \d+ scheduled queries were skipped .* a window of at least 4000/);
    // Both causes are named, and the two counts add up to the skipped total.
    const m = /Pacing: send lag p50 \S+, p99 \S+; ([\d,]+) scheduled queries skipped: ([\d,]+) because the generator was late, ([\d,]+) while all -q queries were outstanding \([\d.]+ s\)/.exec(stdout);
    expect(m, stdout).not.toBeNull();
    const num = (x: string): number => Number(x.replace(/,/g, ''));
    expect(num(m![2]!) + num(m![3]!)).toBe(num(m![1]!));
    expect(num(m![3]!)).toBe(p.skippedWindowFull);
  });
});
