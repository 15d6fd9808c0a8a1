// The CI features through the built CLI (dist/bin.js), as a CI job uses them: exit codes, what
// goes to stdout and stderr, files written, and that a bad gate sends nothing. Every packet goes to
// 127.0.0.1: the embedded responder, or a counting socket that never answers.
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResponder, type Responder } from '../src/serve/responder.js';
import { loadZoneFile } from '../src/serve/zone.js';
import { DEMO_ZONE } from '../src/serve/run.js';
import { decodeHistogram } from '../src/results/histogram.js';
import type { Report } from '../src/results/report.js';
import { ROOT, runCli } from './support/cli.js';
import { fixtureReport, fixtureTarget, SHA_B } from './support/report-fixtures.js';
import { evaluateGates } from '../src/gates/evaluate.js';
import { parseGates } from '../src/gates/parse.js';
import { repeatSection } from '../src/gates/repeat.js';

const DEMO = join(ROOT, 'querysets/demo.txt');
const dir = mkdtempSync(join(tmpdir(), 'dnsbench-gates-'));
const file = (name: string): string => join(dir, name);
const readReport = (f: string): Report => JSON.parse(readFileSync(f, 'utf8')) as Report;

let responder: Responder;
let server: string;

/** A UDP socket on 127.0.0.1 that counts what it receives and never answers. */
interface Sink {
  port: number;
  received: () => number;
  /** Resolves once our own marker datagram has arrived: everything sent before it has too. */
  flush: () => Promise<void>;
  close: () => Promise<void>;
}

