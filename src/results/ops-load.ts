// The operations sections of a saved report, made safe to render: a report file is outside input
// (hostile until checked). Events and serials are kept only in their documented shapes, with
// bounded strings and lists; the timeline and the rrset-order verdicts are derived data, so they
// are recomputed from the intervals and tallies rather than trusted.
import type { EventRecord, SerialWatchSection } from './ops.js';
import type { Report } from './report.js';
import { mergeChecks } from './checks.js';
import { answerChecksReport, checksDataOf } from './checks-report.js';
import { timelineOf } from './timeline.js';
import { timelineOptions } from './ops-report.js';
import { MAX_EVENTS } from './ops.js';

const str = (v: unknown, max: number): string | null => (typeof v === 'string' ? v.slice(0, max) : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function event(v: unknown): EventRecord | null {
  if (!obj(v)) return null;
  const command = str(v.command, 4096);
  const atSec = num(v.atSec);
  if (command === null || atSec === null) return null;
  return {
    atSec,
    command,
    dueAtMs: num(v.dueAtMs),
    startedAtMs: num(v.startedAtMs),
    endedAtMs: num(v.endedAtMs),
    exitCode: num(v.exitCode),
    signal: str(v.signal, 32),
    timedOut: v.timedOut === true,
    output: str(v.output, 1000) ?? '',
    error: str(v.error, 500),
  };
}

function serials(v: unknown): SerialWatchSection | undefined {
  if (!obj(v) || !Array.isArray(v.targets) || !Array.isArray(v.changes)) return undefined;
  const zone = str(v.zone, 256);
  const intervalSec = num(v.intervalSec);
  if (zone === null || intervalSec === null) return undefined;
  const targets = v.targets.slice(0, 1000).filter(obj).map((t) => ({
    label: str(t.label, 256) ?? '?',
    server: str(t.server, 300) ?? '?',
    sent: num(t.sent) ?? 0,
    answered: num(t.answered) ?? 0,
    timedOut: num(t.timedOut) ?? 0,
    failed: num(t.failed) ?? 0,
    initial: num(t.initial),
    last: num(t.last),
  }));
  const changes = v.changes.slice(0, 1000).filter(obj).flatMap((c) => {
    const serial = num(c.serial);
    if (serial === null || !Array.isArray(c.seen)) return [];
    const seen = c.seen.slice(0, 1000).filter(obj).flatMap((x) => {
      const label = str(x.label, 256);
      const atMs = num(x.atMs);
      return label === null || atMs === null ? [] : [{ label, atMs, t: num(x.t) ?? 0, lagMs: num(x.lagMs) ?? 0 }];
    });
    return [{ serial, seen }];
  });
  const problems = obj(v.problems) ? Object.fromEntries(Object.entries(v.problems).slice(0, 20).filter(([, n]) => num(n) !== null).map(([k, n]) => [k.slice(0, 100), n as number])) : {};
  return { zone, intervalSec, key: str(v.key, 256), startedAtMs: num(v.startedAtMs) ?? 0, targets, changes, problems };
}

/** `r` (already known to be a dnsbench report with object targets) with its operations sections checked. */
export function sanitizeOps(r: Report): Report {
  const out: Report = { ...r };
  delete out.events;
  delete out.serials;
  delete out.timeline;
  const raw = r as unknown as Record<string, unknown>;
  if (Array.isArray(raw.events)) out.events = raw.events.slice(0, MAX_EVENTS).map(event).filter((e): e is EventRecord => e !== null);
  const s = serials(raw.serials);
  if (s !== undefined) out.serials = s;
  out.targets = r.targets.map((t) => {
    if (t.answerChecks === undefined) return t;
    const { answerChecks, ...rest } = t;
    let data;
    try {
      data = obj(answerChecks) ? mergeChecks([checksDataOf(answerChecks)]) : undefined;
    } catch {
      data = undefined;
    }
    return data === undefined ? rest : { ...rest, answerChecks: answerChecksReport(data, num(t.counters?.wrongAnswer) ?? 0) };
  });
  // Derived: recomputed from the (checked) intervals and events, never rendered as stored.
  if (raw.timeline !== undefined) out.timeline = timelineOf(out.targets, out.events ?? [], timelineOptions(out));
  return out;
}
