// EAGAIN on a native UDP socket: every ID is either in the count sendBatch returned or sent later on
// onWritable, exactly once. Needs root (a network namespace of its own whose loopback gets a slow
// qdisc; nothing else on the machine is touched, nothing leaves the namespace).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadNativeUdp } from '../src/engine/native/addon.js';
import { hasBinary } from './support/servers.js';

const CHILD = fileURLToPath(new URL('./fixtures/native-eagain-child.mjs', import.meta.url));
const load = loadNativeUdp({ env: process.env, platform: process.platform });
const isRoot = process.getuid?.() === 0;
const skipReason = !load.ok
  ? `native UDP addon unavailable: ${load.reason}`
  : !isRoot
    ? 'needs root for a network namespace'
    : !hasBinary('ip') || !hasBinary('tc')
      ? "needs 'ip' and 'tc' (iproute2)"
      : null;
if (skipReason !== null) console.warn(`native EAGAIN test skipped: ${skipReason}`);

function sh(args: string[]): void {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
}

describe.skipIf(skipReason !== null)('native UDP addon under EAGAIN', () => {
  it('returns fewer than asked when SO_SNDBUF fills, fires onWritable, and every ID goes out exactly once', () => {
    const ns = `dnsbench-eagain-${process.pid}-${randomBytes(3).toString('hex')}`;
    sh(['ip', 'netns', 'add', ns]);
    try {
      sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
      // 2 Mbit/s: 400 datagrams of ~100 bytes drain in ~0.2 s; the 1 MB limit never drops one.
      sh(['ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', '2mbit', 'burst', '4kb', 'limit', '1mb']);
      const n = 400;
      const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, CHILD, load.ok ? load.path : '', String(n)], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as {
        returns: number[];
        writable: number;
        received: number;
        duplicates: number;
        refused: number;
        errors: unknown[];
        stats: { blocked: number; sent: number };
      };
      expect(out.returns[0]).toBeLessThan(n);
      expect(out.returns.length).toBeGreaterThan(1);
      expect(out.returns.reduce((a, b) => a + b, 0)).toBe(n);
      expect(out.writable).toBeGreaterThanOrEqual(1);
      expect(out.stats.blocked).toBeGreaterThanOrEqual(1);
      expect(out.stats.sent).toBe(n);
      expect(out.refused).toBe(0);
      expect(out.errors).toEqual([]);
      expect(out.received).toBe(n);
      expect(out.duplicates).toBe(0);
    } finally {
      spawnSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
    }
  });
});
