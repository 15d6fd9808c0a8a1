import { existsSync } from 'node:fs';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../src/errors.js';
import type { Responder } from '../src/serve/responder.js';
import { DEMO_ZONE, PACKAGE_ROOT, isLoopback, runServe } from '../src/serve/run.js';
import { UdpClient, makeQuery } from './serve-client.js';

const started: Responder[] = [];
afterAll(async () => {
  for (const r of started) await r.close();
});

describe('runServe', () => {
  it('finds the bundled zone from the package root', () => {
    expect(existsSync(join(PACKAGE_ROOT, 'package.json'))).toBe(true);
    expect(existsSync(DEMO_ZONE)).toBe(true);
  });

  it('serves the demo zone by default and logs one line saying what and where', async () => {
    const lines: string[] = [];
    const r = await runServe({ cwd: process.cwd(), address: '127.0.0.1', port: 0, faults: {} }, (l) => lines.push(l));
    started.push(r);
    expect(lines).toEqual([`dnsbench serve: answering demo.test. from zones/demo.zone on 127.0.0.1:${r.port} (udp)`]);
    const client = await UdpClient.open();
    try {
      const reply = dnsPacket.decode(await client.ask(makeQuery('www.demo.test', 'A'), r.port));
      expect(reply.answers).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('logs the active faults and the seed that replays them', async () => {
    const lines: string[] = [];
    const r = await runServe({ address: '127.0.0.1', port: 0, faults: { drop: 0.05, delayMs: 20 }, seed: 42 }, (l) => lines.push(l));
    started.push(r);
    expect(lines[1]).toBe('dnsbench serve: injecting faults: drop 5%, delay 20 ms (seed 42)');
  });

  it('refuses a non-loopback address unless allowed, naming --address', async () => {
    for (const address of ['0.0.0.0', '::', '192.0.2.1']) {
      const attempt = runServe({ address, port: 0, faults: {} }, () => {});
      await expect(attempt).rejects.toThrow(UsageError);
      await expect(runServe({ address, port: 0, faults: {} }, () => {})).rejects.toThrow(/--address .* is not a loopback address/);
    }
    await expect(runServe({ address: 'localhost', port: 0, faults: {} }, () => {})).rejects.toThrow(/--address must be an IP address/);
    expect(isLoopback('127.28.0.54')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });

  it('reports a missing zone file as an InputError', async () => {
    await expect(runServe({ address: '127.0.0.1', port: 0, zonePath: '/nonexistent/x.zone', faults: {} }, () => {})).rejects.toThrow(InputError);
  });

  it('rejects bad fault knobs before binding', async () => {
    await expect(runServe({ address: '127.0.0.1', port: 0, faults: { truncate: 2 } }, () => {})).rejects.toThrow(/--truncate/);
  });
});
