// The measurement core: a config and a query set in, a Report out, nothing printed. Every command
// that sends queries goes through here: a plain run is measure() (one session, one run);
// --repeat and the capacity search open a Measurement and run it many times on the same sessions
// (same workers, sockets and source ports). Progress, -S and -v lines go to an observer the
// command supplies; Ctrl-C is an AbortSignal, and an interrupted run still returns its Report.
import type { BenchConfig, TargetSpec } from './config.js';
import { configForReport, workerTransport } from './config.js';
import type { QuerySet } from './queryset/types.js';
import { GIVE_UP_AFTER_FAILURES } from './engine/give-up.js';
import { openSession, type EngineSession, type Progress, type SessionResult } from './engine/session.js';
import type { RunData } from './results/model.js';
import { describeInterleave, describePlan, planWorkers, type WorkerPlan } from './engine/split.js';
import { buildReport, targetReport } from './results/build.js';
import { answeredNothing, type GeneratorReport, type Machine, type Report, type TargetReport } from './results/report.js';
import { answerNotes, tsigNotes } from './results/transport.js';
import { generatorNotes, lateSkipNote } from './results/generator.js';
import { runScaleFields } from './results/segments.js';
import { VERSION } from './version.js';
import { availableParallelism } from 'node:os';

/** What the caller watches while a run goes on. Every method is optional. */
export interface MeasureObserver {
  /**
   * Sending to these targets is about to start: one call per target in a sequential run, one for
   * all of them with --interleave. `startAtMs` is the common start (epoch ms).
   */
  starting?(e: { targets: readonly TargetSpec[]; startAtMs: number }): void;
  /** A progress interval (-S, or 1 s) ended: counts by event time for each of `targets`. */
  progress?(e: { targets: readonly TargetSpec[]; progress: Progress }): void;
  /** -v lines, newline-terminated. */
  verbose?(lines: string): void;
  /** These targets are done (one in a sequential run; all with --interleave). */
  finished?(targets: readonly TargetReport[]): void;
}

export interface MeasureContext {
  /** The command line as it goes into the report (secrets already redacted). */
  command: string[];
  machine: Machine;
  /** Aborting stops sending: outstanding queries count as interrupted, and the Report is returned. */
  signal?: AbortSignal;
  observer?: MeasureObserver;
  /**
   * This thread has work of its own during the run (the demo's embedded responder), so it runs no
   * loops itself (see mainThreadIsFree).
   */
  mainThreadBusy?: boolean;
}

/** What one run may change from the config (the capacity search's steps, --start-at). */
export interface RunOverrides {
  /** -Q for this run (per target); null for as fast as the window allows. */
  maxQps?: number | null;
  /** With maxQps: rise linearly from 0 to it over this many seconds, then hold (capacity --ramp). */
  rampSec?: number | null;
  timeLimitSec?: number | null;
  passes?: number | null;
  /** Epoch ms at which sending starts (--start-at). */
  startAtEpochMs?: number;
}

/** Sessions kept open across runs (--repeat, capacity steps). */
export interface Measurement {
  run(ctx: MeasureContext, overrides?: RunOverrides): Promise<Report>;
  close(): Promise<void>;
}

/** One benchmark run: open, run once, close. Rejects with RunError when sockets cannot be opened. */
export async function measure(config: BenchConfig, querySet: QuerySet, ctx: MeasureContext): Promise<Report> {
  const m = openMeasurement(config, querySet, { mainThreadBusy: ctx.mainThreadBusy === true });
  try {
    return await m.run(ctx);
  } finally {
    await m.close();
  }
}

/**
 * A measurement whose sessions open at their first run and stay open until close(): one session
 * with every target for --interleave, one per target otherwise (opened in turn, so each target's
 * sockets exist from its first run on).
 */
