// Real DNS servers (BIND named, knotd, NSD, dnsdist) for integration tests, each in a fresh temp dir on a
// free port of 127.0.0.1, started in the foreground as our own child so it is stopped by its pid.
// Every config keeps the server on loopback and silent towards the outside world: no recursion, no
// NOTIFY, no DNSSEC validation (named), no security polling and no console (dnsdist).
// See /work/shared/rig/README.md for the measured gotchas these configs follow.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecordType } from 'dns-packet';
import { assertLoopback, waitForAnswer } from './dnsquery.js';
import { freePort } from './ports.js';

/** test/fixtures/db.test: test.com with www=2.2.2.2, rr (4 A), MX/TXT/AAAA/CNAME, h0..h999. */
export const TEST_ZONE_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/db.test');
export const TEST_ZONE: ZoneSpec = { name: 'test.com', file: TEST_ZONE_FILE };

export interface ZoneSpec {
  /** Zone apex, e.g. "test.com". */
  name: string;
  /** Zone file to copy into the server's dir (as db.<name>). */
  file: string;
}

/** How startX decides the server is up: one query that must get one of `rcodes`. */
export interface Probe {
  name: string;
  type?: RecordType;
  /** Source address (another 127.x.y.z to match a BIND view by source ACL). */
  localAddress?: string;
  /** Default ['NOERROR']. */
  rcodes?: readonly string[];
}

export interface CommonOptions {
  /** Listen address; must be loopback. Default 127.0.0.1. */
  host?: string;
  /** Bound on waiting for the first good answer. Default 15 000 ms. */
  readyTimeoutMs?: number;
  /** Overrides the readiness query. */
  probe?: Probe;
}

export type ServerKind = 'named' | 'knotd' | 'dnsdist' | 'nsd';

export interface RunningServer {
  kind: ServerKind;
  host: string;
  port: number;
  pid: number;
  /** The server's temp dir: config, zone copies, `log` (its stdout+stderr). Removed by stop(). */
  dir: string;
  /** Milliseconds from spawn to the first good answer. */
  startMs: number;
  /** The last `lines` lines of the server's log. */
  logTail(lines?: number): string;
  /** SIGTERM by pid, SIGKILL after 5 s, waits for the exit, removes dir. Idempotent. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Binaries

const SBIN_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin'];

/** Absolute path of an executable found on PATH or in the sbin dirs (named and knotd live in
 *  /usr/sbin, which a non-root PATH often lacks), or null. */
export function findBinary(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN_DIRS];
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return null;
}

export function hasBinary(name: string): boolean {
  return findBinary(name) !== null;
}

/** The binary's path; throws naming the Debian package when it is missing. */
export function requireBinary(name: string): string {
  const p = findBinary(name);
  if (p === null) {
    const pkg: Record<string, string> = { named: 'bind9', knotd: 'knot', dnsdist: 'dnsdist', dnsperf: 'dnsperf', dig: 'bind9-dnsutils', nsd: 'nsd' };
    throw new Error(`${name} not found on PATH or in ${SBIN_DIRS.join(', ')} (Debian package: ${pkg[name] ?? name}; scripts/test.sh installs it when run as root)`);
  }
  return p;
}

