// `dnsbench [options]`: the benchmark. Wiring only: config -> query set -> engine (per target)
// -> merge -> report -> renderers -> stdout/files. Returns the exit code; throws typed errors.
import { ExitCode, type ExitCodeValue } from '../errors.js';
import { configForReport, resolveConfig, type BenchConfig, type RawRunOptions } from '../config.js';
import { loadQuerySet } from '../queryset/load.js';
import type { QuerySet } from '../queryset/types.js';
import { runEngine } from '../engine/pool.js';
import { describePlan, planWorkers, split } from '../engine/split.js';
import type { WorkerInterval } from '../engine/protocol.js';
import { mergeRunData, mergeIntervals } from '../results/merge.js';
import { machineInfo, targetReport, type Report, type TargetReport } from '../results/report.js';
import { renderStatistics, renderStatusFooter, renderStatusHeader } from '../report/text.js';
import { renderTables } from '../report/table.js';
import { renderJson } from '../report/json.js';
import { writeFileAtomic } from '../io.js';
import { VERSION } from '../version.js';
import { redactArgv } from '../redact.js';
import type { Console } from './console.js';

export interface RunResult {
  report: Report;
  exitCode: ExitCodeValue;
}

export async function runCommand(raw: RawRunOptions, argv: string[], con: Console): Promise<RunResult> {
  const config = await resolveConfig(raw, { stdinIsTTY: con.stdinIsTTY });
  const querySet = await loadQuerySet(config.queryFile, config.encode, con.stdin);
  return benchmark(config, querySet, argv, con);
}

export async function benchmark(config: BenchConfig, querySet: QuerySet, argv: string[], con: Console): Promise<RunResult> {
  const out = outputs(config, con);
  const plans = planWorkers({ threads: config.threads, sockets: config.sockets, outstanding: config.outstanding, rate: config.maxQps });
  const notes: string[] = [`Split: ${describePlan(plans)}.`];
  if (config.verbose) con.err(`dnsbench: ${notes[0]}\n`);

  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1) {
      con.err('\ndnsbench: stopping; outstanding queries count as interrupted (Ctrl-C again to quit now)\n');
      abort.abort();
    } else {
      con.exit(ExitCode.interrupted);
    }
  };
  con.onInterrupt(onSigint);

  const startedAt = new Date();
  const targets: TargetReport[] = [];
  try {
    for (const [ti, target] of config.targets.entries()) {
      if (abort.signal.aborted) break;
      const intervals = new IntervalPrinter(plans.length, config, con, out.human);
      let sockets: Array<{ local: string; remote: string }> = [];
      const partials = await runEngine(
        {
          targets: [{ host: target.host, port: target.port, family: target.family }],
          plans,
          querySet,
          passes: config.passes,
          timeLimitMs: config.timeLimitSec === null ? null : config.timeLimitSec * 1000,
          timeoutMs: config.timeoutSec * 1000,
          intervalMs: config.intervalSec * 1000,
          bufferBytes: config.bufferKB === null ? null : config.bufferKB * 1024,
          localAddress: config.localAddress,
          localPort: config.localPort === null ? null : config.localPort,
          verbose: config.verbose,
          encode: config.encode,
        },
        {
          onReady: (s) => {
            sockets = s;
          },
          onInterval: (w, _t, iv) => intervals.add(w, iv),
          onVerbose: (lines) => (out.human ? con.out(lines) : con.err(lines)),
        },
        abort.signal,
      );
      intervals.done();
      const data = mergeRunData(partials.map((p) => p[0]!));
      const t = targetReport(target, data, { targetQps: config.maxQps, sockets });
      targets.push(t);
      if (ti < config.targets.length - 1 && out.human) con.err(`dnsbench: ${t.label} done, next target\n`);
    }
  } finally {
    con.offInterrupt(onSigint);
  }

  if (abort.signal.aborted) notes.push('Interrupted by Ctrl-C: queries outstanding at that moment are counted as interrupted, not lost.');
  const silent = targets.filter((t) => t.counters.sent > 0 && t.counters.completed === 0 && t.counters.interrupted < t.counters.sent);
  for (const t of silent) {
    notes.push(
      `Nothing answered from ${t.server}: ${t.counters.sent} queries sent, none completed` +
        (t.counters.socketErrors > 0 ? ` (${t.counters.socketErrors} ICMP/socket errors: nothing is listening on that port)` : '') +
        '. Is a DNS server listening at that address and port?',
    );
  }
  const report: Report = {
    $schema: 'https://dnsbench.dev/schema/report-v1.json',
    schemaVersion: 1,
    tool: { name: 'dnsbench', version: VERSION },
    title: config.title,
    command: redactArgv(argv),
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    machine: machineInfo(),
    config: configForReport(config),
    querySet: { source: querySet.source, count: querySet.count, sha256: querySet.sha256 },
    mode: config.mode,
    targets,
    notes,
  };

  writeOutputs(report, config, con, out.human);
  const exitCode = silent.length > 0 ? ExitCode.runFailed : ExitCode.ok;
  return { report, exitCode };
}

function outputs(config: BenchConfig, con: Console): { human: boolean } {
  // JSON on stdout means nothing else may go there; --quiet silences the human view.
  return { human: !config.quiet && config.json !== '-' && con !== undefined };
}

function writeOutputs(report: Report, config: BenchConfig, con: Console, human: boolean): void {
  if (human) {
    for (const t of report.targets) {
      if (report.targets.length > 1) con.out(`=== ${t.label} (${t.server}) ===\n`);
      con.out(renderStatusHeader(report, t) + renderStatusFooter(report, t) + renderStatistics(t));
      con.out(renderTables({ ...report, notes: [] }, t) + '\n');
    }
    for (const n of report.notes.slice(config.verbose ? 1 : 1)) con.out(`Note: ${n}\n`);
  }
  if (config.json === '-') con.out(renderJson(report));
  else if (config.json !== null) {
    writeFileAtomic(config.json, renderJson(report));
    if (!config.quiet) con.err(`dnsbench: wrote ${config.json}\n`);
  }
}

/** -S lines (dnsperf: "<unix time>.<usec>: <qps>") once every worker has closed an interval. */
class IntervalPrinter {
  private readonly pending = new Map<number, WorkerInterval[]>();
  constructor(
    private readonly workers: number,
    private readonly config: BenchConfig,
    private readonly con: Console,
    private readonly human: boolean,
  ) {}

  add(_worker: number, iv: WorkerInterval): void {
    const list = this.pending.get(iv.index) ?? [];
    list.push(iv);
    this.pending.set(iv.index, list);
    if (list.length === this.workers) {
      this.pending.delete(iv.index);
      const [merged] = mergeIntervals([list]);
      if (merged) this.print(merged);
    }
  }

  done(): void {
    this.pending.clear();
  }

  private print(iv: WorkerInterval): void {
    const qps = iv.durationMs > 0 ? iv.counters.completed / (iv.durationMs / 1000) : 0;
    if (this.config.statsIntervalSec !== null && this.human) {
      const end = (iv.startMs + iv.durationMs) / 1000;
      this.con.out(`${end.toFixed(6)}: ${qps.toFixed(6)}\n`);
    } else if (this.con.stderrIsTTY && !this.config.quiet) {
      const lost = iv.counters.sent > 0 ? (100 * iv.counters.lost) / iv.counters.sent : 0;
      this.con.err(`\r[${(((iv.index + 1) * iv.durationMs) / 1000).toFixed(0)}s] ${Math.round(qps).toLocaleString('en-US')} qps, ${lost.toFixed(2)}% lost   `);
    }
  }
}

export { split };
