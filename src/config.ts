// Raw CLI options -> a validated, readonly BenchConfig. Every check happens here, before a query
// file is read or a packet is sent; each failure is a UsageError naming the flag and what it
// accepts (exit code 2).
import { lookup } from 'node:dns/promises';
import { existsSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import { UsageError } from './errors.js';
import { checkDistinctOutputs, checkFileOutput, checkWritableDir, stdoutAsDash } from './paths.js';
import { MAX_TARGETS, type ReportConfig } from './results/report.js';
import type { NativeUdpLoad } from './engine/native/addon.js';
import type { EdnsOption, EncodeOptions } from './queryset/types.js';
import {
  DEFAULT_PORTS, OPTION_NSID, parseEcsList, parseEdnsSize, parseLocalAddresses, resolveTransport,
  type RawTransportOptions, type TransportConfig,
} from './transport-config.js';
export { workerTransport } from './transport-config.js';
import { parseSegment, type Segment } from './queryset/segment.js';
import { parseStartAt } from './start-at.js';
import { resolveOps, type OpsConfig, type RawOpsOptions } from './ops-config.js';
import { checkGatingTargets, gatingForReport, resolveGating, targetNames, type GatingConfig, type RawGateOptions } from './gates/config.js';

export interface TargetSpec {
  label: string;
  host: string;
  port: number;
  family: 4 | 6;
  /** The -s value as given. */
  spec: string;
}

export interface BenchConfig {
  targets: TargetSpec[];
  mode: 'sequential' | 'interleave';
  queryFile: string;
  /** -l: stop sending after this many seconds. */
  timeLimitSec: number | null;
  /** -n: passes through the query file. Neither -l nor -n means one pass. */
  passes: number | null;
  threads: number;
  sockets: number;
  outstanding: number;
  maxQps: number | null;
  timeoutSec: number;
  /** -S: print interval statistics every N seconds. */
  statsIntervalSec: number | null;
  /** Length of the report's intervals (--interval, default 1 s; independent of -S since issue 12). */
  intervalSec: number;
  encode: EncodeOptions;
  bufferKB: number | null;
  /** -a: local addresses, spread round-robin over the sockets; empty = the kernel's choice. */
  localAddresses: string[];
  localPort: number | null;
  /** -m and everything about the wire beyond plain UDP: TCP, DoT, DoH, fallback, TSIG, NSID. */
  transport: TransportConfig;
  verbose: boolean;
  quiet: boolean;
  json: string | null;
  title: string | null;
  /** --html FILE: the self-contained HTML report. */
  html: string | null;
  /** --csv FILE: the interval series per target. */
  csv: string | null;
  /** --gate, --baseline, --repeat, --junit, --markdown (src/gates/config.ts). */
  gating: GatingConfig;
  /**
   * --io: the native addon to use (its path) or null for Node's dgram and timers, and the line the
   * report prints ("native", or "dgram (native addon unavailable: REASON)").
   */
  io: { nativePath: string | null; description: string };
  /** --segment I/N: send only the file's queries i with i mod N == I-1 (src/segment.ts); null = all. */
  segment: Segment | null;
  /** --start-at: epoch ms at which sending starts (src/start-at.ts); null = as soon as ready. */
  startAtMs: number | null;
  /** --event, --outage-below, --degraded-above, --expect, --rrset-order, --watch-serial (src/ops-config.ts). */
  ops: OpsConfig;
  /**
   * What was adjusted instead of refused, one line each in dnsperf's words ("requested number of
   * threads (-T 4) exceeds number of clients (-c 2), lowering number of threads to 2"); the run
   * prints each as `Warning: ...` on stderr. Not part of the report (its config holds the values used).
   */
  warnings: string[];
}

/** What commander hands over: strings (or arrays for repeatable flags), unvalidated. */
export interface RawRunOptions extends RawGateOptions, RawTransportOptions, RawOpsOptions {
  server?: string[];
  port?: string;
  datafile?: string;
  timeLimit?: string;
  runs?: string;
  /** queryperf's -1: one pass through the file (-n 1). */
  onePass?: boolean;
  clients?: string;
  threads?: string;
  outstanding?: string;
  maxQps?: string;
  timeout?: string;
  statsInterval?: string;
  interval?: string;
  edns?: boolean;
  dnssec?: boolean;
  ednsOption?: string[];
  bufferSize?: string;
  localAddr?: string;
  localPort?: string;
  recurse?: boolean;
  family?: string;
  verbose?: boolean;
  quiet?: boolean;
  json?: string;
  title?: string;
  interleave?: boolean;
  html?: string;
  csv?: string;
  io?: string;
  segment?: string;
  startAt?: string;
}

// --- number parsing ---------------------------------------------------------------------------

/**
 * A decimal number in [min, max]; throws UsageError naming the flag, the range (`range` words it
 * when the caller refuses more, such as -t 0) and what was given, plus `hint` (how to write a unit).
 */
function num(flag: string, value: string, o: { min: number; max: number; integer: boolean; what: string; range?: string; hint?: string }): number {
  const s = value.trim();
  const n = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : NaN;
  const ok = Number.isFinite(n) && n >= o.min && n <= o.max && (!o.integer || Number.isInteger(n));
  if (!ok) throw new UsageError(`${flag}: expected ${o.what} ${o.range ?? `from ${o.min} to ${o.max}`}, got "${value}"${o.hint ?? ''}`);
  return n;
}

const int = (flag: string, value: string, min: number, max: number, what = 'a whole number'): number =>
  num(flag, value, { min, max, integer: true, what });

/** Seconds, as dnsperf's -l/-t/-S take them: a plain number, no unit. "500ms" gets "(... e.g. 0.5 for 500ms)". */
const seconds = (flag: string, value: string, min: number, max: number, range?: string): number =>
  num(flag, value, { min, max, integer: false, what: 'seconds (fractions allowed)', range, hint: unitHint(value) });

/** " (a plain number of seconds, without a unit: 0.5 for 500ms)" when `value` is a number with a time unit. */
function unitHint(value: string): string {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|min)\s*$/i.exec(value);
  if (m === null) return '';
  const scale: Record<string, number> = { us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, min: 60 };
  const sec = Number(m[1]) * scale[m[2]!.toLowerCase()]!;
  return ` (a plain number of seconds, without a unit: ${String(Number(sec.toPrecision(6)))} for ${m[1]}${m[2]})`;
}

