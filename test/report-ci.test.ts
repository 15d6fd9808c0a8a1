// The CI renderers: JUnit XML (escaped, one test case per gate with a failure saying by how much)
// and the Markdown summary (tables per target, gates, baseline, repeat).
import { describe, expect, it } from 'vitest';
import { escapeXml, junitCases, renderJunit } from '../src/report/junit.js';
import { cell, renderMarkdown } from '../src/report/markdown.js';
import { evaluateGates } from '../src/gates/evaluate.js';
import { compareBaseline } from '../src/gates/baseline.js';
import { parseGates, parseMaxRegression } from '../src/gates/parse.js';
import { repeatSection } from '../src/gates/repeat.js';
import type { Report } from '../src/results/report.js';
import { fixtureReport, fixtureTarget } from './support/report-fixtures.js';

const constant = (n: number, us: number): number[] => Array.from({ length: n }, () => us);

function gated(): Report {
  const r = fixtureReport(
    [fixtureTarget(constant(1000, 1410), { label: 'vip' }), fixtureTarget([], { label: 'dead', port: 5400, counters: { lost: 50 } })],
    { title: 'nightly <&> "check"' },
  );
  r.gates = evaluateGates(r, parseGates(['p99<1ms', 'vip:qps>=10']));
  const base = fixtureReport([fixtureTarget(constant(1000, 1000), { label: 'vip' }), fixtureTarget(constant(10, 1000), { label: 'dead', port: 5400 })]);
  r.baseline = compareBaseline(r, base, parseMaxRegression('p99=10%'), { file: 'base.json', maxRegression: 'p99=10%' });
  return r;
}

describe('JUnit XML', () => {
  it('escapes the five XML specials and drops characters XML 1.0 cannot carry', () => {
    expect(escapeXml(`a<b>&"c"'d'`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;');
    expect(escapeXml('bell\u0007 nul\u0000 ok\t\n😀')).toBe('bell nul ok\t\n😀');
  });

  it('has a test case per target, per gate result and per baseline check, failures with the message', () => {
    const cases = junitCases(gated());
    expect(cases.map((c) => [c.classname, c.name, c.failure?.type ?? 'pass'])).toEqual([
      ['dnsbench.run', 'vip (127.0.0.1:5353) answered', 'pass'],
      ['dnsbench.run', 'dead (127.0.0.1:5400) answered', 'RunFailed'],
      ['dnsbench.gates.vip', 'vip:p99<1ms', 'GateFailed'],
      ['dnsbench.gates.dead', 'dead:p99<1ms', 'GateFailed'],
      ['dnsbench.gates.vip', 'vip:qps>=10', 'pass'],
      ['dnsbench.baseline.vip', 'p99 vs baseline (limit 10%)', 'Regression'],
      ['dnsbench.baseline.dead', 'p99 vs baseline (limit 10%)', 'Regression'],
    ]);
    expect(cases[2]!.failure!.message).toBe('measured 1.41ms (+0.41ms, 41% over)');
  });

  it('renders well-formed XML with counts that match the cases', () => {
    const xml = renderJunit(gated());
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="dnsbench: nightly &lt;&amp;&gt; &quot;check&quot;" tests="7" failures="5" errors="0" skipped="0"')).toBe(true);
    expect(xml).toContain(
      '    <testcase classname="dnsbench.gates.vip" name="vip:p99&lt;1ms" time="0">\n' +
        '      <failure message="measured 1.41ms (+0.41ms, 41% over)" type="GateFailed">FAIL vip:p99&lt;1ms: measured 1.41ms (+0.41ms, 41% over)</failure>\n' +
        '    </testcase>',
    );
    expect(xml).toContain('<testcase classname="dnsbench.gates.vip" name="vip:qps&gt;=10" time="0"/>');
    // Nothing unescaped: every < starts a tag, every & an entity.
    expect(xml.replace(/<\/?[a-z?!][^<>]*>/g, '')).not.toMatch(/[<>]/);
    expect(xml).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
    expect((xml.match(/<testcase /g) ?? []).length).toBe(7);
    expect((xml.match(/<failure /g) ?? []).length).toBe(5);
  });

  it('a run without gates still has its run test cases', () => {
    const xml = renderJunit(fixtureReport([fixtureTarget([5])]));
    expect(xml).toContain('tests="1" failures="0"');
  });
});

describe('Markdown summary', () => {
  it('escapes pipes and shows line breaks visibly in cells', () => {
    expect(cell('a|b\nc')).toBe('a\\|b\\\\nc');
  });

  it('has a row per target, the gates and the baseline, and a verdict in the heading', () => {
    const md = renderMarkdown(gated());
    expect(md).toMatch(/^### dnsbench: nightly &lt;&amp;&gt; "check" — ❌ 4 of 5 checks failed\n/);
    expect(md).toContain('| vip | 127.0.0.1:5353 | 1,000 | 1,000 (100.00%) | 0 (0.00%) | 1,000 | 1.41ms | 1.41ms | 1.41ms | 1.41ms | 1.41ms | 1.41ms |');
    expect(md).toContain('| dead | 127.0.0.1:5400 | 50 | 0 (0.00%) | 50 (100.00%) | 0 | n/a | n/a | n/a | n/a | n/a | n/a |');
    expect(md).toContain('| ❌ FAIL | vip | vip:p99&lt;1ms | 1.41ms | measured 1.41ms (+0.41ms, 41% over) |');
    expect(md).toContain('| ✅ PASS | vip | vip:qps&gt;=10 | 1000 | measured 1000 (+990, 9900% over) |');
    expect(md).toContain('#### Baseline base.json');
    expect(md).toContain('| ❌ FAIL | vip | p99 | 1ms | 1.41ms | +41% | 10% |');
    // Every table row has the same number of unescaped pipes as its header.
    for (const table of md.split('\n\n').filter((b) => b.startsWith('|'))) {
      const rows = table.split('\n').filter((l) => l.startsWith('|'));
      const pipes = (l: string): number => (l.replace(/\\\|/g, '').match(/\|/g) ?? []).length;
      for (const r of rows) expect(pipes(r)).toBe(pipes(rows[0]!));
    }
  });

  it('shows the --repeat spread table', () => {
    const runs = [1000, 1200, 1100].map((us) => fixtureReport([fixtureTarget(constant(100, us))]));
    const { medianIndex, section } = repeatSection(runs);
    const md = renderMarkdown({ ...runs[medianIndex]!, repeat: section });
    expect(md).toContain('#### Repeat: 3 runs');
    expect(md).toContain('| dns1 | p99 | 1.1ms | 1ms | 1.2ms | 18.2% |');
  });
});
