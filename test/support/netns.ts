// A lab of hosts in Linux network namespaces, joined by a bridge that lives in a namespace of its
// own: the machine-room stand-in for the seed's directors, primary/secondary and clients (VRRP,
// VIPs that move, a node that dies). Addresses come from 198.18.0.0/24 (RFC 2544 benchmarking
// range); there is no link to the root namespace and no default route, so no packet can leave.
// Nothing here touches the root namespace's network configuration: every `ip` command names a
// lab namespace (`ip -n NS ...` or `ip netns exec NS ...`).
//
// Measured settings and pitfalls: /work/shared/rig/NETNS.md. The API is described in docs/rig.md.
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findBinary } from './servers.js';

/** The lab subnet: every host, VIP and source address must be inside it (RFC 2544 range). */
export const LAB_PREFIX = '198.18.0.';
export const LAB_PREFIX_LEN = 24;

/** PATH for commands run in a host: the sbin dirs hold ip, named, keepalived. */
const LAB_PATH = [...new Set([...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin', '/usr/local/sbin'])].join(':');

/** One host: its short name (e.g. "d1", also the suffix of its namespace) and eth0 address. */
export interface HostSpec {
  /** [a-z0-9]{1,12}: becomes the bridge port name `p-<name>` (interface names stop at 15 chars). */
  name: string;
  /** eth0's address in 198.18.0.0/24, e.g. "198.18.0.1". */
  addr: string;
  /** More addresses on eth0 (e.g. a second client source address for views chosen by address). */
  extraAddrs?: readonly string[];
}

export interface ExecResult {
  /** Exit code, or null when killed by a signal (e.g. the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time of the command, ms. */
  ms: number;
}

export interface ExecOptions {
  /** Kill the command (SIGKILL) after this long. Default 10 000 ms. */
  timeoutMs?: number;
  /** Resolve instead of throwing on a non-zero exit. Default false. */
  allowFailure?: boolean;
}

/** A long-running process started in a host by Lab.spawn. */
export interface LabProcess {
  /** Label given to spawn (also its log's file name). */
  readonly name: string;
  readonly host: string;
  /** The program's own pid: `ip netns exec` execs it in place, so signals reach it directly. */
  readonly pid: number;
  /** File that receives its stdout and stderr. */
  readonly logFile: string;
  /** Resolves when it has exited (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  /** Sends `sig` by pid (no-op once exited). */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, SIGKILL after `graceMs` (default 3 000), then waits for the exit. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** The last `lines` lines of the log. */
  logTail(lines?: number): string;
}

// ---------------------------------------------------------------------------------------------
// Preconditions

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

const PACKAGES: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  keepalived: 'keepalived',
  named: 'bind9',
  'named-checkconf': 'bind9',
  rndc: 'bind9',
  dig: 'bind9-dnsutils',
  dnsdist: 'dnsdist',
  nsd: 'nsd',
  knotd: 'knot',
};

/**
 * Why namespace tests cannot run here, as one line, or null when they can: not root, no `ip`, `ip
 * netns add` not allowed (a container without CAP_SYS_ADMIN), or one of `binaries` missing (named
 * with its Debian package). Use as `describe.skipIf(netnsSkip(reason))` after printing it.
 *
 * Under CI (env CI set) it always returns null after printing the reason as a warning: CI runs as
 * root with scripts/test.sh installing the packages, so a missing piece there is a failure to see,
 * not a skip to hide.
 */
export function skipReason(...binaries: string[]): string | null {
  const reason = whyNot(binaries);
  if (reason !== null && process.env.CI) {
    console.warn(`netns tests: ${reason}; running anyway because CI is set (they will fail)`);
    return null;
  }
  return reason;
}

function whyNot(binaries: readonly string[]): string | null {
  if (!isRoot()) return 'network-namespace tests need root (ip netns)';
  if (findBinary('ip') === null) return 'no `ip` (Debian package iproute2) for network-namespace tests';
  const netns = canMakeNamespaces();
  if (netns !== null) return netns;
  const missing = binaries.filter((b) => findBinary(b) === null);
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((m) => PACKAGES[m] ?? m))];
    return `network-namespace tests need ${missing.join(', ')} (apt-get install ${pkgs.join(' ')})`;
  }
  return null;
}