// --- targets -------------------------------------------------------------------------------------

const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

/** `host`, `host:port`, `[v6]`, `[v6]:port`, bare IPv6, each optionally prefixed `label=`. */
export function parseServerSpec(spec: string, defaultPort: number): { label: string | null; host: string; port: number } {
  let rest = spec.trim();
  let label: string | null = null;
  const eq = rest.indexOf('=');
  if (eq >= 0) {
    label = rest.slice(0, eq);
    rest = rest.slice(eq + 1);
    if (!LABEL.test(label)) {
      throw new UsageError(`-s ${spec}: label "${label}" must be 1-32 letters, digits, '.', '_' or '-' and start with a letter or digit`);
    }
  }
  let host = rest;
  let port = defaultPort;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2] !== undefined) port = int(`-s ${spec}`, bracket[2], 1, 65535, 'a port');
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    const i = rest.indexOf(':');
    host = rest.slice(0, i);
    port = int(`-s ${spec}`, rest.slice(i + 1), 1, 65535, 'a port');
  }
  if (host === '' || /[\s/]/.test(host) || (host.includes(':') && isIP(host) !== 6)) {
    throw new UsageError(`-s ${spec}: expected host, host:port, [IPv6]:port or label=..., got "${spec}"`);
  }
  return { label, host, port };
}

async function resolveTarget(spec: string, defaultPort: number, family: 0 | 4 | 6, index: number): Promise<TargetSpec> {
  const p = parseServerSpec(spec, defaultPort);
  let host = p.host;
  let fam = isIP(host);
  if (fam === 0) {
    try {
      const r = await lookup(host, { family });
      host = r.address;
      fam = r.family;
    } catch (e) {
      throw new UsageError(`-s ${spec}: cannot resolve "${p.host}" (${(e as NodeJS.ErrnoException).code ?? 'lookup failed'})`);
    }
  }
  if (family !== 0 && fam !== family) throw new UsageError(`-s ${spec}: not an IPv${family} address, but -f asks for IPv${family}`);
  const label = p.label ?? (index === 0 ? p.host : `${p.host}#${index + 1}`);
  return { label, host, port: p.port, family: fam as 4 | 6, spec };
}

