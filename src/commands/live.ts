// What a live run prints while it goes on (the measurement core's observer): each target's status
// header when it starts, -S lines or a progress line, -v lines, and each target's statistics as
// soon as it is done, so every block stands under its own heading (issue 10 item 9), on a terminal
// and in a pipe alike. The pieces are the renderers `dnsbench report` uses, so a saved run
// re-renders exactly as it was printed. With one target stdout is dnsperf's, line for line, from
// the banner to the end of the statistics block; our lines follow it.
import type { BenchConfig, TargetSpec } from '../config.js';
import type { MeasureObserver } from '../measure.js';
import type { Progress } from '../engine/session.js';
import { describeInterleave, planWorkers } from '../engine/split.js';
import type { TargetReport } from '../results/report.js';
import { formatServer } from '../results/report.js';
import { renderTargetBlock, targetBanner, type BlockContext } from '../report/human.js';
import { renderStatusHeader } from '../report/text.js';
import { VERSION } from '../version.js';
import type { Console } from './console.js';

export interface LiveOptions {
  /** Queries in the query set (a full pass), to tell "end of file" from "time limit". */
  queries: number;
  /** The run's stop signal: aborted = the footer says "interruption". */
  signal?: AbortSignal;
}

export class LivePrinter implements MeasureObserver {
  private shownProgress = false;
  private progressStartMs: number | null = null;

  constructor(
    private readonly config: BenchConfig,
    private readonly con: Console,
    private readonly command: readonly string[],
    /** The human view is on stdout (not --quiet, not --json -). */
    private readonly human: boolean,
    private readonly opts: LiveOptions,
  ) {}

  starting(e: { targets: readonly TargetSpec[]; startAtMs: number }): void {
    this.progressStartMs = null;
    if (!this.human) return;
    const c = this.config;
    const several = c.targets.length > 1;
    const header = (server: string): string =>
      renderStatusHeader({
        version: VERSION,
        command: this.command,
        title: c.title,
        server,
        startedAtMs: e.startAtMs,
        timeLimitSec: c.timeLimitSec,
        passes: c.passes,
        several,
      });
    if (e.targets.length > 1) {
      const plans = planWorkers({ threads: c.threads, sockets: c.sockets, outstanding: c.outstanding });
      this.con.out(header(e.targets.map((t) => formatServer(t.host, t.port)).join(', ')) + `[Status] Interleaved: ${describeInterleave(plans, e.targets.length, c.maxQps)}\n`);
    } else {
      const t = e.targets[0]!;
      const server = formatServer(t.host, t.port);
      this.con.out(targetBanner(c, { label: t.label, server }) + header(server));
    }
  }

  /**
   * -S: dnsperf's "<unix time>.<usec>: <qps>" per interval, qps = answers that ARRIVED in it / its
   * length (dnsperf's meaning; the report's intervals count by send time instead), with the label
   * appended when several targets run at once. Without -S, one progress line on a terminal's
   * stderr: seconds since the start, qps and the share of the interval's resolved queries lost.
   */
  progress(e: { targets: readonly TargetSpec[]; progress: Progress }): void {
    const p = e.progress;
    const sec = p.durationMs / 1000;
    const qps = (i: number): number => (sec > 0 ? p.targets[i]!.completed / sec : 0);
    if (this.config.statsIntervalSec !== null && this.human) {
      const end = ((p.startMs + p.durationMs) / 1000).toFixed(6);
      const several = e.targets.length > 1;
      this.con.out(e.targets.map((t, i) => `${end}: ${qps(i).toFixed(6)}${several ? ` ${t.label}` : ''}\n`).join(''));
    } else if (this.con.stderrIsTTY && !this.config.quiet) {
      this.progressStartMs ??= p.startMs;
      const parts = e.targets.map((t, i) => {
        const c = p.targets[i]!;
        const resolved = c.completed + c.lost;
        const lost = resolved > 0 ? `${((100 * c.lost) / resolved).toFixed(2)}% lost` : 'n/a lost';
        return `${e.targets.length > 1 ? `${t.label} ` : ''}${Math.round(qps(i)).toLocaleString('en-US')} qps, ${lost}`;
      });
      const elapsed = (p.startMs + p.durationMs - this.progressStartMs) / 1000;
      this.con.err(`\r\x1b[K[${elapsed.toFixed(elapsed < 10 ? 1 : 0)}s] ${parts.join(' | ')}`);
      this.shownProgress = true;
    }
  }

  verbose(lines: string): void {
    if (this.human) this.con.out(lines);
    else this.con.err(lines);
  }

  finished(targets: readonly TargetReport[]): void {
    if (this.shownProgress) this.con.err('\r\x1b[K');
    this.shownProgress = false;
    if (!this.human) return;
    const c = this.config;
    const ctx: BlockContext = {
      timeLimitSec: c.timeLimitSec,
      passes: c.passes,
      queries: this.opts.queries,
      interrupted: this.opts.signal?.aborted === true,
      title: c.title,
      several: c.targets.length > 1,
    };
    const interleaved = targets.length > 1;
    for (const t of targets) this.con.out((interleaved ? targetBanner(c, t) : '') + renderTargetBlock(t, ctx));
  }
}
