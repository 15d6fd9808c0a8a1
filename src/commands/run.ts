// `dnsbench [options]`: the benchmark. Wiring only: config -> query set -> measure() (with a live
// printer and signal handling) -> gates -> the tail of the human view -> output files. Returns
// the exit code; throws typed errors (bin.ts maps them).
import { resolveConfig, type RawRunOptions } from '../config.js';
import { UsageError } from '../errors.js';
import { loadQuerySet } from '../queryset/load.js';
import { measure } from '../measure.js';
import { describePlan, planWorkers } from '../engine/split.js';
import { redactArgv } from '../redact.js';
import type { Console } from './console.js';
import { stopOnSignals } from './console.js';
import { exitCodeOf, finishRun, isHuman, type RunResult } from './finish.js';
import { applyGating } from './gating.js';
import { LivePrinter } from './live.js';
import { machineInfo } from './machine.js';
import { nativeUdp } from './native.js';

export async function runCommand(raw: RawRunOptions, argv: string[], con: Console): Promise<RunResult> {
  const config = await resolveConfig(raw, { stdinIsTTY: con.stdinIsTTY, native: nativeUdp() });
  // dnsperf's kind of warning, one line each on stderr, for every flag adjusted instead of refused.
  if (!config.quiet) for (const w of config.warnings) con.err(`Warning: ${w}\n`);
  const capacityGate = config.gating.gates.find((g) => g.metric.kind === 'capacity');
  if (capacityGate) throw new UsageError(`--gate "${capacityGate.expression}": capacity is measured by dnsbench capacity, not by a run (see dnsbench capacity --help)`);
  const querySet = await loadQuerySet(config.queryFile, config.encode, con.stdin, config.segment);
  const command = redactArgv(argv);
  const stop = stopOnSignals(con);
  if (config.verbose) con.err(`dnsbench: ${describePlan(planWorkers(config), config.maxQps)}\n`);
  if (config.gating.repeat > 1) return (await import('./repeat.js')).runRepeated(config, querySet, command, con, stop);
  const human = isHuman(config);
  const report = applyGating(
    await measure(config, querySet, { command, machine: machineInfo(), signal: stop.signal, observer: new LivePrinter(config, con, command, human, { queries: querySet.count, signal: stop.signal }) }),
    config.gating,
  );
  finishRun(report, config, con, false);
  return { report, exitCode: exitCodeOf(report, stop.stoppedBy()) };
}

