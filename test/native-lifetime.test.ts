// Lifetime of native UDP sockets outside the happy path, in a child process (--expose-gc) so a
// crash in teardown fails this test instead of taking vitest down: a socket never closed loses
// its fd to the finalizer, and a worker thread ending with a socket still polling tears down cleanly.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadNativeUdp } from '../src/engine/native/addon.js';

const CHILD = fileURLToPath(new URL('./fixtures/native-lifetime-child.mjs', import.meta.url));
const load = loadNativeUdp({ env: process.env, platform: process.platform });
if (!load.ok) console.warn(`native UDP lifetime tests skipped: ${load.reason}`);

describe.skipIf(!load.ok)('native UDP socket lifetime', () => {
  it('closes forgotten sockets on GC and survives workers that end while polling', () => {
    const r = spawnSync(process.execPath, ['--expose-gc', CHILD, load.ok ? load.path : ''], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, number>;
    expect(out.fdsWhileOpen).toBe(200);
    expect(out.fdsAfterGc).toBe(0);
    // worker.terminate() reports exit code 1; a worker whose loop simply ran out reports 0.
    expect(out.terminatedExit).toBe(1);
    expect(out.selfEndedExit).toBe(0);
    expect(out.fdsAfterWorkers).toBe(0);
  });
});
