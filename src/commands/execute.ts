// One benchmark run, start to Report: runs the engine for each target (or all at once with
// --interleave), merges the partials and builds the Report. Prints only progress, -S lines and -v
// lines (through the Console), never the report itself.
import { ExitCode } from '../errors.js';
import { configForReport, type BenchConfig } from '../config.js';
import type { QuerySet } from '../queryset/types.js';
import { runEngine, type EngineOptions } from '../engine/pool.js';
import { describePlan, planWorkers, type WorkerPlan } from '../engine/split.js';
import type { WorkerInterval } from '../engine/protocol.js';
import { mergeIntervals, mergeRunData } from '../results/merge.js';
import { formatServer, machineInfo, SCHEMA_ID, SCHEMA_VERSION, targetReport, type Report, type TargetReport } from '../results/report.js';
import { VERSION } from '../version.js';
import { redactArgv } from '../redact.js';
import { workerTransport } from '../transport-config.js';
import { tsigNotes } from '../results/transport.js';
import type { Console } from './console.js';
import { renderStatusHeader } from '../report/text.js';
import { targetBanner } from './outputs.js';
import { describeInterleave, interleaveServers, runInterleaved } from './interleave.js';
import { compareTargets } from '../results/compare.js';
import { runScaleFields } from '../results/segments.js';

export async function executeRun(config: BenchConfig, querySet: QuerySet, argv: string[], con: Console): Promise<Report> {
  const human = !config.quiet && config.json !== '-';
  const plans = planWorkers({ threads: config.threads, sockets: config.sockets, outstanding: config.outstanding, rate: config.maxQps });
  const notes: string[] = [];
  if (config.verbose) con.err(`dnsbench: ${describePlan(plans)}\n`);

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
  const interleaved = config.mode === 'interleave' && config.targets.length > 1;
  const split = describePlan(plans) + (interleaved ? `; --interleave: ${describeInterleave(plans, config.targets.length, config.maxQps)}` : '');
  try {
    if (interleaved) {
      if (human) {
        con.out(
          renderStatusHeader({
            version: VERSION,
            command: redactArgv(argv),
            title: config.title,
            server: interleaveServers(config.targets),
            startedAtMs: Date.now(),
            timeLimitSec: config.timeLimitSec,
            passes: config.passes,
          }) + `[Status] Interleaved: ${describeInterleave(plans, config.targets.length, config.maxQps)}\n`,
        );
      }
      const onVerbose = (lines: string): void => (human ? con.out(lines) : con.err(lines));
      targets.push(...(await runInterleaved(config, plans, engineOptions(config, querySet, plans, config.targets), con, abort.signal, { human, onVerbose })));
    }
    for (const target of interleaved ? [] : config.targets) {
      if (abort.signal.aborted) break;
      const intervals = new IntervalPrinter(plans.length, config, con, human);
      let sockets: Array<{ local: string; remote: string }> = [];
      if (human) {
        const server = formatServer(target.host, target.port);
        con.out(
          targetBanner({ targets: config.targets }, { label: target.label, server }) +
            renderStatusHeader({
              version: VERSION,
              command: redactArgv(argv),
              title: config.title,
              server,
              startedAtMs: Date.now(),
              timeLimitSec: config.timeLimitSec,
              passes: config.passes,
            }),
        );
      }
      const partials = await runEngine(
        engineOptions(config, querySet, plans, [target]),
        {
          onReady: (s) => (sockets = s.map(({ local, remote }) => ({ local, remote }))),
          onInterval: (w, _t, iv) => intervals.add(w, iv),
          onVerbose: (lines) => (human ? con.out(lines) : con.err(lines)),
        },
        abort.signal,
      );
      intervals.done();
      const data = mergeRunData(partials.map((p) => p[0]!));
      targets.push(targetReport(target, data, { targetQps: config.maxQps, sockets }));
    }
  } finally {
    con.offInterrupt(onSigint);
  }

  if (abort.signal.aborted) notes.push('Interrupted by Ctrl-C: queries outstanding at that moment are counted as interrupted, not lost.');
  for (const t of targets) {
    notes.push(...tsigNotes(t, config.transport.tsig));
    if (t.counters.sent > 0 && t.counters.completed === 0 && t.counters.interrupted < t.counters.sent && t.counters.tsigFailed === 0) {
      notes.push(
        `Nothing answered from ${t.label === t.host ? t.server : `${t.label} (${t.server})`}: ${t.counters.sent} queries sent, none answered` +
          (t.counters.socketErrors > 0 ? ` and the kernel reported ${t.counters.socketErrors} ICMP/socket errors (port unreachable)` : '') +
          '. Is a DNS server listening at that address and port?',
      );
    }
  }
  const { segment, start, notes: startNotes } = runScaleFields(querySet, config.startAtMs, targets);
  notes.push(...startNotes);
  return {
    $schema: SCHEMA_ID,
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'dnsbench', version: VERSION },
    title: config.title,
    command: redactArgv(argv),
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    machine: machineInfo(),
    config: { ...configForReport(config), split },
    querySet: { source: querySet.source, count: querySet.count, sha256: querySet.sha256 },
    mode: config.mode,
    targets,
    notes,
    ...(targets.length > 1 ? { comparison: compareTargets(targets) } : {}),
    ...(segment ? { segment } : {}),
    ...(start ? { start } : {}),
  };
}

export function engineOptions(config: BenchConfig, querySet: QuerySet, plans: WorkerPlan[], targets: BenchConfig['targets']): EngineOptions {
  return {
    targets: targets.map((t) => ({ host: t.host, port: t.port, family: t.family })),
    plans,
    querySet,
    passes: config.passes,
    timeLimitMs: config.timeLimitSec === null ? null : config.timeLimitSec * 1000,
    timeoutMs: config.timeoutSec * 1000,
    intervalMs: config.intervalSec * 1000,
    bufferBytes: config.bufferKB === null ? null : config.bufferKB * 1024,
    localAddresses: config.localAddresses,
    localPort: config.localPort,
    transport: workerTransport(config.transport),
    verbose: config.verbose,
    encode: config.encode,
  };
}

/** -S lines (dnsperf: "<unix time>.<usec>: <qps>") once every worker has closed an interval;
 *  without -S, a one-line progress meter on stderr when it is a terminal. */
class IntervalPrinter {
  private readonly pending = new Map<number, WorkerInterval[]>();
  private shownProgress = false;
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
    if (this.shownProgress) this.con.err('\r\x1b[K');
  }

  private print(iv: WorkerInterval): void {
    const qps = iv.durationMs > 0 ? iv.counters.completed / (iv.durationMs / 1000) : 0;
    if (this.config.statsIntervalSec !== null && this.human) {
      this.con.out(`${((iv.startMs + iv.durationMs) / 1000).toFixed(6)}: ${qps.toFixed(6)}\n`);
    } else if (this.con.stderrIsTTY && !this.config.quiet) {
      const lost = iv.counters.sent > 0 ? (100 * iv.counters.lost) / iv.counters.sent : 0;
      const t = ((iv.index + 1) * this.config.intervalSec).toFixed(0);
      this.con.err(`\r\x1b[K[${t}s] ${Math.round(qps).toLocaleString('en-US')} qps, ${lost.toFixed(2)}% lost`);
      this.shownProgress = true;
    }
  }
}
