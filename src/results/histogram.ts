// Latency histograms: HDR (hdr-histogram-js), integer microseconds, 3 significant digits, so any
// percentile is within 0.1% of the true value. Histograms cross thread and process boundaries as
// the standard compressed base64 encoding (the same one HdrHistogram uses in Java/Go/Rust), which
// round-trips exactly, so merging partial results is lossless.
//
// The package's index loads its WebAssembly build (a 39 KB base64 module) and pako even when
// only the JS histograms are used: ~30 ms of every thread's startup. Its JS factory also loads the
// packed, 8- and 16-bit kinds (~18 ms more). We require the two kinds used, and the codec (the
// package's own encode/decode), each on first use: the main thread only merges after the run, so
// a run's start never waits for them there; a worker loads them while it waits for its setup.
import { createRequire } from 'node:module';
import type { Histogram as HdrHistogram } from 'hdr-histogram-js';

export type Histogram = HdrHistogram;

const requireHere = createRequire(import.meta.url);

type Codec = typeof import('hdr-histogram-js/dist/encoding.js');
let codecModule: Codec | null = null;
/** hdr-histogram-js's compressed-base64 codec, loaded when a histogram is first encoded or decoded. */
function codec(): Codec {
  codecModule ??= requireHere('hdr-histogram-js/dist/encoding.js') as Codec;
  return codecModule;
}

type HistogramClass = new (lowest: number, highest: number, digits: number) => Histogram;
let int32: HistogramClass | null = null;
let float64: HistogramClass | null = null;
/** The 32- or 64-bit-count JS histogram class (Int32Histogram, Float64Histogram), loaded on first use. */
function histogramClass(bits: 32 | 64): HistogramClass {
  if (bits === 32) return (int32 ??= (requireHere('hdr-histogram-js/dist/Int32Histogram.js') as { default: HistogramClass }).default);
  return (float64 ??= (requireHere('hdr-histogram-js/dist/Float64Histogram.js') as { default: HistogramClass }).default);
}

/** Loads the histogram classes now (a worker thread, before its first answer needs them). */
export function preloadHistograms(): void {
  histogramClass(32);
  histogramClass(64);
}

/** One hour in microseconds; autoResize grows past it if a run ever needs more. */
const HIGHEST_US = 3_600_000_000;

/**
 * A histogram of integer microseconds. `digits` 3 (the default) keeps every value within 0.1%:
 * run totals. 2 (within 1%, 32-bit counts, ~13 KB instead of ~190 KB) is for the per-interval
 * series, of which a run keeps up to ceil(timeout / interval) + 2 open per target. `bits` 32
 * halves a histogram a worker fills (its buckets cannot reach 2^32 in one run); merged ones
 * decode into 64-bit counts.
 */
export function newHistogram(digits: 2 | 3 = 3, bits: 32 | 64 = digits === 3 ? 64 : 32): Histogram {
  // The pure-JS implementation (what hdr.build gives with useWebAssembly false): WebAssembly would
  // need async init in every worker and is no faster for single recordValue calls, which cross
  // the JS/WASM boundary each time.
  const Ctor = histogramClass(bits);
  const h = new Ctor(1, HIGHEST_US, digits);
  h.autoResize = true;
  return h;
}

/** The standard HdrHistogram V2 compressed base64 form. */
export function encodeHistogram(h: Histogram): string {
  return codec().encodeIntoCompressedBase64(h);
}

/** Throws (the codec's Error) when `encoded` is not a V2 compressed histogram. */
export function decodeHistogram(encoded: string): Histogram {
  const h = newHistogram();
  if (encoded !== '') h.add(codec().decodeFromCompressedBase64(encoded, 64, false));
  return h;
}

/** Merge encoded histograms into one (exact: bucket counts add). */
export function mergeEncoded(encoded: readonly string[]): Histogram {
  const h = newHistogram();
  for (const e of encoded) if (e !== '') h.add(codec().decodeFromCompressedBase64(e, 64, false));
  return h;
}

/** The percentiles every report shows, keyed as they appear in JSON. */
export const PERCENTILES = [
  ['p50', 50],
  ['p90', 90],
  ['p99', 99],
  ['p99.9', 99.9],
  ['p99.99', 99.99],
] as const;
export type PercentileKey = (typeof PERCENTILES)[number][0];

export function percentiles(h: Histogram): Record<PercentileKey, number> {
  const out = {} as Record<PercentileKey, number>;
  for (const [key, p] of PERCENTILES) out[key] = h.totalCount === 0 ? 0 : h.getValueAtPercentile(p);
  return out;
}

/** Percentile spectrum for charts: value at each percentile on a log scale of "nines". */
export function spectrum(h: Histogram): Array<{ percentile: number; us: number }> {
  if (h.totalCount === 0) return [];
  const points: Array<{ percentile: number; us: number }> = [];
  for (let nines = 0; nines <= 5; nines += 0.125) {
    const p = 100 * (1 - Math.pow(10, -nines));
    points.push({ percentile: Number(p.toFixed(6)), us: h.getValueAtPercentile(p) });
  }
  points.push({ percentile: 100, us: h.maxValue });
  return points;
}
