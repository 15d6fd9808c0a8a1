// The engine against the embedded responder with injected faults: every query is accounted for
// (sent = completed + lost + interrupted) under every fault, each kind of bad response lands in
// its own counter and never in "completed", Ctrl-C reports interrupted queries, and a silent
// server is reported plainly with exit code 3.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startResponder, type Responder } from '../src/serve/responder.js';
import { loadZoneFile } from '../src/serve/zone.js';
import { DEMO_ZONE } from '../src/serve/run.js';
import type { Faults } from '../src/serve/faults.js';
import type { Report, TargetReport } from '../src/results/report.js';
import { BIN, ROOT, runCli } from './support/cli.js';
import { freePort } from './support/ports.js';
import { expectAccounted } from './support/accounting.js';

const DEMO = join(ROOT, 'querysets/demo.txt');
const zone = loadZoneFile(DEMO_ZONE);
const dir = mkdtempSync(join(tmpdir(), 'dnsbench-faults-'));
let responder: Responder | undefined;

afterEach(async () => {
  await responder?.close();
  responder = undefined;
});

async function runAgainst(faults: Partial<Faults>, args: string[], name: string): Promise<{ t: TargetReport; stdout: string; code: number | null }> {
  responder = await startResponder({ address: '127.0.0.1', port: 0, zone, faults, seed: 42 });
  const json = join(dir, `${name}.json`);
  const r = await runCli(['-s', `127.0.0.1:${responder.port}`, '-d', DEMO, '--json', json, ...args]);
  const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  const t = report.targets[0]!;
  const c = t.counters;
  expectAccounted(c);
  expect(t.latency.count).toBe(c.completed);
  expect(Object.values(t.rcodes).reduce((a, b) => a + b, 0)).toBe(c.completed);
  return { t, stdout: r.stdout, code: r.code };
}

describe('faults: every query accounted for, bad responses never completed', () => {
  it('10% dropped gives about 10% lost', async () => {
    const { t } = await runAgainst({ drop: 0.1 }, ['-n', '4', '-t', '0.3', '-q', '50', '-T', '1'], 'drop');
    expect(t.counters.sent).toBe(4000);
    const lossPct = (100 * t.counters.lost) / t.counters.sent;
    expect(lossPct).toBeGreaterThan(7);
    expect(lossPct).toBeLessThan(13);
    expect(t.counters.lost).toBe(responder!.stats().dropped);
  });

  it('truncated answers count as truncated and lost, not completed', async () => {
    const { t } = await runAgainst({ truncate: 0.25 }, ['-n', '2', '-T', '1'], 'truncate');
    expect(t.counters.truncated).toBe(responder!.stats().truncated);
    expect(t.counters.truncated).toBeGreaterThan(300);
    expect(t.counters.completed).toBe(2000 - t.counters.truncated);
  });

  it('garbage replies are counted as malformed and the queries time out', async () => {
    const { t } = await runAgainst({ garbage: 0.2 }, ['-n', '1', '-t', '0.3', '-T', '1'], 'garbage');
    expect(t.counters.malformed).toBe(responder!.stats().garbage);
    expect(t.counters.malformed).toBeGreaterThan(100);
    expect(t.counters.timedOut).toBe(t.counters.malformed);
    expect(t.counters.completed).toBe(1000 - t.counters.malformed);
  });

  it('replies with a wrong ID are counted as mismatched, never completed', async () => {
    const { t } = await runAgainst({ wrongId: 0.2 }, ['-n', '1', '-t', '0.3', '-T', '1', '-q', '20'], 'wrongid');
    const wrong = responder!.stats().wrongId;
    expect(wrong).toBeGreaterThan(100);
    // A random wrong ID usually matches nothing (mismatched); by chance it can hit another
    // outstanding query's ID (the question check makes it a mismatch) or the ID of a query that
    // already timed out (then it is late). Either way its own query times out.
    expect(t.counters.mismatched + t.counters.late).toBe(wrong);
    expect(t.counters.mismatched).toBeGreaterThan(wrong * 0.9);
    expect(t.counters.timedOut).toBe(wrong);
    expect(t.counters.completed).toBe(1000 - wrong);
  });

  it('answers after the timeout are lost, and counted as late when they arrive', async () => {
    // Every answer comes 200 ms after its query, 4x the timeout; sending goes on for 1 s, so the
    // answers to early queries arrive while later ones are still being sent.
    const { t } = await runAgainst({ delayMs: 200 }, ['-l', '1', '-t', '0.05', '-T', '1', '-q', '20'], 'late');
    expect(t.counters.completed).toBe(0);
    expect(t.counters.timedOut).toBe(t.counters.sent);
    expect(t.counters.late).toBeGreaterThan(0);
    expect(t.counters.late).toBeLessThanOrEqual(t.counters.timedOut);
  });

  it('SERVFAIL answers complete with their response code', async () => {
    const { t, stdout } = await runAgainst({ servfail: 0.5 }, ['-n', '1', '-T', '1'], 'servfail');
    expect(t.rcodes['SERVFAIL']).toBe(responder!.stats().servfail);
    expect(stdout).toMatch(/Response codes:\s+NOERROR \d+ \(\d+\.\d\d%\), SERVFAIL \d+/);
  });
});

