// Both UDP I/O paths, native (sendmmsg/recvmmsg addon) and dgram (Node's sockets), through the same
// faults: the same counting rules and the accounting identity hold on each, and every report names
// the path that ran. With the addon disabled (DNSBENCH_NO_NATIVE=1) the run falls back and says why.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startResponder, type Responder } from '../src/serve/responder.js';
import { loadZoneFile } from '../src/serve/zone.js';
import { DEMO_ZONE } from '../src/serve/run.js';
import type { Report } from '../src/results/report.js';
import type { Faults } from '../src/serve/faults.js';
import { loadNativeUdp } from '../src/engine/native/addon.js';
import { buildQuerySet } from '../src/queryset/load.js';
import { expectRunAccounted } from './support/accounting.js';
import { ROOT, runCli } from './support/cli.js';

const DEMO = join(ROOT, 'querysets/demo.txt');
const zone = loadZoneFile(DEMO_ZONE);
const dir = mkdtempSync(join(tmpdir(), 'dnsbench-io-'));
const native = loadNativeUdp({ env: process.env, platform: process.platform });
let responder: Responder | undefined;
afterEach(async () => {
  await responder?.close();
  responder = undefined;
});

async function run(io: string, faults: Partial<Faults>, extra: string[] = []): Promise<{ report: Report; stdout: string; code: number | null }> {
  responder = await startResponder({ address: '127.0.0.1', port: 0, zone, faults, seed: 11 });
  const json = join(dir, `${io}-${Object.keys(faults).join('-') || 'plain'}-${extra.length}.json`);
  const r = await runCli(['-s', `127.0.0.1:${responder.port}`, '-d', DEMO, '-n', '2', '-T', '1', '-c', '2', '-t', '0.5', '--io', io, '--json', json, ...extra]);
  return { report: JSON.parse(readFileSync(json, 'utf8')) as Report, stdout: r.stdout, code: r.code };
}

const paths = native.ok ? ['native', 'dgram'] : ['dgram'];
if (!native.ok) console.log(`native UDP path not tested: ${native.reason}`);

describe.each(paths)('--io %s', (io) => {
  it('names the path in the report and the text', async () => {
    const { report, stdout } = await run(io, {});
    expect(report.config.io).toBe(io === 'native' ? 'native' : 'dgram (--io dgram)');
    expect(stdout).toMatch(new RegExp(`^I/O: +${io === 'native' ? 'native \\(sendmmsg/recvmmsg addon; docs/native-udp\\.md\\)' : 'dgram \\(--io dgram\\)'}$`, 'm'));
    const t = report.targets[0]!;
    expect(t.counters.completed).toBe(t.counters.sent);
    expectRunAccounted(t);
  });

  it('drops: lost = timed out, never completed', async () => {
    const { report } = await run(io, { drop: 0.2 });
    const t = report.targets[0]!;
    expect(t.counters.timedOut).toBeGreaterThan(0.1 * t.counters.sent);
    expect(t.counters.timedOut).toBeLessThan(0.3 * t.counters.sent);
    expect(t.counters.lost).toBe(t.counters.timedOut);
    expectRunAccounted(t);
  });

  it('truncated, garbage and wrong-ID answers are counted apart and never completed', async () => {
    const { report } = await run(io, { truncate: 0.1, garbage: 0.1, wrongId: 0.1 });
    const t = report.targets[0]!;
    expect(t.counters.truncated).toBeGreaterThan(0);
    expect(t.counters.malformed).toBeGreaterThan(0);
    expect(t.counters.mismatched).toBeGreaterThan(0);
    // Garbage and wrong-ID answers leave their query outstanding: it times out.
    expect(t.counters.timedOut).toBeGreaterThan(0);
    expect(t.counters.completed).toBeLessThan(0.75 * t.counters.sent);
    expectRunAccounted(t);
  });

  it('a paced run keeps its schedule and reports send lag', async () => {
    const { report } = await run(io, {}, ['-Q', '2000', '-l', '1', '-n', '1000']);
    const t = report.targets[0]!;
    const p = t.pacing!;
    // Every slot of the 1 s schedule is either sent or counted as skipped (a loaded machine can
    // make the generator late by more than the 1 ms horizon; then the slot is skipped, not burst).
    expect(t.counters.sent + p.skipped).toBeGreaterThanOrEqual(1990);
    expect(t.counters.sent + p.skipped).toBeLessThanOrEqual(2002);
    expect(t.counters.sent).toBeGreaterThan(1000);
    expect(p.lag.count).toBe(t.counters.sent);
    expectRunAccounted(t);
  });
});

describe.skipIf(!native.ok)('--io native, paced', () => {
  it('reads answers at the next send (deferred) yet times each by its kernel arrival, not by that read', async () => {
    // 20 qps: each answer waits ~50 ms unread for the next send (-t 5 makes the timeout sweep,
    // which also reads, run only every 100 ms). Timed when read, latencies would be ~50 ms; timed
    // by the kernel they are the responder's (well under a millisecond).
    const { report } = await run('native', {}, ['-Q', '20', '-l', '1', '-n', '1000', '-t', '5']);
    const t = report.targets[0]!;
    expect(t.counters.sent).toBeGreaterThanOrEqual(15);
    expect(t.counters.completed).toBe(t.counters.sent);
    expect(t.latency.percentiles.p50).toBeLessThan(10_000);
    expect(t.latency.max).toBeLessThan(t.latency.percentiles.p50 + 25_000);
    expectRunAccounted(t);
  });
});

describe.skipIf(!native.ok)('--io native, send schedule', () => {
  it('with -n, the queries handed to the send schedule all leave before sending ends, each counted once', async () => {
    // -Q 400 hands ~8 queries (20 ms) at a time to the addon, which sends them from C; the last
    // pass runs out while some are still waiting there, and the run must wait for them.
    const lines = buildQuerySet(readFileSync(DEMO), 'demo', { recursionDesired: true, edns: null }).count;
    const { report } = await run('native', {}, ['-Q', '400', '-n', '3']);
    const t = report.targets[0]!;
    const p = t.pacing!;
    // A slot the generator was too late for is skipped and its query is sent in a later one.
    expect(t.counters.sent).toBe(3 * lines);
    expect(t.counters.completed).toBe(t.counters.sent);
    expect(p.lag.count).toBe(t.counters.sent);
    // Nothing is sent more than the 1 ms horizon late (checked when the addon's timer fires; the
    // send time is read a little later, right before the sendmmsg).
    expect(p.lag.max).toBeLessThan(1000 + 500);
    expect(responder!.stats().answered).toBe(t.counters.sent);
    expectRunAccounted(t);
  });
});

describe('fallback', () => {
  it('with the addon disabled, --io auto runs on dgram and says why; --io native refuses in one line', async () => {
    responder = await startResponder({ address: '127.0.0.1', port: 0, zone, faults: {}, seed: 1 });
    const json = join(dir, 'fallback.json');
    const env = { ...process.env, DNSBENCH_NO_NATIVE: '1' };
    const r = await runCli(['-s', `127.0.0.1:${responder.port}`, '-d', DEMO, '-n', '1', '--json', json], { env });
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(report.config.io).toBe('dgram (native addon unavailable: disabled by DNSBENCH_NO_NATIVE=1)');
    expect(report.targets[0]!.counters.completed).toBe(report.targets[0]!.counters.sent);
    const refused = await runCli(['-s', `127.0.0.1:${responder.port}`, '-d', DEMO, '-n', '1', '--io', 'native'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('dnsbench: --io native: the native UDP addon is unavailable: disabled by DNSBENCH_NO_NATIVE=1\n');
  });
});