let netnsProbe: string | null | undefined;

/**
 * Null when `ip netns add` works here, else why not. Listing is not enough: root in a container
 * without CAP_SYS_ADMIN can list but not create. Creates and deletes one probe namespace, once
 * per process.
 */
function canMakeNamespaces(): string | null {
  if (netnsProbe !== undefined) return netnsProbe;
  const env = { ...process.env, PATH: LAB_PATH };
  const name = `dnsb${process.pid}probe${Math.random().toString(36).slice(2, 5)}`;
  const add = spawnSync('ip', ['netns', 'add', name], { env, encoding: 'utf8', timeout: 5000 });
  if (add.status === 0) {
    spawnSync('ip', ['netns', 'del', name], { env, timeout: 5000 });
    netnsProbe = null;
  } else {
    netnsProbe = `\`ip netns add\` fails here (${(add.stderr || String(add.error ?? '')).trim().split('\n')[0]}): no network namespaces`;
  }
  return netnsProbe;
}

/** For `describe.skipIf(...)`: prints the reason (so a skip never passes unnoticed) and returns
 *  whether to skip. */
export function netnsSkip(reason: string | null): boolean {
  if (reason !== null) console.warn(`skipped: ${reason}`);
  return reason !== null;
}

// ---------------------------------------------------------------------------------------------
// Last-resort cleanup

const liveLabs = new Set<Lab>();
let exitHookInstalled = false;
function registerExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const cleanAll = (): void => {
    for (const lab of liveLabs) lab.destroySync();
  };
  // 'exit' handlers must be synchronous: kill by pid, then `ip netns del` with spawnSync.
  process.once('exit', cleanAll);
  // A signal's default action ends the process without 'exit' handlers (Ctrl-C on vitest, a CI
  // timeout's SIGTERM): clean up, then, if nobody else handles the signal, die of it as before.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      cleanAll();
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

function killPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * True while `pid` is a live process. A zombie (killed, not yet reaped by its parent, e.g. an
 * orphan waiting for init) counts as gone: it runs nothing and holds no socket.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may hold spaces and parentheses
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The lab

let labCounter = 0;

const HOST_NAME = /^[a-z0-9]{1,12}$/;

/** True for an address in the lab subnet, host part 1..254. */
export function isLabAddress(addr: string): boolean {
  if (!addr.startsWith(LAB_PREFIX)) return false;
  const last = addr.slice(LAB_PREFIX.length);
  // no leading zeros: some parsers read 010 as octal
  return /^[1-9]\d{0,2}$/.test(last) && Number(last) <= 254;
}

function assertLabAddress(addr: string, what: string): void {
  if (!isLabAddress(addr)) throw new Error(`${what}: ${addr} is not a host address in ${LAB_PREFIX}0/${LAB_PREFIX_LEN}`);
}

/**
 * Creates the lab: a bridge namespace `<id>-sw` with br0 (multicast snooping and STP off, forward
 * delay 0: VRRP adverts go to 224.0.0.18 and must not wait for STP), and per host a namespace
 * `<id>-<name>` with lo up and eth0 (a veth whose peer `p-<name>` is a port of br0) carrying its
 * addresses. `<id>` is `dnsb<pid>x<counter><random>`, unique per test process and call, so parallel
 * runs never collide. On any failure it removes what it made and rethrows.
 *
 * Errors: a bad host name or an address outside 198.18.0.0/24, a duplicate, or a failing `ip`.
 */