// --- EDNS ----------------------------------------------------------------------------------------

/** -E code:hexvalue (dnsperf), e.g. 10:0011223344556677 (a client cookie). */
export function parseEdnsOption(value: string): EdnsOption {
  const m = /^(\d{1,5}):([0-9a-fA-F]*)$/.exec(value.trim());
  const code = m ? Number(m[1]) : NaN;
  if (!m || code > 65535 || m[2]!.length % 2 !== 0) {
    throw new UsageError(`-E: expected code:hexvalue with a code from 0 to 65535 and an even number of hex digits, got "${value}"`);
  }
  return { code, data: Uint8Array.from(Buffer.from(m[2]!, 'hex')) };
}

// --- concurrency: -T, -c, -q, -Q (adjusted as dnsperf adjusts, never refused) ------------------

/**
 * Sockets per process. Each socket keeps its own 65536-slot ID table (about 2 MB once a long run
 * has used every ID), so 1024 sockets are ~2 GB; dnsperf's own cap is 256 per thread.
 */
export const MAX_SOCKETS = 1024;
/** Outstanding queries per socket: its DNS ID space (dnsperf: 65536 per thread, NQIDS). */
export const MAX_WINDOW_PER_SOCKET = 65535;
/** -S below this prints at this interval: faster lines would measure timer jitter and flood stdout. */
export const MIN_STATS_INTERVAL_SEC = 0.01;
/** -t must leave a query some time (dnsperf accepts any positive value; 0 would lose every query). */
const MIN_TIMEOUT_SEC = 0.000001;

/**
 * A -T above this (dnsperf's per-thread socket cap, 256) with no -Q is more likely queryperf's
 * `-T qps` than a thread count: the warning that lowers it then names -Q.
 */
const QUERYPERF_RATE_HINT_ABOVE = 256;

/**
 * -T, -c and -q as the engine can run them, adjusting what dnsperf would have run instead of
 * refusing it (src/dnsperf.c setup() and threadinfo_init()), with one warning per adjustment:
 * - -Q below -T lowers the threads (a thread needs at least 1 qps), as dnsperf does;
 * - -c above -q lowers the sockets to -q: each of our sockets owns its share of the window, so
 *   a socket without a slot would never send. dnsperf shares one window per thread over its
 *   sockets; the load it holds is -q outstanding queries, and so does this. (Neither tool warns
 *   when the defaults make this happen: only flags the user gave are named.)
 * - -c above MAX_SOCKETS lowers the sockets ("exceeds built-in maximum", dnsperf's words for its
 *   256 per thread);
 * - -T above -c lowers the threads, as dnsperf does;
 * - more than MAX_WINDOW_PER_SOCKET outstanding per socket lowers -q (dnsperf: 65536 per thread).
 * -T itself has no cap: the engine runs -T send/receive loops on min(-T, cores) threads.
 * Defaults: -T the CPU cores (at most -c), -c one socket per thread, -q 100.
 */
