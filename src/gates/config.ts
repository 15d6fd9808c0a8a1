// The CI flags (--gate, --baseline, --max-regression, --repeat, --junit, --markdown) -> a
// validated GatingConfig. Called from resolveConfig before the query file is read, so a typo
// in a gate or a missing baseline file exits 2 before a single packet is sent.
import { checkWritableDir } from '../paths.js';
import { InputError, UsageError } from '../errors.js';
import { loadReport } from '../results/load.js';
import { formatServer, type Report, type ReportConfig } from '../results/report.js';
import { matchBaseline } from './baseline.js';
import { checkGateTargets, type TargetName } from './evaluate.js';
import { parseGates, parseMaxRegression, type Allowance, type Gate } from './parse.js';

/** What commander hands over for the CI flags (shared by the run and `report`). */
export interface RawGateOptions {
  gate?: string[];
  baseline?: string;
  maxRegression?: string;
  repeat?: string;
  junit?: string;
  markdown?: string;
}

export interface GatingConfig {
  gates: Gate[];
  baseline: { file: string; report: Report; allowances: Allowance[]; maxRegression: string } | null;
  /** --repeat: how many runs (1 = a single run). */
  repeat: number;
  junit: string | null;
  markdown: string | null;
}

export function resolveGating(raw: RawGateOptions, o: { repeatAllowed: boolean } = { repeatAllowed: true }): GatingConfig {
  const gates = parseGates(raw.gate ?? []);
  if (raw.maxRegression !== undefined && raw.baseline === undefined) {
    throw new UsageError('--max-regression needs --baseline FILE.json (the saved run to compare with)');
  }
  if (raw.baseline !== undefined && raw.maxRegression === undefined) {
    throw new UsageError('--baseline needs --max-regression, e.g. --max-regression qps=5%,p99=10% (how much worse each metric may get)');
  }
  const allowances = raw.maxRegression === undefined ? [] : parseMaxRegression(raw.maxRegression);
  let repeat = 1;
  if (raw.repeat !== undefined) {
    if (!o.repeatAllowed) throw new UsageError('--repeat applies to a benchmark run, not to saved reports');
    const n = /^\d+$/.test(raw.repeat.trim()) ? Number(raw.repeat) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 100) throw new UsageError(`--repeat: expected a whole number from 1 to 100, got "${raw.repeat}"`);
    repeat = n;
  }
  if (raw.junit !== undefined) checkWritableDir('--junit', raw.junit);
  if (raw.markdown !== undefined) checkWritableDir('--markdown', raw.markdown);
  const baseline =
    raw.baseline === undefined
      ? null
      : { file: raw.baseline, report: loadBaseline(raw.baseline), allowances, maxRegression: raw.maxRegression! };
  return { gates, baseline, repeat, junit: raw.junit ?? null, markdown: raw.markdown ?? null };
}

/** loadReport with the flag named in its error ("--baseline: cannot read report ..."), which a CI log needs to be read alone. */
function loadBaseline(file: string): Report {
  try {
    return loadReport(file);
  } catch (e) {
    if (e instanceof InputError && e.lines.length === 1) throw new InputError(`--baseline: ${e.lines[0]!}`);
    throw e;
  }
}

/**
 * Checks that need the run's targets: every `target:` prefix names one, every target has a
 * baseline counterpart, and corrected.* metrics come with -Q (rateLimited; null = unknown, as for
 * saved reports, where a missing corrected latency fails the gate with its reason instead).
 */
export function checkGatingTargets(g: GatingConfig, targets: readonly TargetName[], rateLimited: boolean | null): void {
  checkGateTargets(g.gates, targets);
  if (g.baseline) matchBaseline(targets, g.baseline.report, g.baseline.file);
  if (rateLimited === false) {
    const names = [...g.gates.map((x) => x.metric), ...(g.baseline?.allowances.map((a) => a.metric) ?? [])]
      .filter((m) => m.kind === 'latency' && m.corrected)
      .map((m) => m.name);
    if (names.length > 0) {
      throw new UsageError(`${names[0]}: corrected latency exists only for rate-limited runs; add -Q/--max-qps or use ${names[0]!.replace('corrected.', '')}`);
    }
  }
}

/** How gates may name a target: label, host:port or host. */
export function targetNames(targets: readonly { label: string; host: string; port: number }[]): TargetName[] {
  return targets.map((t) => ({ label: t.label, host: t.host, server: formatServer(t.host, t.port) }));
}

/** The CI settings as they appear in the report's config (no baseline contents). */
export function gatingForReport(g: GatingConfig): ReportConfig['gating'] {
  return {
    gates: g.gates.map((x) => x.expression),
    baseline: g.baseline?.file ?? null,
    maxRegression: g.baseline?.maxRegression ?? null,
    repeat: g.repeat,
    junit: g.junit,
    markdown: g.markdown,
  };
}
