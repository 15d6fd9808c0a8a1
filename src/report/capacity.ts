// The human view of `dnsbench capacity`: a header naming the SLO and the plan, one row per step
// (printed live as each step ends, or all at once by `dnsbench report`), then the full results of
// the step at capacity, the notes, and the "Capacity: ..." line last (scripts grep it, as they
// grep queryperf's "Queries per second"). Pure: sections of a Report in, text out.
import type { CapacityFigures, CapacitySection, CapacityStep, CapacityWindow, Report } from '../results/report.js';
import { formatCount, formatUs } from './format.js';
import { blockContext, DEFAULT_WIDTH, renderTail, renderTargetBlock, targetBanner } from './human.js';
import { terminalText, terminalToken } from './escape.js';

/** Text from outside (labels, servers, saved reasons) shown, never obeyed, by a terminal. */
const plain = (s: string): string => terminalText(s);

/** What the header needs (known before the first step). */
export type CapacityPlan = Pick<CapacitySection, 'method' | 'slo' | 'sloParts' | 'target' | 'settings'> & { server: string; others: string[] };

/** "Capacity search on ns1 (127.0.0.1:5300) for p99<5ms, loss<0.1%" and how it proceeds. */
export function renderCapacityHeader(p: CapacityPlan): string {
  const s = p.settings;
  const slo = p.sloParts.join(', ');
  let out = `Capacity ${p.method === 'ramp' ? 'ramp' : 'search'} on ${terminalToken(p.target)} (${terminalToken(p.server)}) for ${plain(slo)}\n`;
  if (p.method === 'ramp') {
    out += `  the rate rises from 0 to ${formatCount(s.maxQps ?? 0)} qps over ${s.rampTimeSec} s; each ${s.windowSec} s window (sliding) is checked against the SLO\n`;
  } else {
    const measured = (s.stepTimeSec ?? 0) - (s.warmupSec ?? 0);
    out +=
      `  steps of ${trimNum(s.stepTimeSec ?? 0)} s (${trimNum(s.warmupSec ?? 0)} s warm-up, then ${trimNum(measured)} s measured), ` +
      `from ${formatCount(s.startQps ?? 0)} qps x${s.factor} until a step fails, then halving the gap to ${trimNum(s.precisionPct ?? 0)}%` +
      `${s.maxQps !== null ? `, at most ${formatCount(s.maxQps)} qps` : ''}\n`;
  }
  if (p.others.length > 0) out += `  also measured at the same steps: ${p.others.map((o) => terminalToken(o)).join(', ')}\n`;
  return out + '\n' + tableHead(p.method) + '\n';
}

const trimNum = (n: number): string => String(Number(n.toFixed(3)));

const COLUMNS = [
  ['', 8],
  ['offered', 9],
  ['achieved', 9],
  ['answered', 9],
  ['p50', 8],
  ['p99', 8],
  ['loss', 8],
  ['verdict', 11],
] as const;

function tableHead(method: 'search' | 'ramp'): string {
  const cells = COLUMNS.slice(0, 7).map(([name, w], i) => (i === 0 ? (method === 'ramp' ? 'window s' : 'step') : name).padStart(w));
  return `${cells.join(' ')}  ${'verdict'.padEnd(COLUMNS[7][1] - 1)}generator CPU`;
}

/** "97%, 95%" per worker, with "(+40% waiting)" when they waited for a CPU. */
function cpuCell(f: CapacityFigures): string {
  if (f.generatorCpuPct.length === 0) return 'unknown';
  const cpu = f.generatorCpuPct.map((v) => `${Math.round(v)}%`).join(', ');
  if (f.generatorDemandPct === null) return cpu;
  const wait = Math.max(...f.generatorDemandPct.map((d, i) => d - f.generatorCpuPct[i]!));
  return wait >= 5 ? `${cpu} (+${Math.round(wait)}% waiting)` : cpu;
}

