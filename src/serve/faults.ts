// Fault injection for the responder: how often to misbehave, and a seeded draw per query so a test
// (or a bug report) can replay exactly the same sequence of faults.
import { randomInt } from 'node:crypto';
import { UsageError } from '../errors.js';

export interface Faults {
  /** Ratio (0..1) of queries never answered. */
  drop: number;
  /** Every reply (faulty or not) is sent at least this many milliseconds after the query arrived. */
  delayMs: number;
  /** Ratio answered with TC=1 and no records. */
  truncate: number;
  /** Ratio answered with bytes that do not decode as DNS (but carry the query's ID). */
  garbage: number;
  /** Ratio answered with a different ID. */
  wrongId: number;
  /** Ratio answered SERVFAIL. */
  servfail?: number;
}

export const NO_FAULTS: Readonly<Required<Faults>> = { drop: 0, delayMs: 0, truncate: 0, garbage: 0, wrongId: 0, servfail: 0 };

/** What happens to one query. Exactly one per query: the ratios partition [0, 1). */
export const FaultAction = { none: 0, drop: 1, servfail: 2, truncate: 3, garbage: 4, wrongId: 5 } as const;
export type FaultActionValue = (typeof FaultAction)[keyof typeof FaultAction];

/** The CLI flag for each knob, so errors name what the user typed. */
const FLAG: Record<keyof Faults, string> = {
  drop: '--drop',
  delayMs: '--delay',
  truncate: '--truncate',
  garbage: '--garbage',
  wrongId: '--wrong-id',
  servfail: '--servfail',
};
const RATIOS = ['drop', 'servfail', 'truncate', 'garbage', 'wrongId'] as const;

/** Fills in missing knobs with 0 and checks ranges; throws UsageError naming the flag. */
export function validateFaults(faults: Partial<Faults> = {}): Required<Faults> {
  const f: Required<Faults> = { ...NO_FAULTS };
  for (const key of Object.keys(NO_FAULTS) as (keyof Faults)[]) {
    const value = faults[key] ?? 0;
    if (key === 'delayMs') {
      // Node timers cap at 2^31 - 1 ms; beyond that they fire immediately.
      if (!Number.isFinite(value) || value < 0 || value > 0x7fffffff) {
        throw new UsageError(`${FLAG[key]} must be a number of milliseconds from 0 to 2147483647, got ${value}`);
      }
    } else if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new UsageError(`${FLAG[key]} must be a ratio from 0 to 1, got ${value}`);
    }
    f[key] = value;
  }
  const sum = RATIOS.reduce((s, k) => s + f[k], 0);
  if (sum > 1 + 1e-9) {
    throw new UsageError(
      `fault ratios add up to ${sum}: ${RATIOS.map((k) => FLAG[k]).join(' + ')} must be at most 1 (a query gets at most one fault)`,
    );
  }
  return f;
}

/** mulberry32: a tiny 32-bit PRNG, good enough to spread faults and fill garbage, and reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function randomSeed(): number {
  return randomInt(0, 0xffffffff);
}

export interface FaultPlan {
  /** False when no ratio is set: the responder then skips the draw entirely. */
  readonly active: boolean;
  readonly delayMs: number;
  /** One draw per query. */
  draw(): FaultActionValue;
  /** The same generator, for garbage bytes and wrong IDs. */
  next(): number;
}

export function makeFaultPlan(faults: Required<Faults>, seed: number): FaultPlan {
  const next = mulberry32(seed);
  // Cumulative thresholds in 32-bit units: one uniform draw picks at most one fault with exact ratios,
  // whereas independent draws would make later knobs rarer than asked.
  const scale = 2 ** 32;
  const bounds: [number, FaultActionValue][] = [];
  let acc = 0;
  for (const [key, action] of [
    ['drop', FaultAction.drop],
    ['servfail', FaultAction.servfail],
    ['truncate', FaultAction.truncate],
    ['garbage', FaultAction.garbage],
    ['wrongId', FaultAction.wrongId],
  ] as const) {
    if (faults[key] > 0) {
      acc += faults[key] * scale;
      bounds.push([acc, action]);
    }
  }
  return {
    active: bounds.length > 0,
    delayMs: faults.delayMs,
    next,
    draw(): FaultActionValue {
      const r = next();
      for (const [bound, action] of bounds) if (r < bound) return action;
      return FaultAction.none;
    },
  };
}