export function missingBinaries(...names: string[]): string[] {
  return names.filter((n) => !hasBinary(n));
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * For `describe.skipIf(skipWithout('named'))`: true only when a binary is missing AND we are neither
 * root nor in CI. As root (and in CI) scripts/test.sh installs the servers, so a missing binary there
 * is a real failure and the tests must run and fail rather than silently skip.
 */
export function skipWithout(...names: string[]): boolean {
  const missing = missingBinaries(...names);
  if (missing.length === 0 || isRoot() || process.env.CI) return false;
  console.warn(`skipping: missing ${missing.join(', ')} (not root, so scripts/test.sh could not install them)`);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Process lifecycle

/** Children still running: killed with SIGKILL if the test process exits without stopping them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const keepDirs = (): boolean => process.env.DNSBENCH_KEEP_RIG === '1';

interface LaunchSpec {
  kind: ServerKind;
  bin: string;
  args: string[];
  dir: string;
  host: string;
  port: number;
  probe: Probe;
  readyTimeoutMs: number;
}

/** Run a server's setup in its fresh dir; if writing its config or starting it fails, remove the dir. */
async function removeDirOnFailure<T>(dir: string, setup: () => Promise<T>): Promise<T> {
  try {
    return await setup();
  } catch (e) {
    if (!keepDirs()) await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

async function launch(spec: LaunchSpec): Promise<RunningServer> {
  const logFile = join(spec.dir, 'log');
  const fd = openSync(logFile, 'a');
  const started = performance.now();
  let child: ChildProcess;
  try {
    child = spawn(spec.bin, spec.args, { cwd: spec.dir, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  let spawnError: Error | null = null;
  child.once('error', (e) => (spawnError = e));
  if (child.pid !== undefined) track(child);

  const waitExit = (ms: number): Promise<boolean> =>
    hasExited()
      ? Promise.resolve(true)
      : new Promise((res) => {
          const t = setTimeout(() => res(false), ms);
          void exited.then(() => {
            clearTimeout(t);
            res(true);
          });
        });

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      const pid = child.pid;
      if (pid !== undefined && !hasExited()) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // exited in between
        }
        if (!(await waitExit(5000))) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // exited in between
          }
          if (!(await waitExit(2000))) throw new Error(`${spec.kind} pid ${pid} did not exit after SIGKILL`);
        }
      }
      live.delete(child);
      if (!keepDirs()) await rm(spec.dir, { recursive: true, force: true });
    })());

  const ready = await waitForAnswer(spec.port, spec.probe.name, {
    host: spec.host,
    type: spec.probe.type ?? 'A',
    rcodes: spec.probe.rcodes ?? ['NOERROR'],
    deadlineMs: spec.readyTimeoutMs,
    intervalMs: 20, // loopback polls are cheap; a finer step shortens every test's start
    abort: () => hasExited() || spawnError !== null,
    ...(spec.probe.localAddress !== undefined ? { localAddress: spec.probe.localAddress } : {}),
  });
  const startMs = Math.round(performance.now() - started);
  if (ready === null || child.pid === undefined) {
    const why = spawnError
      ? `could not be spawned: ${String(spawnError)}`
      : hasExited()
        ? `exited (code ${child.exitCode}, signal ${child.signalCode})`
        : `did not answer ${spec.probe.name} ${spec.probe.type ?? 'A'} within ${spec.readyTimeoutMs} ms`;
    const log = tail(logFile, 30);
    const kept = spec.dir;
    await stop().catch(() => undefined);
    throw new Error(`${spec.kind} on ${spec.host}:${spec.port} ${why}\n--- ${kept}/log (tail) ---\n${log}`);
  }
  return {
    kind: spec.kind,
    host: spec.host,
    port: spec.port,
    pid: child.pid,
    dir: spec.dir,
    startMs,
    logTail: (lines = 30) => tail(logFile, lines),
    stop,
  };
}

