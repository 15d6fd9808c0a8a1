// The unit a gate metric is shown in when the user gave none (baselines). Number formatting itself
// is report/format.ts's (one formatter for every output).
import type { Metric } from './metrics.js';
export { formatIn, formatNatural, signed, signedNatural, toUnit, trimmed } from '../report/format.js';

/** 'us' for latency, '%' for shares, '' for counts and qps. */
export function naturalUnit(m: Metric): 'us' | '%' | '' {
  return m.kind === 'latency' || (m.kind === 'outage' && m.name === 'outage') ? 'us' : m.kind === 'share' ? '%' : '';
}