export function openMeasurement(config: BenchConfig, querySet: QuerySet, o: { mainThreadBusy?: boolean } = {}): Measurement {
  const plans = planWorkers({ threads: config.threads, sockets: config.sockets, outstanding: config.outstanding });
  const interleaved = config.mode === 'interleave' && config.targets.length > 1;
  const groups: TargetSpec[][] = interleaved ? [config.targets] : config.targets.map((t) => [t]);
  const sessions: Array<EngineSession | undefined> = groups.map(() => undefined);
  // --expect / --rrset-order: the answer checks each channel runs (engine/checks.ts); null keeps the answer path as it is.
  const ex = querySet.expectations;
  const checks = ex !== undefined || config.ops.rrsetOrder ? { expect: ex === undefined ? null : { index: ex.index, list: ex.list }, rrsetOrder: config.ops.rrsetOrder } : null;
  const transport = { ...workerTransport(config.transport, config.io), checks };

  const sessionFor = async (g: number): Promise<EngineSession> => {
    const have = sessions[g];
    if (have !== undefined) return have;
    const s = await openSession({
      targets: groups[g]!.map((t) => ({ host: t.host, port: t.port, family: t.family })),
      plans,
      querySet,
      timeoutMs: config.timeoutSec * 1000,
      bufferBytes: config.bufferKB === null ? null : config.bufferKB * 1024,
      localAddresses: config.localAddresses,
      localPort: config.localPort,
      transport,
      verbose: config.verbose,
      encode: config.encode,
      nativePath: config.io.nativePath,
      inline: o.mainThreadBusy !== true && mainThreadIsFree(config, querySet),
    });
    sessions[g] = s;
    return s;
  };

  return {
    async run(ctx, o = {}) {
      const maxQps = o.maxQps !== undefined ? o.maxQps : config.maxQps;
      const timeLimitSec = o.timeLimitSec !== undefined ? o.timeLimitSec : config.timeLimitSec;
      const passes = o.passes !== undefined ? o.passes : config.passes;
      const startedAt = new Date();
      const targets: TargetReport[] = [];
      const runData: RunData[] = [];
      const generators: GeneratorReport[] = [];
      let workers = 0;
      for (const [g, group] of groups.entries()) {
        if (ctx.signal?.aborted && targets.length > 0) break;
        const session = await sessionFor(g);
        workers = session.workers;
        // --start-at applies to the first (or only) session; later sequential targets follow on.
        const startAtEpochMs = o.startAtEpochMs ?? (g === 0 && config.startAtMs !== null ? config.startAtMs : Date.now() + 20);
        ctx.observer?.starting?.({ targets: group, startAtMs: startAtEpochMs });
        const result: SessionResult = await session.run(
          {
            rate: maxQps,
            rampMs: o.rampSec === undefined || o.rampSec === null ? null : o.rampSec * 1000,
            timeLimitMs: timeLimitSec === null ? null : timeLimitSec * 1000,
            totalQueries: passes === null ? null : passes * querySet.count,
            passes,
            intervalMs: config.intervalSec * 1000,
            progressMs: (config.statsIntervalSec ?? 1) * 1000,
            startAtEpochMs,
          },
          {
            progress: (p) => ctx.observer?.progress?.({ targets: group, progress: p }),
            verbose: (lines) => ctx.observer?.verbose?.(lines),
          },
          ctx.signal,
        );
        const reports = group.map((t, i) =>
          targetReport(t, result.targets[i]!, {
            targetQps: maxQps,
            sockets: session.sockets.filter((s) => s.target === i).map(({ local, remote }) => ({ local, remote })),
          }),
        );
        targets.push(...reports);
        runData.push(...result.targets);
        generators.push(result.generator);
        ctx.observer?.finished?.(reports);
      }
      // A streamed file: its count and SHA-256 are complete now (or the note says how far it was read).
      await querySet.stream?.settle({ hashRest: ctx.signal?.aborted !== true });
      const generator = combineGenerators(generators);
      // Was the generator, not the server, the limit? (issue 13; results/generator.ts)
      const limitNotes = generatorNotes({ generator, targets }, config.threads, availableParallelism());
      const notes = runNotes(config, targets, ctx.signal?.aborted === true, plans.length, workers, limitNotes.length > 0);
      notes.push(...(querySet.stream?.notes() ?? []), ...channelNotes(config, targets, runData, passes === null ? null : passes * querySet.count));
      notes.push(...limitNotes);
      const scale = runScaleFields(querySet, o.startAtEpochMs ?? config.startAtMs, targets);
      notes.push(...scale.notes);
      const split = describePlan(plans, maxQps) + (interleaved ? `; --interleave: ${describeInterleave(plans, config.targets.length, maxQps)}` : '');
      return buildReport({
        tool: { name: 'dnsbench', version: VERSION },
        title: config.title,
        command: ctx.command,
        startedAt: startedAt.toISOString(),
        endedAt: new Date().toISOString(),
        machine: ctx.machine,
        config: { ...configForReport(config), maxQps, timeLimitSec, passes, split },
        querySet: { source: querySet.source, count: querySet.count, sha256: querySet.sha256 },
        mode: config.mode,
        targets,
        notes,
        intervalBasis: 'sent',
        generator,
        ...(scale.segment ? { segment: scale.segment } : {}),
        ...(scale.start ? { start: scale.start } : {}),
      });
    },
    async close() {
      await Promise.all(sessions.map((s) => s?.close()));
    },
  };
}

