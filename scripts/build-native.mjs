#!/usr/bin/env node
// Builds the native batched UDP addon (binding.gyp, native/*.c) with the node-gyp that ships with
// npm. Runs as the package's `install` script, so it must never fail the install: whatever happens
// it exits 0 and writes build/native-status.json ({ ok, reason, ... }), which
// src/engine/native/addon.ts reads to say why the native path is unavailable. It never downloads
// Node's headers: it builds against headers already on disk (npm's `nodedir`, the Node install's
// own include/node, or node-gyp's cache) or not at all.
//
// Usage: node scripts/build-native.mjs [--if-stale]
//   --if-stale  do nothing when the last build succeeded for this Node version and no source
//               changed since (scripts/test.sh uses it on warm trees).
// Env: DNSBENCH_NO_NATIVE=1 skips the build (the status says so); CC, PYTHON as node-gyp reads them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = join(ROOT, 'build');
const STATUS = join(BUILD, 'native-status.json');
const LOG = join(BUILD, 'native-build.log');
const rel = (p) => p.slice(ROOT.length + 1);
const ADDON = join(BUILD, 'Release', 'dnsbench_udp.node');
/** A cold build takes about 5 s here; a stuck compiler must not hang `npm ci` forever. */
const BUILD_TIMEOUT_MS = 300_000;

function writeStatus(status) {
  mkdirSync(BUILD, { recursive: true });
  const full = { ...status, node: process.version, platform: process.platform, arch: process.arch, at: new Date().toISOString() };
  const tmp = `${STATUS}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(full, null, 2) + '\n');
  renameSync(tmp, STATUS);
  const line = status.ok
    ? `dnsbench: native UDP addon built (${rel(ADDON)})`
    : `dnsbench: native UDP addon not built: ${status.reason}; the dgram path will be used`;
  process.stderr.write(line + '\n');
}

/** The executable `name` resolves to on PATH (or itself when it is a path), or null. */
function which(name) {
  if (name.includes('/')) return existsSync(name) ? name : null;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** npm's bundled node-gyp: npm tells install scripts where it is; otherwise look beside npm. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  try {
    candidates.push(createRequire(join(ROOT, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a dependency of ours
  }
  return candidates.find((p) => isAbsolute(p) && existsSync(p)) ?? null;
}

const hasHeaders = (dir) => existsSync(join(dir, 'include', 'node', 'node_api.h')) && existsSync(join(dir, 'include', 'node', 'common.gypi'));

/** A directory holding include/node/{node_api.h,common.gypi} for this Node, or null. */
function findNodeDir() {
  const candidates = [];
  if (process.env.npm_config_nodedir) candidates.push(process.env.npm_config_nodedir);
  // Distribution packages and the official tarballs put the headers beside bin/node.
  candidates.push(resolve(dirname(process.execPath), '..'));
  // node-gyp's own cache, filled by an earlier `node-gyp install`.
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  candidates.push(join(cache, 'node-gyp', process.version.slice(1)));
  candidates.push(join(homedir(), '.node-gyp', process.version.slice(1)));
  const found = candidates.find((d) => d && hasHeaders(d));
  return { dir: found ?? null, looked: candidates };
}

function newestSourceMtime() {
  const files = [join(ROOT, 'binding.gyp'), fileURLToPath(import.meta.url)];
  for (const f of readdirSync(join(ROOT, 'native'))) files.push(join(ROOT, 'native', f));
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

function upToDate() {
  try {
    const status = JSON.parse(readFileSync(STATUS, 'utf8'));
    return status.ok === true && status.node === process.version && statSync(ADDON).mtimeMs >= newestSourceMtime();
  } catch {
    return false;
  }
}

/** The line that best says what went wrong: a compiler error, else make's, else node-gyp's. */
function lastErrorLine(output) {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const patterns = [/: (fatal )?error: /, /^make: \*\*\*/, /^gyp ERR! stack Error:/, /not found|No such file|cannot/i];
  let line = lines.at(-1) ?? 'no output';
  for (const p of patterns) {
    const hit = lines.find((l) => p.test(l));
    if (hit !== undefined) {
      line = hit.replace(/^gyp ERR! stack /, '');
      break;
    }
  }
  return line.length > 200 ? line.slice(0, 200) + '...' : line;
}

function build() {
  if (process.platform !== 'linux') return { ok: false, reason: `not Linux (${process.platform}): sendmmsg/recvmmsg are Linux calls` };
  const off = process.env.DNSBENCH_NO_NATIVE;
  if (off !== undefined && off !== '' && off !== '0') return { ok: false, reason: `build skipped: DNSBENCH_NO_NATIVE=${off}` };
  const nodeGyp = findNodeGyp();
  if (nodeGyp === null) return { ok: false, reason: 'node-gyp not found (it ships with npm; is npm installed beside node?)' };
  const { dir: nodedir, looked } = findNodeDir();
  if (nodedir === null) {
    return { ok: false, reason: `Node's headers (include/node/node_api.h) not found in ${looked.join(', ')}; set npm_config_nodedir` };
  }
  const cc = process.env.CC?.split(' ')[0] || 'cc';
  if (which(cc) === null) return { ok: false, reason: `no C compiler: '${cc}' is not on PATH (install gcc or set CC)` };
  const ccCheck = spawnSync(cc, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (ccCheck.status !== 0) return { ok: false, reason: `the C compiler '${cc}' does not run ('${cc} --version' ${ccCheck.error ? ccCheck.error.message : `exits ${ccCheck.status}`})` };
  if (which('make') === null) return { ok: false, reason: "no 'make' on PATH" };
  if (!process.env.PYTHON && which('python3') === null) return { ok: false, reason: 'no python3 on PATH (node-gyp needs it; or set PYTHON)' };

  const started = Date.now();
  const r = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--release', `--nodedir=${nodedir}`], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT_MS,
    maxBuffer: 16 << 20,
    env: { ...process.env, npm_config_nodedir: nodedir },
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  mkdirSync(BUILD, { recursive: true });
  writeFileSync(LOG, `$ node ${nodeGyp} rebuild --release --nodedir=${nodedir}\n${output}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (r.error) return { ok: false, reason: `node-gyp could not run: ${r.error.message}`, log: rel(LOG) };
  if (r.status !== 0) {
    const how = r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
    return { ok: false, reason: `compile failed (node-gyp ${how}): ${lastErrorLine(output)}; see ${rel(LOG)}`, log: rel(LOG) };
  }
  if (!existsSync(ADDON)) return { ok: false, reason: `node-gyp succeeded but ${rel(ADDON)} is missing; see ${rel(LOG)}`, log: rel(LOG) };
  // Load it once in a child: a library that builds but cannot load is no better than none.
  const probe = spawnSync(process.execPath, ['-e', `process.stdout.write(String(require(${JSON.stringify(ADDON)}).abiVersion))`], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (probe.status !== 0) return { ok: false, reason: `built but does not load: ${lastErrorLine(probe.stderr ?? '')}`, log: rel(LOG) };
  return { ok: true, reason: null, abiVersion: Number(probe.stdout), nodedir, seconds: Number(seconds), log: rel(LOG) };
}

try {
  if (process.argv.includes('--if-stale') && upToDate()) process.exit(0);
  writeStatus(build());
} catch (err) {
  // Never fail the install: the dgram path still works.
  try {
    writeStatus({ ok: false, reason: `build script failed: ${err instanceof Error ? err.message : String(err)}` });
  } catch {
    process.stderr.write(`dnsbench: native UDP addon not built: ${String(err)}\n`);
  }
}
process.exitCode = 0;
