// Statistics derived from additive sums. The one place mean and standard deviation are computed.
import type { LatencySums } from './model.js';

/**
 * Count, min, max, mean and sample standard deviation (as dnsperf computes "Latency StdDev") from
 * the sums, in the sums' unit (µs). All 0 when count is 0.
 */
export function summarizeSums(sums: LatencySums): { count: number; min: number; max: number; mean: number; stddev: number } {
  const n = sums.count;
  const mean = n > 0 ? sums.sum / n : 0;
  const variance = n > 1 ? Math.max(0, (sums.sumSquares - (sums.sum * sums.sum) / n) / (n - 1)) : 0;
  return { count: n, min: n > 0 ? sums.min : 0, max: n > 0 ? sums.max : 0, mean, stddev: Math.sqrt(variance) };
}
