// The timeline (results/timeline.ts) on a drill whose every number is known (support/ops-fixtures):
// the outage window and its estimate, the event it follows, who answered before and after,
// degraded windows, identity spans, the gates that read it, the text view, merge and a saved
// report whose timeline was tampered with.
import { describe, expect, it } from 'vitest';
import { drillReport, T0 } from './support/ops-fixtures.js';
import { dominantIdentity, targetTimeline, timelineOf } from '../src/results/timeline.js';
import { evaluateGates } from '../src/gates/evaluate.js';
import { parseGates } from '../src/gates/parse.js';
import { renderOps } from '../src/report/ops-text.js';
import { renderHuman } from '../src/report/human.js';
import { reportFromJson } from '../src/results/load.js';
import { mergeReports } from '../src/results/merge-reports.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ROOT } from './support/cli.js';

describe('timeline of the drill', () => {
  const r = drillReport();
  const tl = r.timeline!.targets[0]!;

  it('finds one outage: intervals 1.0-1.3 s, estimated 1.03-1.35 s, with the queries it lost', () => {
    expect(tl.outages).toHaveLength(1);
    const o = tl.outages[0]!;
    // Interval 1.0-1.1 answered 30% (< 50%), 1.1-1.3 nothing, 1.3-1.4 50% (not below 50%).
    expect(o.fromMs).toBe(T0 + 1000);
    expect(o.toMs).toBe(T0 + 1300);
    expect(o.intervals).toBe(3);
    // Start: 1.0 s + 30% of the first interval (still answered); end: 1.3 s + the 50% of the next that was lost.
    expect(o.startMs).toBeCloseTo(T0 + 1030, 6);
    expect(o.endMs).toBeCloseTo(T0 + 1350, 6);
    expect(o.durationMs).toBeCloseTo(320, 6);
    expect(o.sent).toBe(200);
    expect(o.lost).toBe(35 + 50 + 50 + 25);
    expect(o.minAnsweredPct).toBe(0);
    expect(o.recovered).toBe(true);
    expect(o.event).toEqual({ index: 0, command: 'ip -n lab-sw link set p-d1 down', atSec: 1, toStartMs: expect.closeTo(10, 6), toRecoveryMs: expect.closeTo(330, 6) });
    expect(o.before).toBe('d1');
    expect(o.after).toBe('d2');
    expect(tl.longestOutageMs).toBeCloseTo(320, 6);
    expect(tl.outageLost).toBe(160);
  });

  it('the estimate does not depend on where the threshold cut the window', () => {
    // At 30% the first interval (30% answered) is no longer in the window: it becomes the
    // neighbour whose lost share sets the start, and the estimate is the same.
    const o = drillReport({ outageBelowPct: 30 }).timeline!.targets[0]!.outages[0]!;
    expect(o.fromMs).toBe(T0 + 1100);
    expect(o.startMs).toBeCloseTo(T0 + 1030, 6);
    expect(o.endMs).toBeCloseTo(T0 + 1350, 6);
  });

  it('finds the latency spike after the takeover as degraded (p99 above 10x p50)', () => {
    expect(tl.degradedAboveUs).toBe(10 * r.targets[0]!.latency.percentiles.p50);
    expect(tl.degraded).toHaveLength(1);
    const d = tl.degraded[0]!;
    expect(d.fromMs).toBe(T0 + 1400);
    expect(d.toMs).toBe(T0 + 1600);
    // 40 ms answers in an interval histogram of 2 significant digits: within its bucket.
    expect(d.maxP99Us).toBeGreaterThan(39_500);
    expect(d.maxP99Us).toBeLessThan(40_500);
  });

  it('says who answered when: d1, d2 after the takeover, d1 again', () => {
    expect(tl.identity.map((s) => [s.id, s.fromMs - T0, s.toMs - T0])).toEqual([
      ['d1', 0, 1100],
      ['d2', 1300, 2900],
      ['d1', 2900, 4000],
    ]);
    expect(tl.identity.reduce((s, x) => s + x.answers, 0)).toBe(r.targets[0]!.counters.completed);
  });

  it('names several identities when each answers a fifth or more (a balancer), the main one otherwise', () => {
    expect(dominantIdentity({ d2: 26, d1: 24 })).toBe('d1+d2');
    expect(dominantIdentity({ d1: 95, d2: 5 })).toBe('d1');
    expect(dominantIdentity({})).toBeNull();
    expect(dominantIdentity(undefined)).toBeNull();
    // Keys from a server: own properties only, non-numbers skipped.
    expect(dominantIdentity(Object.fromEntries([['__proto__', 5], ['d1', 'x']]) as Record<string, number>)).toBe('__proto__');
  });

  it('an outage that lasts to the end is not recovered', () => {
    const t = structuredClone(r.targets[0]!);
    for (const iv of t.intervals.slice(35)) {
      iv.counters = { ...iv.counters, completed: 0, lost: iv.counters.sent, timedOut: iv.counters.sent };
      delete iv.nsid;
    }
    const o = targetTimeline(t, [], { outageBelowPct: 50, degradedAboveUs: null }).outages.at(-1)!;
    expect(o.recovered).toBe(false);
    expect(o.endMs).toBe(T0 + 4000);
    expect(o.event).toBeNull();
    expect(o.after).toBeNull();
  });

  it('wrong answers are answers (the server was up); interrupted queries say nothing', () => {
    const t = structuredClone(r.targets[0]!);
    for (const iv of t.intervals) iv.counters = { ...iv.counters, wrongAnswer: iv.counters.lost, lost: iv.counters.lost, timedOut: 0 };
    expect(targetTimeline(t, [], { outageBelowPct: 50, degradedAboveUs: null }).outages).toEqual([]);
    for (const iv of t.intervals) iv.counters = { ...iv.counters, sent: 10, interrupted: 10, completed: 0, wrongAnswer: 0 };
    expect(targetTimeline(t, [], { outageBelowPct: 50, degradedAboveUs: null }).outages).toEqual([]);
  });
});

