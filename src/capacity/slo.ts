// --slo 'p99<5ms,loss<0.1%': the service level a capacity step must meet, in the gate syntax
// (gates/parse.ts), any gate metric, comma-separated. Pure; a bad SLO is a UsageError naming --slo.
import { UsageError } from '../errors.js';
import { METRIC_HELP } from '../gates/metrics.js';
import { gateText, parseGate, type Gate } from '../gates/parse.js';

export interface Slo {
  /** As given. */
  text: string;
  gates: Gate[];
}

/**
 * Parse --slo: one or more gate expressions separated by commas, without a `target:` prefix (the
 * SLO applies to every target) and without `capacity` (it is what the SLO defines). Throws
 * UsageError.
 */
export function parseSlo(text: string): Slo {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new UsageError(`--slo "${text}": expected one or more conditions, e.g. --slo 'p99<5ms,loss<0.1%'; valid metrics: ${METRIC_HELP}`);
  const gates = parts.map((p) => {
    let g: Gate;
    try {
      g = parseGate(p);
    } catch (e) {
      throw new UsageError(`--slo: ${(e as Error).message.replace(/^--gate /, '')}`);
    }
    if (g.target !== null) throw new UsageError(`--slo "${p}": the SLO applies to every target; drop "${g.target}:" (the search runs on the first -s)`);
    if (g.metric.kind === 'capacity') throw new UsageError(`--slo "${p}": capacity is what the search finds; give it to --gate instead (e.g. --gate 'capacity>=50000')`);
    if (g.metric.name.startsWith('outage')) throw new UsageError(`--slo "${p}": outages are measured on one run's timeline, not per step; use loss and latency (e.g. loss<0.1%,p99<5ms)`);
    return g;
  });
  return { text, gates };
}

/** The SLO as printed: "p99<5ms, loss<0.1%". */
export function sloText(slo: Slo): string {
  return slo.gates.map((g) => gateText(g)).join(', ');
}
