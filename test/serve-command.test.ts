// `dnsbench serve` as users run it: it says where it listens, answers over UDP (and TCP with
// --tcp), stops cleanly on Ctrl-C, and refuses bad flags with exit 2.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../src/results/report.js';
import { BIN, ROOT, runCli } from './support/cli.js';
import { freePort } from './support/ports.js';

describe('dnsbench serve', () => {
  it('answers UDP and TCP on one port and stops on SIGINT', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve', '-p', String(port), '--tcp', '--truncate', '0.5', '--seed', '9'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 10_000);
        const poll = setInterval(() => {
          if (stderr.includes('Ctrl-C to stop')) {
            clearInterval(poll);
            clearTimeout(deadline);
            resolve();
          }
        }, 20);
      });
      expect(stderr).toContain(`on 127.0.0.1:${port} (udp and tcp)`);
      expect(stderr).toContain('truncate 50% (seed 9)');
      const q = join(ROOT, 'querysets/demo.txt');
      const fallback = await runCli(['-s', `127.0.0.1:${port}`, '-d', q, '-n', '1', '--tcp-fallback', '--json', '-']);
      const t = (JSON.parse(fallback.stdout) as Report).targets[0]!;
      expect(t.counters.completed).toBe(1000);
      expect(t.counters.tcpFallbacks).toBeGreaterThan(400);
      const tcp = await runCli(['-s', `127.0.0.1:${port}`, '-d', q, '-n', '1', '-m', 'tcp', '--json', '-']);
      expect((JSON.parse(tcp.stdout) as Report).targets[0]!.counters.completed).toBe(1000);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    // Every outcome is named, so the UDP parts add up to what was received (the truncated ones
    // were missing: "1000 queries (500 answered, 0 dropped)" did not say where the rest went).
    const m = /stopped after (\d+) queries \(([^)]*)\)/.exec(stderr);
    expect(m, stderr).not.toBeNull();
    const parts = m![2]!.split(', ').map((p) => Number(p.split(' ')[0]));
    expect(parts.reduce((a, b) => a + b, 0)).toBe(Number(m![1]));
    expect(m![2]).toMatch(/^\d+ answered, \d+ truncated, 0 dropped$/);
  });

  it.each([
    [['--drop', '2'], /--drop: expected a ratio from 0 to 1/],
    [['--delay', '-1'], /--delay: expected milliseconds/],
    [['-p', '70000'], /-p\/--port: expected a whole number from 0 to 65535/],
    [['--address', '0.0.0.0'], /--address 0\.0\.0\.0 is not a loopback address/],
    [['--zone', '/nonexistent.zone'], /cannot read zone file/],
  ])('refuses %j with exit 2', async (args, pattern) => {
    const r = await runCli(['serve', ...args], { timeoutMs: 10_000 });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
  });

  it('a port in use fails in one line that says so (exit 3)', async () => {
    // A UDP socket of this test holds the port, as a running named would.
    const holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind({ address: '127.0.0.1', port: 0, exclusive: true }, () => resolve()));
    try {
      const port = holder.address().port;
      const r = await runCli(['serve', '-p', String(port)], { timeoutMs: 10_000 });
      expect(r.code).toBe(3);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`cannot listen on udp 127\\.0\\.0\\.1:${port}: the port is in use \\(EADDRINUSE\\): another server listens there; pick another with -p, or -p 0`));
    } finally {
      holder.close();
    }
  });
});