export async function createLab(hosts: readonly HostSpec[]): Promise<Lab> {
  if (hosts.length === 0) throw new Error('createLab: no hosts');
  const seenName = new Set<string>();
  const seenAddr = new Set<string>();
  for (const h of hosts) {
    if (!HOST_NAME.test(h.name) || h.name === 'sw') throw new Error(`createLab: host name "${h.name}" must match ${HOST_NAME} and not be "sw"`);
    if (seenName.has(h.name)) throw new Error(`createLab: host "${h.name}" twice`);
    seenName.add(h.name);
    for (const a of [h.addr, ...(h.extraAddrs ?? [])]) {
      assertLabAddress(a, `host ${h.name}`);
      if (seenAddr.has(a)) throw new Error(`createLab: address ${a} twice`);
      seenAddr.add(a);
    }
  }
  const id = `dnsb${process.pid}x${++labCounter}${Math.random().toString(36).slice(2, 5)}`;
  const lab = new Lab(id, hosts, mkdtempSync(join(tmpdir(), `dnsbench-lab-${id}-`)));
  liveLabs.add(lab);
  registerExitHook();
  try {
    await lab.build();
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  return lab;
}

export class Lab {
  /** Prefix of every namespace this lab made. */
  readonly id: string;
  /** Temp dir for configs and process logs; removed by destroy() unless DNSBENCH_KEEP_RIG=1. */
  readonly dir: string;
  /** The bridge's namespace (holds br0 and the ports p-<host>). */
  readonly bridgeNs: string;
  private readonly specs: ReadonlyMap<string, HostSpec>;
  /** Namespaces actually created, in order: only these are ever deleted. */
  private readonly created: string[] = [];
  private readonly procs: LabProcess[] = [];
  private destroying: Promise<void> | null = null;
  private destroyed = false;

  constructor(id: string, hosts: readonly HostSpec[], dir: string) {
    this.id = id;
    this.dir = dir;
    this.bridgeNs = `${id}-sw`;
    this.specs = new Map(hosts.map((h) => [h.name, h]));
  }

  /** Host names, in creation order. */
  hosts(): string[] {
    return [...this.specs.keys()];
  }

  /** The namespace name of `host` (for commands you build yourself, e.g. a dnsbench --event). */
  ns(host: string): string {
    if (!this.specs.has(host)) throw new Error(`lab ${this.id}: no host "${host}" (hosts: ${this.hosts().join(', ')})`);
    return `${this.id}-${host}`;
  }

  /** The eth0 address of `host`. */
  addr(host: string): string {
    const s = this.specs.get(host);
    if (!s) throw new Error(`lab ${this.id}: no host "${host}"`);
    return s.addr;
  }

  /** @internal called once by createLab. */
  async build(): Promise<void> {
    await this.ip(['netns', 'add', this.bridgeNs]);
    this.created.push(this.bridgeNs);
    await this.ip(['-n', this.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
    await this.ip(['-n', this.bridgeNs, 'link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '0', 'stp_state', '0', 'forward_delay', '0']);
    await this.ip(['-n', this.bridgeNs, 'link', 'set', 'br0', 'up']);
    // Hosts one after the other: each step is a few ms, and `ip netns add` of several namespaces
    // at once races on the /run/netns mount on some kernels.
    for (const h of this.specs.values()) {
      const ns = this.ns(h.name);
      await this.ip(['netns', 'add', ns]);
      this.created.push(ns);
      // lo: rndc's control channel and local probes use 127.0.0.1 inside the namespace.
      await this.ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      // Both ends are created directly in their namespaces: nothing appears in the root one.
      await this.ip(['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', `p-${h.name}`, 'netns', this.bridgeNs]);
      await this.ip(['-n', this.bridgeNs, 'link', 'set', `p-${h.name}`, 'master', 'br0', 'up']);
      for (const a of [h.addr, ...(h.extraAddrs ?? [])]) await this.ip(['-n', ns, 'addr', 'add', `${a}/${LAB_PREFIX_LEN}`, 'dev', 'eth0']);
      await this.ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    }
  }

  /** Runs `ip ARGS` in the root namespace's context (only ever with -n or netns subcommands). */
  private ip(args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return run('ip', args, opts);
  }

  /**
   * Runs `argv` in `host` (`ip netns exec`) and resolves its output. Throws on a non-zero exit
   * (message with the command and its stderr) unless `allowFailure`; bounded by `timeoutMs`.
   */
  async exec(host: string, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.assertUsable();
    return await run('ip', ['netns', 'exec', this.ns(host), ...argv], opts);
  }

  /**
   * Starts a long-running `argv` in `host`, stdout+stderr appended to `<dir>/<name>.log`. Its pid is
   * kept; destroy() stops it. `name` must be unique in the lab ([A-Za-z0-9_.-]).
   */
  spawn(host: string, name: string, argv: readonly string[]): LabProcess {
    this.assertUsable();
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new Error(`lab spawn: bad name "${name}"`);
    if (this.procs.some((p) => p.name === name)) throw new Error(`lab spawn: "${name}" already started`);
    const logFile = join(this.dir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn('ip', ['netns', 'exec', this.ns(host), ...argv], { cwd: this.dir, stdio: ['ignore', fd, fd], env: { ...process.env, PATH: LAB_PATH } });
    } finally {
      closeSync(fd);
    }
    if (child.pid === undefined) {
      // spawn reports ENOENT asynchronously; without a pid there is nothing to track
      throw new Error(`lab spawn ${name}: could not start ip netns exec ${argv.join(' ')}`);
    }
    const pid = child.pid;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
      if (child.exitCode !== null || child.signalCode !== null) res({ code: child.exitCode, signal: child.signalCode });
      child.once('exit', (code, signal) => res({ code, signal }));
    });
    child.once('error', () => undefined); // the exit event still fires; errors show in running()
    const running = (): boolean => child.exitCode === null && child.signalCode === null;
    const waitExit = (ms: number): Promise<boolean> =>
      running() ? Promise.race([exited.then(() => true), sleep(ms).then(() => !running())]) : Promise.resolve(true);
    let stopping: Promise<void> | null = null;
    const proc: LabProcess = {
      name,
      host,
      pid,
      logFile,
      exited,
      running,
      signal: (sig) => {
        if (running()) killPid(pid, sig);
      },
      stop: (graceMs = 3000) =>
        (stopping ??= (async () => {
          if (running()) killPid(pid, 'SIGTERM');
          if (!(await waitExit(graceMs))) {
            killPid(pid, 'SIGKILL');
            if (!(await waitExit(2000))) throw new Error(`lab ${this.id}: ${name} (pid ${pid}) did not exit after SIGKILL`);
          }
        })()),
      logTail: (lines = 30) => tail(logFile, lines),
    };
    this.procs.push(proc);
    return proc;
  }

  /** Writes `content` to `<dir>/<rel>` (creating sub dirs) and returns the absolute path. */
  async writeFile(rel: string, content: string): Promise<string> {
    if (rel.split('/').includes('..') || rel.startsWith('/')) throw new Error(`lab writeFile: "${rel}" must stay inside the lab dir`);
    const p = join(this.dir, rel);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, content);
    return p;
  }

  /**
   * The shell command that takes `host`'s bridge port down or up: the realistic "node died" (its
   * eth0 loses carrier; VRRP adverts and answers stop at once). For a dnsbench `--event`.
   */
  linkCommand(host: string, state: 'down' | 'up'): string {
    this.ns(host);
    return `ip -n ${this.bridgeNs} link set p-${host} ${state}`;
  }

  /** Takes `host`'s bridge port down (see linkCommand). */
  async linkDown(host: string): Promise<void> {
    this.assertUsable();
    this.ns(host);
    await this.ip(['-n', this.bridgeNs, 'link', 'set', `p-${host}`, 'down']);
  }

  /** Brings `host`'s bridge port back up. */
  async linkUp(host: string): Promise<void> {
    this.assertUsable();
    this.ns(host);
    await this.ip(['-n', this.bridgeNs, 'link', 'set', `p-${host}`, 'up']);
  }

  /** The IPv4 addresses on `host`'s eth0 right now (a VRRP VIP shows up here). */
  async addresses(host: string): Promise<string[]> {
    const r = await this.ip(['-n', this.ns(host), '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
    return [...r.stdout.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1] ?? '');
  }

  /** Processes started with spawn (running or not). */
  processes(): readonly LabProcess[] {
    return this.procs;
  }

  private assertUsable(): void {
    if (this.destroyed || this.destroying) throw new Error(`lab ${this.id} is destroyed`);
  }

  /**
   * Stops every process it spawned (SIGTERM, then SIGKILL after 3 s, by pid), SIGKILLs whatever else
   * still runs inside its namespaces (`ip netns pids`: e.g. keepalived's VRRP child), deletes every
   * namespace it created and its temp dir (kept with DNSBENCH_KEEP_RIG=1). Idempotent; never throws
   * for an already-gone piece, throws at the end if a namespace could not be deleted.
   */
  destroy(): Promise<void> {
    return (this.destroying ??= (async () => {
      await Promise.all(this.procs.map((p) => p.stop().catch(() => undefined)));
      const failures: string[] = [];
      for (const ns of [...this.created].reverse()) {
        // Bounded: a process that survives three SIGKILL rounds is reported, not waited on forever.
        for (let round = 0; round < 3; round++) {
          const pids = await nsPids(ns);
          if (pids.length === 0) break;
          for (const pid of pids) killPid(pid, 'SIGKILL');
          await sleep(50);
        }
        const r = await run('ip', ['netns', 'del', ns], { allowFailure: true });
        if (r.code !== 0 && !/No such file/.test(r.stderr)) failures.push(`${ns}: ${r.stderr.trim()}`);
      }
      this.created.length = 0;
      this.destroyed = true;
      liveLabs.delete(this);
      if (process.env.DNSBENCH_KEEP_RIG !== '1') rmSync(this.dir, { recursive: true, force: true });
      if (failures.length > 0) throw new Error(`lab ${this.id}: could not delete ${failures.join('; ')}`);
    })());
  }

  /** @internal the synchronous 'exit' fallback: SIGKILL by pid, then delete the namespaces. */
  destroySync(): void {
    for (const p of this.procs) if (p.running()) killPid(p.pid, 'SIGKILL');
    for (const ns of [...this.created].reverse()) {
      const out = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 2000, env: { ...process.env, PATH: LAB_PATH } });
      for (const pid of parsePids(out.stdout ?? '')) killPid(pid, 'SIGKILL');
      spawnSync('ip', ['netns', 'del', ns], { timeout: 2000, env: { ...process.env, PATH: LAB_PATH } });
    }
    this.created.length = 0;
    this.destroyed = true;
    if (process.env.DNSBENCH_KEEP_RIG !== '1') rmSync(this.dir, { recursive: true, force: true });
  }
}

function parsePids(text: string): number[] {
  return text
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 1 && n !== process.pid);
}

async function nsPids(ns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', ns], { allowFailure: true });
  return r.code === 0 ? parsePids(r.stdout).filter(pidAlive) : [];
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** execFile with a bound, output as text, and an error that names the command. */
export function run(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 10_000, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, env: { ...process.env, PATH: LAB_PATH }, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const ms = performance.now() - started;
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
        const res: ExecResult = { code, stdout, stderr, ms };
        if (code !== 0 && !opts.allowFailure) {
          reject(new Error(`${cmd} ${args.join(' ')} failed (${code === null ? String(err?.message) : `exit ${code}`}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
        } else resolve(res);
      },
    );
  });
}

/** `ip netns list` names that start with `prefix` (for the after-run check that nothing is left). */
export function listNamespaces(prefix = 'dnsb'): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', env: { ...process.env, PATH: LAB_PATH } });
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(prefix));
}
