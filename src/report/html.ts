// The self-contained HTML report: one file with every script, style and number inline, that opens
// from file:// offline and makes no request (a Content-Security-Policy of default-src 'none'
// enforces it). Pure: (Report, asset strings) -> string; the same input gives the same bytes.
//
// Safety: every string from the user or the network (title, labels, file names, command line,
// notes) goes through escapeHtml; the data is embedded as JSON in <script type="application/json">
// with <, >, &, U+2028 and U+2029 escaped, so no value can close the element or start markup; the
// only scripts allowed to run are ours, pinned by their SHA-256 in the CSP. Labels reach the charts
// through uPlot, which sets them with textContent.
import { createHash } from 'node:crypto';
import type { Comparison } from '../results/compare.js';
import type { CapacityStep, CapacityWindow, Report, TargetReport } from '../results/report.js';
import { sampledWindows } from './capacity.js';
import { countOf } from '../results/counters.js';
import { PERCENTILES } from '../results/histogram.js';
import { chartData, targetColor, SPECTRUM_MAX_X } from './chart-data.js';
import { COMPARISON_FIELDS, comparisonHead, comparisonRow } from './compare-table.js';
import { allRcodes, formatCount, formatPct, formatUs, rcodeOrder } from './format.js';
import { HTML_CLIENT_JS, HTML_CSS } from './html-client.js';
import { renderTransportNotes } from './transport.js';
import { renderBaselineLines, renderGateLines } from './verdicts.js';
import { clean, eventLine, renderAnswerChecks, timelineLines } from './ops-text.js';
import { shellCommand } from '../util/shell.js';

