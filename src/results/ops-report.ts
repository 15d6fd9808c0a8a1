// A finished run's Report with the operations sections added: the --event records, the
// --watch-serial findings, and the timeline computed from both and the interval series. Pure; the
// command layer (commands/ops.ts) collects the inputs while the run goes on.
import type { EventRecord, SerialWatchSection } from './ops.js';
import type { Report } from './report.js';
import { timelineOf, DEFAULT_OUTAGE_BELOW_PCT } from './timeline.js';

/** The settings the timeline uses, from the report's config (defaults for reports without them). */
export function timelineOptions(r: Pick<Report, 'config'>): { outageBelowPct: number; degradedAboveUs: number | null } {
  // A saved report's config is outside input: numbers only, else the defaults.
  const o = r.config?.ops;
  const pct = o?.outageBelowPct;
  const us = o?.degradedAboveUs;
  return {
    outageBelowPct: typeof pct === 'number' && pct > 0 && pct <= 100 ? pct : DEFAULT_OUTAGE_BELOW_PCT,
    degradedAboveUs: typeof us === 'number' && us > 0 && Number.isFinite(us) ? us : null,
  };
}

/**
 * `report` with `events`, `serials` and (when `timeline`) the timeline section. The notes say
 * which events failed, so a failed command is visible without reading the timeline.
 */
export function withOpsSections(report: Report, s: { events: EventRecord[]; serials: SerialWatchSection | null; timeline: boolean }): Report {
  const notes = [...report.notes];
  s.events.forEach((e, i) => {
    if (e.error !== null) notes.push(`Event ${i + 1} (${e.atSec} s, "${e.command}"): ${e.error}.`);
    else if (e.timedOut) notes.push(`Event ${i + 1} (${e.atSec} s, "${e.command}") ran past its time bound and was killed.`);
    else if (e.exitCode !== 0) notes.push(`Event ${i + 1} (${e.atSec} s, "${e.command}") failed: ${e.exitCode === null ? `killed by ${e.signal ?? 'a signal'}` : `exit status ${e.exitCode}`}${e.output ? ` (${e.output.split('\n').at(-1)})` : ''}.`);
  });
  return {
    ...report,
    notes,
    ...(s.events.length > 0 ? { events: s.events } : {}),
    ...(s.serials !== null ? { serials: s.serials } : {}),
    ...(s.timeline ? { timeline: timelineOf(report.targets, s.events, timelineOptions(report)) } : {}),
  };
}
