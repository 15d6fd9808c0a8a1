// The native addon's loader and install-time build: the fallback switch, and that every way of not
// having the addon ends in one line saying why (never a failed install, never a stack trace).
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { clockOffsetMs, loadNativeUdp, NO_NATIVE_ENV } from '../src/engine/native/addon.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const temps: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dnsbench-native-'));
  temps.push(d);
  return d;
}
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe('loadNativeUdp', () => {
  it(`falls back when ${NO_NATIVE_ENV} is set, and says so`, () => {
    expect(loadNativeUdp({ platform: 'linux', env: { [NO_NATIVE_ENV]: '1' } })).toEqual({ ok: false, reason: `disabled by ${NO_NATIVE_ENV}=1` });
    expect(loadNativeUdp({ platform: 'linux', env: { [NO_NATIVE_ENV]: 'yes' } })).toEqual({ ok: false, reason: `disabled by ${NO_NATIVE_ENV}=yes` });
    // '' and '0' do not disable: the result is whatever the build gives (ok, or another reason).
    for (const value of ['', '0']) {
      const r = loadNativeUdp({ platform: 'linux', env: { [NO_NATIVE_ENV]: value } });
      if (!r.ok) expect(r.reason).not.toMatch(/disabled/);
    }
  });

  it('is Linux only', () => {
    expect(loadNativeUdp({ platform: 'darwin', env: {} })).toEqual({ ok: false, reason: 'not Linux (darwin)' });
  });

  it('says the addon was never built when there is neither an addon nor a status file', () => {
    const r = loadNativeUdp({ platform: 'linux', env: {}, buildDir: tempDir() });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/^not built \(no build\/native-status\.json: was npm run with --ignore-scripts\?\); run npm run build:native$/);
  });

  it("passes on the build script's recorded reason", () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'native-status.json'), JSON.stringify({ ok: false, reason: "no C compiler: 'cc' is not on PATH (install gcc or set CC)" }));
    expect(loadNativeUdp({ platform: 'linux', env: {}, buildDir: dir })).toEqual({ ok: false, reason: "no C compiler: 'cc' is not on PATH (install gcc or set CC)" });
  });

  it('says why a file that is not a loadable addon cannot be loaded, in one line', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'Release'));
    writeFileSync(join(dir, 'Release', 'dnsbench_udp.node'), 'not an ELF file');
    const r = loadNativeUdp({ platform: 'linux', env: {}, buildDir: dir });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toMatch(/^cannot load .*dnsbench_udp\.node: /);
      expect(r.reason).not.toContain('\n');
    }
  });

  it('loads the real build when there is one, and its clock is performance.now() shifted', () => {
    const r = loadNativeUdp({ platform: 'linux', env: {} });
    if (!r.ok) {
      console.warn(`native UDP addon not loaded here: ${r.reason}`);
      return;
    }
    const offset = clockOffsetMs(r.addon);
    const before = performance.now();
    const m = r.addon.monotonicMs() + offset;
    const after = performance.now();
    expect(m).toBeGreaterThanOrEqual(before - 0.01);
    expect(m).toBeLessThanOrEqual(after + 0.01);
  });
});

describe('scripts/build-native.mjs', () => {
  /** A copy of what the build needs, so a failing build cannot touch the real build/. */
  function copyTree(): string {
    const dir = tempDir();
    cpSync(join(ROOT, 'binding.gyp'), join(dir, 'binding.gyp'));
    cpSync(join(ROOT, 'native'), join(dir, 'native'), { recursive: true });
    cpSync(join(ROOT, 'scripts', 'build-native.mjs'), join(dir, 'scripts', 'build-native.mjs'));
    return dir;
  }

  function runBuild(dir: string, env: NodeJS.ProcessEnv): { status: number | null; stderr: string; json: { ok: boolean; reason: string } } {
    const r = spawnSync(process.execPath, [join(dir, 'scripts', 'build-native.mjs')], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, stderr: r.stderr, json: JSON.parse(readFileSync(join(dir, 'build', 'native-status.json'), 'utf8')) };
  }

  it('exits 0 and records why when the compiler fails, and the loader repeats it', () => {
    const dir = copyTree();
    const cc = join(dir, 'failcc');
    // Answers --version (so it passes the pre-check) but fails to compile: node-gyp itself fails.
    writeFileSync(cc, '#!/bin/sh\n[ "$1" = --version ] && exit 0\necho "failcc: fatal error: simulated compiler failure" >&2\nexit 1\n');
    chmodSync(cc, 0o755);
    const r = runBuild(dir, { ...process.env, CC: cc, DNSBENCH_NO_NATIVE: '' });
    expect(r.status).toBe(0);
    expect(r.json.ok).toBe(false);
    expect(r.json.reason).toMatch(/^compile failed \(node-gyp exit \d+\): failcc: fatal error: simulated compiler failure; see build\/native-build\.log$/);
    expect(r.stderr).toContain('the dgram path will be used');
    expect(readFileSync(join(dir, 'build', 'native-build.log'), 'utf8')).toContain('simulated compiler failure');
    expect(loadNativeUdp({ platform: 'linux', env: {}, buildDir: join(dir, 'build') })).toEqual({ ok: false, reason: r.json.reason });
  });

  it('exits 0 and records why when there is no compiler at all', () => {
    const dir = copyTree();
    const r = runBuild(dir, { ...process.env, CC: join(dir, 'no-such-cc'), DNSBENCH_NO_NATIVE: '' });
    expect(r.status).toBe(0);
    expect(r.json).toMatchObject({ ok: false, reason: expect.stringMatching(/^no C compiler: '.*no-such-cc' is not on PATH/) });
  });

  it(`skips the build under ${NO_NATIVE_ENV}=1`, () => {
    const dir = copyTree();
    const r = runBuild(dir, { ...process.env, [NO_NATIVE_ENV]: '1' });
    expect(r.status).toBe(0);
    expect(r.json).toMatchObject({ ok: false, reason: `build skipped: ${NO_NATIVE_ENV}=1` });
  });
});
