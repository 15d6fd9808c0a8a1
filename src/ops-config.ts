// The operations flags (issue 12) -> validated settings: --event, --outage-below,
// --degraded-above, --expect, --expect-file, --rrset-order, --watch-serial. Each failure is a
// UsageError naming the flag and what it accepts (exit 2), before anything is sent.
import { existsSync, statSync } from 'node:fs';
import { UsageError } from './errors.js';
import type { OpsSettings } from './results/report.js';
import { DEFAULT_OUTAGE_BELOW_PCT } from './results/timeline.js';
import { MAX_EVENTS } from './results/ops.js';
export { MAX_EVENTS };

export type OpsConfig = OpsSettings;

export interface RawOpsOptions {
  event?: string[];
  outageBelow?: string;
  degradedAbove?: string;
  expect?: boolean;
  expectFile?: string;
  rrsetOrder?: boolean;
  watchSerial?: string;
}

/** Longest event command, characters. */
const MAX_COMMAND = 4096;
/** An event later than this (s) could never run in any sensible run. */
const MAX_EVENT_SEC = 86_400;

/** `TIME=COMMAND`: TIME seconds (fractions allowed) after the run's start. */
export function parseEvent(value: string): { atSec: number; command: string } {
  const eq = value.indexOf('=');
  const time = eq < 0 ? '' : value.slice(0, eq).trim();
  const command = eq < 0 ? '' : value.slice(eq + 1).trim();
  const example = "e.g. --event '3=ip link set eth0 down' (3 s into the run)";
  if (eq < 0 || command === '') throw new UsageError(`--event "${value}": expected TIME=COMMAND, ${example}`);
  const atSec = /^(\d+(\.\d*)?|\.\d+)$/.test(time) ? Number(time) : NaN;
  if (!(atSec >= 0 && atSec <= MAX_EVENT_SEC)) throw new UsageError(`--event "${value}": TIME must be seconds from 0 to ${MAX_EVENT_SEC}, got "${time}"; ${example}`);
  if (command.length > MAX_COMMAND) throw new UsageError(`--event: the command is longer than ${MAX_COMMAND} characters`);
  return { atSec, command };
}

/** A latency with its unit (us, ms, s) -> microseconds. */
export function parseLatency(flag: string, value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(us|µs|ms|s)\s*$/.exec(value);
  const us = m ? Number(m[1]) * (m[2] === 's' ? 1e6 : m[2] === 'ms' ? 1e3 : 1) : NaN;
  if (!(us > 0 && us <= 3.6e9)) throw new UsageError(`${flag}: expected a latency with a unit (us, ms or s), e.g. 50ms, got "${value}"`);
  return us;
}

/** A zone name -> absolute, lower case ("view.test."). */
export function parseZone(flag: string, value: string): string {
  const z = value.trim().toLowerCase();
  const labels = z.replace(/\.$/, '').split('.');
  const ok = z === '.' || (z.length <= 253 && labels.every((l) => /^[a-z0-9_*-]([a-z0-9_-]{0,61}[a-z0-9_-])?$/.test(l)));
  if (!ok) throw new UsageError(`${flag}: expected a zone name such as example.com, got "${value}"`);
  return z === '.' ? '.' : `${labels.join('.')}.`;
}

export function resolveOps(raw: RawOpsOptions, o: { repeat: number; mode: string }): OpsConfig {
  const events = (raw.event ?? []).map(parseEvent).sort((a, b) => a.atSec - b.atSec);
  if (events.length > MAX_EVENTS) throw new UsageError(`--event: at most ${MAX_EVENTS} events in one run, got ${events.length}`);
  if (events.length > 0 && o.repeat > 1) throw new UsageError('--event cannot be combined with --repeat: each run would need its own events');
  let outageBelowPct = DEFAULT_OUTAGE_BELOW_PCT;
  if (raw.outageBelow !== undefined) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(raw.outageBelow);
    outageBelowPct = m ? Number(m[1]) : NaN;
    if (!(outageBelowPct > 0 && outageBelowPct <= 100)) {
      throw new UsageError(`--outage-below: expected a percentage above 0 and up to 100 (an interval with a lower answered share is an outage), got "${raw.outageBelow}"`);
    }
  }
  const degradedAboveUs = raw.degradedAbove === undefined ? null : parseLatency('--degraded-above', raw.degradedAbove);
  const expectFile = raw.expectFile ?? null;
  if (expectFile !== null && (!existsSync(expectFile) || statSync(expectFile).isDirectory())) {
    throw new UsageError(`--expect-file: no such file "${expectFile}" (lines of "name type expected...")`);
  }
  const watchSerial = raw.watchSerial === undefined ? null : parseZone('--watch-serial', raw.watchSerial);
  if (watchSerial !== null && o.repeat > 1) throw new UsageError('--watch-serial cannot be combined with --repeat');
  return {
    events,
    outageBelowPct,
    degradedAboveUs,
    expect: raw.expect === true,
    expectFile,
    rrsetOrder: raw.rrsetOrder === true,
    watchSerial,
    timeline: events.length > 0 || raw.outageBelow !== undefined || raw.degradedAbove !== undefined || watchSerial !== null,
  };
}

/** True when any operations flag asks for work beyond a plain run. */
export function opsActive(o: OpsConfig): boolean {
  return o.events.length > 0 || o.expect || o.expectFile !== null || o.rrsetOrder || o.watchSerial !== null;
}