function resolveConcurrency(raw: RawRunOptions, maxQps: number | null, warnings: string[]): { threads: number; sockets: number; outstanding: number } {
  const cores = Math.max(1, os.availableParallelism());
  const threadsGiven = raw.threads === undefined ? null : int('-T/--threads', raw.threads, 1, 1_000_000_000);
  const clientsGiven = raw.clients === undefined ? null : int('-c/--clients', raw.clients, 1, 1_000_000_000);
  let outstanding = raw.outstanding === undefined ? 100 : int('-q/--outstanding', raw.outstanding, 1, 1_000_000_000);

  let threads = threadsGiven ?? (clientsGiven !== null ? Math.min(cores, clientsGiven) : cores);
  if (maxQps !== null && maxQps < threads) {
    if (threadsGiven !== null) {
      warnings.push(`requested max QPS limit (-Q ${maxQps}) is lower than number of threads (-T ${threads}), lowering number of threads to ${maxQps}`);
    }
    threads = maxQps;
  }
  let sockets = clientsGiven ?? threads;
  if (sockets > outstanding) {
    if (clientsGiven !== null) {
      warnings.push(
        `requested number of clients (-c ${sockets}) exceeds the number of outstanding queries (-q ${outstanding}), lowering number of clients to ${outstanding}` +
          ' (each socket needs a query in flight; the load stays -q ' + outstanding + ' outstanding, as in dnsperf)',
      );
    }
    sockets = outstanding;
  }
  if (sockets > MAX_SOCKETS) {
    warnings.push(
      `requested number of clients (-c ${sockets}) exceeds built-in maximum ${MAX_SOCKETS}, adjusting` +
        ' (each socket holds a 2 MB ID table; for more source ports run several processes with --segment)',
    );
    sockets = MAX_SOCKETS;
  }
  if (threads > sockets) {
    if (threadsGiven !== null) {
      warnings.push(
        `requested number of threads (-T ${threads}) exceeds number of clients (-c ${sockets}), lowering number of threads to ${sockets}` +
          // queryperf's -T is a rate: a queryperf habit gets a hint, a dnsperf thread count keeps dnsperf's line.
          (maxQps === null && threads > QUERYPERF_RATE_HINT_ABOVE ? ` (queryperf's -T ${threads}, queries per second, is -Q ${threads} here)` : ''),
      );
    }
    threads = sockets;
  }
  if (Math.ceil(outstanding / sockets) > MAX_WINDOW_PER_SOCKET) {
    const max = MAX_WINDOW_PER_SOCKET * sockets;
    warnings.push(
      `requested number of outstanding queries (-q ${outstanding}) per socket exceeds built-in maximum ${MAX_WINDOW_PER_SOCKET}, adjusting to ${max}` +
        ` (${sockets} socket(s); raise -c for a larger window)`,
    );
    outstanding = max;
  }
  return { threads, sockets, outstanding };
}

/** -S: null when not given or 0 (dnsperf: no lines); below MIN_STATS_INTERVAL_SEC raised to it, with a warning. */
function resolveStatsInterval(value: string | undefined, warnings: string[]): number | null {
  if (value === undefined) return null;
  const sec = seconds('-S/--stats-interval', value, 0, 86_400);
  if (sec === 0) return null;
  if (sec < MIN_STATS_INTERVAL_SEC) {
    warnings.push(
      `-S ${value} is below ${MIN_STATS_INTERVAL_SEC} s, printing every ${MIN_STATS_INTERVAL_SEC} s` +
        ` (dnsperf would print a line every ${trimNumber(sec * 1000)} ms: a flood of lines that measure timer jitter, not the server)`,
    );
    return MIN_STATS_INTERVAL_SEC;
  }
  return sec;
}

const trimNumber = (n: number): string => String(Number(n.toPrecision(6)));

// --- the whole config ----------------------------------------------------------------------------

/**
 * --io auto|native|dgram against what the caller could load (commands/ load the addon with the
 * process's env and platform; without it the dgram path is used and the report says why).
 * Throws UsageError for --io native when the addon is unavailable.
 */
export function resolveIo(value: string | undefined, mode: string, native: NativeUdpLoad | undefined): BenchConfig['io'] {
  const choice = (value ?? 'auto').toLowerCase();
  if (choice !== 'auto' && choice !== 'native' && choice !== 'dgram') throw new UsageError(`--io: expected auto, native or dgram, got "${value}"`);
  const load = native ?? { ok: false as const, reason: 'not loaded' };
  if (choice === 'native' && !load.ok) throw new UsageError(`--io native: the native UDP addon is unavailable: ${load.reason}`);
  if (choice === 'dgram') return { nativePath: null, description: mode === 'udp' ? 'dgram (--io dgram)' : mode };
  if (!load.ok) return { nativePath: null, description: mode === 'udp' ? `dgram (native addon unavailable: ${load.reason})` : mode };
  // The addon's precise timer paces every transport; its sockets only carry UDP.
  return { nativePath: load.path, description: mode === 'udp' ? 'native' : mode };
}

