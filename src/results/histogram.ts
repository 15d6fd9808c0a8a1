// Latency histograms: HDR (hdr-histogram-js), integer microseconds, 3 significant digits, so any
// percentile is within 0.1% of the true value. Histograms cross thread and process boundaries as
// the standard compressed base64 encoding (the same one HdrHistogram uses in Java/Go/Rust), which
// round-trips exactly, so merging partial results is lossless.
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

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
  return hdr.build({
    bitBucketSize: bits,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: digits,
    autoResize: true,
    // The pure-JS implementation: WebAssembly would need async init in every worker and is no
    // faster for single recordValue calls, which cross the JS/WASM boundary each time.
    useWebAssembly: false,
  });
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  const h = newHistogram();
  if (encoded !== '') h.add(hdr.decodeFromCompressedBase64(encoded, 64, false));
  return h;
}

/** Merge encoded histograms into one (exact: bucket counts add). */
export function mergeEncoded(encoded: readonly string[]): Histogram {
  const h = newHistogram();
  for (const e of encoded) if (e !== '') h.add(hdr.decodeFromCompressedBase64(e, 64, false));
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
