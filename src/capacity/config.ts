// `dnsbench capacity` flags -> a validated CapacityConfig: the run's BenchConfig (every run flag
// applies) plus the search's own settings. Every check happens before the query file is read or a
// packet is sent; each failure is one UsageError line naming the flag (exit 2).
import { UsageError } from '../errors.js';
import { resolveConfig, type BenchConfig, type RawRunOptions } from '../config.js';
import { parseSlo, type Slo } from './slo.js';

/** What commander hands over for `dnsbench capacity` (strings, unvalidated). */
export interface RawCapacityOptions extends RawRunOptions {
  slo?: string;
  start?: string;
  max?: string;
  stepTime?: string;
  warmup?: string;
  precision?: string;
  ramp?: boolean;
  rampTime?: string;
  window?: string;
}

export interface CapacityConfig {
  /** The run flags, resolved as for a run (-Q, -l, -n are the search's to set). */
  bench: BenchConfig;
  slo: Slo;
  method: 'search' | 'ramp';
  /** Search: first rate (qps). */
  startQps: number;
  /** Highest rate to try (search), or the top of the ramp (qps); null = no limit (search only). */
  maxQps: number | null;
  /** Search: seconds per step, of which warmupSec (run first, as its own run) are not counted. */
  stepTimeSec: number;
  warmupSec: number;
  /** Search: stop when the gap between pass and fail is at most this, percent. */
  precisionPct: number;
  /** Search: each ramp step multiplies the rate by this. */
  factor: number;
  /** Ramp: seconds from 0 to maxQps. */
  rampTimeSec: number;
  /** Ramp: the sliding window each SLO check covers, seconds. */
  windowSec: number;
}

/** Capacity defaults that differ from a run's (README "Finding capacity" says why). */
export const CAPACITY_DEFAULTS = {
  start: 1000,
  stepTimeSec: 5,
  warmupSec: 1,
  precisionPct: 5,
  factor: 2,
  rampTimeSec: 60,
  windowSec: 1,
  /**
   * -t: 1 s. A lost query is only known when it times out, and every step that loses queries
   * waits that long at its end; an answer after 1 s misses any latency SLO worth searching for.
   */
  timeout: '1',
  /**
   * -q: 10,000. The search offers an open-loop rate; the window must hold rate x latency, plus
   * rate x loss x timeout while a step overloads the server, or the window (not the server)
   * would cap the rate.
   */
  outstanding: '10000',
  /**
   * -b: 4096 KB socket buffers (the kernel caps them at net.core.rmem_max/wmem_max). An answer that
   * arrives while a worker waits for a CPU waits in its socket; a full buffer drops it, and that
   * loss would be the generator's, not the server's (engine/udp-drops.ts counts such drops).
   */
  bufferKB: '4096',
  /** --interval for a ramp: 0.25 s, so a 1 s sliding window moves in quarter seconds. */
  rampInterval: '0.25',
} as const;

function number(flag: string, value: string, min: number, max: number, what: string, integer = false): number {
  const s = value.trim();
  const n = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag}: expected ${what} from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/** Run flags that the search sets itself, or that make no sense for it, and why. */
const REFUSED: Array<[keyof RawCapacityOptions, string, string]> = [
  ['maxQps', '-Q/--max-qps', 'the search sets the rate of each step (use --start and --max)'],
  ['timeLimit', '-l/--time-limit', 'each step lasts --step-time (or the ramp --ramp-time)'],
  ['runs', '-n/--runs', 'each step lasts --step-time, looping over the query file'],
  // -1 is queryperf's spelling of -n 1 (config.ts): refused with it, not silently ignored.
  ['onePass', '-1/--one-pass', 'each step lasts --step-time, looping over the query file'],
  ['startAt', '--start-at', 'a search is one generator; --start-at lines up several generators of one run'],
  ['segment', '--segment', 'a search needs the whole query file on one generator'],
  ['statsInterval', '-S/--stats-interval', 'the search prints one line per step'],
  ['event', '--event', 'events belong to one run\'s timeline; run them beside dnsbench capacity yourself'],
  ['watchSerial', '--watch-serial', 'it watches one run\'s timeline'],
  ['outageBelow', '--outage-below', 'outages belong to one run\'s timeline (use an SLO such as loss<1%)'],
  ['degradedAbove', '--degraded-above', 'it marks one run\'s timeline (use an SLO such as p99<5ms)'],
];

