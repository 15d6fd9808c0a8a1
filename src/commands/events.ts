// --event TIME=COMMAND: shell commands run at set times into a live run (take a link down, kill a
// server, bump a serial), recorded for the report's `events` section and the timeline. Process
// work, so it lives here at the process boundary; measure() only tells when the run started.
//
// A command that fails, hangs or cannot start is reported, never fatal to the run. Each is bounded:
// EVENT_TIMEOUT_MS of run time (then its process group is killed by its id) and OUTPUT_TAIL_BYTES
// of output kept. A saved report never runs anything: events there are only records.
import { spawn, type ChildProcess } from 'node:child_process';
import type { EventRecord } from '../results/ops.js';
import { redactShellSecrets, withoutSecretsInTail } from '../redact.js';

/** Longest an event command may run before its process group gets SIGKILL. */
export const EVENT_TIMEOUT_MS = 30_000;
/** Output kept while it runs (the tail), and what the report keeps of it. */
const OUTPUT_TAIL_BYTES = 4096;
const OUTPUT_LINES = 5;
const OUTPUT_CHARS = 500;

interface Running {
  child: ChildProcess;
  tail: Buffer;
  done: Promise<void>;
  timer: NodeJS.Timeout;
}

/** The last lines of a command's output, printable characters only, bounded. */
export function outputTail(buf: Buffer): string {
  const text = buf.toString('utf8').replace(/\r\n?/g, '\n').replace(/[^\n\t\x20-\x7e\u00a0-\uffff]/g, '?');
  const lines = text.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
  const kept = lines.slice(-OUTPUT_LINES).join('\n');
  return kept.length > OUTPUT_CHARS ? `...${kept.slice(-(OUTPUT_CHARS - 3))}` : kept;
}

export class EventRunner {
  private readonly records: EventRecord[];
  private readonly timers: Array<NodeJS.Timeout | null>;
  private readonly running = new Map<number, Running>();
  /** The commands as given (records hold them redacted). */
  private readonly commands: string[];
  /** Per event, the secrets taken out of its command, also taken out of its output. */
  private readonly secrets: string[][];
  private runStartMs: number | null = null;

  constructor(
    specs: ReadonlyArray<{ atSec: number; command: string }>,
    private readonly o: {
      /** Called when an event ends (for a live line on stderr). */
      onEnd?: (r: EventRecord, index: number) => void;
      timeoutMs?: number;
      /** The shell (tests only). */
      shell?: string;
    } = {},
  ) {
    // What runs is the command as given; what is recorded (report, notes, timeline, live lines)
    // has its -y secrets redacted, and so has its output (an nsupdate -y echoing its key).
    this.commands = specs.map((s) => s.command);
    const shown = specs.map((s) => redactShellSecrets(s.command));
    this.secrets = shown.map((r) => r.secrets);
    this.records = specs.map((s, i) => ({
      atSec: s.atSec, command: shown[i]!.text, startedAtMs: null, endedAtMs: null, exitCode: null, signal: null, timedOut: false, output: '', error: null,
    }));
    this.timers = specs.map(() => null);
  }

  /** The run started at `runStartMs` (epoch ms): schedule every event from then on. Once. */
  start(runStartMs: number): void {
    if (this.runStartMs !== null) return;
    this.runStartMs = runStartMs;
    this.records.forEach((r, i) => {
      r.dueAtMs = runStartMs + r.atSec * 1000;
      const delay = Math.max(0, r.dueAtMs - Date.now());
      this.timers[i] = setTimeout(() => this.launch(i), delay);
    });
  }

  private launch(i: number): void {
    this.timers[i] = null;
    const r = this.records[i]!;
    let child: ChildProcess;
    try {
      // Its own process group (detached), so the bound can stop the command and its children by the group's id.
      child = spawn(this.o.shell ?? '/bin/sh', ['-c', this.commands[i]!], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (e) {
      r.error = `could not start: ${(e as Error).message}`;
      this.o.onEnd?.(r, i);
      return;
    }
    r.startedAtMs = Date.now();
    const state: Running = { child, tail: Buffer.alloc(0), done: Promise.resolve(), timer: null as unknown as NodeJS.Timeout };
    const keep = (chunk: Buffer): void => {
      const joined = Buffer.concat([state.tail, chunk]);
      state.tail = joined.length > OUTPUT_TAIL_BYTES ? joined.subarray(joined.length - OUTPUT_TAIL_BYTES) : joined;
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    state.timer = setTimeout(() => {
      r.timedOut = true;
      this.killGroup(child);
    }, this.o.timeoutMs ?? EVENT_TIMEOUT_MS);
    state.done = new Promise<void>((resolve) => {
      let settled = false;
      const end = (code: number | null, signal: NodeJS.Signals | null, error?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(state.timer);
        r.endedAtMs = Date.now();
        r.exitCode = code;
        r.signal = signal;
        if (error !== undefined) r.error = `could not start: ${error.message}`;
        // Secrets out before the tail is cut to lines and characters (a cut there leaves no part of
        // one), and the end of one cut by the byte bound at its start too.
        r.output = outputTail(Buffer.from(withoutSecretsInTail(state.tail.toString('utf8'), this.secrets[i]!), 'utf8'));
        this.running.delete(i);
        this.o.onEnd?.(r, i);
        resolve();
      };
      child.on('error', (e) => end(null, null, e));
      child.on('close', (code, signal) => end(code, signal));
    });
    this.running.set(i, state);
  }

  private killGroup(child: ChildProcess): void {
    if (child.pid === undefined || child.exitCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  /**
   * The run is over: events not yet started never will be (recorded as such); running ones are
   * waited for up to their bound, or killed at once when `kill` (the run was interrupted).
   * Returns every event's record, in the order given.
   */
  async finish(o: { kill?: boolean } = {}): Promise<EventRecord[]> {
    const endMs = Date.now();
    this.records.forEach((r, i) => {
      const t = this.timers[i];
      if (t === null || t === undefined) return;
      clearTimeout(t);
      this.timers[i] = null;
      const ranFor = this.runStartMs === null ? null : (endMs - this.runStartMs) / 1000;
      r.error = ranFor === null ? 'not run: the run never started' : `not run: the run ended ${ranFor.toFixed(2)} s after its start, before ${r.atSec} s`;
    });
    if (o.kill) for (const s of this.running.values()) this.killGroup(s.child);
    await Promise.all([...this.running.values()].map((s) => s.done));
    return this.records.map((r) => ({ ...r }));
  }
}
