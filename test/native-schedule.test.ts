// The native addon's send schedule as the engine uses it (paced native runs, engine/loop.ts
// AHEAD_MS): a query handed to the schedule is counted when it has left, so the accounting identity
// and `pacing.lag.count === sent` hold however the run ends, and -n still sends every query of
// every pass when the schedule gives slots back. Against the built-in responder on 127.0.0.1.
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

  it('an answer that came before its query left is mismatched and never completes the query', async () => {
    // A peer that sends six forged answers (random IDs, the right question) with each real one.
    // Answers wait unread for up to 20 ms in paced runs, and ~80 of the 65,536 IDs are then
    // outstanding or waiting in the addon's schedule, so ~10 forgeries a run name a query that has
    // not left yet: they reach the socket first and are read while it waits or after it has gone.
    // Counted as the answer, such a forgery completes the query at a latency of zero or less and
    // the real answer is turned away (min 0 in every run with these checks off).
    const server = createSocket('udp4');
    let received = 0;
    server.on('message', (q, peer) => {
      if (q.length < 12) return;
      received++;
      const answer = Buffer.from(q);
      answer[2] = answer[2]! | 0x80; // QR: the query's own question, echoed back as its answer.
      server.send(answer, peer.port, peer.address);
      for (let k = 0; k < 6; k++) {
        const forged = Buffer.from(answer);
        forged.writeUInt16BE(Math.floor(Math.random() * 65536), 0);
        server.send(forged, peer.port, peer.address);
      }
    });
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    try {
      const one = join(dir, 'one-name.txt');
      writeFileSync(one, 'www.example.com A\n');
      const json = join(dir, 'forged.json');
      // -b 2048: room for the forgeries while answers wait unread (up to 20 ms), so none is dropped.
      const r = await runCli(['-s', `127.0.0.1:${server.address().port}`, '-d', one, '--io', 'native', '-Q', '2000', '-l', '1.5', '-c', '1', '-T', '1', '-t', '1', '-b', '2048', '--json', json, '--quiet']);
      expect(r.stderr).toBe('');
      const t = (JSON.parse(readFileSync(json, 'utf8')) as Report).targets[0]!;
      expectRunAccounted(t);
      expect(t.counters.sent).toBeGreaterThan(1000);
      expect(t.counters.sent).toBe(received);
      expect(t.counters.lost, 'no real answer was turned away').toBe(0);
      expect(t.counters.completed).toBe(t.counters.sent);
      expect(t.counters.mismatched).toBeGreaterThan(5 * t.counters.sent);
      expect(t.latency.min, 'no query completed before it left').toBeGreaterThan(0);
    } finally {
      server.close();
    }
  });
});