/** Resolve `dnsbench capacity`'s flags. Throws UsageError (exit 2). */
export async function resolveCapacityConfig(raw: RawCapacityOptions, opts: Parameters<typeof resolveConfig>[1] & object): Promise<CapacityConfig> {
  for (const [key, flag, why] of REFUSED) {
    if (raw[key] !== undefined) throw new UsageError(`${flag} does not apply to dnsbench capacity: ${why}`);
  }
  if (raw.slo === undefined) throw new UsageError("--slo is required, e.g. --slo 'p99<5ms,loss<0.1%' (the service level each rate must meet)");
  const slo = parseSlo(raw.slo);
  const method = raw.ramp === true ? 'ramp' : 'search';
  const max = raw.max === undefined ? null : number('--max', raw.max, 1, 100_000_000, 'queries per second', true);
  const c = CAPACITY_DEFAULTS;
  let startQps: number = c.start;
  let stepTimeSec: number = c.stepTimeSec;
  let warmupSec: number = c.warmupSec;
  let precisionPct: number = c.precisionPct;
  let rampTimeSec: number = c.rampTimeSec;
  let windowSec: number = c.windowSec;
  if (method === 'ramp') {
    for (const [v, flag] of [[raw.start, '--start'], [raw.stepTime, '--step-time'], [raw.warmup, '--warmup'], [raw.precision, '--precision']] as const) {
      if (v !== undefined) throw new UsageError(`${flag} applies to the step search, not to --ramp (which rises from 0 to --max over --ramp-time)`);
    }
    if (max === null) throw new UsageError('--ramp needs --max QPS: the rate at the top of the ramp (resperf -m)');
    if (raw.rampTime !== undefined) rampTimeSec = number('--ramp-time', raw.rampTime, 1, 86_400, 'seconds');
    if (raw.window !== undefined) windowSec = number('--window', raw.window, 0.1, 600, 'seconds');
    if (windowSec > rampTimeSec / 2) throw new UsageError(`--window ${windowSec}: at most half of --ramp-time (${rampTimeSec} s), or the ramp has hardly any windows`);
  } else {
    for (const [v, flag] of [[raw.rampTime, '--ramp-time'], [raw.window, '--window']] as const) {
      if (v !== undefined) throw new UsageError(`${flag} applies with --ramp only`);
    }
    if (raw.start !== undefined) startQps = number('--start', raw.start, 1, 100_000_000, 'queries per second', true);
    if (max !== null && max < startQps) throw new UsageError(`--max ${max} is below --start ${startQps}`);
    if (raw.stepTime !== undefined) stepTimeSec = number('--step-time', raw.stepTime, 0.5, 3600, 'seconds');
    if (raw.warmup !== undefined) warmupSec = number('--warmup', raw.warmup, 0, 3600, 'seconds');
    if (warmupSec >= stepTimeSec) throw new UsageError(`--warmup ${warmupSec} must be shorter than --step-time ${stepTimeSec} (the rest of the step is measured)`);
    if (stepTimeSec - warmupSec < 0.5) throw new UsageError(`--step-time ${stepTimeSec} with --warmup ${warmupSec} leaves less than 0.5 s to measure`);
    if (raw.precision !== undefined) precisionPct = number('--precision', raw.precision, 0.1, 100, 'a percentage');
  }
  const bench = await resolveConfig(
    {
      ...raw,
      timeout: raw.timeout ?? c.timeout,
      outstanding: raw.outstanding ?? c.outstanding,
      bufferSize: raw.bufferSize ?? c.bufferKB,
      interval: raw.interval ?? (method === 'ramp' ? c.rampInterval : undefined),
    },
    opts,
  );
  const lowest = method === 'ramp' ? max! : startQps;
  if (lowest < bench.threads) {
    throw new UsageError(`${method === 'ramp' ? '--max' : '--start'} ${lowest} is less than -T/--threads ${bench.threads}: every worker needs at least 1 qps; lower -T`);
  }
  if (method === 'ramp' && bench.intervalSec > windowSec) {
    throw new UsageError(`--interval ${bench.intervalSec} is longer than --window ${windowSec}: a window holds whole intervals`);
  }
  return {
    bench,
    slo,
    method,
    startQps,
    maxQps: max,
    stepTimeSec,
    warmupSec,
    precisionPct,
    factor: c.factor,
    rampTimeSec,
    windowSec,
  };
}