export async function resolveConfig(
  raw: RawRunOptions,
  opts: { stdinIsTTY: boolean; native?: NativeUdpLoad } = { stdinIsTTY: false },
): Promise<BenchConfig> {
  const gating = resolveGating(raw);
  const transport = resolveTransport(raw);
  const io = resolveIo(raw.io, transport.mode, opts.native);
  const defaultPort = raw.port === undefined ? DEFAULT_PORTS[transport.mode] : int('-p/--port', raw.port, 1, 65535, 'a port');
  const family = raw.family === undefined ? 0 : ({ inet: 4, inet6: 6, any: 0 } as const)[raw.family as 'inet' | 'inet6' | 'any'];
  if (family === undefined) throw new UsageError(`-f/--family: expected inet, inet6 or any, got "${raw.family}"`);

  const warnings: string[] = [];
  // dnsperf reads -l, -t and -S as any decimal and 0 as "not set" (-l 0 -> one pass, -S 0 -> no lines).
  const timeLimitRaw = raw.timeLimit === undefined ? 0 : seconds('-l/--time-limit', raw.timeLimit, 0, 31_536_000);
  const timeLimitSec = timeLimitRaw > 0 ? timeLimitRaw : null;
  if (raw.onePass === true && raw.runs !== undefined && raw.runs.trim() !== '1') {
    throw new UsageError(`-1 means -n 1 (queryperf's one pass), but -n ${raw.runs} is given too; keep one of them`);
  }
  const passes = raw.onePass === true ? 1 : raw.runs === undefined ? null : int('-n/--runs', raw.runs, 1, 1_000_000_000);
  const maxQps = raw.maxQps === undefined ? null : int('-Q/--max-qps', raw.maxQps, 1, 100_000_000, 'queries per second');
  const { threads, sockets, outstanding } = resolveConcurrency(raw, maxQps, warnings);
  const timeoutSec = raw.timeout === undefined ? 5 : seconds('-t/--timeout', raw.timeout, 0, 3600, 'above 0, at most 3600');
  if (timeoutSec < MIN_TIMEOUT_SEC) {
    throw new UsageError(`-t/--timeout ${raw.timeout}: expected more than 0 seconds (a query needs some time to be answered; e.g. -t 0.001)`);
  }
  const statsIntervalSec = resolveStatsInterval(raw.statsInterval, warnings);
  const intervalSec = raw.interval === undefined ? 1 : seconds('--interval', raw.interval, 0.05, 3600);

  const ednsOptions = (raw.ednsOption ?? []).map(parseEdnsOption);
  const ednsSize = parseEdnsSize(raw.ednsSize);
  const ecs = parseEcsList(raw.ecs, ednsOptions);
  if (transport.nsid) ednsOptions.push({ code: OPTION_NSID, data: new Uint8Array(0) });
  const wantEdns = raw.edns === true || raw.dnssec === true || ednsOptions.length > 0 || ednsSize !== null || ecs.length > 0;
  const encode: EncodeOptions = {
    recursionDesired: raw.recurse !== false,
    edns: wantEdns ? { udpSize: ednsSize ?? 4096, dnssecOk: raw.dnssec === true, options: ednsOptions } : null,
    ...(ecs.length > 0 ? { ecs } : {}),
  };

  const bufferKB = raw.bufferSize === undefined ? null : int('-b/--buffer-size', raw.bufferSize, 1, 1_048_576, 'kilobytes');
  const localAddresses = parseLocalAddresses(raw.localAddr);
  if (localAddresses.length > sockets) {
    throw new UsageError(`-a/--local-addr: ${localAddresses.length} addresses but only ${sockets} socket(s) to spread them over; raise -c/--clients`);
  }
  const localPort = raw.localPort === undefined ? null : int('-x/--local-port', raw.localPort, 1, 65535, 'a port');

  const segment = raw.segment === undefined ? null : parseSegment(raw.segment);
  const startAtMs = raw.startAt === undefined ? null : parseStartAt(raw.startAt);
  if (startAtMs !== null && gating.repeat > 1) {
    throw new UsageError('--start-at cannot be combined with --repeat: only the first run could start at that time');
  }

  const ops = resolveOps(raw, { repeat: gating.repeat, mode: raw.interleave ? 'interleave' : 'sequential' });
  // Asking for fine intervals, or gating on outages, asks for the timeline too.
  if (raw.interval !== undefined || gating.gates.some((g) => g.metric.name.startsWith('outage'))) ops.timeline = true;
  if (ops.watchSerial !== null && (transport.mode === 'dot' || transport.mode === 'doh')) {
    throw new UsageError(`--watch-serial asks over UDP, which a -m ${transport.mode} target does not answer on its port; watch the zone in a separate run with -m udp`);
  }

  const datafile = raw.datafile ?? '-';
  if (datafile === '-' && opts.stdinIsTTY) {
    throw new UsageError('-d/--datafile: no query file given and stdin is a terminal; give -d FILE or pipe queries in (see --help)');
  }
  if (datafile !== '-' && !existsSync(datafile)) throw new UsageError(`-d/--datafile: no such file "${datafile}"`);
  if (datafile !== '-' && statSync(datafile).isDirectory()) throw new UsageError(`-d/--datafile: "${datafile}" is a directory, expected a query file`);

  const json = stdoutAsDash(raw.json ?? null);
  if (json !== null && json !== '-') checkWritableDir('--json', json);
  const html = raw.html ?? null;
  if (html !== null) checkFileOutput('--html', html);
  const csv = raw.csv ?? null;
  if (csv !== null) checkFileOutput('--csv', csv);
  checkDistinctOutputs(
    [['--json', json], ['--html', html], ['--csv', csv], ['--junit', gating.junit], ['--markdown', gating.markdown]],
    // Every file the run reads: the baseline too (`--baseline last.json --json last.json` replaced
    // it with the run being judged), and the CA file.
    [['-d/--datafile', datafile], ['--expect-file', raw.expectFile], ['--baseline', gating.baseline?.file], ['--tls-ca', raw.tlsCa]],
  );

  const specs = raw.server && raw.server.length > 0 ? raw.server : ['127.0.0.1'];
  if (specs.length > MAX_TARGETS) {
    throw new UsageError(`-s/--server: at most ${MAX_TARGETS} targets in one run (the most a report holds), got ${specs.length}; split them over several runs`);
  }
  const targets: TargetSpec[] = [];
  for (const [i, s] of specs.entries()) targets.push(await resolveTarget(s, defaultPort, family, i));
  const labels = new Set<string>();
  for (const t of targets) {
    if (labels.has(t.label)) throw new UsageError(`-s: label "${t.label}" is used twice; give each target its own label=`);
    labels.add(t.label);
  }
  for (const localAddress of localAddresses) {
    const fam = isIP(localAddress);
    const bad = targets.find((t) => t.family !== fam);
    if (bad) throw new UsageError(`-a/--local-addr ${localAddress} is IPv${fam} but -s ${bad.spec} is IPv${bad.family}`);
  }
  if (localPort !== null && localPort + sockets * targets.length - 1 > 65535) {
    throw new UsageError(`-x/--local-port ${localPort}: ${sockets * targets.length} sockets need consecutive ports up to ${localPort + sockets * targets.length - 1}, above 65535`);
  }

  checkGatingTargets(gating, targetNames(targets), maxQps !== null);

  return {
    targets,
    mode: raw.interleave ? 'interleave' : 'sequential',
    queryFile: datafile,
    timeLimitSec,
    passes: timeLimitSec === null && passes === null ? 1 : passes,
    threads,
    sockets,
    outstanding,
    maxQps,
    timeoutSec,
    statsIntervalSec,
    intervalSec,
    encode,
    bufferKB,
    localAddresses,
    localPort,
    transport,
    verbose: raw.verbose === true,
    quiet: raw.quiet === true,
    json,
    title: raw.title ?? null,
    html,
    csv,
    gating,
    segment,
    startAtMs,
    ops,
    io,
    warnings,
  };
}

/** The config as the report stores it (everything but the split, which the run adds); the TSIG secret is redacted here. */
export function configForReport(c: BenchConfig): Omit<ReportConfig, 'split'> {
  const { io, warnings: _warnings, ...rest } = c;
  return {
    ...rest,
    io: io.description,
    transport: { ...rest.transport, tsig: c.transport.tsig && { algorithm: c.transport.tsig.algorithm, name: c.transport.tsig.name, secret: '<redacted>' } },
    gating: gatingForReport(c.gating),
    encode: {
      ...c.encode,
      edns: c.encode.edns && {
        ...c.encode.edns,
        options: c.encode.edns.options.map((o) => ({ code: o.code, data: Buffer.from(o.data).toString('hex') })),
      },
    },
  };
}