async function startSink(): Promise<Sink> {
  const sock: Socket = createSocket('udp4');
  let count = 0;
  let onMarker: (() => void) | null = null;
  sock.on('message', (m) => {
    if (m.toString() === 'flush-marker') onMarker?.();
    else count++;
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const port = sock.address().port;
  return {
    port,
    received: () => count,
    flush: () =>
      new Promise<void>((resolve) => {
        onMarker = resolve;
        const probe = createSocket('udp4');
        probe.send('flush-marker', port, '127.0.0.1', () => probe.close());
      }),
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}

beforeAll(async () => {
  responder = await startResponder({ address: '127.0.0.1', port: 0, zone: loadZoneFile(DEMO_ZONE), seed: 7 });
  server = `127.0.0.1:${responder.port}`;
});
afterAll(async () => {
  await responder.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One short closed-loop pass over the demo queries (1000 of them). */
const run = (...extra: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  runCli(['-s', server, '-d', DEMO, '-n', '1', '-T', '1', '-t', '1', ...extra]);

describe('gates on a live run', () => {
  it('an impossible gate fails with exit 1 and says which gate and by how much', async () => {
    const json = file('impossible.json');
    const r = await run('--gate', 'p99<1us', '--gate', 'completed>=1', '--json', json);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL p99<1us: measured \d+us \(\+\d+us, [\d.]+% over\)$/m);
    expect(r.stdout).toMatch(/^PASS completed>=1: measured \d+ \(\+\d+, [\d.]+% over\)$/m);
    expect(r.stdout).toMatch(/^Gates: 1 of 2 checks failed$/m);
    // The verdict comes after the report, not inside it.
    expect(r.stdout.indexOf('Queries per second:')).toBeLessThan(r.stdout.indexOf('FAIL p99<1us'));
    const report = readReport(json);
    expect(report.gates!.passed).toBe(false);
    expect(report.gates!.results.map((g) => [g.gate, g.passed])).toEqual([['p99<1us', false], ['completed>=1', true]]);
    expect(report.gates!.results[0]!.measured).toBe(report.targets[0]!.latency.percentiles.p99);
    expect(report.config['gating']).toMatchObject({ gates: ['p99<1us', 'completed>=1'], repeat: 1 });
  });

  it('gates that hold exit 0', async () => {
    const r = await run('--gate', 'p99<10s', '--gate', 'sent==1000', '--gate', 'rcode.SERVFAIL==0%');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PASS sent==1000: measured 1000 \(exactly\)$/m);
    expect(r.stdout).toMatch(/^Gates: all 3 checks passed$/m);
  });

  it('--json - keeps stdout pure JSON; the gate lines go to stderr', async () => {
    const r = await run('--gate', 'p99<1us', '--json', '-');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report; // throws if anything else leaked onto stdout
    expect(r.stdout.trimStart().startsWith('{')).toBe(true);
    expect(report.gates!.results[0]!.passed).toBe(false);
    expect(r.stderr).toMatch(/^FAIL p99<1us: measured/m);
    expect(r.stdout).not.toContain('FAIL');
  });

  it('--quiet prints only the failed gates, on stderr', async () => {
    const r = await run('--gate', 'p99<1us', '--gate', 'p99<10s', '--quiet');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^FAIL p99<1us: measured \d+us/);
    expect(r.stderr).not.toContain('PASS');
  });

  it('a run that failed (nothing answered) exits 3 even when a gate fails too', async () => {
    const sink = await startSink();
    try {
      const q = file('two.txt');
      writeFileSync(q, 'a.example A\nb.example AAAA\n');
      const r = await runCli(['-s', `127.0.0.1:${sink.port}`, '-d', q, '-n', '1', '-t', '0.2', '--gate', 'p99<1ms', '--gate', 'loss<1%']);
      expect(r.code).toBe(3);
      expect(r.stdout).toContain(`FAIL p99<1ms: no value: 127.0.0.1 has no answers, so no latency p99`);
      expect(r.stdout).toContain('FAIL loss<1%: measured 100% (+99%, 9900% over)');
      await sink.flush();
      expect(sink.received()).toBe(2);
    } finally {
      await sink.close();
    }
  });
});

describe('bad CI flags exit 2 before a single packet is sent', () => {
  let sink: Sink;
  beforeAll(async () => {
    sink = await startSink();
  });
  afterAll(() => sink.close());

  it.each([
    [['--gate', 'p99<2xs'], /^dnsbench: --gate "p99<2xs": unknown unit "xs" .*; valid metrics: qps, p50, .*rcode\.<NAME>/],
    [['--gate', 'p999<2ms'], /unknown metric "p999" \(did you mean p99\.9\?\); valid metrics: /],
    [['--gate', 'p99<2ms', '--gate', 'loss<1'], /--gate "loss<1": loss is the share of queries lost/],
    [['--gate', 'vpi:p99<2ms'], /--gate "vpi:p99<2ms": no target "vpi" in this run \(targets: 127\.0\.0\.1\)/],
    [['--gate', 'corrected.p99<2ms'], /corrected\.p99: corrected latency exists only for rate-limited runs; add -Q/],
    [['--max-regression', 'qps=5%'], /--max-regression needs --baseline/],
    [['--baseline', '/nonexistent/base.json', '--max-regression', 'qps=5%'], /--baseline: cannot read report "\/nonexistent\/base.json": no such file/],
    [['--repeat', '0'], /--repeat: expected a whole number from 1 to 100, got "0"/],
    [['--junit', '/nonexistent/dir/gates.xml'], /--junit \/nonexistent\/dir\/gates.xml: directory "\/nonexistent\/dir" does not exist/],
    [['--markdown', '/nonexistent/dir/summary.md'], /--markdown .*does not exist/],
  ])('%j', async (flags, message) => {
    const before = sink.received();
    const r = await runCli(['-s', `127.0.0.1:${sink.port}`, '-d', DEMO, '-n', '1', ...flags]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    await sink.flush();
    expect(sink.received()).toBe(before);
    expect(sink.received()).toBe(0);
  });

  it('the gate is checked before the query file is read (a bad file is not what it reports)', async () => {
    const bad = file('bad-queries.txt');
    writeFileSync(bad, 'example.com NOTATYPE\n');
    const r = await runCli(['-s', `127.0.0.1:${sink.port}`, '-d', bad, '--gate', 'p99<<2ms']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--gate "p99<<2ms"');
    expect(r.stderr).not.toContain('NOTATYPE');
    await sink.flush();
    expect(sink.received()).toBe(0);
  });

  it('the counting socket does count (the checks above can fail)', async () => {
    const r = await runCli(['-s', `127.0.0.1:${sink.port}`, '-d', DEMO, '-n', '1', '-t', '0.1', '--gate', 'p99<2ms']);
    expect(r.code).toBe(3);
    await sink.flush();
    expect(sink.received()).toBe(1000);
  });
});

describe('--repeat, --junit, --markdown', () => {
  it('runs N times, gates on the medians, and writes the CI files', async () => {
    const json = file('repeat.json');
    const xml = file('repeat.xml');
    const md = file('repeat.md');
    const r = await run('--repeat', '3', '--gate', 'qps>0', '--gate', 'p99<1us', '--json', json, '--junit', xml, '--markdown', md);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Run 1 of 3: [\d,]+ qps, p99 \S+, [\d.]+% lost$/m);
    expect(r.stdout).toMatch(/^Run 3 of 3: /m);
    expect(r.stdout).toMatch(/^=== Median run: run [123] of 3 ===$/m);
    expect(r.stdout).toMatch(/^Repeat: 3 runs; gates use the median of each metric/m);
    expect(r.stdout).toMatch(/^FAIL p99<1us: measured \d+us \(.*; median of 3 runs, range \d+us\.\.\d+us\)$/m);

    const report = readReport(json);
    const rep = report.repeat!;
    expect(rep.runs).toBe(3);
    expect(rep.results).toHaveLength(3);
    // The body is the median run, and the gate holds the median of the three runs.
    expect(report.targets[0]!.qps).toBe(rep.results[rep.medianRun - 1]!.targets[0]!.qps);
    const p99s = rep.results.map((x) => x.targets[0]!.latency.percentiles.p99).sort((a, b) => a - b);
    expect(report.gates!.results[1]).toMatchObject({ measured: p99s[1], runs: { count: 3, min: p99s[0], max: p99s[2] } });
    expect(rep.results.every((x) => x.targets[0]!.counters.sent === 1000)).toBe(true);
    // One session for all runs: the same sockets, so the same source ports every time.
    expect(rep.results[0]!.sources!.length).toBeGreaterThan(0);
    for (const x of rep.results) expect(x.sources).toEqual(rep.results[0]!.sources);

    const junit = readFileSync(xml, 'utf8');
    expect(junit).toContain('tests="3" failures="1"');
    expect(junit).toContain('<testcase classname="dnsbench.gates.127_0_0_1" name="qps&gt;0" time="0"/>');
    expect(junit).toMatch(/<failure message="measured \d+us/);
    const summary = readFileSync(md, 'utf8');
    expect(summary).toContain('#### Repeat: 3 runs');
    expect(summary).toMatch(/\| ❌ FAIL \| 127\.0\.0\.1 \| p99&lt;1us \|/);
  });
});

describe('--repeat with --json -', () => {
  it('keeps stdout pure JSON: per-run lines and verdicts go to stderr', async () => {
    const r = await run('--repeat', '2', '--gate', 'sent==1000', '--json', '-');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.repeat!.runs).toBe(2);
    expect(report.gates!.results[0]).toMatchObject({ measured: 1000, passed: true, runs: { count: 2, min: 1000, max: 1000 } });
    expect(r.stderr).toMatch(/^dnsbench: Run 1 of 2: /m);
    expect(r.stderr).toMatch(/^dnsbench: Run 2 of 2: /m);
    expect(r.stderr).toMatch(/^PASS sent==1000: measured 1000 \(exactly; median of 2 runs, range 1000\.\.1000\)$/m);
  });
});

describe('baselines through the CLI', () => {
  let current: string;
  let doubled: string;
  let unreachable: string;
  beforeAll(async () => {
    current = file('current.json');
    expect((await run('--json', current, '--quiet')).code).toBe(0);
    // The same answers in half the time, twice the qps: the current run is a 50% drop against it.
    // (qps must stay completed / runTimeSec: a report claiming another qps is refused.)
    const b = readReport(current);
    b.targets[0]!.runTimeSec /= 2;
    b.targets[0]!.qps *= 2;
    doubled = file('doubled.json');
    writeFileSync(doubled, JSON.stringify(b));
    // For live runs, whose qps varies run to run on a shared machine: a baseline no run can reach.
    b.targets[0]!.runTimeSec /= 500;
    b.targets[0]!.qps *= 500;
    unreachable = file('unreachable.json');
    writeFileSync(unreachable, JSON.stringify(b));
  });

  it('a run compared with itself passes', async () => {
    const r = await runCli(['report', current, '--baseline', current, '--max-regression', 'qps=5%,p99=10%,loss=0.1%']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PASS baseline qps: [\d.]+ vs baseline [\d.]+ \(0, 0%\); limit: a drop of 5% = /m);
    expect(r.stdout).toMatch(/^PASS baseline loss: 0% vs baseline 0% \(0 points\); limit: a rise of 0.1 points$/m);
    expect(r.stdout).toMatch(/^Gates: all 3 checks passed$/m);
  });

  it('a 50% qps drop fails the saved run with exit 1, saying by how much', async () => {
    const r = await runCli(['report', current, '--baseline', doubled, '--max-regression', 'qps=5%', '--json', '-']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.baseline!.results[0]).toMatchObject({ metric: 'qps', verdict: 'fail' });
    expect(report.baseline!.results[0]!.changePercent).toBeCloseTo(-50, 9);
    expect(r.stderr).toMatch(/^FAIL baseline qps: .* \(-[\d.]+, -50%\); limit: a drop of 5% = [\d.]+; regression: .* \(single runs, spread unknown/m);
  });

  it('a live run is compared too (and the baseline is checked before it starts)', async () => {
    const r = await run('--baseline', unreachable, '--max-regression', 'qps=5%', '--junit', file('base.xml'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL baseline qps: /m);
    expect(readFileSync(file('base.xml'), 'utf8')).toContain('<testcase classname="dnsbench.baseline.127_0_0_1" name="qps vs baseline (limit 5%)" time="0">');
  });
});

describe('report: saved runs re-rendered and re-judged', () => {
  const constant = (n: number, us: number): number[] => Array.from({ length: n }, () => us);
  const saved = file('saved.json');
  const other = file('saved-other.json');
  const repeated = file('saved-repeat.json');
  beforeAll(() => {
    const r = fixtureReport([fixtureTarget(constant(100, 1500))]);
    r.gates = evaluateGates(r, parseGates(['p99<1ms']));
    writeFileSync(saved, JSON.stringify(r));
    writeFileSync(other, JSON.stringify(fixtureReport([fixtureTarget(constant(100, 900), { t0: 1_700_000_100_000 })])));
    // Three runs with p99 1 ms, 3 ms and 2 ms.
    const runs = [1000, 3000, 2000].map((us, i) => fixtureReport([fixtureTarget(constant(100, us), { t0: 1_700_000_000_000 + i * 5000 })]));
    const { medianIndex, section } = repeatSection(runs);
    writeFileSync(repeated, JSON.stringify({ ...runs[medianIndex]!, repeat: section }));
  });

  it('shows saved verdicts without re-judging them (exit 0)', async () => {
    const r = await runCli(['report', saved]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('FAIL p99<1ms: measured 1.5ms (+0.5ms, 50% over)');
  });

  it('--gate replaces the saved verdicts and sets the exit code', async () => {
    const pass = await runCli(['report', saved, '--gate', 'p99<2ms', '--json', '-']);
    expect(pass.code).toBe(0);
    expect((JSON.parse(pass.stdout) as Report).gates!.results.map((g) => g.gate)).toEqual(['p99<2ms']);
    expect(pass.stderr).toBe('PASS p99<2ms: measured 1.5ms (-0.5ms, 25% under)\nGates: all 1 checks passed\n');
    const fail = await runCli(['report', saved, '--gate', 'mean<=1499us']);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toContain('FAIL mean<=1499us: measured 1500us (+1us, 0.1% over)');
  });

  it('several files side by side drop the saved verdicts of each', async () => {
    const r = await runCli(['report', saved, other]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('p99<1ms');
  });

  it('a saved --repeat run is gated on the medians and shows its spread', async () => {
    const r = await runCli(['report', repeated, '--gate', 'p99<1.5ms']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Repeat: 3 runs; gates use the median/m);
    expect(r.stdout).toMatch(/^ {2}p99 {4}median 2ms, range 1ms\.\.3ms, spread 100%$/m);
    expect(r.stdout).toContain('FAIL p99<1.5ms: measured 2ms (+0.5ms, 33.3% over; median of 3 runs, range 1ms..3ms)');
  });

  it('--repeat is for runs only', async () => {
    const r = await runCli(['report', saved, '--repeat', '3']);
    expect(r.code).toBe(2);
  });
});

describe('merge', () => {
  it('two runs made in parallel by separate processes merge into one whose counts add up exactly', async () => {
    const a = file('gen-a.json');
    const b = file('gen-b.json');
    const before = responder.stats().received;
    const [ra, rb] = await Promise.all([
      runCli(['-s', server, '-d', DEMO, '-n', '2', '-T', '1', '-t', '1', '--title', 'gen a', '--json', a, '--quiet']),
      runCli(['-s', server, '-d', DEMO, '-n', '3', '-T', '1', '-t', '1', '--title', 'gen b', '--json', b, '--quiet']),
    ]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    const ta = readReport(a).targets[0]!;
    const tb = readReport(b).targets[0]!;
    expect(ta.counters.sent + tb.counters.sent).toBe(5000);
    expect(responder.stats().received - before).toBe(5000);

    const out = file('merged.json');
    const m = await runCli(['merge', a, b, '-o', out]);
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/^Merged 2 runs into .*merged\.json$/m);
    const merged = readReport(out);
    const t = merged.targets[0]!;
    for (const k of ['sent', 'completed', 'lost', 'timedOut', 'late', 'mismatched', 'malformed', 'requestBytes', 'responseBytes'] as const) {
      expect(t.counters[k]).toBe(ta.counters[k] + tb.counters[k]);
    }
    for (const code of new Set([...Object.keys(ta.rcodes), ...Object.keys(tb.rcodes)])) {
      expect(t.rcodes[code]).toBe((ta.rcodes[code] ?? 0) + (tb.rcodes[code] ?? 0));
    }
    expect(t.latency.count).toBe(t.counters.completed);
    expect(decodeHistogram(t.latency.histogram).totalCount).toBe(t.counters.completed);
    expect(t.latency.sums.sum).toBe(ta.latency.sums.sum + tb.latency.sums.sum);
    expect(t.latency.max).toBe(Math.max(ta.latency.max, tb.latency.max));
    expect(t.intervals.reduce((s, iv) => s + iv.counters.sent, 0)).toBe(t.counters.sent);
    expect(t.timing.startedAtMs).toBe(Math.min(ta.timing.startedAtMs, tb.timing.startedAtMs));
    expect(merged.mergedFrom!.map((x) => x.title)).toEqual(['gen a', 'gen b']);

    // Gates on the merged whole.
    const sent = String(t.counters.sent);
    const ok = await runCli(['report', out, '--gate', `sent==${sent}`, '--gate', `completed==${t.counters.completed}`]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`PASS sent==${sent}: measured ${sent} (exactly)`);
    const bad = await runCli(['report', out, '--gate', 'p99<1us']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL p99<1us: measured \d+us/m);
  });

  describe('refusals', () => {
    const x = file('x.json');
    const y = file('y-other-queries.json');
    const out = file('refused.json');
    beforeAll(() => {
      writeFileSync(x, JSON.stringify(fixtureReport([fixtureTarget([100, 200], { t0: 1_700_000_000_000 })])));
      writeFileSync(y, JSON.stringify(fixtureReport([fixtureTarget([300], { t0: 1_700_000_005_000 })], { sha256: SHA_B, source: 'other.txt' })));
    });

    it('runs with different query sets are refused with exit 2 and nothing is written', async () => {
      const r = await runCli(['merge', x, y, '-o', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^dnsbench: merge: cannot merge these runs: .*y-other-queries\.json used another query set than .*x\.json \(other\.txt, sha256 bbbbbbbbbbbb vs queries\.txt, sha256 aaaaaaaaaaaa\)\. Use --force to merge them anyway\n$/);
      expect(existsSync(out)).toBe(false);
    });

    it('--force merges them anyway, with a note', async () => {
      const r = await runCli(['merge', x, y, '-o', out, '--force']);
      expect(r.code).toBe(0);
      const merged = readReport(out);
      expect(merged.targets[0]!.counters.completed).toBe(3);
      expect(merged.notes.some((n) => n.startsWith('Merged with --force despite:'))).toBe(true);
    });

    it('-o - writes only the merged JSON to stdout', async () => {
      const r = await runCli(['merge', x, y, '--force', '-o', '-']);
      expect(r.code).toBe(0);
      expect((JSON.parse(r.stdout) as Report).targets[0]!.counters.completed).toBe(3);
      expect(r.stderr).toMatch(/^Merged 2 runs into -\n/);
    });

    it('one file, or no -o, is a usage error', async () => {
      expect((await runCli(['merge', x, '-o', out])).code).toBe(2);
      const r = await runCli(['merge', x, y]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('dnsbench: merge: give -o OUT.json, where to write the merged report\n');
    });

    it('a misspelt flag of a subcommand is a usage error (2), never mistaken for a failed gate (1)', async () => {
      const r = await runCli(['report', x, '--gatee', 'p99<1ms']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^dnsbench: unknown option '--gatee'/);
      expect((await runCli(['merge', x, y, '-o', out, '--forse'])).code).toBe(2);
    });
  });
});
