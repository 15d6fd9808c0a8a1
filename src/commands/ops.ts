// The operations side of a live run (issue 12): --event commands and the --watch-serial client
// run beside measure(), started when it says the run starts (the observer's `starting`), and
// their records join the Report afterwards with the timeline (results/ops-report.ts).
import type { BenchConfig, TargetSpec } from '../config.js';
import type { MeasureObserver } from '../measure.js';
import type { Progress } from '../engine/session.js';
import type { EventRecord } from '../results/ops.js';
import type { Report, TargetReport } from '../results/report.js';
import { withOpsSections } from '../results/ops-report.js';
import type { Console } from './console.js';
import { EventRunner } from './events.js';
import { SerialWatcher } from './serial-watch.js';

/** Shortest --watch-serial period (one SOA per target per period). */
const MIN_WATCH_MS = 50;

/** Wraps the run's observer: starts the events and the serial watch with the run, then adds their records. */
export class OpsRun implements MeasureObserver {
  private readonly events: EventRunner | null;
  private readonly watcher: SerialWatcher | null;

  constructor(
    private readonly config: BenchConfig,
    private readonly inner: MeasureObserver,
    con: Console,
  ) {
    const o = config.ops;
    const live = !config.quiet;
    this.events =
      o.events.length === 0
        ? null
        : new EventRunner(o.events, {
            onEnd: (r: EventRecord, i: number) => {
              if (live) con.err(`dnsbench: event ${i + 1} at ${r.atSec} s ${eventOutcome(r)}: ${r.command}\n`);
            },
          });
    this.watcher =
      o.watchSerial === null
        ? null
        : new SerialWatcher(config.targets, o.watchSerial, Math.max(MIN_WATCH_MS, config.intervalSec * 1000), config.transport.tsig, config.localAddresses[0] ?? null);
  }

  starting(e: { targets: readonly TargetSpec[]; startAtMs: number }): void {
    // The first target's start is the run's start: events are timed from it (later sequential targets follow on).
    this.events?.start(e.startAtMs);
    this.watcher?.start(e.startAtMs);
    this.inner.starting?.(e);
  }

  progress(e: { targets: readonly TargetSpec[]; progress: Progress }): void {
    this.inner.progress?.(e);
  }

  verbose(lines: string): void {
    this.inner.verbose?.(lines);
  }

  finished(targets: readonly TargetReport[]): void {
    this.inner.finished?.(targets);
  }

  /** The run is over: wait for the events (bounded), stop the watch, and add every section. */
  async complete(report: Report, interrupted: boolean): Promise<Report> {
    const events = this.events === null ? [] : await this.events.finish({ kill: interrupted });
    const serials = this.watcher === null ? null : await this.watcher.stop();
    return withOpsSections(report, { events, serials, timeline: this.config.ops.timeline });
  }

  /** Ctrl-C before the run returned: stop what is running. */
  async abort(): Promise<void> {
    await this.events?.finish({ kill: true });
    await this.watcher?.stop();
  }
}

/** "exited 0 after 12 ms", "was killed after 30 s", "was not run (...)". */
export function eventOutcome(r: EventRecord): string {
  if (r.startedAtMs === null || r.endedAtMs === null) return `was not run (${r.error ?? 'never started'})`;
  const ms = `${Math.round(r.endedAtMs - r.startedAtMs)} ms`;
  if (r.timedOut) return `was killed at its time bound after ${ms}`;
  if (r.error !== null) return r.error;
  return r.exitCode === null ? `was killed by ${r.signal ?? 'a signal'} after ${ms}` : `exited ${r.exitCode} after ${ms}`;
}
