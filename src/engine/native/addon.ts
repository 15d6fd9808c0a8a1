// Loads the native batched UDP addon (build/Release/dnsbench_udp.node, built by
// scripts/build-native.mjs at install) or says in one line why it cannot, so every report can name
// the I/O path that ran: `io: native` or `io: dgram (native addon unavailable: REASON)`.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PACKAGE_ROOT } from '../../package-root.js';
import { META, NATIVE_ABI_VERSION, type NativeUdpAddon } from './api.js';

export type { NativeUdpAddon, NativeUdpOpenOptions, NativeUdpSocket, NativeUdpStartOptions, NativeUdpStats } from './api.js';
export { FLAG_FROM_TARGET, FLAG_KERNEL_TIME, FLAG_TRUNCATED, META, NATIVE_ABI_VERSION } from './api.js';

/** The environment switch that forces the dgram path: any value but '' and '0'. */
export const NO_NATIVE_ENV = 'DNSBENCH_NO_NATIVE';

export type NativeUdpLoad = { ok: true; addon: NativeUdpAddon; path: string } | { ok: false; reason: string };

export interface NativeUdpLoadOptions {
  /** Where DNSBENCH_NO_NATIVE is read (the caller's process.env: this layer never reads process). */
  env: Readonly<Record<string, string | undefined>>;
  /** The node-gyp build directory; the repo's build/ by default (tests point it elsewhere). */
  buildDir?: string;
  /** The caller's process.platform. */
  platform: string;
}

/** Where node-gyp puts the addon: the package root's build/. */
const DEFAULT_BUILD_DIR = join(PACKAGE_ROOT, 'build');
const ADDON_FILE = join('Release', 'dnsbench_udp.node');
const STATUS_FILE = 'native-status.json';

/** require() caches the module itself; this also keeps a failed attempt's reason per path. */
const loaded = new Map<string, NativeUdpLoad>();

/**
 * The native UDP addon, or why not (one line, no stack): not Linux, disabled by
 * DNSBENCH_NO_NATIVE, not built (the reason build-native.mjs recorded in build/native-status.json,
 * e.g. "no C compiler"), built for another ABI, or failing to load. Never throws. The switch is
 * read on every call; a successful load is cached per build directory.
 */
export function loadNativeUdp(opts: NativeUdpLoadOptions): NativeUdpLoad {
  const platform = opts.platform;
  if (platform !== 'linux') return { ok: false, reason: `not Linux (${platform})` };
  const off = opts.env[NO_NATIVE_ENV];
  if (off !== undefined && off !== '' && off !== '0') return { ok: false, reason: `disabled by ${NO_NATIVE_ENV}=${off}` };
  const buildDir = opts.buildDir ?? DEFAULT_BUILD_DIR;
  const path = join(buildDir, ADDON_FILE);
  let result = loaded.get(path);
  if (result === undefined) {
    result = tryLoad(buildDir, path);
    loaded.set(path, result);
  }
  return result;
}

/**
 * The addon at `path`, as a worker thread loads it once the main thread has decided on the native
 * path (loadNativeUdp there). Throws when it cannot (a build changed under a running process).
 */
export function loadNativeUdpAt(path: string): NativeUdpAddon {
  const r = tryLoad(dirname(dirname(path)), path);
  if (!r.ok) throw new Error(`native UDP addon: ${r.reason}`);
  return r.addon;
}

function tryLoad(buildDir: string, path: string): NativeUdpLoad {
  let addon: NativeUdpAddon;
  try {
    addon = createRequire(import.meta.url)(path) as NativeUdpAddon;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' || e.code === 'ENOENT') return { ok: false, reason: notBuiltReason(buildDir) };
    const first = (e.message ?? String(err)).split('\n')[0]!;
    return { ok: false, reason: `cannot load ${path}: ${first}` };
  }
  if (addon.abiVersion !== NATIVE_ABI_VERSION || addon.metaStride !== META.stride) {
    return {
      ok: false,
      reason: `stale build (ABI ${String(addon.abiVersion)}, this dnsbench needs ${NATIVE_ABI_VERSION}): run npm run build:native`,
    };
  }
  return { ok: true, addon, path };
}

/** Why there is no addon file: the build script's recorded reason, or that it never ran. */
function notBuiltReason(buildDir: string): string {
  let status: unknown;
  try {
    status = JSON.parse(readFileSync(join(buildDir, STATUS_FILE), 'utf8'));
  } catch {
    return 'not built (no build/native-status.json: was npm run with --ignore-scripts?); run npm run build:native';
  }
  const s = status as { ok?: unknown; reason?: unknown };
  if (s.ok === false && typeof s.reason === 'string' && s.reason !== '') return s.reason.slice(0, 300);
  return `build/${ADDON_FILE} is missing although the last build reported success; run npm run build:native`;
}

/**
 * performance.now() minus addon.monotonicMs(), in ms: add it to any time the addon returns (send
 * and arrival times) to get this thread's performance.now() scale. Both clocks are CLOCK_MONOTONIC
 * (libuv's uv_hrtime), so the offset is constant; it is read between two performance.now() calls
 * and the tightest of a few tries is kept (error well under 1 µs).
 */
export function clockOffsetMs(addon: NativeUdpAddon): number {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < 5; i++) {
    const before = performance.now();
    const m = addon.monotonicMs();
    const after = performance.now();
    if (after - before < best) {
      best = after - before;
      offset = (before + after) / 2 - m;
    }
  }
  return offset;
}

const errnoNames = new Map<number, string>(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));

/** 'EPERM' for a sentAt of -1 (or 1), 'E<n>' when Node does not know the number. */
export function errnoName(code: number): string {
  const n = Math.abs(code);
  return errnoNames.get(n) ?? `E${n}`;
}
