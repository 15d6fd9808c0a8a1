// What one engine loop records for one target during one run. The hot path touches a few number
// fields, one interval slot and HDR histograms; everything leaves as the additive RunData of
// results/model.ts.
//
// Intervals count by SEND time (issue 12): every outcome of a query (answer, timeout, truncation,
// abort, interruption) lands in the interval in which the query was sent, so an outage shows in
// the intervals it happened in, not `-t` seconds later. An interval is final once no query sent
// in it can still be outstanding: the recorder keeps the last ceil(timeout / interval) + 2
// intervals open in a ring and finalizes older ones as time moves on. Responses that are not a
// query's outcome (late, mismatched, malformed, socket errors, connection events) count in the
// interval in which they arrived.
import { zeroCounters, rcodesFromArray, type Counters } from '../results/counters.js';
import { encodeHistogram, newHistogram, type Histogram } from '../results/histogram.js';
import { addSample, emptySums, type ChannelFacts, type IntervalData, type LatencySums, type RunData } from '../results/model.js';
import { tallyAdd } from '../results/tally.js';
import type { ChecksCollector } from '../results/checks.js';

/** Most intervals a recorder keeps open (the ring grows to this when outcomes are very late). */
const MAX_RING = 8192;

/** Counters that are events (not query outcomes) and can be counted with `event`. */
export type EventCounter =
  | 'malformed' | 'late' | 'mismatched' | 'socketErrors' | 'tcpFallbacks' | 'httpErrors'
  | 'tsigFailed' | 'tsigBadKey' | 'tsigBadSig' | 'tsigBadTime' | 'connAttempts' | 'connSuccesses' | 'reconnects'
  | 'foreignSource';

/** Ways a query is lost (each is also counted in `lost`). */
export type LossKind = 'timedOut' | 'truncated' | 'aborted' | 'wrongAnswer';

/** One open interval: its counters and the latency of its queries. */
class Slot {
  index = -1;
  /** Queries sent in this interval whose outcome is not known yet: it stays open while > 0. */
  outstanding = 0;
  readonly c: Counters = zeroCounters();
  readonly rcodes = new Float64Array(16);
  extended: Map<number, number> | null = null;
  /**
   * Latency of this interval's queries (3 significant digits, 32-bit counts); made at the first
   * answer. The run's total is the sum of these, added as each interval is finalized, so an
   * answer costs one recordValue, not two.
   */
  hist: Histogram | null = null;
  nsid: Map<string, number> | null = null;

  reset(index: number): void {
    this.index = index;
    this.outstanding = 0;
    const c = this.c as unknown as Record<string, number>;
    for (const k in c) c[k] = 0;
    this.rcodes.fill(0);
    this.extended = null;
    this.hist?.reset();
    this.nsid = null;
  }
}

export interface RecorderOptions {
  /** Paced run (-Q): record corrected latency and send lag. */
  paced: boolean;
  /** Length of the report's intervals, ms. */
  intervalMs: number;
  /** Query timeout, ms (how long an interval must stay open). */
  timeoutMs: number;
  /** Clock time the run's intervals count from (its start). */
  startAt: number;
  /** Clock reading -> epoch ms, for interval start times. */
  toEpochMs: (t: number) => number;
}

export class Recorder {
  /** Run totals, by event time (what -S and progress lines read). */
  readonly live = { sent: 0, completed: 0, lost: 0 };
  /** Latency sums in microseconds (exact; min/max/mean/stddev come from these, not the histogram). */
  readonly lat: LatencySums = emptySums();
  readonly corrected: LatencySums = emptySums();
  /** Made at the first answer: a recorder that only counts connections (a session's setup) has none. */
  private total: Histogram | null = null;
  private readonly correctedHist: Histogram | null;
  /** Setup latency (µs) of each TCP, DoT or DoH connection (dnsperf's connection statistics). */
  readonly connect: LatencySums = emptySums();
  /** --nsid: completed answers per server identity (RFC 5001), capped (results/tally.ts). */
  readonly nsid = new Map<string, number>();
  /** Replies from another address or port than the server's, by "host:port" (capped, channel.ts). */
  readonly foreignSources = new Map<string, number>();
  /** Distinct local address:port pairs used: every socket, and every TCP connection made. */
  readonly sources = new Set<string>();
  /** -Q: send lag (µs) and skipped slots. */
  readonly lag: LatencySums = emptySums();
  private readonly lagHist: Histogram | null;
  /** --expect / --rrset-order counts (engine/checks.ts creates it on first use); null otherwise. */
  checks: ChecksCollector | null = null;
  skipped = 0;
  skippedWindowFull = 0;
  windowFullMs = 0;
  lastCompletionAt = 0;
  /** Connection facts for the report's notes (given-up connections, DoH stream limits). */
  private facts: ChannelFacts | null = null;