describe('when things go wrong', () => {
  it('reports plainly that nothing answered, with exit code 3', async () => {
    const port = await freePort();
    const json = join(dir, 'silent.json');
    const r = await runCli(['-s', '127.0.0.1', '-p', String(port), '-d', DEMO, '-n', '1', '-t', '0.2', '--json', json]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/Note: Nothing answered from 127\.0\.0\.1:\d+: 1000 queries sent, none answered.*Is a DNS server listening at that address and port\?/);
    const t = (JSON.parse(readFileSync(json, 'utf8')) as Report).targets[0]!;
    expect(t.counters.lost).toBe(1000);
  });

  /** Start a 30 s run against a slow responder, send `signal` once it is under way, collect what it left. */
  async function stopMidRun(signal: NodeJS.Signals, delayMs: number, window: string, afterMs: number): Promise<{ code: number | null; stdout: string; t: TargetReport }> {
    responder = await startResponder({ address: '127.0.0.1', port: 0, zone, faults: { delayMs }, seed: 1 });
    const json = join(dir, `stopped-${signal}.json`);
    const child = spawn(process.execPath, [BIN, '-s', `127.0.0.1:${responder.port}`, '-d', DEMO, '-l', '30', '-q', window, '-T', '1', '--json', json], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    // Signal once the run is under way (its status header is printed when sending starts).
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (stdout.includes('[Status] Stopping after')) {
          clearInterval(poll);
          setTimeout(() => {
            child.kill(signal);
            resolve();
          }, afterMs);
        }
      }, 50);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stdout, t: (JSON.parse(readFileSync(json, 'utf8')) as Report).targets[0]! };
  }

  it('Ctrl-C stops sending and reports outstanding queries as interrupted', async () => {
    const { code, stdout, t } = await stopMidRun('SIGINT', 400, '50', 1000);
    // Stopped by SIGINT: 128 + 2, with the report and its files complete (README "Exit codes").
    expect(code).toBe(130);
    expect(stdout).toContain('[Status] Testing complete (interruption)');
    expect(stdout).toMatch(/  Queries interrupted:  \d+ \(\d+\.\d\d%\)/);
    expect(t.counters.interrupted).toBe(50);
    expect(t.counters.completed).toBeGreaterThan(0);
    expectAccounted(t.counters);
  });

  it('SIGTERM (timeout, CI cancel) stops like Ctrl-C: partial report and files, exit 143', async () => {
    const { code, stdout, t } = await stopMidRun('SIGTERM', 200, '20', 800);
    expect(code).toBe(143);
    expect(stdout).toContain('[Status] Testing complete (interruption)');
    expect(t.counters.interrupted).toBeGreaterThan(0);
    expect(t.counters.completed).toBeGreaterThan(0);
    expectAccounted(t.counters);
  });
});
