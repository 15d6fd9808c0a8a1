// The operations sections of a Report (issue 12): what --event ran and when, what --watch-serial
// saw, and the timeline analysis (results/timeline.ts). Plain data, so a saved report re-renders
// exactly and never executes anything: an event is a record of what ran, not something to run.

/** Events a run may have (each is a process: a bound keeps a typo from forking thousands). */
export const MAX_EVENTS = 100;

/** One --event: a shell command run TIME seconds into the run (commands/events.ts). */
export interface EventRecord {
  /** TIME as given: seconds after the run's start. */
  atSec: number;
  /** The command as given (run with /bin/sh -c). */
  command: string;
  /** Epoch ms it was due: the run's common start + atSec (null in reports from before it was recorded). */
  dueAtMs?: number | null;
  /** Epoch ms when it was started and when it ended; null when it never started (the run ended first, or it could not start). */
  startedAtMs: number | null;
  endedAtMs: number | null;
  /** Exit status; null when killed by a signal, still running at its bound, or never started. */
  exitCode: number | null;
  /** The signal that ended it (e.g. SIGKILL at the bound), or null. */
  signal: string | null;
  /** True when it ran past its time bound and was killed. */
  timedOut: boolean;
  /** The last lines of its stdout and stderr (bounded). */
  output: string;
  /** Why it did not run, or could not be started; null when it ran. */
  error: string | null;
}

/** One serial as first served by one target (--watch-serial). */
export interface SerialSeen {
  label: string;
  /** Epoch ms the SOA query that first saw it was sent. */
  atMs: number;
  /** Seconds from the run's start. */
  t: number;
  /** ms after the first target to serve this serial (0 for that one). */
  lagMs: number;
}

/** --watch-serial ZONE: one SOA query per target every interval, outside the load and its counters. */
export interface SerialWatchSection {
  /** The zone, absolute ("view.test."). */
  zone: string;
  /** Seconds between SOA queries to each target. */
  intervalSec: number;
  /** Name of the -y key the queries were signed with, or null. */
  key: string | null;
  /** Epoch ms the watch started from (the run's start). */
  startedAtMs: number;
  targets: Array<{
    label: string;
    server: string;
    /** SOA queries sent, answered with a serial, unanswered, and answered without one (an error RCODE, no SOA, a bad TSIG). */
    sent: number;
    answered: number;
    timedOut: number;
    failed: number;
    /** The serial of the first answer, or null when none came. */
    initial: number | null;
    /** The serial of the last answer, or null. */
    last: number | null;
  }>;
  /** Every serial a target served after its initial one, in order of first appearance. */
  changes: Array<{ serial: number; seen: SerialSeen[] }>;
  /** Why an answer failed, with a count (first few kinds). */
  problems: Record<string, number>;
}

/** An outage: consecutive intervals whose answered share fell below --outage-below. */
export interface OutageWindow {
  /** Epoch ms at the start of the first interval below the threshold and at the end of the last one. */
  fromMs: number;
  toMs: number;
  /** Seconds from the target's start to fromMs. */
  t: number;
  intervals: number;
  /**
   * Estimated start and end (epoch ms), assuming a steady send rate within an interval: the outage
   * began in the first interval that lost anything (the one before the window, or the window's
   * first) after the share of it that was answered, and ended in the last one after the share of it
   * that was lost. Finer than the interval; an estimate, not a measurement.
   */
  startMs: number;
  endMs: number;
  durationMs: number;
  /** Queries sent in the window and in the neighbours that lost some (the outage's edges), and how many of them got no answer (timed out, truncated, aborted). */
  sent: number;
  lost: number;
  /** The lowest answered share of an interval in the window, percent. */
  minAnsweredPct: number;
  /** False when the run ended during the outage. */
  recovered: boolean;
  /** The nearest --event started before the outage (within one interval after its estimated start), or null. */
  event: { index: number; command: string; atSec: number; toStartMs: number; toRecoveryMs: number | null } | null;
  /** --nsid: who answered the last answered interval before, and the first after (timeline.ts dominantIdentity: "d1", or "d1+d2"). */
  before: string | null;
  after: string | null;
}

/** Consecutive intervals whose p99 latency was above the degraded threshold. */
export interface DegradedWindow {
  fromMs: number;
  toMs: number;
  t: number;
  durationMs: number;
  intervals: number;
  /** The highest interval p99 in the window, µs. */
  maxP99Us: number;
}

/** --nsid: consecutive answered intervals answered by the same identities. */
export interface IdentitySpan {
  /** "d1", or "d1+d2" when several each answered at least 20% (timeline.ts dominantIdentity). */
  id: string;
  fromMs: number;
  toMs: number;
  t: number;
  intervals: number;
  /** Answers from this identity in the span. */
  answers: number;
}

export interface TargetTimeline {
  label: string;
  /** Interval length, seconds. */
  intervalSec: number;
  /** The p99 above which an interval is degraded, µs (--degraded-above, or 10x the target's p50); null without answers. */
  degradedAboveUs: number | null;
  outages: OutageWindow[];
  degraded: DegradedWindow[];
  /** Empty without --nsid. */
  identity: IdentitySpan[];
  /** The longest outage's estimated duration, ms (0 without outages), and the queries lost in all outages: what gates name `outage` and `outage-lost`. */
  longestOutageMs: number;
  outageLost: number;
}

export interface TimelineSection {
  /** --outage-below, percent of the queries sent in an interval that got an answer. */
  outageBelowPct: number;
  /** --degraded-above as given (µs), or null for 10x each target's p50. */
  degradedAboveUs: number | null;
  targets: TargetTimeline[];
}