  private ring: Slot[];
  private readonly invInterval: number;
  /** Index of the newest interval seen; slots with index <= newest - ring.length + 2 are final. */
  private newest = 0;
  private readonly finalized: IntervalData[] = [];
  private closed = false;

  constructor(readonly o: RecorderOptions) {
    this.correctedHist = o.paced ? newHistogram(3, 32) : null;
    this.lagHist = o.paced ? newHistogram(3, 32) : null;
    this.invInterval = 1 / o.intervalMs;
    // Outcomes arrive at most `timeout` after the send (plus a sweep's delay): keep that many
    // intervals open, plus the current one and one of slack.
    const open = Math.ceil((o.timeoutMs + 250) / o.intervalMs) + 2;
    this.ring = Array.from({ length: open }, () => new Slot());
    this.ring[0]!.reset(0);
  }

  /** The open slot for clock time `t` (advancing and finalizing as time moves on). */
  private slotAt(t: number): Slot {
    let idx = Math.floor((t - this.o.startAt) * this.invInterval);
    if (idx < 0) idx = 0; // connection set up before the start counts in the first interval
    const n = this.ring.length;
    const s = this.ring[idx % n]!;
    if (s.index === idx) return s;
    if (idx > this.newest) return this.advance(idx);
    // Older than the ring holds (a very late outcome): count it in the oldest open interval.
    return this.oldestOpen();
  }

  private oldestOpen(): Slot {
    const n = this.ring.length;
    for (let i = Math.max(0, this.newest - n + 1); i <= this.newest; i++) {
      const s = this.ring[i % n]!;
      if (s.index === i) return s;
    }
    return this.ring[this.newest % n]!;
  }

  /**
   * Open intervals up to `idx`, finalizing the ones they replace in the ring. An interval that
   * still has queries outstanding (a sweep delayed past the ring's slack on a starved machine)
   * is never finalized early: the ring grows instead (up to MAX_RING), so each outcome still
   * lands in the interval its query was sent in.
   */
  private advance(idx: number): Slot {
    for (let i = this.newest + 1; i <= idx; i++) {
      let n = this.ring.length;
      let s = this.ring[i % n]!;
      if (s.index >= 0 && s.outstanding > 0 && n < MAX_RING) {
        this.grow();
        n = this.ring.length;
        s = this.ring[i % n]!;
      }
      if (s.index >= 0) this.finalize(s);
      s.reset(i);
    }
    this.newest = idx;
    return this.ring[idx % this.ring.length]!;
  }

  /** Double the ring, keeping every open interval at its index modulo the new size. */
  private grow(): void {
    const size = Math.min(MAX_RING, this.ring.length * 2);
    const next: Slot[] = new Array<Slot>(size);
    for (const s of this.ring) if (s.index >= 0) next[s.index % size] = s;
    for (let i = 0; i < size; i++) next[i] ??= new Slot();
    this.ring = next;
  }

  private finalize(s: Slot): void {
    const start = this.o.startAt + s.index * this.o.intervalMs;
    this.finalized.push({
      index: s.index,
      startMs: this.o.toEpochMs(start),
      durationMs: this.o.intervalMs,
      counters: { ...s.c },
      rcodes: rcodesFromArray(s.rcodes, s.extended ?? undefined),
      histogram: s.hist !== null && s.hist.totalCount > 0 ? encodeHistogram(s.hist) : '',
      ...(s.nsid !== null ? { nsid: Object.fromEntries(s.nsid) } : {}),
    });
    if (s.hist !== null && s.hist.totalCount > 0) (this.total ??= newHistogram(3, 32)).add(s.hist);
    s.index = -1;
  }

