// JUnit XML for CI test tabs (--junit FILE): one test case per target ("did it answer at all"),
// per gate and per baseline comparison, each failed one with a <failure> saying by how much.
// Pure: Report in, string out. Follows the common Jenkins/GitLab/GitHub reporter subset:
// testsuites > testsuite > testcase > failure, with tests/failures/errors/skipped/time counts.
import type { Report } from '../results/report.js';
import { terminalText } from './escape.js';
import { shellCommand } from '../util/shell.js';

interface Case {
  classname: string;
  name: string;
  failure: { message: string; type: string; text: string } | null;
}

/** XML 1.0 allows only these characters, even escaped; anything else is dropped. */
const INVALID_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function escapeXml(s: string): string {
  return s
    .replace(INVALID_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Class names are dotted paths in most viewers: keep labels readable but free of dots' meaning. */
const cls = (...parts: string[]): string => parts.map((p) => p.replace(/\./g, '_')).join('.');

export function junitCases(report: Report): Case[] {
  const cases: Case[] = [];
  for (const t of report.targets) {
    const silent = t.counters.sent > 0 && t.counters.completed === 0 && t.counters.interrupted < t.counters.sent;
    const msg = `nothing answered: ${t.counters.sent} queries sent to ${t.server}, none answered`;
    cases.push({
      classname: cls('dnsbench', 'run'),
      name: `${t.label} (${t.server}) answered`,
      failure: silent ? { message: msg, type: 'RunFailed', text: msg } : null,
    });
  }
  for (const r of report.gates?.results ?? []) {
    cases.push({
      classname: cls('dnsbench', 'gates', r.target),
      name: r.gate,
      failure: r.passed ? null : { message: r.message, type: 'GateFailed', text: `FAIL ${r.gate}: ${r.message}` },
    });
  }
  for (const r of report.baseline?.results ?? []) {
    const name = `${r.metric} vs baseline (limit ${r.limit})`;
    cases.push({
      classname: cls('dnsbench', 'baseline', r.target),
      name,
      failure: r.passed ? null : { message: r.message, type: 'Regression', text: `FAIL ${r.target}: ${name}: ${r.message}` },
    });
  }
  return cases;
}

/**
 * Outside text (titles, labels, messages, the command line) in an attribute or element: one line
 * with control characters shown visibly (CI pages and `cat` show them as they are), then XML-escaped.
 */
const x = (s: string): string => escapeXml(terminalText(s, 4000));

export function renderJunit(report: Report): string {
  const cases = junitCases(report);
  const failures = cases.filter((c) => c.failure !== null).length;
  const seconds = Math.max(0, (Date.parse(report.endedAt) - Date.parse(report.startedAt)) / 1000);
  const time = Number.isFinite(seconds) ? seconds.toFixed(3) : '0';
  const suite = `dnsbench${report.title ? `: ${report.title}` : ''}`;
  const counts = `tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${time}"`;
  const props: Array<[string, string]> = [
    ['dnsbench.version', report.tool.version],
    ['command', shellCommand(report.command)],
    ['querySet', `${report.querySet.source} (${report.querySet.count} queries, sha256 ${report.querySet.sha256})`],
    ...report.targets.map((t): [string, string] => [`target.${t.label}`, t.server]),
  ];
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${x(suite)}" ${counts}>`,
    `  <testsuite name="${x(suite)}" ${counts} timestamp="${x(report.startedAt)}" hostname="${x(report.machine.hostname)}">`,
    '    <properties>',
    ...props.map(([k, v]) => `      <property name="${x(k)}" value="${x(v)}"/>`),
    '    </properties>',
  ];
  for (const c of cases) {
    const open = `    <testcase classname="${x(c.classname)}" name="${x(c.name)}" time="0"`;
    if (c.failure === null) lines.push(`${open}/>`);
    else {
      lines.push(`${open}>`);
      lines.push(`      <failure message="${x(c.failure.message)}" type="${x(c.failure.type)}">${x(c.failure.text)}</failure>`);
      lines.push('    </testcase>');
    }
  }
  lines.push('  </testsuite>', '</testsuites>');
  return lines.join('\n') + '\n';
}
