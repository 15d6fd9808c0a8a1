// `dnsbench [options]`: the benchmark. Wiring only: config -> query set -> measure() (with a live
// printer and signal handling) -> gates -> the tail of the human view -> output files. Returns
// the exit code; throws typed errors (cli-main.ts maps them).
import { resolveConfig, type BenchConfig, type RawRunOptions } from '../config.js';
import { UsageError } from '../errors.js';
import { loadQuerySet } from '../queryset/load.js';
import type { StreamTuning } from '../queryset/stream.js';
import type { QuerySet } from '../queryset/types.js';
import { measure } from '../measure.js';
import { describePlan, planWorkers } from '../engine/split.js';
import { redactArgv } from '../redact.js';
import type { Console } from './console.js';
import { stopOnSignals } from './console.js';
import { exitCodeOf, finishRun, isHuman, type RunResult } from './finish.js';
import { applyGating } from './gating.js';
import { LivePrinter } from './live.js';
import { machineInfo } from './machine.js';
import { OpsRun } from './ops.js';
import { loadExpectations } from '../queryset/expect.js';
import { nativeUdp } from './native.js';
import { terminalText } from '../report/escape.js';

export async function runCommand(raw: RawRunOptions, argv: string[], con: Console): Promise<RunResult> {
  const config = await resolveConfig(raw, { stdinIsTTY: con.stdinIsTTY, native: nativeUdp() });
  // dnsperf's kind of warning, one line each on stderr, for every flag adjusted instead of refused.
  if (!config.quiet) for (const w of config.warnings) con.err(`Warning: ${w}\n`);
  const capacityGate = config.gating.gates.find((g) => g.metric.kind === 'capacity');
  if (capacityGate) throw new UsageError(`--gate "${capacityGate.expression}": capacity is measured by dnsbench capacity, not by a run (see dnsbench capacity --help)`);
  return withQuerySet(config, con, (querySet) => runWith(config, querySet, argv, con));
}

/**
 * Loads `config.queryFile` (whole, or streamed: streamTuning) with --expect's expectations beside
 * it, runs `body` on it, and closes a streamed input (and a pipe's spool) however `body` ends.
 * Throws what loadQuerySet and loadExpectations throw (InputError, UsageError).
 */
export async function withQuerySet<T>(config: BenchConfig, con: Console, body: (querySet: QuerySet) => Promise<T>): Promise<T> {
  const loaded = await loadQuerySet(config.queryFile, config.encode, con.stdin, config.segment, streamTuning(process.env));
  const d = loaded.directive ?? null;
  if (d !== null && !config.quiet) {
    // queryperf read these as settings; a file written for it would otherwise send elsewhere unseen.
    // The file's name is outside text (the directive's text is escaped where it was read).
    con.err(`Warning: ${terminalText(loaded.source)} line ${d.line}: queryperf's directive "${d.text}" is read as a comment; the server and port are -s and -p\n`);
  }
  try {
    // --expect: a side table beside the query set (only the queries with an expectation cost anything).
    const querySet =
      config.ops.expect || config.ops.expectFile !== null
        ? { ...loaded, expectations: await loadExpectations(loaded, { queryFile: config.queryFile, columns: config.ops.expect, expectFile: config.ops.expectFile }) }
        : loaded;
    return await body(querySet);
  } finally {
    await loaded.stream?.close();
  }
}

/**
 * Sizes of the streaming loader from the environment, for tests and for machines where 64 MiB in
 * memory is too much (README "Query files"): DNSBENCH_STREAM_THRESHOLD=bytes (inputs larger than
 * this are streamed) and DNSBENCH_STREAM_RING=slots:queriesPerSlot:bytesPerSlot. Ignored when not
 * whole positive numbers.
 */
export function streamTuning(env: NodeJS.ProcessEnv): Partial<StreamTuning> {
  const out: Partial<StreamTuning> = {};
  const num = (v: string | undefined): number | null => (v !== undefined && /^\d{1,12}$/.test(v) && Number(v) > 0 ? Number(v) : null);
  const threshold = num(env['DNSBENCH_STREAM_THRESHOLD']);
  if (threshold !== null) out.thresholdBytes = threshold;
  const ring = (env['DNSBENCH_STREAM_RING'] ?? '').split(':');
  const [slots, perSlot, slotBytes] = [num(ring[0]), num(ring[1]), num(ring[2])];
  if (slots !== null) out.slots = slots;
  if (perSlot !== null) out.perSlot = perSlot;
  if (slotBytes !== null) out.slotBytes = slotBytes;
  return out;
}

async function runWith(config: BenchConfig, querySet: QuerySet, argv: string[], con: Console): Promise<RunResult> {
  const command = redactArgv(argv);
  const stop = stopOnSignals(con);
  if (config.verbose) con.err(`dnsbench: ${describePlan(planWorkers(config), config.maxQps)}\n`);
  if (config.gating.repeat > 1) return (await import('./repeat.js')).runRepeated(config, querySet, command, con, stop);
  const human = isHuman(config);
  const ops = new OpsRun(config, new LivePrinter(config, con, command, human, { queries: querySet.count, signal: stop.signal }), con);
  let measured: Awaited<ReturnType<typeof measure>>;
  try {
    measured = await measure(config, querySet, { command, machine: machineInfo(), signal: stop.signal, observer: ops });
  } catch (e) {
    await ops.abort();
    throw e;
  }
  const report = applyGating(await ops.complete(measured, stop.stoppedBy() !== null), config.gating);
  finishRun(report, config, con, false);
  return { report, exitCode: exitCodeOf(report, stop.stoppedBy()) };
}

