// The main thread as one of a session's engine threads (engine/inline.ts): a plain run's first
// thread's loops run on the calling thread, with the same protocol and the same results as a
// worker's; only one session at a time takes it, a busy main thread (-v) never does, and a
// session that fails to open gives it back.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { RawRunOptions } from '../src/config.js';
import type { Report } from '../src/results/report.js';
import { startResponder, type Responder } from '../src/serve/responder.js';
import { DEMO_ZONE } from '../src/serve/run.js';
import { loadZoneFile } from '../src/serve/zone.js';
import { expectRunAccounted } from './support/accounting.js';
import { ROOT } from './support/cli.js';

// The engine from the build (npm test builds first): its sessions start dist/engine/worker.js,
// which a session loaded from src/ could not, and inline.js is then the very module it claims.
const dist = async <T>(p: string): Promise<T> => (await import(pathToFileURL(join(ROOT, 'dist', p)).href)) as T;
const { resolveConfig } = await dist<typeof import('../src/config.js')>('config.js');
const { RunError } = await dist<typeof import('../src/errors.js')>('errors.js');
const { inlineThreadInUse } = await dist<typeof import('../src/engine/inline.js')>('engine/inline.js');
const { loadNativeUdp } = await dist<typeof import('../src/engine/native/addon.js')>('engine/native/addon.js');
const { mainThreadIsFree, measure } = await dist<typeof import('../src/measure.js')>('measure.js');
const { loadQuerySet } = await dist<typeof import('../src/queryset/load.js')>('queryset/load.js');
const { machineInfo } = await dist<typeof import('../src/commands/machine.js')>('commands/machine.js');

const DEMO = join(ROOT, 'querysets/demo.txt');
const zone = loadZoneFile(DEMO_ZONE);
const native = loadNativeUdp({ env: process.env, platform: process.platform });
const responders: Responder[] = [];
afterEach(async () => {
  for (const r of responders.splice(0)) await r.close();
});

async function server(): Promise<Responder> {
  const r = await startResponder({ address: '127.0.0.1', port: 0, zone, faults: {}, seed: 3 });
  responders.push(r);
  return r;
}

/** One run through measure(), as commands/run.ts does it; `seen` records whether the main thread ran loops while it went. */
async function run(raw: RawRunOptions, mainThreadBusy = false): Promise<{ report: Report; seen: boolean[]; free: boolean }> {
  const config = await resolveConfig({ datafile: DEMO, timeout: '1', ...raw }, { stdinIsTTY: false, native });
  const querySet = await loadQuerySet(config.queryFile, config.encode);
  const seen: boolean[] = [];
  const report = await measure(config, querySet, {
    command: ['dnsbench'],
    machine: machineInfo(),
    observer: { starting: () => void seen.push(inlineThreadInUse()) },
    mainThreadBusy,
  });
  return { report, seen, free: mainThreadIsFree(config, querySet) };
}

const paths = native.ok ? ['native', 'dgram'] : ['dgram'];

describe.each(paths)('--io %s', (io) => {
  it('runs the first thread on the main thread for a plain run, every query accounted, and gives it back after', async () => {
    const r = await server();
    const { report, seen, free } = await run({ server: ['127.0.0.1'], port: String(r.port), runs: '4', threads: '2', clients: '4', io });
    expect(free).toBe(true);
    expect(seen).toEqual([true]);
    expect(inlineThreadInUse()).toBe(false);
    const t = report.targets[0]!;
    expect(t.counters.sent).toBe(4 * report.querySet.count);
    expect(t.counters.completed).toBe(t.counters.sent);
    expectRunAccounted(t);
    // Two threads (this one and one worker), each with its share of the four sockets.
    expect(report.generator?.workers).toBe(2);
    expect(t.sockets).toHaveLength(4);
  });

  it('takes workers only for a second session while the first holds the main thread (sequential targets)', async () => {
    const [a, b] = [await server(), await server()];
    const { report, seen } = await run({ server: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`], runs: '2', threads: '2', io });
    // The first target's session opens first and keeps this thread until the measurement closes.
    expect(seen).toEqual([true, true]);
    expect(inlineThreadInUse()).toBe(false);
    for (const t of report.targets) {
      expect(t.counters.sent).toBe(2 * report.querySet.count);
      expect(t.counters.completed).toBe(t.counters.sent);
      expectRunAccounted(t);
    }
    expect(a.stats().received + b.stats().received).toBe(4 * report.querySet.count);
  });

  it('leaves a busy main thread alone: -v prints every query from here', async () => {
    const r = await server();
    const { report, seen, free } = await run({ server: ['127.0.0.1'], port: String(r.port), runs: '1', threads: '1', io, verbose: true });
    expect(free).toBe(false);
    expect(seen).toEqual([false]);
    expect(report.targets[0]!.counters.completed).toBe(report.querySet.count);
  });

  it('leaves a main thread alone that its caller keeps busy (the demo serves from it)', async () => {
    const r = await server();
    const { report, seen, free } = await run({ server: ['127.0.0.1'], port: String(r.port), runs: '1', threads: '1', io }, true);
    expect(free).toBe(true);
    expect(seen).toEqual([false]);
    expect(report.targets[0]!.counters.completed).toBe(report.querySet.count);
  });

  it('gives the main thread back when the session cannot open (a -a address not on this host)', async () => {
    const r = await server();
    const failed = run({ server: ['127.0.0.1'], port: String(r.port), runs: '1', threads: '2', io, localAddr: '192.0.2.1' });
    await expect(failed).rejects.toBeInstanceOf(RunError);
    await expect(failed).rejects.toThrow(/EADDRNOTAVAIL|address not available|cannot assign/i);
    expect(inlineThreadInUse()).toBe(false);
  });
});
