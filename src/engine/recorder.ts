// What one worker records for one target. The hot path touches plain number fields and one HDR
// histogram; everything leaves the worker as additive data (see results/counters.ts) that the main
// thread merges.
import { zeroCounters, type Counters, rcodesFromArray, subtractCounters, type RcodeCounts } from '../results/counters.js';
import { encodeHistogram, newHistogram, type Histogram } from '../results/histogram.js';
import type { LatencySums, WorkerInterval, WorkerPartial } from './protocol.js';

export class Recorder {
  readonly c: Counters = zeroCounters();
  readonly rcodes = new Float64Array(16);
  /** Latency sums in microseconds (exact; min/max/mean/stddev come from these, not the histogram). */
  readonly lat: LatencySums = { count: 0, min: Infinity, max: 0, sum: 0, sumSquares: 0 };
  readonly corrected: LatencySums = { count: 0, min: Infinity, max: 0, sum: 0, sumSquares: 0 };
  /** Latency of the current interval; added into `total` when the interval closes. */
  private intervalHist: Histogram = newHistogram();
  private readonly total: Histogram = newHistogram();
  private readonly correctedHist: Histogram | null;
  private intervalStart = zeroCounters();
  private intervalRcodes = new Float64Array(16);
  readonly intervals: WorkerInterval[] = [];
  lastCompletionAt = 0;
  /** Setup latency (us) of each TCP, DoT or DoH connection established (dnsperf's connection statistics). */
  readonly connect: LatencySums = { count: 0, min: Infinity, max: 0, sum: 0, sumSquares: 0 };
  /** --nsid: completed answers per server identity (RFC 5001). */
  readonly nsid = new Map<string, number>();
  /** Distinct local address:port pairs used: every socket, and every TCP connection made. */
  readonly sources = new Set<string>();

  constructor(readonly paced: boolean) {
    this.correctedHist = paced ? newHistogram() : null;
  }

  /** A matching, untruncated answer. Times are performance.now() milliseconds. */
  complete(now: number, sentAt: number, intendedAt: number, rcode: number, bytes: number): void {
    const c = this.c;
    c.completed++;
    c.responseBytes += bytes;
    this.rcodes[rcode] = this.rcodes[rcode]! + 1;
    this.lastCompletionAt = now;
    const us = (now - sentAt) * 1000;
    addSample(this.lat, us);
    // Integer microseconds in the histogram; at least 1 so a sub-microsecond answer still counts.
    this.intervalHist.recordValue(us < 1 ? 1 : Math.round(us));
    if (this.correctedHist !== null) {
      // Latency from the intended send time (wrk2's coordinated-omission correction): a query held
      // back because the window was full is charged for the wait.
      const cus = (now - intendedAt) * 1000;
      addSample(this.corrected, cus);
      this.correctedHist.recordValue(cus < 1 ? 1 : Math.round(cus));
    }
  }

  /** A connection (TCP, TLS, HTTP/2) was established after `ms` milliseconds, from `local`. */
  connected(ms: number, local: string, reconnect: boolean): void {
    this.c.connSuccesses++;
    if (reconnect) this.c.reconnects++;
    addSample(this.connect, ms * 1000);
    this.sources.add(local);
  }

  /** Close the current interval (indexed from the run start) and remember it for the report. */
  closeInterval(index: number, startMs: number, durationMs: number): WorkerInterval {
    const counters = subtractCounters(this.c, this.intervalStart);
    const rc = new Float64Array(16);
    for (let i = 0; i < 16; i++) rc[i] = this.rcodes[i]! - this.intervalRcodes[i]!;
    const interval: WorkerInterval = {
      index,
      startMs,
      durationMs,
      counters,
      rcodes: rcodesFromArray(rc),
      histogram: this.intervalHist.totalCount > 0 ? encodeHistogram(this.intervalHist) : '',
    };
    this.total.add(this.intervalHist);
    this.intervalHist.reset();
    this.intervalStart = { ...this.c };
    this.intervalRcodes = Float64Array.from(this.rcodes);
    this.intervals.push(interval);
    return interval;
  }

  /** The final result; `toEpoch` converts this thread's clock() readings to epoch ms. */
  partial(times: { startedAt: number; sendEndedAt: number; endedAt: number }, toEpoch: (t: number) => number): WorkerPartial {
    const rcodes: RcodeCounts = rcodesFromArray(this.rcodes);
    return {
      counters: { ...this.c },
      rcodes,
      latency: { ...this.lat },
      histogram: this.total.totalCount > 0 ? encodeHistogram(this.total) : '',
      corrected:
        this.correctedHist === null
          ? null
          : { sums: { ...this.corrected }, histogram: this.correctedHist.totalCount > 0 ? encodeHistogram(this.correctedHist) : '' },
      intervals: this.intervals,
      startedAt: times.startedAt,
      sendEndedAt: times.sendEndedAt,
      lastCompletionAt: this.lastCompletionAt === 0 ? 0 : toEpoch(this.lastCompletionAt),
      endedAt: times.endedAt,
      connect: { ...this.connect },
      nsid: Object.fromEntries(this.nsid),
      sourcePairs: this.sources.size,
    };
  }
}

function addSample(s: LatencySums, us: number): void {
  s.count++;
  s.sum += us;
  s.sumSquares += us * us;
  if (us < s.min) s.min = us;
  if (us > s.max) s.max = us;
}