  /**
   * Take over what a setup recorder counted while the channels were opened (connection attempts,
   * setup latency, errors, sources), so the first run of a session reports its connections as a
   * single run always has. Added to the first interval.
   */
  adoptSetup(setup: Recorder): void {
    const into = this.slotAt(this.o.startAt).c;
    for (const s of setup.ring) {
      if (s.index < 0) continue;
      for (const k of ['connAttempts', 'connSuccesses', 'reconnects', 'socketErrors', 'malformed', 'mismatched', 'late', 'foreignSource'] as const) into[k] += s.c[k];
    }
    const c = this.connect;
    const d = setup.connect;
    c.count += d.count;
    c.sum += d.sum;
    c.sumSquares += d.sumSquares;
    if (d.count > 0) {
      c.min = Math.min(c.min, d.min);
      c.max = Math.max(c.max, d.max);
    }
    for (const src of setup.sources) this.sources.add(src);
    for (const [from, n] of setup.foreignSources) tallyAdd(this.foreignSources, from, n);
  }

  /** Called by the engine's tick: lets intervals with nothing outstanding become final in time. */
  touch(now: number): void {
    if (!this.closed) this.slotAt(now);
  }

  /** A query went out at clock `now`, `bytes` long on the wire. */
  sent(now: number, bytes: number): void {
    const s = this.slotAt(now);
    s.outstanding++;
    const c = s.c;
    c.sent++;
    c.requestBytes += bytes;
    this.live.sent++;
  }

  /** A matching, untruncated answer. Times are clock ms; rcode is the full (extended) RCODE. */
  complete(now: number, sentAt: number, intendedAt: number, rcode: number, bytes: number, nsid: string | null): void {
    const s = this.slotAt(sentAt);
    s.outstanding--;
    const c = s.c;
    c.completed++;
    c.responseBytes += bytes;
    if (rcode < 16) s.rcodes[rcode] = s.rcodes[rcode]! + 1;
    else (s.extended ??= new Map()).set(rcode, (s.extended.get(rcode) ?? 0) + 1);
    this.live.completed++;
    this.lastCompletionAt = now;
    // Never below 0: with kernel receive timestamps (native path) the arrival is converted from
    // the realtime to the monotonic clock with an offset read per batch, good to a few µs, so a
    // loopback answer can appear a hair before its send.
    const us = now > sentAt ? (now - sentAt) * 1000 : 0;
    addSample(this.lat, us);
    // Integer microseconds in the histograms; at least 1 so a sub-microsecond answer still counts.
    const v = us < 1 ? 1 : Math.round(us);
    (s.hist ??= newHistogram(3, 32)).recordValue(v);
    if (this.correctedHist !== null) {
      // Latency from when the schedule charged the query from (issue 9: its due time only when
      // a full window held it back; otherwise its send time), wrk2's correction done honestly.
      const cus = now > intendedAt ? (now - intendedAt) * 1000 : 0;
      addSample(this.corrected, cus);
      this.correctedHist.recordValue(cus < 1 ? 1 : Math.round(cus));
    }
    if (nsid !== null) {
      tallyAdd(this.nsid, nsid, 1);
      tallyAdd((s.nsid ??= new Map()), nsid, 1);
    }
  }

  /** A query sent at `sentAt` was lost (detected at `now`). */
  lost(sentAt: number, kind: LossKind, _now: number): void {
    const s = this.slotAt(sentAt);
    s.outstanding--;
    const c = s.c;
    c.lost++;
    c[kind]++;
    this.live.lost++;
  }

  /** Ctrl-C while the query sent at `sentAt` was outstanding. */
  interrupted(sentAt: number): void {
    const s = this.slotAt(sentAt);
    s.outstanding--;
    s.c.interrupted++;
  }

  /** A response-level event (not a query's outcome) at clock `now`. */
  event(counter: EventCounter, now: number, n = 1): void {
    if (this.closed) return;
    this.slotAt(now).c[counter] += n;
  }

  /** A connection (TCP, TLS, HTTP/2) was established after `ms` milliseconds, from `local`. */
  connected(now: number, ms: number, local: string, reconnect: boolean): void {
    this.event('connSuccesses', now);
    if (reconnect) this.event('reconnects', now);
    addSample(this.connect, ms * 1000);
    this.sources.add(local);
  }

