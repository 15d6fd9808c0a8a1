// `dnsbench serve --capacity QPS [--capacity-latency MS]`: a responder with a known capacity, for
// testing capacity searches and for seeing what overload looks like. One instance is shared by the
// UDP and the TCP listener: the server as a whole answers at most QPS queries per second.
//
// Admission is a token bucket (RFC 2697's single-rate idea without colours): tokens accrue at QPS
// per second up to a small burst, each query takes one, and a query that finds none is dropped
// silently, as an overloaded server's full socket buffer drops it. The burst is 10 ms of traffic
// (at least 8 queries), so over any interval of T seconds at most QPS x T + burst are answered.
//
// Queueing delay (--capacity-latency MS), added to every admitted answer, follows the M/M/1 wait
// factor rho / (1 - rho) of the load rho = offered rate / QPS, scaled so that it reaches MS at 90%
// load and capped at MS from there on (the queue is bounded: beyond it, queries are dropped):
//
//   delay(rho) = MS x min(1, (rho / (1 - rho)) / 9)      0 at idle, 11% of MS at half load,
//                                                        33% at 75%, 100% at 90% and above
//
// The offered rate is an exponentially weighted moving average of arrivals (dropped ones included)
// with a 100 ms time constant: each arrival adds 1/tau to an estimate that decays by e^(-dt/tau).
import { UsageError } from '../errors.js';

export interface CapacityOptions {
  /** Queries per second answered at most. */
  qps: number;
  /** Queueing delay in ms at 90% load and above (0: none). */
  latencyMs?: number;
}

/** Time constant of the offered-rate estimate, ms. */
const RATE_TAU_MS = 100;
/** The load at which the delay reaches --capacity-latency. */
const FULL_DELAY_LOAD = 0.9;

export class Capacity {
  readonly qps: number;
  readonly burst: number;
  readonly latencyMs: number;
  private tokens: number;
  private last: number | null = null;
  /** Offered rate estimate, queries per ms. */
  private rate = 0;
  private rateAt: number | null = null;

  /** Throws UsageError naming --capacity or --capacity-latency for a value out of range. */
  constructor(o: CapacityOptions) {
    if (!Number.isInteger(o.qps) || o.qps < 1 || o.qps > 10_000_000) {
      throw new UsageError(`--capacity: expected queries per second from 1 to 10000000, got ${o.qps}`);
    }
    const latencyMs = o.latencyMs ?? 0;
    if (!Number.isFinite(latencyMs) || latencyMs < 0 || latencyMs > 60_000) {
      throw new UsageError(`--capacity-latency: expected milliseconds from 0 to 60000, got ${latencyMs}`);
    }
    this.qps = o.qps;
    this.latencyMs = latencyMs;
    this.burst = Math.max(8, Math.ceil(o.qps / 100));
    this.tokens = this.burst;
  }

  /**
   * One query arriving at `nowMs` (a monotonic clock, e.g. performance.now()): true when it may
   * be answered (a token was taken), false when it is over capacity and must be dropped.
   */
  admit(nowMs: number): boolean {
    this.observe(nowMs);
    if (this.last !== null && nowMs > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) * this.qps) / 1000);
    }
    this.last = Math.max(nowMs, this.last ?? nowMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** The load now: offered rate / capacity, 0..1 (capped). */
  load(): number {
    return Math.min(1, (this.rate * 1000) / this.qps);
  }

  /** Queueing delay (ms) for an answer admitted now, by the curve above. */
  delayMs(): number {
    if (this.latencyMs === 0) return 0;
    const rho = this.load();
    if (rho >= FULL_DELAY_LOAD) return this.latencyMs;
    const scale = FULL_DELAY_LOAD / (1 - FULL_DELAY_LOAD);
    return this.latencyMs * Math.min(1, rho / (1 - rho) / scale);
  }

  private observe(nowMs: number): void {
    if (this.rateAt !== null && nowMs > this.rateAt) this.rate *= Math.exp(-(nowMs - this.rateAt) / RATE_TAU_MS);
    this.rate += 1 / RATE_TAU_MS;
    this.rateAt = Math.max(nowMs, this.rateAt ?? nowMs);
  }
}

/** "capacity 20000 qps (burst 200), queueing delay up to 5 ms near the limit" for the serve log. */
export function describeCapacity(c: Capacity): string {
  const delay = c.latencyMs > 0 ? `, queueing delay up to ${c.latencyMs} ms near the limit (M/M/1 curve, full at 90% load)` : '';
  return `capacity ${c.qps} qps (burst ${c.burst}; excess queries dropped)${delay}`;
}