function row(first: string, f: CapacityFigures): string {
  const us = (v: number | null): string => (v === null ? 'n/a' : formatUs(v));
  const cells = [
    first,
    formatCount(f.offeredQps),
    formatCount(f.achievedQps),
    `${f.answeredPct.toFixed(2)}%`,
    us(f.p50Us),
    us(f.p99Us),
    `${f.lossPct.toFixed(2)}%`,
  ].map((c, i) => c.padStart(COLUMNS[i]![1]));
  return `${cells.join(' ')}  ${f.verdict.toUpperCase().padEnd(COLUMNS[7][1] - 1)}${cpuCell(f)}\n`;
}

/** One step's row, and an indented line with why it did not pass. */
export function renderCapacityStep(s: CapacityStep): string {
  return row(String(s.step), s) + reasonLines(s);
}

function reasonLines(f: CapacityFigures): string {
  return f.reasons.length === 0 ? '' : `${' '.repeat(10)}${plain(f.reasons.join('; '))}\n`;
}

/**
 * The windows of a ramp worth a row: about 20 evenly spread, plus the window at capacity and the
 * first that failed or was held by the generator (a 60 s ramp has 240 windows; all are in the JSON).
 */
export function sampledWindows(c: Pick<CapacitySection, 'windows' | 'capacityQps' | 'failedQps'>): CapacityWindow[] {
  const w = c.windows;
  const every = Math.max(1, Math.ceil(w.length / 20));
  const firstBad = w.findIndex((x) => x.verdict !== 'pass');
  const atCapacity = c.capacityQps === null ? -1 : w.findIndex((x) => x.verdict === 'pass' && Math.round(x.achievedQps) === c.capacityQps);
  return w.filter((_, i) => i % every === 0 || i === w.length - 1 || i === firstBad || i === atCapacity);
}

export function renderCapacityWindow(w: CapacityWindow): string {
  return row(`${w.fromSec.toFixed(1)}-${w.toSec.toFixed(1)}`, w) + reasonLines(w);
}

/** The table's rows: every step, or the sampled windows of a ramp. */
export function renderCapacityRows(c: CapacitySection): string {
  return c.method === 'ramp' ? sampledWindows(c).map(renderCapacityWindow).join('') : c.steps.map(renderCapacityStep).join('');
}

/** The last line of the human view (after any gate verdicts). */
export function renderCapacityLine(report: Report): string {
  return `Capacity: ${plain(report.capacity!.summary)}\n`;
}

/**
 * After the table: the full results of the step at capacity (the report's targets) and the notes.
 * Gate verdicts, then renderCapacityLine, follow.
 */
export function renderCapacityTail(report: Report, width = DEFAULT_WIDTH): string {
  const c = report.capacity!;
  let out = '\n';
  if (c.method === 'ramp') out += `=== The whole ramp: 0 to ${formatCount(c.settings.maxQps ?? 0)} qps over ${c.settings.rampTimeSec} s ===\n`;
  else if (c.reportStep !== null) {
    const s = c.steps[c.reportStep - 1];
    if (s !== undefined) {
      const best = c.steps.filter((x) => x.verdict === 'pass').reduce((m, x) => Math.max(m, x.offeredQps), -1);
      const at = s.verdict === 'pass' && s.offeredQps === best ? 'the highest rate that met the SLO' : 'the last step';
      out += `=== Step ${s.step}: ${formatCount(s.offeredQps)} qps, ${at} ===\n`;
    }
  }
  const ctx = blockContext(report);
  for (const t of report.targets) out += targetBanner(report, t) + renderTargetBlock(t, ctx);
  return out + renderTail(report, width);
}

/** A saved capacity report's human view up to the verdicts (`dnsbench report`), as the live run printed it. */
export function renderCapacity(report: Report, width = DEFAULT_WIDTH): string {
  const c = report.capacity!;
  const first = report.targets.find((t) => t.label === c.target) ?? report.targets[0];
  const plan: CapacityPlan = {
    method: c.method, slo: c.slo, sloParts: c.sloParts, target: c.target, settings: c.settings,
    server: first?.server ?? '', others: c.targets.map((t) => t.label).filter((l) => l !== c.target),
  };
  return renderCapacityHeader(plan) + renderCapacityRows(c) + renderCapacityTail(report, width);
}