  /** A connection was given up (too many failed attempts in a row; engine/loop.ts). */
  gaveUp(_now: number): void {
    (this.facts ??= { gaveUp: 0, streamLimit: 0, streamLimited: 0, window: 0 }).gaveUp++;
  }

  /**
   * DoH: a server's SETTINGS_MAX_CONCURRENT_STREAMS (`limit`) cut a channel's `window`; `newChannel`
   * is true the first time this recorder hears of that channel.
   */
  streamLimited(limit: number, window: number, newChannel: boolean): void {
    const f = (this.facts ??= { gaveUp: 0, streamLimit: 0, streamLimited: 0, window: 0 });
    f.streamLimit = f.streamLimit === 0 ? limit : Math.min(f.streamLimit, limit);
    if (newChannel) f.streamLimited++;
    f.window = Math.max(f.window, window);
  }

  /**
   * -Q: a paced query left `lagMs` after its due time (negative: before it, as the native send
   * schedule does when it arms its timer ahead by its wake-up latency). Recorded as the distance,
   * |lagMs| in µs, so the percentiles say how close to their due times queries left, either way.
   */
  paced(lagMs: number): void {
    const us = Math.abs(lagMs * 1000);
    addSample(this.lag, us);
    this.lagHist!.recordValue(us < 1 ? 1 : Math.round(us));
  }

  /** -Q: `n` scheduled slots were not sent; `windowFull` when a full window held them back. */
  skip(n: number, windowFull: boolean): void {
    this.skipped += n;
    if (windowFull) this.skippedWindowFull += n;
  }

  /** The run is over: finalize every interval and return the additive result. */
  finish(times: { startedAt: number; sendEndedAt: number; endedAt: number }, toEpoch: (t: number) => number): RunData {
    if (!this.closed) {
      this.closed = true;
      const n = this.ring.length;
      for (let i = Math.max(0, this.newest - n + 1); i <= this.newest; i++) {
        const s = this.ring[i % n]!;
        if (s.index === i) this.finalize(s);
      }
    }
    const intervals = this.finalized.sort((a, b) => a.index - b.index);
    // The last interval is cut at the end of sending (or the last answer), like dnsperf's run time.
    const last = intervals.at(-1);
    if (last !== undefined) {
      const end = toEpoch(Math.max(times.sendEndedAt, this.lastCompletionAt));
      last.durationMs = Math.max(0, Math.min(last.durationMs, end - last.startMs));
    }
    const counters = zeroCounters();
    const rc = new Map<string, number>();
    for (const iv of intervals) {
      for (const k of Object.keys(counters) as Array<keyof Counters>) counters[k] += iv.counters[k];
      for (const [k, v] of Object.entries(iv.rcodes)) rc.set(k, (rc.get(k) ?? 0) + v);
    }
    return {
      counters,
      rcodes: Object.fromEntries(rc),
      latency: { ...this.lat },
      histogram: this.total !== null && this.total.totalCount > 0 ? encodeHistogram(this.total) : '',
      corrected:
        this.correctedHist === null
          ? null
          : { sums: { ...this.corrected }, histogram: this.correctedHist.totalCount > 0 ? encodeHistogram(this.correctedHist) : '' },
      intervals,
      startedAt: toEpoch(times.startedAt),
      sendEndedAt: toEpoch(times.sendEndedAt),
      lastCompletionAt: this.lastCompletionAt === 0 ? 0 : toEpoch(this.lastCompletionAt),
      endedAt: toEpoch(times.endedAt),
      connect: { ...this.connect },
      nsid: Object.fromEntries(this.nsid),
      sourcePairs: this.sources.size,
      ...(this.facts !== null ? { channels: { ...this.facts } } : {}),
      ...(this.foreignSources.size > 0 ? { foreignSources: Object.fromEntries(this.foreignSources) } : {}),
      ...(this.checks !== null ? { checks: this.checks.toData() } : {}),
      ...(this.lagHist !== null
        ? {
            pacing: {
              skipped: this.skipped,
              skippedWindowFull: this.skippedWindowFull,
              windowFullMs: this.windowFullMs,
              lag: { ...this.lag },
              lagHistogram: this.lagHist.totalCount > 0 ? encodeHistogram(this.lagHist) : '',
            },
          }
        : {}),
    };
  }
}
