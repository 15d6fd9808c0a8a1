// The capacity search as a pure state machine: which rate to measure next, given the verdicts so
// far. A geometric ramp from --start (x factor per step, capped at --max) until a step fails the
// SLO, then bisection between the highest rate that passed and the lowest that failed until they
// are within --precision. No I/O, no clock: the command measures each rate and records it.
import type { CapacityResult, CapacityVerdict } from '../results/report.js';

export interface SearchOptions {
  /** First rate, qps (--start). */
  start: number;
  /** Highest rate to try, qps (--max), or null for no limit. */
  max: number | null;
  /** Stop when (failed - passed) / passed is at most this, percent (--precision). */
  precisionPct: number;
  /** Ramp factor per step (2: doubling). */
  factor: number;
}

export interface SearchState {
  /** Highest rate that passed, or null. */
  passed: number | null;
  /** Lowest rate that failed, or null. */
  failed: number | null;
  /** Set once the search is over. */
  result: CapacityResult | null;
  /** The rate of the step that showed the generator to be the limit (result 'generator'). */
  generatorAt: number | null;
}

/** Rates are rounded to 3 significant digits (19,500 rather than 19,531) while that stays inside the gap. */
export function roundRate(lo: number, hi: number): number | null {
  const mid = lo + (hi - lo) / 2;
  for (const digits of [3, 4, 5, 6, 7, 8, 9]) {
    const step = 10 ** Math.max(0, Math.floor(Math.log10(mid)) + 1 - digits);
    const r = Math.round(mid / step) * step;
    if (r > lo && r < hi) return r;
  }
  const r = Math.round(mid);
  return r > lo && r < hi ? r : null;
}

export class CapacitySearch {
  readonly state: SearchState = { passed: null, failed: null, result: null, generatorAt: null };
  private steps = 0;

  constructor(private readonly o: SearchOptions) {
    if (!(o.start >= 1)) throw new RangeError('start must be at least 1 qps');
    if (o.max !== null && o.max < o.start) throw new RangeError('max must be at least start');
  }

  /** 'ramp' until a step failed, then 'bisect'. */
  get phase(): 'ramp' | 'bisect' {
    return this.state.failed === null ? 'ramp' : 'bisect';
  }

  /** The next rate to measure (qps), or null when the search is over (see `state.result`). */
  next(): number | null {
    const s = this.state;
    if (s.result !== null) return null;
    const { passed, failed } = s;
    if (failed === null) {
      if (passed === null) return this.o.start;
      if (this.o.max !== null && passed >= this.o.max) return this.finish('at-least-max');
      const up = Math.round(passed * this.o.factor);
      return this.o.max === null ? up : Math.min(up, this.o.max);
    }
    if (passed === null) return this.finish('slo-failed-at-start');
    if ((100 * (failed - passed)) / passed <= this.o.precisionPct) return this.finish('found');
    return roundRate(passed, failed) ?? this.finish('found');
  }

  /** What the step at `rate` showed. 'nothing' at the first step ends the search; later it is a failure. */
  record(rate: number, verdict: CapacityVerdict): void {
    const s = this.state;
    if (s.result !== null) throw new Error('the search is over');
    this.steps++;
    switch (verdict) {
      case 'pass':
        s.passed = s.passed === null ? rate : Math.max(s.passed, rate);
        break;
      case 'fail':
        s.failed = s.failed === null ? rate : Math.min(s.failed, rate);
        break;
      case 'nothing':
        if (this.steps === 1) this.finish('nothing-answered');
        else s.failed = s.failed === null ? rate : Math.min(s.failed, rate);
        break;
      case 'generator':
        s.generatorAt = rate;
        this.finish('generator');
        break;
    }
  }

  /** Ctrl-C: the search ends with what it has shown so far. */
  interrupt(): void {
    if (this.state.result === null) this.finish('interrupted');
  }

  private finish(result: CapacityResult): null {
    this.state.result = result;
    return null;
  }
}
