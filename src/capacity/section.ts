// The `capacity` section of a report and its one-line summary, from the search's (or the ramp's)
// outcome. Pure. The summary is worded once here and stored, so `dnsbench report` prints exactly
// the line the live run printed.
import { ExitCode, type ExitCodeValue } from '../errors.js';
import { aboutQps, generatorAdvice } from '../results/generator.js';
import { REACHED_SHARE } from './judge.js';
import type { CapacityResult } from '../results/report.js';

const qps = (n: number): string => `${Math.round(n).toLocaleString('en-US')} qps`;


export interface SummaryInput {
  method: 'search' | 'ramp';
  result: CapacityResult;
  capacityQps: number | null;
  failedQps: number | null;
  /** The SLO as printed ("p99<5ms, loss<0.1%"). */
  slo: string;
  startQps: number | null;
  maxQps: number | null;
  /** A ramp: the rate scheduled in its last whole window (the highest any window was offered), qps; else null. */
  topWindowQps?: number | null;
  generator: { qps: number; reasons: string[] } | null;
  /** The generator was starved of CPU rather than saturated (the advice differs). */
  generatorStarved: boolean;
  /** Only the generator's own sockets dropping answers made it the limit (the advice differs). */
  generatorDroppedOnly?: boolean;
  /** -T, and the cores this process may run on (for the generator advice). */
  threads: number;
  cores: number;
  /** The search target's server ("127.0.0.1:5300") and, for a failed start, why it failed. */
  server: string;
  startReasons: string[];
}

/** The text after "Capacity: ", e.g. "84,200 qps within p99<5ms, loss<0.1%". */
export function capacitySummary(s: SummaryInput): string {
  const within = `within ${s.slo}`;
  const cap = s.capacityQps;
  switch (s.result) {
    case 'found':
      return `${qps(cap!)} ${within}${s.failedQps !== null ? ` (${s.method === 'ramp' ? 'a window' : 'a step'} offering ${qps(s.failedQps)} failed)` : ''}`;
    case 'at-least-max':
      // A ramp's windows that sent well under their schedule (timers woke late on a busy machine)
      // still pass at the rate they sent: then the top of the ramp was scheduled, never offered.
      // Only windows that met the SLO are spoken for: one that failed earlier may have sent more.
      const top = s.topWindowQps ?? null;
      if (s.method === 'ramp' && top !== null && cap! < REACHED_SHARE * top) {
        return `at least ${qps(cap!)} ${within}: the SLO held to the end of the ramp, but the best window that met it sent ${qps(cap!)} of the ${qps(top)} its last window scheduled (the generator fell behind its schedule; see the windows); give the generator cores of its own (taskset, a quieter machine) to offer the top`;
      }
      return `at least ${qps(cap!)} ${within}: the SLO held up to ${s.method === 'ramp' ? 'the top of the ramp' : '--max'} (${qps(s.maxQps ?? cap!)}); raise --max to find the limit`;
    case 'generator': {
      const g = s.generator;
      const limit = g === null ? 'the generator is the limit' : `the generator is the limit at about ${aboutQps(g.qps)} qps (${g.reasons.join('; ')})`;
      const held = cap === null ? '' : ` The server met ${s.slo} up to ${qps(cap)}, so its capacity is at least that.`;
      return `not found: ${limit}; ${generatorAdvice(s.threads, s.cores, s.generatorStarved, s.generatorDroppedOnly === true)}.${held}`;
    }
    case 'slo-failed-at-start': {
      const at = s.method === 'ramp' ? 'from the start of the ramp' : `at --start ${qps(s.startQps ?? 0)}`;
      return `none: ${s.slo} failed ${at}${s.startReasons.length > 0 ? ` (${s.startReasons.join('; ')})` : ''}; lower --start or relax --slo`;
    }
    case 'nothing-answered':
      return `none: nothing answered from ${s.server}${s.startQps !== null ? ` at ${qps(s.startQps)}` : ''}. Is a DNS server listening at that address and port?`;
    case 'interrupted':
      return cap === null ? 'none: interrupted before any step met the SLO' : `at least ${qps(cap)} ${within} (interrupted before the search ended)`;
  }
}

/**
 * The command's exit code by result (README "Finding capacity"): 0 a capacity was found (or the SLO
 * held up to --max); 1 the SLO failed at --start; 3 nothing answered, or the generator was the
 * limit (the run could not measure the server). An interrupted search exits 128 + n (commands/).
 */
export function capacityExitCode(result: CapacityResult): ExitCodeValue {
  switch (result) {
    case 'found':
    case 'at-least-max':
    case 'interrupted':
      return ExitCode.ok;
    case 'slo-failed-at-start':
      return ExitCode.gateFailed;
    case 'nothing-answered':
    case 'generator':
      return ExitCode.runFailed;
  }
}