export interface HtmlAssets {
  /** uPlot's IIFE build (defines the global uPlot). */
  uplotJs: string;
  uplotCss: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * JSON that is inert inside <script type="application/json">: "</script>", "<!--" and "]]>"
 * cannot appear, and U+2028/U+2029 (line terminators in older JS) are escaped too. JSON.parse of
 * the element's text gives back exactly the value.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A library's code or style sheet inline: it must not be able to close its element (uPlot's cannot). */
function inline(code: string, tag: 'script' | 'style'): string {
  if (new RegExp(`</${tag}`, 'i').test(code) || code.includes('<!--')) throw new Error(`inline ${tag} contains </${tag} or <!--`);
  return code;
}

const sha256 = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

const utc = (iso: string): string => iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');

function machineLine(r: Report): string {
  const m = r.machine;
  return `${m.cpus} cores (${m.cpuModel}), ${m.platform} ${m.release} ${m.arch}, ${formatBytes(m.memoryBytes)} RAM, Node ${m.node}`;
}

function formatBytes(n: number): string {
  return n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GiB` : `${Math.round(n / (1 << 20))} MiB`;
}

/** One <dd data-field=...>: tests read these back and compare them with the embedded JSON. */
const field = (name: string, text: string): string => `<dd data-field="${name}">${escapeHtml(text)}</dd>`;

function card(t: TargetReport, i: number): string {
  const c = t.counters;
  const l = t.latency;
  // No answers, no latency: "n/a" rather than a misleading 0us.
  const us = (v: number): string => (l.count > 0 ? formatUs(v) : 'n/a');
  const rows = [
    ['qps', 'Queries per second', formatCount(t.qps)],
    ['sent', 'Sent', formatCount(c.sent)],
    ['completed', 'Completed', `${formatCount(c.completed)} (${formatPct(c.completed, c.sent)})`],
    ['lost', 'Lost', `${formatCount(c.lost)} (${formatPct(c.lost, c.sent)})`],
    ...(c.interrupted > 0 ? [['interrupted', 'Interrupted', `${formatCount(c.interrupted)} (${formatPct(c.interrupted, c.sent)})`]] : []),
    ...PERCENTILES.slice(0, 4).map(([k]) => [k, `Latency ${k}`, us(l.percentiles[k])]),
    ['max', 'Latency max', us(l.max)],
    ['mean', 'Latency mean', us(l.mean)],
    ['runTime', 'Run time', `${t.runTimeSec.toFixed(3)} s`],
  ];
  return (
    `<section class="card" data-target="${i}" style="border-top-color:${targetColor(i)}">` +
    `<h3><span class="swatch" style="background:${targetColor(i)}"></span><span data-field="label">${escapeHtml(t.label)}</span></h3>` +
    `<p class="server" data-field="server">${escapeHtml(t.server)}</p><dl>` +
    rows.map(([k, name, text]) => `<dt>${name}</dt>${field(k!, text!)}`).join('') +
    `</dl>${transportList(t)}</section>`
  );
}

/** The same lines the text view prints for transports, TSIG, truncation and NSID (if any). */
function transportList(t: TargetReport): string {
  const lines = renderTransportNotes(t).split('\n').filter((l) => l !== '');
  if (lines.length === 0) return '';
  return `<ul class="extras" data-field="transport">${lines.map((l) => `<li>${escapeHtml(l.replace(/^(\w+):\s+/, '$1: '))}</li>`).join('')}</ul>`;
}

/** Gate and baseline verdicts, in the words the terminal prints, so a CI artifact says why it failed. */
function checksSection(report: Report): string {
  const lines = [
    ...(report.gates ? renderGateLines(report.gates).split('\n') : []),
    ...(report.baseline ? renderBaselineLines(report.baseline, report.targets.length > 1).split('\n') : []),
  ].filter((l) => l !== '');
  if (lines.length === 0) return '';
  const failed = lines.filter((l) => l.startsWith('FAIL')).length;
  const items = lines.map((l) => {
    const verdict = l.startsWith('FAIL') ? 'fail' : 'pass';
    return `<li class="${verdict}" data-verdict="${verdict}"><b>${verdict.toUpperCase()}</b> ${escapeHtml(l.slice(5))}</li>`;
  });
  return (
    `<section id="checks"><h2>Checks: ${failed === 0 ? 'all passed' : `${failed} failed`}</h2>` +
    `<ul class="checks">${items.join('')}</ul></section>`
  );
}

function comparisonTable(c: Comparison): string {
  const head = comparisonHead(c).map((h, i) => (i === 0 ? 'Target' : h));
  const rows = c.targets.map((t, i) => {
    const row = comparisonRow(t, i === 0);
    return `<tr data-target="${i}">${COMPARISON_FIELDS.map((f) => `<td data-field="${f}">${escapeHtml(row[f])}</td>`).join('')}</tr>`;
  });
  return (
    `<section id="comparison"><h2>Comparison against <span data-field="reference">${escapeHtml(c.reference)}</span></h2>` +
    `<div class="scroll"><table class="data"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table></div></section>`
  );
}

function rcodeTable(targets: readonly TargetReport[]): string {
  const codes = rcodeOrder(allRcodes(targets.map((t) => t.rcodes)));
  if (codes.length === 0) return '<section id="rcodes"><h2>Response codes</h2><p>No answers.</p></section>';
  const head = `<tr><th>Code</th>${targets.map((t, i) => `<th><span class="swatch" style="background:${targetColor(i)}"></span>${escapeHtml(t.label)}</th>`).join('')}</tr>`;
  const rows = codes.map((code) => {
    const cells = targets.map((t, i) => {
      const n = countOf(t.rcodes, code);
      const pct = t.counters.completed > 0 ? (100 * n) / t.counters.completed : 0;
      return (
        `<td data-target="${i}" data-rcode="${escapeHtml(code)}"><span class="bar" style="width:${pct.toFixed(1)}%;background:${targetColor(i)}"></span>` +
        `<span class="n">${formatCount(n)} (${formatPct(n, t.counters.completed)})</span></td>`
      );
    });
    return `<tr><th>${escapeHtml(code)}</th>${cells.join('')}</tr>`;
  });
  return `<section id="rcodes"><h2>Response codes</h2><p class="hint">Share of each target's completed queries.</p><div class="scroll"><table class="data rc"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div></section>`;
}

/**
 * The timeline of each target (issue 12): a chart at interval resolution (drawn by the page's
 * script: outages shaded, events as dashed lines, who answered as a colour band), and beside it
 * the same findings as text, so the page says them without JavaScript too.
 */
function timelineSections(report: Report): string {
  const tl = report.timeline;
  if (tl === undefined) return '';
  const data = chartData(report).timeline ?? [];
  const startOf = report.targets[0]?.timing.startedAtMs ?? null;
  const events = (report.events ?? []).map((e, i) => `<li data-event="${i}">${escapeHtml(eventLine(e, i, startOf))}</li>`);
  return report.targets
    .map((t, i) => {
      const tt = tl.targets.find((x) => x.label === t.label);
      const lines = tt ? timelineLines(tt, t, tl) : [];
      const ids = data[i]?.ids ?? [];
      const legend =
        `<ul class="idlegend"><li><span class="outbox"></span>outage (under ${tl.outageBelowPct}% answered)</li>` +
        (events.length > 0 ? '<li><span class="evline"></span>event (numbered as listed)</li>' : '') +
        ids.map((x) => `<li data-identity="${escapeHtml(x.id)}"><span class="swatch" style="background:${x.color}"></span>answered by ${escapeHtml(clean(x.id, 64))}</li>`).join('') +
        '</ul>';
      return (
        `<section class="chart timeline" data-chart="timeline-${i}" data-target="${i}"><h2>Timeline: ${escapeHtml(t.label)}</h2>` +
        `<p class="hint">Share of the queries sent in each ${tt ? `${tt.intervalSec} s ` : ''}interval that got an answer (green) and answered qps (grey), by the time the queries were sent.</p>` +
        `<div class="plot"></div>${legend}` +
        `<ul class="tl">${events.join('')}${lines.map((l) => `<li${l.startsWith('outage') ? ' class="outage"' : ''}>${escapeHtml(l)}</li>`).join('')}</ul></section>`
      );
    })
    .join('\n');
}

/** --expect / --rrset-order, as the text view prints them (escaped). */
function answerChecksSection(report: Report): string {
  const blocks = report.targets
    .map((t) => ({ t, text: renderAnswerChecks(t) }))
    .filter((x) => x.text !== '')
    .map((x) => `<h3>${escapeHtml(x.t.label)}</h3><pre class="checks-text">${escapeHtml(x.text)}</pre>`);
  return blocks.length === 0 ? '' : `<section id="answer-checks"><h2>Answer checks</h2>${blocks.join('')}</section>`;
}

function chart(name: string, title: string, hint: string): string {
  return `<section class="chart" data-chart="${name}"><h2>${escapeHtml(title)}</h2><p class="hint">${escapeHtml(hint)}</p><div class="plot"></div></section>`;
}

/** `dnsbench capacity`: the verdict line, the curve and the table of steps (or sampled windows). */
function capacitySection(report: Report): string {
  const c = report.capacity;
  if (c === undefined) return '';
  const us = (v: number | null): string => (v === null ? 'n/a' : formatUs(v));
  const ramp = c.method === 'ramp';
  const points = ramp ? sampledWindows(c) : c.steps;
  const head = [ramp ? 'Window (s)' : 'Step', 'Offered qps', 'Achieved qps', 'Answered', 'p50', 'p99', 'Loss', 'Verdict', 'Generator CPU', 'Why'];
  const rows = points.map((p) => {
    const first = 'step' in p ? String((p as CapacityStep).step) : `${(p as CapacityWindow).fromSec.toFixed(1)}–${(p as CapacityWindow).toSec.toFixed(1)}`;
    const cells = [
      first, formatCount(p.offeredQps), formatCount(p.achievedQps), `${p.answeredPct.toFixed(2)}%`, us(p.p50Us), us(p.p99Us),
      `${p.lossPct.toFixed(2)}%`, p.verdict.toUpperCase(), p.generatorCpuPct.map((v) => `${Math.round(v)}%`).join(', ') || 'unknown', p.reasons.join('; '),
    ];
    return `<tr class="${p.verdict}" data-verdict="${p.verdict}">${cells.map((x) => `<td>${escapeHtml(x)}</td>`).join('')}</tr>`;
  });
  const how = ramp
    ? `The rate rose linearly from 0 to ${formatCount(c.settings.maxQps ?? 0)} qps over ${c.settings.rampTimeSec} s; each point is a ${c.settings.windowSec} s window of it.`
    : `Each point is a step of ${c.settings.stepTimeSec} s (${c.settings.warmupSec} s warm-up not counted) at a fixed rate, on the same sockets.`;
  return (
    `<section id="capacity"><h2>Capacity</h2>` +
    `<p class="capacity ${escapeHtml(c.result)}" data-field="capacity">Capacity: ${escapeHtml(c.summary)}</p>` +
    `<p class="hint">SLO: <span data-field="slo">${escapeHtml(c.sloParts.join(', '))}</span>. ${escapeHtml(how)}</p>` +
    `</section>` +
    chart('capacity', 'Capacity curve', 'Offered rate (x) against the rate sent and answered (left axis; the dotted diagonal is the offered rate itself), p50 and p99 latency (right axis, ms) and loss (%), with the SLO limits dashed and the capacity marked. Drag to zoom, double-click to reset.') +
    `<section id="capacity-steps"><h2>${ramp ? 'Windows (a sample; every window is in the JSON)' : 'Steps'}</h2><div class="scroll"><table class="data steps">` +
    `<thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div></section>`
  );
}

export function renderHtml(report: Report, assets: HtmlAssets): string {
  const title = report.title ?? 'dnsbench report';
  // Reports since schema 1.2 count each outcome in the interval its query was sent in; older ones
  // counted it when it happened. The hints say which.
  const counted = (byEvent: string, bySend: string): string => (report.intervalBasis === 'sent' ? bySend : byEvent);
  const comparison = report.comparison;
  const client = HTML_CLIENT_JS.replace('__SPECTRUM_MAX_X__', String(SPECTRUM_MAX_X));
  const uplot = inline(assets.uplotJs, 'script');
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(uplot)} ${sha256(client)}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const meta: Array<[string, string, string]> = [
    ['command', 'Command', shellCommand(report.command)],
    ['date', 'Date', `${utc(report.startedAt)} – ${utc(report.endedAt)}`],
    ['machine', 'Machine', machineLine(report)],
    ['mode', 'Mode', report.targets.length > 1 ? (report.mode === 'interleave' ? 'interleaved (all targets at once)' : 'sequential (one target after another)') : 'one target'],
    ['queries', 'Queries', `${report.querySet.source} (${formatCount(report.querySet.count)} queries)`],
    ['tool', 'Tool', `dnsbench ${report.tool.version}`],
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="dnsbench ${escapeHtml(report.tool.version)}">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${inline(assets.uplotCss, 'style')}</style>
<style>${HTML_CSS}</style>
</head>
<body>
<header>
<h1 data-field="title">${escapeHtml(title)}</h1>
<dl class="meta">${meta.map(([k, name, text]) => `<dt>${name}</dt><dd data-field="${k}">${escapeHtml(text)}</dd>`).join('')}</dl>
</header>
<main>
${checksSection(report)}
${capacitySection(report)}
<section id="targets"><h2>Targets</h2><div class="cards">${report.targets.map(card).join('')}</div></section>
${comparison && comparison.targets.length > 1 ? comparisonTable(comparison) : ''}
<noscript><p>The charts need JavaScript; the tables above and below do not.</p></noscript>
${chart('spectrum', 'Latency percentile spectrum', `Latency at each percentile; the x axis is logarithmic in "nines" (p90, p99, p99.9, ...). Drag to zoom, double-click to reset.`)}
${chart('histogram', 'Latency histogram', 'Share of answers per latency bin (10 bins per decade, log scale).')}
${chart('qps', 'Queries per second over time', `${counted('Answered queries', 'Queries sent in each interval that were answered')} per second; t is the interval start. Drag to zoom, double-click to reset; hover for values.`)}
${chart('loss', 'Loss over time', `Of the queries ${counted('that finished in each interval', 'sent in each interval')} (answered or given up on), the share lost.`)}
${chart('p99', 'p99 latency over time', `99th percentile latency of the queries ${counted('answered in each interval', 'sent in each interval')}.`)}
${timelineSections(report)}
${answerChecksSection(report)}
${rcodeTable(report.targets)}
${report.notes.length > 0 ? `<section id="notes"><h2>Notes</h2><ul>${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></section>` : ''}
</main>
<footer>Generated by dnsbench ${escapeHtml(report.tool.version)}. The full JSON report is embedded in this file (script#dnsbench-report).</footer>
<script type="application/json" id="dnsbench-report">${jsonForScript(report)}</script>
<script type="application/json" id="dnsbench-charts">${jsonForScript(chartData(report))}</script>
<script>${uplot}</script>
<script>${client}</script>
</body>
</html>
`;
}
