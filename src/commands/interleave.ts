// --interleave: every target measured in one engine run, at the same time and under the same
// conditions. Each target gets the same query stream, its own sockets, and the same -c, -q and -Q
// a sequential run would give it (so the figures of both modes compare); paced sends go to the
// targets round-robin (engine/worker-engine.ts). Wiring only: partials are merged per target by
// results/merge.ts and turned into TargetReports exactly as in a sequential run.
import type { BenchConfig, TargetSpec } from '../config.js';
import { runEngine, type EngineOptions } from '../engine/pool.js';
import type { WorkerInterval } from '../engine/protocol.js';
import type { WorkerPlan } from '../engine/split.js';
import { mergeIntervals, mergeRunData } from '../results/merge.js';
import { formatServer, targetReport, type TargetReport } from '../results/report.js';
import type { Console } from './console.js';

/** One line saying what each target gets and what that adds up to, for the header and the report. */
export function describeInterleave(plans: readonly WorkerPlan[], targets: number, maxQps: number | null): string {
  const sockets = plans.reduce((a, p) => a + p.socketWindows.length, 0);
  const window = plans.reduce((a, p) => a + p.socketWindows.reduce((x, y) => x + y, 0), 0);
  const rate = maxQps === null ? '' : `, ${maxQps} qps`;
  const totalRate = maxQps === null ? '' : `, ${maxQps * targets} qps`;
  return (
    `${targets} targets at once, each with its own ${sockets} socket(s), ${window} outstanding${rate} ` +
    `(-c, -q and -Q are per target; in total ${sockets * targets} socket(s), ${window * targets} outstanding${totalRate})`
  );
}

export interface InterleaveHooks {
  human: boolean;
  onVerbose(lines: string): void;
}

export async function runInterleaved(
  config: BenchConfig,
  plans: WorkerPlan[],
  engine: EngineOptions,
  con: Console,
  signal: AbortSignal,
  hooks: InterleaveHooks,
): Promise<TargetReport[]> {
  const targets = config.targets;
  const printer = new InterleavedIntervals(plans.length, targets, config, con, hooks.human);
  let sockets: Array<{ local: string; remote: string; target: number }> = [];
  const partials = await runEngine(
    engine,
    {
      onReady: (s) => (sockets = s),
      onInterval: (_w, t, iv) => printer.add(t, iv),
      onVerbose: (lines) => hooks.onVerbose(lines),
    },
    signal,
  );
  printer.done();
  return targets.map((target, t) =>
    targetReport(target, mergeRunData(partials.map((p) => p[t]!)), {
      targetQps: config.maxQps,
      sockets: sockets.filter((s) => s.target === t).map(({ local, remote }) => ({ local, remote })),
    }),
  );
}

/** The header line naming every target of an interleaved run. */
export function interleaveServers(targets: readonly TargetSpec[]): string {
  return targets.map((t) => formatServer(t.host, t.port)).join(', ');
}

/**
 * -S lines per target ("<unix time>.<usec>: <qps> <label>", dnsperf's form plus the label, so
 * `awk '{print $2}'` still reads the rate), once every worker has closed the interval for that
 * target; without -S, one progress line on a terminal's stderr covering every target.
 */
class InterleavedIntervals {
  private readonly pending = new Map<number, WorkerInterval[]>();
  private readonly latest: Array<WorkerInterval | undefined>;
  private shownProgress = false;
  constructor(
    private readonly workers: number,
    private readonly targets: readonly TargetSpec[],
    private readonly config: BenchConfig,
    private readonly con: Console,
    private readonly human: boolean,
  ) {
    this.latest = targets.map(() => undefined);
  }

  add(target: number, iv: WorkerInterval): void {
    const key = iv.index * this.targets.length + target;
    const list = this.pending.get(key) ?? [];
    list.push(iv);
    this.pending.set(key, list);
    if (list.length < this.workers) return;
    this.pending.delete(key);
    const [merged] = mergeIntervals([list]);
    if (merged === undefined) return;
    const qps = merged.durationMs > 0 ? merged.counters.completed / (merged.durationMs / 1000) : 0;
    if (this.config.statsIntervalSec !== null && this.human) {
      this.con.out(`${((merged.startMs + merged.durationMs) / 1000).toFixed(6)}: ${qps.toFixed(6)} ${this.targets[target]!.label}\n`);
      return;
    }
    this.latest[target] = merged;
    if (this.con.stderrIsTTY && !this.config.quiet && this.latest.every((l) => l?.index === iv.index)) {
      const parts = this.latest.map((l, i) => {
        const c = l!.counters;
        const rate = l!.durationMs > 0 ? c.completed / (l!.durationMs / 1000) : 0;
        return `${this.targets[i]!.label} ${Math.round(rate).toLocaleString('en-US')} qps ${(c.sent > 0 ? (100 * c.lost) / c.sent : 0).toFixed(2)}% lost`;
      });
      this.con.err(`\r\x1b[K[${((iv.index + 1) * this.config.intervalSec).toFixed(0)}s] ${parts.join(' | ')}`);
      this.shownProgress = true;
    }
  }

  done(): void {
    this.pending.clear();
    if (this.shownProgress) this.con.err('\r\x1b[K');
  }
}