describe('gates on the timeline', () => {
  const r = drillReport();
  it('outage (the longest, a duration) and outage-lost (a count)', () => {
    const g = evaluateGates(r, parseGates(['outage<400ms', 'outage<300ms', 'outage-lost<=160', 'outage-lost<160']));
    expect(g.results.map((x) => [x.gate, x.passed])).toEqual([
      ['outage<400ms', true],
      ['outage<300ms', false],
      ['outage-lost<=160', true],
      ['outage-lost<160', false],
    ]);
    expect(g.results[1]!.message).toMatch(/^measured 320ms/);
  });

  it('refuses an outage gate without a time unit, and outage-lost with one', () => {
    expect(() => parseGates(['outage<300'])).toThrow(/outage is the longest outage's duration: give it with a unit/);
    expect(() => parseGates(['outage-lost<3ms'])).toThrow(/outage-lost counts the queries lost in outages/);
  });

  it('a report without a timeline section gets one computed for the gate', () => {
    const { timeline: _t, ...bare } = r;
    expect(evaluateGates(bare, parseGates(['outage-lost==160'])).passed).toBe(true);
  });
});

describe('timeline as text', () => {
  it('prints the events, the outage with its event and identities, the degraded window and who answered', () => {
    const text = renderOps(drillReport());
    expect(text).toContain('Timeline (seconds from the start, intervals of 0.1 s; outage: under 50% answered; degraded: p99 above 10x p50):');
    expect(text).toContain('  event 1 at 1.02 s: ip -n lab-sw link set p-d1 down (exit 0, 5 ms)');
    expect(text).toContain(
      "    outage 1.03 s to 1.35 s (320 ms; intervals 1.00 s-1.30 s), 160 of 200 queries unanswered; 10 ms after event 1 'ip -n lab-sw link set p-d1 down', recovered 330 ms after it; answered by d1 before, d2 after",
    );
    expect(text).toMatch(/ {4}degraded 1\.40 s to 1\.60 s \(200 ms\): p99 up to (39\.\d|40(\.\d)?)ms/);
    expect(text).toContain('    answered by: d1 0.00 s-1.10 s, d2 1.30 s-2.90 s, d1 2.90 s-4.00 s');
    expect(renderHuman(drillReport())).toContain(text);
  });

  it('a plain run prints nothing of it', () => {
    const { timeline: _t, events: _e, ...plain } = drillReport();
    expect(renderOps(plain)).toBe('');
  });

  it('control characters from a command or identity do not reach the terminal', () => {
    const r = drillReport();
    r.events![0]!.command = 'evil \x1b[2J\x1b]0;title\x07 cmd';
    expect(renderOps(r)).not.toMatch(/[\x00-\x08\x0b-\x1f]/);
  });
});

describe('saved and merged reports', () => {
  it('the drill report, events, timeline and all, is valid against the JSON schema', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'docs/report-v1.schema.json'), 'utf8')) as object;
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
    const validate = ajv.compile(schema);
    const r = JSON.parse(JSON.stringify(drillReport({ targets: 2 })));
    expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
    // The schema checks the shapes it documents.
    r.timeline.targets[0].outages[0].recovered = 'yes';
    expect(validate(r)).toBe(false);
  });

  it('a timeline of the wrong shape is refused by name; a tampered one is recomputed, never rendered as stored', () => {
    const bad = JSON.parse(JSON.stringify(drillReport()));
    bad.timeline = { targets: [{ label: 'vip', outages: 'x' }], outageBelowPct: '<b>' };
    expect(() => reportFromJson(bad, 'saved.json')).toThrow(/saved\.json.*timeline/);
    const r = JSON.parse(JSON.stringify(drillReport()));
    r.timeline.targets[0].outages = [];
    r.timeline.targets[0].longestOutageMs = 0;
    const loaded = reportFromJson(r, 'saved.json');
    expect(loaded.events).toHaveLength(2);
    expect(loaded.timeline!.targets[0]!.outages).toHaveLength(1);
    expect(renderOps(loaded)).toContain('outage 1.03 s to 1.35 s');
  });

  it('merging two drills redoes the timeline over the merged intervals, with both runs\' events', () => {
    const a = drillReport();
    const b = { ...drillReport(), machine: { ...a.machine, hostname: 'client2' } };
    const m = mergeReports([{ file: 'a.json', report: a }, { file: 'b.json', report: b }], { force: false, title: null, command: ['dnsbench', 'merge'] });
    expect(m.events).toHaveLength(4);
    const o = m.timeline!.targets[0]!.outages;
    expect(o).toHaveLength(1);
    expect(o[0]!.lost).toBe(320);
    expect(timelineOf(m.targets, m.events!, { outageBelowPct: 50, degradedAboveUs: null })).toEqual(m.timeline);
  });
});
