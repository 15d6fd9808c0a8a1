// The operations sections as text (issue 12): per target the answer checks (--expect, --rrset-order),
// and after the targets the Timeline (events, outages, degraded windows, who answered when) and
// the zone serials (--watch-serial). Pure: Report in, string out; nothing when a run had none of it.
// Every string from outside (commands, identities, record data) is printed with control
// characters replaced, so a hostile server or saved report cannot drive the terminal.
import type { AnswerChecksReport } from '../results/checks-report.js';
import type { EventRecord, OutageWindow, SerialWatchSection, TargetTimeline, TimelineSection } from '../results/ops.js';
import type { Report, TargetReport } from '../results/report.js';
import { formatCount, formatPct, formatUs } from './format.js';

/** Printable: control characters (ESC, CR, ...) shown as '?', bounded length. */
export function clean(s: string, max = 200): string {
  const t = String(s).replace(/[\x00-\x1f\x7f-\x9f]/g, '?');
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}

const sec = (s: number): string => `${s.toFixed(2)} s`;
/** Degraded windows the text view lists (the worst by p99). */
const MAX_DEGRADED_SHOWN = 3;
const ms = (v: number): string => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);

/** One target's --expect and --rrset-order results (empty without them). */
export function renderAnswerChecks(t: Pick<TargetReport, 'answerChecks'>): string {
  const a: AnswerChecksReport | undefined = t.answerChecks;
  if (a === undefined || a === null) return '';
  let out = '';
  if (a.expect) {
    const e = a.expect;
    out += `Answer checks: ${formatCount(e.checked)} answers compared with --expect, ${formatCount(e.wrong)} wrong (${formatPct(e.wrong, e.checked)})\n`;
    for (const x of e.examples) out += `  ${clean(x.query)}: got ${clean(x.got)}, expected ${clean(x.expected)}\n`;
  }
  if (a.rrsetOrder) {
    const r = a.rrsetOrder;
    out += r.names.length === 0 ? 'RRset order: no name was answered with two or more records of its type\n' : 'RRset order:\n';
    for (const n of r.names) out += `  ${clean(n.query)}: ${n.verdict} (${clean(n.evidence, 400)})\n`;
    if (r.dropped > 0) out += `  ${formatCount(r.dropped)} answers for further names were not tallied (at most 100 names)\n`;
  }
  return out;
}

/** One --event as a line (no indent, no newline). */
export function eventLine(e: EventRecord, i: number, startMs: number | null): string {
  const when = e.startedAtMs !== null && startMs !== null ? `at ${sec((e.startedAtMs - startMs) / 1000)}` : `(${e.atSec} s)`;
  let how: string;
  if (e.startedAtMs === null || e.endedAtMs === null) how = `not run: ${clean(e.error ?? 'never started')}`;
  else if (e.timedOut) how = `killed at its time bound after ${ms(e.endedAtMs - e.startedAtMs)}`;
  else if (e.error !== null) how = clean(e.error);
  else how = `${e.exitCode === null ? `killed by ${e.signal ?? 'a signal'}` : `exit ${e.exitCode}`}, ${ms(e.endedAtMs - e.startedAtMs)}`;
  const out = e.output !== '' && e.exitCode !== 0 ? ` -- ${clean(e.output.split('\n').at(-1) ?? '', 120)}` : '';
  return `event ${i + 1} ${when}: ${clean(e.command, 160)} (${how})${out}`;
}

/** One outage as a line (no indent, no newline). */
export function outageLine(w: OutageWindow, startMs: number): string {
  const from = (w.startMs - startMs) / 1000;
  const to = (w.endMs - startMs) / 1000;
  let s = `outage ${sec(from)} to ${w.recovered ? sec(to) : 'the end'} (${ms(w.durationMs)}; intervals ${sec(w.t)}-${sec((w.toMs - startMs) / 1000)}), ${formatCount(w.lost)} of ${formatCount(w.sent)} queries unanswered`;
  if (w.event !== null) {
    s += `; ${ms(w.event.toStartMs)} after event ${w.event.index + 1} '${clean(w.event.command, 80)}'`;
    if (w.event.toRecoveryMs !== null) s += `, recovered ${ms(w.event.toRecoveryMs)} after it`;
  }
  if (w.before !== null || w.after !== null) s += `; answered by ${clean(w.before ?? '?', 64)} before, ${clean(w.after ?? '?', 64)} after`;
  if (!w.recovered) s += '; not recovered when the run ended';
  return s;
}