/** mkdtemp + free port + zone copies; removes the dir if anything after mkdtemp fails. */
async function prepare(kind: ServerKind, host: string, zones: readonly ZoneSpec[]): Promise<{ dir: string; port: number; zoneFiles: string[] }> {
  assertLoopback(host);
  const dir = await mkdtemp(join(tmpdir(), `dnsbench-${kind}-`));
  try {
    const port = await freePort(host);
    const zoneFiles: string[] = [];
    for (const z of zones) {
      const dest = join(dir, `db.${z.name.replace(/\.$/, '')}`);
      await copyFile(z.file, dest);
      zoneFiles.push(dest);
    }
    return { dir, port, zoneFiles };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

const isV6 = (host: string): boolean => host.includes(':');
const hostPort = (host: string, port: number): string => (isV6(host) ? `[${host}]:${port}` : `${host}:${port}`);

// ---------------------------------------------------------------------------------------------
// BIND named

export interface NamedOptions extends CommonOptions {
  /** Zones, copied into the dir as db.<name>. Default [TEST_ZONE]. */
  zones?: ZoneSpec[];
  /**
   * Raw `view "..." { ... };` statements. When given, zones are still copied into the dir (named's
   * working directory, so a view can say `file "db.test.com";`) but no top-level zone statements are
   * emitted: named forbids zones outside views once views exist. A function gets the dir.
   */
  views?: string | ((dir: string) => string);
  /** Raw top-level statements (key "..." { ... }; acl ...;). A function gets the dir. */
  extraConf?: string | ((dir: string) => string);
  /** Raw statements appended inside options { }. */
  extraOptions?: string;
  /** Extra files to write into the dir before start (e.g. per-view zone files): name -> content. */
  files?: Record<string, string>;
  /** named -n: worker threads. Default 1. */
  workers?: number;
}

export interface NamedConfInput {
  dir: string;
  host: string;
  port: number;
  /** Zone name and the absolute path of its file. */
  zones: readonly { name: string; file: string }[];
  views?: string;
  extraConf?: string;
  extraOptions?: string;
}

/** named.conf text. Exported so tests can see exactly what a view setup produces. */
export function namedConf(c: NamedConfInput): string {
  const listen = isV6(c.host)
    ? `listen-on { none; };\n  listen-on-v6 port ${c.port} { ${c.host}; };`
    : `listen-on port ${c.port} { ${c.host}; };\n  listen-on-v6 { none; };`;
  const zones = c.views
    ? c.views
    : c.zones.map((z) => `zone "${z.name}" { type primary; file "${z.file}"; };`).join('\n');
  return `// generated by test/support/servers.ts
options {
  directory "${c.dir}";
  pid-file none;
  // default is /run/named/session.key, outside our dir (and absent on a fresh machine)
  session-keyfile "${c.dir}/session.key";
  managed-keys-directory "${c.dir}";
  ${listen}
  // Authoritative only, and never a packet to the outside: no recursion (no root priming), no NOTIFY
  // to the zone's NS set, no trust-anchor maintenance. RRL stays off (it is off unless rate-limit{}
  // is configured): a benchmark against a rate-limited server measures the limiter.
  recursion no;
  notify no;
  dnssec-validation no;
  allow-query { any; };
  allow-transfer { none; };
${c.extraOptions ? `  ${c.extraOptions}\n` : ''}};
// no rndc channel
controls { };
${c.extraConf ?? ''}
${zones}
`;
}

/**
 * BIND named in the foreground (`named -g`). Runs as whatever user we are: as root named keeps root
 * (it only switches user with -u), which is what we want for files in a root-owned temp dir.
 */
export async function startNamed(opts: NamedOptions = {}): Promise<RunningServer> {
  const bin = requireBinary('named');
  const host = opts.host ?? '127.0.0.1';
  const zones = opts.zones ?? (opts.views ? [] : [TEST_ZONE]);
  const { dir, port, zoneFiles } = await prepare('named', host, zones);
  return removeDirOnFailure(dir, async () => {
    for (const [name, content] of Object.entries(opts.files ?? {})) await writeFile(join(dir, name), content);
    const conf = join(dir, 'named.conf');
    await writeFile(
      conf,
      namedConf({
        dir,
        host,
        port,
        zones: zones.map((z, i) => ({ name: z.name, file: zoneFiles[i] ?? '' })),
        ...(opts.views !== undefined ? { views: typeof opts.views === 'function' ? opts.views(dir) : opts.views } : {}),
        ...(opts.extraConf !== undefined ? { extraConf: typeof opts.extraConf === 'function' ? opts.extraConf(dir) : opts.extraConf } : {}),
        ...(opts.extraOptions !== undefined ? { extraOptions: opts.extraOptions } : {}),
      }),
    );
    const first = zones[0];
    const probe: Probe = opts.probe ?? (first ? { name: first.name, type: 'SOA' } : { name: 'test.com', type: 'SOA' });
    return await launch({
      kind: 'named',
      bin,
      args: ['-g', isV6(host) ? '-6' : '-4', '-n', String(opts.workers ?? 1), '-c', conf],
      dir,
      host,
      port,
      probe,
      readyTimeoutMs: opts.readyTimeoutMs ?? 15_000,
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Knot DNS

export interface KnotOptions extends CommonOptions {
  /** Default [TEST_ZONE]. */
  zones?: ZoneSpec[];
  /** Default 1 (the README's measured setup: ~140-160k qps on this 2-core machine). */
  udpWorkers?: number;
}

export function knotConf(c: { dir: string; host: string; port: number; udpWorkers: number; zones: readonly { name: string; file: string }[] }): string {
  const zones = c.zones
    .map((z) => `  - domain: ${z.name}\n    file: "${z.file}"\n    storage: "${c.dir}"\n    zonefile-load: whole\n    journal-content: none`)
    .join('\n');
  // Knot sends NOTIFY only to remotes listed under `notify:`, and we list none.
  return `# generated by test/support/servers.ts
server:
  rundir: "${c.dir}"
  listen: ${c.host}@${c.port}
  background-workers: 1
  udp-workers: ${c.udpWorkers}
  tcp-workers: 1
database:
  storage: "${c.dir}"
zone:
${zones}
log:
  - target: stderr
    any: info
`;
}

/** knotd in the foreground (`knotd -c FILE`, no -d). */
export async function startKnot(opts: KnotOptions = {}): Promise<RunningServer> {
  const bin = requireBinary('knotd');
  const host = opts.host ?? '127.0.0.1';
  const zones = opts.zones ?? [TEST_ZONE];
  const { dir, port, zoneFiles } = await prepare('knotd', host, zones);
  return removeDirOnFailure(dir, async () => {
    const conf = join(dir, 'knot.conf');
    await writeFile(
      conf,
      knotConf({ dir, host, port, udpWorkers: opts.udpWorkers ?? 1, zones: zones.map((z, i) => ({ name: z.name, file: zoneFiles[i] ?? '' })) }),
    );
    const first = zones[0];
    // knotd answers before its zones finish loading (they load in the background), so readiness
    // means NOERROR for the zone's SOA, not just any answer.
    const probe: Probe = opts.probe ?? { name: first?.name ?? 'test.com', type: 'SOA' };
    return await launch({ kind: 'knotd', bin, args: ['-c', conf], dir, host, port, probe, readyTimeoutMs: opts.readyTimeoutMs ?? 15_000 });
  });
}

// ---------------------------------------------------------------------------------------------
// NSD

export interface NsdOptions extends CommonOptions {
  /** Default [TEST_ZONE]. */
  zones?: ZoneSpec[];
  /** NSID the server answers with (RFC 5001), as text. */
  nsid?: string;
  /** TSIG keys the server knows (`key:` clauses). */
  keys?: ReadonlyArray<{ name: string; algorithm: string; secret: string }>;
}

export function nsdConf(c: { dir: string; host: string; port: number; zones: readonly { name: string; file: string }[]; nsid?: string; keys?: NsdOptions['keys'] }): string {
  const zones = c.zones.map((z) => `zone:\n  name: "${z.name}"\n  zonefile: "${z.file}"`).join('\n');
  const keys = (c.keys ?? []).map((k) => `key:\n  name: "${k.name}"\n  algorithm: ${k.algorithm}\n  secret: "${k.secret}"`).join('\n');
  // No chroot, no privilege drop, no database file, no control socket: everything stays in `dir`.
  return `# generated by test/support/servers.ts
server:
  ip-address: ${c.host}@${c.port}
  port: ${c.port}
  do-ip4: ${isV6(c.host) ? 'no' : 'yes'}
  do-ip6: ${isV6(c.host) ? 'yes' : 'no'}
  zonesdir: "${c.dir}"
  pidfile: ""
  username: ""
  chroot: ""
  database: ""
  zonelistfile: "${c.dir}/zone.list"
  xfrdfile: "${c.dir}/xfrd.state"
  xfrdir: "${c.dir}"
  server-count: 1
  verbosity: 1
${c.nsid !== undefined ? `  nsid: "ascii_${c.nsid}"\n` : ''}remote-control:
  control-enable: no
${keys}
${zones}
`;
}

/** NLnet Labs NSD in the foreground (`nsd -d`). */
export async function startNsd(opts: NsdOptions = {}): Promise<RunningServer> {
  const bin = requireBinary('nsd');
  const host = opts.host ?? '127.0.0.1';
  const zones = opts.zones ?? [TEST_ZONE];
  const { dir, port, zoneFiles } = await prepare('nsd', host, zones);
  return removeDirOnFailure(dir, async () => {
    const conf = join(dir, 'nsd.conf');
    await writeFile(
      conf,
      nsdConf({
        dir, host, port,
        zones: zones.map((z, i) => ({ name: z.name, file: zoneFiles[i] ?? '' })),
        ...(opts.nsid !== undefined ? { nsid: opts.nsid } : {}),
        ...(opts.keys !== undefined ? { keys: opts.keys } : {}),
      }),
    );
    const probe: Probe = opts.probe ?? { name: zones[0]?.name ?? 'test.com', type: 'SOA' };
    return await launch({ kind: 'nsd', bin, args: ['-d', '-c', conf], dir, host, port, probe, readyTimeoutMs: opts.readyTimeoutMs ?? 15_000 });
  });
}

// ---------------------------------------------------------------------------------------------
// dnsdist

export interface Backend {
  host: string;
  port: number;
}

export interface DnsdistOptions extends CommonOptions {
  /**
   * Health-check query name. dnsdist's default check asks a.root-servers.net, which an
   * authoritative-only named REFUSES, so every backend would be marked down. Default www.test.com.
   */
  checkName?: string;
  checkType?: RecordType;
  /** Seconds between health checks. Default 1. */
  checkInterval?: number;
  /** Raw Lua appended to the config. */
  extraConf?: string;
}

export function dnsdistConf(c: { host: string; port: number; backends: readonly Backend[]; checkName: string; checkType: string; checkInterval: number; extraConf?: string }): string {
  const servers = c.backends
    .map(
      (b, i) =>
        `newServer({address="${hostPort(b.host, b.port)}", name="b${i + 1}", checkName="${c.checkName}", checkType="${c.checkType}", checkInterval=${c.checkInterval}})`,
    )
    .join('\n');
  return `-- generated by test/support/servers.ts
-- Security polling resolves secpoll.powerdns.com through the system resolver: switch it off so
-- dnsdist never sends a packet beyond loopback. No controlSocket/webserver/carbon: no console.
setSecurityPollSuffix("")
setLocal("${hostPort(c.host, c.port)}")
setMaxUDPOutstanding(65535)
${servers}
setServerPolicy(roundrobin)
${c.extraConf ?? ''}
`;
}

/** dnsdist in the foreground (`--supervised`: no console, no daemonizing) in front of `backends`. */
export async function startDnsdist(backends: Backend[], opts: DnsdistOptions = {}): Promise<RunningServer> {
  const bin = requireBinary('dnsdist');
  const host = opts.host ?? '127.0.0.1';
  if (backends.length === 0) throw new Error('startDnsdist: no backends');
  for (const b of backends) assertLoopback(b.host);
  const { dir, port } = await prepare('dnsdist', host, []);
  return removeDirOnFailure(dir, async () => {
    const checkName = opts.checkName ?? 'www.test.com.';
    const conf = join(dir, 'dnsdist.conf');
    await writeFile(
      conf,
      dnsdistConf({
        host,
        port,
        backends,
        checkName: checkName.endsWith('.') ? checkName : `${checkName}.`,
        checkType: opts.checkType ?? 'A',
        checkInterval: opts.checkInterval ?? 1,
        ...(opts.extraConf !== undefined ? { extraConf: opts.extraConf } : {}),
      }),
    );
    // Ready = a NOERROR answer through dnsdist, i.e. at least one backend is marked up (with none up
    // dnsdist drops the query).
    const probe: Probe = opts.probe ?? { name: checkName.replace(/\.$/, ''), type: opts.checkType ?? 'A' };
    return await launch({
      kind: 'dnsdist',
      bin,
      args: ['--supervised', '--disable-syslog', '-C', conf],
      dir,
      host,
      port,
      probe,
      readyTimeoutMs: opts.readyTimeoutMs ?? 15_000,
    });
  });
}