/** Plain-language notes: interruption, TSIG failures, targets that answered nothing, -T folding. */
function runNotes(config: BenchConfig, targets: readonly TargetReport[], interrupted: boolean, loops: number, workers: number, generatorLimited: boolean): string[] {
  const notes: string[] = [];
  if (interrupted) notes.push('Interrupted: queries outstanding at that moment are counted as interrupted, not lost.');
  if (loops > workers && workers > 0) {
    notes.push(`-T ${loops} on ${workers} thread(s): the ${loops} send/receive loops run ${Math.ceil(loops / workers)} to a thread (more threads than cores would only add isolates).`);
  }
  for (const t of targets) {
    const p = t.pacing;
    if (p !== undefined && t.targetQps !== null && (p.skippedWindowFull > 0 || p.windowFullSec >= 0.1)) {
      // Open loop needs room for every query that can be outstanding: rate x timeout.
      const need = Math.ceil(t.targetQps * config.timeoutSec);
      notes.push(
        `${t.label}: the window (-q ${config.outstanding}) was full for ${p.windowFullSec.toFixed(1)} s, so ${p.skippedWindowFull} scheduled queries were skipped ` +
          `(-Q is a ceiling: missed slots are not sent in a burst). At -Q ${t.targetQps} with -t ${config.timeoutSec} a window of at least ${need} keeps the load open-loop.`,
      );
    }
    // When the generator was the limit, its own note (results/generator.ts) says so instead.
    if (p !== undefined && p.skipped > p.skippedWindowFull && !generatorLimited) {
      notes.push(lateSkipNote(t.label, p.skipped - p.skippedWindowFull, t.counters.sent + p.skipped));
    }
    notes.push(...tsigNotes(t, config.transport.tsig));
    notes.push(...answerNotes(t));
    // Replies that failed TSIG or came from elsewhere already say what happened.
    if (answeredNothing(t) && t.counters.tsigFailed === 0 && t.counters.foreignSource === 0) {
      const c = t.counters;
      const where = t.label === t.host ? t.server : `${t.label} (${t.server})`;
      // Over TCP, DoT and DoH a socket error is a reset or refused connection, not an ICMP port
      // unreachable, and a connection the server accepted says something listens there: what
      // does not answer is not a DNS server over that transport (a web server, an SSH port).
      const udp = config.transport.mode === 'udp';
      const accepted = !udp && c.connSuccesses > 0;
      notes.push(
        `Nothing answered from ${where}: ${c.sent} queries sent, none answered` +
          (c.socketErrors > 0 ? ` and the kernel reported ${c.socketErrors} ${udp ? 'ICMP/socket errors (port unreachable)' : 'socket errors (connections reset or refused)'}` : '') +
          (accepted
            ? `. The server accepted ${c.connSuccesses} connection(s) but answered no query on them: is it a DNS server over ${config.transport.mode.toUpperCase()} (-m ${config.transport.mode}) at that port?`
            : '. Is a DNS server listening at that address and port?'),
      );
    }
  }
  return notes;
}

/**
 * Notes on what the connections did (from each target's RunData, in the order of `targets`):
 * connections given up in a run without -l, and DoH windows cut by the server's stream limit.
 * `expected` is the queries a -n run meant to send per target (null when time-limited).
 */
function channelNotes(config: BenchConfig, targets: readonly TargetReport[], runData: readonly RunData[], expected: number | null): string[] {
  const notes: string[] = [];
  targets.forEach((t, i) => {
    const f = runData[i]?.channels;
    if (f === undefined) return;
    const who = t.label === t.host ? t.server : `${t.label} (${t.server})`;
    if (f.gaveUp > 0) {
      const unsent = expected !== null && t.counters.sent < expected ? `; ${expected - t.counters.sent} of its ${expected} queries were not sent` : '';
      notes.push(
        `${who}: gave up ${f.gaveUp} connection(s) after ${GIVE_UP_AFTER_FAILURES} failed attempts in a row ` +
          `(refused, timed out, or closed before any answer)${unsent}. Without -l a run stops reconnecting so that it ends; with -l it keeps trying until the time is up.`,
      );
    }
    if (f.streamLimited > 0) {
      const need = Math.ceil(config.outstanding / f.streamLimit);
      notes.push(
        `${who}: the DoH server allows ${f.streamLimit} concurrent streams per connection (SETTINGS_MAX_CONCURRENT_STREAMS), ` +
          `so ${f.streamLimited} connection(s) kept at most ${f.streamLimit} queries outstanding instead of ${f.window} (-q ${config.outstanding} over -c ${config.sockets}); ` +
          `no query waited in a queue with its clock running. For the whole window, use -c ${need} or more.`,
      );
    }
  });
  return notes;
}

/** Sequential targets ran one after another: their generator figures add, intervals follow on. */
function combineGenerators(list: readonly GeneratorReport[]): GeneratorReport | undefined {
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  const workers = Math.max(...list.map((g) => g.workers));
  const cpuMs = new Array<number>(workers).fill(0);
  for (const g of list) g.cpuMs.forEach((v, i) => (cpuMs[i] = cpuMs[i]! + v));
  let index = 0;
  const drops = list.every((g) => g.receiveDrops !== undefined) ? list.reduce((s, g) => s + g.receiveDrops!, 0) : undefined;
  return {
    ...(drops !== undefined ? { receiveDrops: drops } : {}),
    workers,
    loops: Math.max(...list.map((g) => g.loops)),
    cpuMs,
    wallMs: list.reduce((s, g) => s + g.wallMs, 0),
    intervals: list.flatMap((g) => g.intervals.map((iv) => ({ ...iv, index: index++ }))),
  };
}

export type { WorkerPlan };

/**
 * Whether this thread has nothing to do while the loops run, so it can run the first thread's
 * loops itself (engine/inline.ts): not while it reads a streamed query file into the ring, prints
 * every query (-v), runs --event commands on time or sends --watch-serial's SOA queries.
 */
export function mainThreadIsFree(config: BenchConfig, querySet: QuerySet): boolean {
  return querySet.stream === undefined && !config.verbose && config.ops.events.length === 0 && config.ops.watchSerial === null;
}