/** One target's timeline as lines (no indent): outages, degraded windows, who answered when. */
export function timelineLines(tl: TargetTimeline, t: Pick<TargetReport, 'timing'> | undefined, section: Pick<TimelineSection, 'outageBelowPct'>): string[] {
  const startMs = t?.timing.startedAtMs ?? 0;
  const out: string[] = [];
  if (tl.outages.length === 0) out.push(`no outage (no interval under ${section.outageBelowPct}% answered)`);
  for (const w of tl.outages) out.push(outageLine(w, startMs));
  // A busy generator or server gives many short windows: the worst few by p99, in time order; all in the JSON.
  const shown = [...tl.degraded].sort((a, b) => b.maxP99Us - a.maxP99Us).slice(0, MAX_DEGRADED_SHOWN).sort((a, b) => a.fromMs - b.fromMs);
  for (const d of shown) out.push(`degraded ${sec(d.t)} to ${sec((d.toMs - startMs) / 1000)} (${ms(d.durationMs)}): p99 up to ${formatUs(d.maxP99Us)}`);
  if (tl.degraded.length > shown.length) {
    const rest = tl.degraded.length - shown.length;
    const total = tl.degraded.reduce((s, d) => s + d.durationMs, 0);
    out.push(`... and ${rest} more degraded window${rest === 1 ? '' : 's'} (${tl.degraded.length} in all, ${ms(total)} together; the JSON has each)`);
  }
  if (tl.identity.length > 0) {
    const spans = tl.identity.map((s) => `${clean(s.id, 64)} ${sec(s.t)}-${sec((s.toMs - startMs) / 1000)}`);
    const shown = spans.length > 12 ? [...spans.slice(0, 12), `... ${spans.length - 12} more`] : spans;
    out.push(`answered by: ${shown.join(', ')}`);
  }
  return out;
}

function targetTimelineText(tl: TargetTimeline, t: TargetReport | undefined, section: TimelineSection): string {
  return `  ${clean(tl.label, 64)}${t ? ` (${t.server})` : ''}:\n` + timelineLines(tl, t, section).map((l) => `    ${l}\n`).join('');
}

export function renderTimeline(r: Pick<Report, 'timeline' | 'events' | 'targets'>): string {
  const tl = r.timeline;
  const events = r.events ?? [];
  if (tl === undefined && events.length === 0) return '';
  const startMs = r.targets[0]?.timing.startedAtMs ?? null;
  const iv = tl?.targets[0]?.intervalSec;
  const threshold = tl === undefined ? '' : `; outage: under ${tl.outageBelowPct}% answered; degraded: p99 above ${tl.degradedAboveUs === null ? '10x p50' : formatUs(tl.degradedAboveUs)}`;
  let out = `Timeline (seconds from the start${iv ? `, intervals of ${iv} s` : ''}${threshold}):\n`;
  events.forEach((e, i) => (out += `  ${eventLine(e, i, startMs)}\n`));
  for (const t of tl?.targets ?? []) out += targetTimelineText(t, r.targets.find((x) => x.label === t.label), tl!);
  return out;
}

export function renderSerials(s: SerialWatchSection | undefined): string {
  if (s === undefined) return '';
  let out = `Zone serials (${clean(s.zone)}, SOA every ${s.intervalSec} s${s.key ? `, signed with ${clean(s.key)}` : ''}):\n`;
  for (const t of s.targets) {
    out += `  ${clean(t.label, 64)} (${t.server}): ${t.initial === null ? 'no serial' : `serial ${t.initial}${t.last !== t.initial ? ` -> ${t.last}` : ''}`}; ${t.answered}/${t.sent} answered`;
    out += t.timedOut + t.failed > 0 ? `, ${t.timedOut} unanswered, ${t.failed} failed` : '';
    out += '\n';
  }
  if (s.changes.length === 0) out += '  no serial change seen\n';
  for (const c of s.changes) {
    out += `  ${c.serial}: ${c.seen.map((x) => `${clean(x.label, 64)} at ${sec(x.t)}${x.lagMs > 0 ? ` (+${ms(x.lagMs)})` : ''}`).join(', ')}\n`;
  }
  const problems = Object.entries(s.problems);
  if (problems.length > 0) out += `  problems: ${problems.map(([k, n]) => `${clean(k, 80)} ${n}`).join(', ')}\n`;
  return out;
}

/** Everything after the targets' blocks: the timeline and the serials (empty for a plain run). */
export function renderOps(r: Report): string {
  const t = renderTimeline(r);
  const s = renderSerials(r.serials);
  return t + (t !== '' && s !== '' ? '\n' : '') + s + (t + s !== '' ? '\n' : '');
}
