// The native addon's send schedule as the engine uses it (paced native runs, engine/loop.ts
// AHEAD_MS): a query handed to the schedule is counted when it has left, so the accounting identity
// and `pacing.lag.count === sent` hold however the run ends, and -n still sends every query of
// every pass when the schedule gives slots back. Against the built-in responder on 127.0.0.1.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startResponder, type Responder } from '../src/serve/responder.js';
import { loadZoneFile } from '../src/serve/zone.js';
import { DEMO_ZONE } from '../src/serve/run.js';
import type { Report } from '../src/results/report.js';
import { loadNativeUdp } from '../src/engine/native/addon.js';
import { expectRunAccounted } from './support/accounting.js';
import { ROOT, runCli } from './support/cli.js';

const DEMO = join(ROOT, 'querysets/demo.txt');
/** Queries in querysets/demo.txt. */
const DEMO_COUNT = 1000;
const zone = loadZoneFile(DEMO_ZONE);
const dir = mkdtempSync(join(tmpdir(), 'dnsbench-sched-'));
const native = loadNativeUdp({ env: process.env, platform: process.platform });
let responder: Responder | undefined;
afterEach(async () => {
  await responder?.close();
  responder = undefined;
});

async function run(name: string, args: string[]): Promise<Report> {
  responder ??= await startResponder({ address: '127.0.0.1', port: 0, zone, faults: {}, seed: 5 });
  const json = join(dir, `${name}.json`);
  const r = await runCli(['-s', `127.0.0.1:${responder.port}`, '-d', DEMO, '--io', 'native', '--json', json, '--quiet', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(readFileSync(json, 'utf8')) as Report;
}

describe.skipIf(!native.ok)('paced native runs (the send schedule)', () => {
  it('a timeout shorter than the schedule is late never counts a query lost before it was sent', async () => {
    // -t 0.3 ms: the engine's timeout sweep often runs before the addon's timer got round to a
    // query whose due time has passed. Such a query is not on the wire yet, so it cannot time out
    // (it was counted lost without being counted sent: sent != completed + lost).
    for (let i = 0; i < 3; i++) {
      const t = (await run(`timeout-${i}`, ['-n', '2', '-Q', '10000', '-t', '0.0003'])).targets[0]!;
      expectRunAccounted(t, `run ${i}`);
      expect(t.pacing!.lag.count, `run ${i}: one send lag per query sent`).toBe(t.counters.sent);
      expect(t.counters.sent, `run ${i}: -n 2`).toBe(2 * DEMO_COUNT);
    }
  });

  it('-n sends every query of every pass though the schedule gives late slots back', async () => {
    // 20000 qps on two threads of a 2-core machine: the addon's timer is often more than the
    // 1 ms horizon late, so slots come back (pacing.skipped), also in the last 20 ms, after
    // every query was taken: those were dropped (2986 of 3000 sent).
    for (let i = 0; i < 3; i++) {
      const t = (await run(`passes-${i}`, ['-n', '3', '-Q', '20000'])).targets[0]!;
      expect(t.counters.sent, `run ${i}: -n 3`).toBe(3 * DEMO_COUNT);
      expect(t.pacing!.lag.count).toBe(t.counters.sent);
      expectRunAccounted(t, `run ${i}`);
    }
  });
});
