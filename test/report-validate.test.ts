// Saved reports are validated at load (issue 11, item 5): `report`, `merge` and `--baseline` refuse
// a file that is not a well-formed report with exit 2 and one line naming the file and the first
// bad field as a JSON pointer, before any traffic, instead of an "internal error" after the run.
import { existsSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli-main.js';
import { loadReport } from '../src/results/load.js';
import { renderJson } from '../src/report/json.js';
import type { Responder } from '../src/serve/responder.js';
import { runServe } from '../src/serve/run.js';
import { captureConsole, ROOT } from './support/cli.js';
import { vipFixtureReport as fixtureReport } from './support/report-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-validate-'));
let n = 0;

/** A good report (as JSON-able data) changed by `mutate`, saved; returns the path. */
function saved(mutate: (r: Record<string, unknown> & { targets: Array<Record<string, unknown>> }) => void): string {
  const r = JSON.parse(renderJson(fixtureReport())) as Record<string, unknown> & { targets: Array<Record<string, unknown>> };
  mutate(r);
  const file = join(dir, `r${++n}.json`);
  writeFileSync(file, JSON.stringify(r));
  return file;
}

function savedText(text: string): string {
  const file = join(dir, `t${++n}.json`);
  writeFileSync(file, text);
  return file;
}

/** exit 2, nothing on stdout, one line on stderr naming the file (after `flag: ` when given), matching `pattern`, no stack. */
async function refused(args: string[], file: string, pattern: RegExp, flag?: string): Promise<string> {
  const con = captureConsole();
  const code = await main(args, con);
  expect(code, con.stderr).toBe(2);
  expect(con.stdout).toBe('');
  const lines = con.stderr.trimEnd().split('\n');
  expect(lines, con.stderr).toHaveLength(1);
  expect(lines[0]!.startsWith(`dnsbench: ${flag === undefined ? '' : `${flag}: `}${file}: `), lines[0]).toBe(true);
  expect(lines[0]).toMatch(pattern);
  expect(con.stderr).not.toMatch(/internal error|\n\s+at /);
  return lines[0]!;
}

describe('dnsbench report refuses a bad saved report with the first bad field', () => {
  const cases: Array<[string, (r: Record<string, unknown> & { targets: Array<Record<string, unknown>> }) => void, RegExp]> = [
    ['targets:[{}]', (r) => (r.targets = [{}]), /: \/targets\/0\/label is missing \(/],
    ['targets:[null]', (r) => (r.targets = [null as unknown as Record<string, unknown>]), /: \/targets\/0 must be object/],
    ['targets:[]', (r) => (r.targets = []), /: \/targets must NOT have fewer than 1 items/],
    ['a missing latency', (r) => delete r.targets[1]!['latency'], /: \/targets\/1\/latency is missing/],
    ['string intervals', (r) => (r.targets[0]!['intervals'] = '1,2,3'), /: \/targets\/0\/intervals must be array/],
    ['a string counter', (r) => ((r.targets[0]!['counters'] as Record<string, unknown>)['sent'] = '12'), /: \/targets\/0\/counters\/sent must be integer/],
    ['a negative counter', (r) => ((r.targets[2]!['counters'] as Record<string, unknown>)['lost'] = -1), /: \/targets\/2\/counters\/lost must be >= 0/],
    ['a constructor rcode', (r) => ((r.targets[0]!['rcodes'] as Record<string, unknown>)['constructor'] = 5), /: \/targets\/0\/rcodes\/constructor is not an allowed key here/],
    ['an rcode that is not a count', (r) => ((r.targets[0]!['rcodes'] as Record<string, unknown>)['NOERROR'] = 'many'), /: \/targets\/0\/rcodes\/NOERROR must be integer/],
    ['a bad date', (r) => (r.startedAt = 'yesterday'), /: \/startedAt must match format "date-time"/],
    ['2,000 targets', (r) => (r.targets = Array.from({ length: 2000 }, () => r.targets[0]!)), /: \/targets must NOT have more than 1024 items/],
    ['a histogram that is not one', (r) => ((r.targets[0]!['latency'] as Record<string, unknown>)['histogram'] = 'AAAA'), /: \/targets\/0\/latency\/histogram is not a latency histogram that decodes/],
    ['an interval histogram with other parameters', (r) => (((r.targets[0]!['intervals'] as Array<Record<string, unknown>>)[1]!)['histogram'] = 'HISTFAAAACR42pNpmSzMwMDAxgABzFCaEUrLMD' + 'A'.repeat(10)), /: \/targets\/0\/intervals\/1\/histogram is not a latency histogram written by dnsbench/],
  ];
  for (const [what, mutate, pattern] of cases) {
    it(what, async () => {
      const file = saved(mutate);
      await refused(['report', file], file, pattern);
    });
  }

  it('a zip bomb in a histogram is inflated only up to a cap', async () => {
    // A V2 compressed cookie and length around 64 MB of zeros deflated to ~64 KB.
    const bomb = deflateSync(Buffer.alloc(64 * 1024 * 1024));
    const head = Buffer.alloc(8);
    head.writeUInt32BE(0x1c849314, 0);
    head.writeInt32BE(bomb.length, 4);
    const file = saved((r) => ((r.targets[0]!['latency'] as Record<string, unknown>)['histogram'] = Buffer.concat([head, bomb]).toString('base64')));
    const before = process.memoryUsage().rss;
    await refused(['report', file], file, /\/targets\/0\/latency\/histogram is not a latency histogram/);
    expect(process.memoryUsage().rss - before).toBeLessThan(48 * 1024 * 1024);
  });

  it('__proto__ keys are refused with their pointer (JSON.parse keeps them as own keys)', async () => {
    const good = renderJson(fixtureReport());
    const top = savedText(good.replace(/^\{/, '{"__proto__": {"polluted": true},'));
    await refused(['report', top], top, /: \/__proto__ is a "__proto__" key, which no report has/);
    const inCounters = savedText(good.replace('"counters": {', '"counters": {"__proto__": 1,'));
    await refused(['report', inCounters], inCounters, /: \/targets\/0\/counters\/__proto__ is a "__proto__" key/);
    const inRcodes = savedText(good.replace('"rcodes": {', '"rcodes": {"__proto__": 1,'));
    await refused(['report', inRcodes], inRcodes, /\/targets\/0\/rcodes\/__proto__ is not an allowed key here/);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('an NSID named __proto__ is server data: the report loads, and the key stays a plain key', () => {
    const file = saved((r) => (r.targets[0]!['nsid'] = JSON.parse('{"__proto__": 7, "ns2": 3}') as Record<string, unknown>));
    const report = loadReport(file);
    expect(Object.keys(report.targets[0]!.nsid!)).toEqual(['__proto__', 'ns2']);
    expect(Object.getPrototypeOf(report.targets[0]!.nsid)).toBe(Object.prototype);
  });

  it('huge inputs are bounded before parsing: too many objects, too deep, too large (/dev/zero)', async () => {
    const many = savedText(`[${'{},'.repeat(2_100_000)}{}]`);
    const t0 = performance.now();
    await refused(['report', many], many, /more than 2,000,000 JSON objects and arrays/);
    const deep = saved((r) => (r.config = JSON.parse(`${'['.repeat(100)}${']'.repeat(100)}`) as Record<string, unknown>));
    await refused(['report', deep], deep, /JSON nested more than 64 deep/);
    await refused(['report', '/dev/zero'], '/dev/zero', /more than 256 MiB, larger than any report dnsbench writes/);
    // Not a speed claim: a bound on work, far below the 25 s JSON.parse needs for 60 MB of `{},`.
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  it('not JSON, not a report, another schema version, a directory: one line each', async () => {
    const notJson = savedText('{"tool": ');
    await refused(['report', notJson], notJson, /not JSON/);
    const other = savedText('{"tool": {"name": "oha"}}');
    await refused(['report', other], other, /not a dnsbench report/);
    const v2 = saved((r) => (r.schemaVersion = 2));
    await refused(['report', v2], v2, /schema version 2 is not supported/);
    const con = captureConsole();
    expect(await main(['report', dir], con)).toBe(2);
    expect(con.stderr).toMatch(/cannot read report ".*": it is a directory/);
  });
});

describe('merge and --baseline check their files before anything else', () => {
  let responder: Responder;
  beforeAll(async () => {
    responder = await runServe({ address: '127.0.0.1', port: 0, faults: {} }, () => {});
  });
  afterAll(() => responder.close());

  it('merge names the bad file among good ones, and writes nothing', async () => {
    const good = saved(() => {});
    const bad = saved((r) => delete r.targets[0]!['latency']);
    const out = join(dir, 'merged.json');
    await refused(['merge', good, bad, '-o', out], bad, /\/targets\/0\/latency is missing/);
  });

  it('--baseline with a bad report: exit 2 before a single query is sent', async () => {
    const bad = saved((r) => (r.targets[0]!['intervals'] = 'nope'));
    await refused(
      ['-s', `127.0.0.1:${responder.port}`, '-d', join(ROOT, 'querysets/demo.txt'), '-n', '1', '--baseline', bad, '--max-regression', 'qps=5%'],
      bad,
      /\/targets\/0\/intervals must be array/,
      '--baseline',
    );
    expect(responder.stats().received).toBe(0);
  });
});

describe('a report that passes the schema but whose numbers no run can produce is refused (results/consistency.ts)', () => {
  type R = Record<string, unknown> & { targets: Array<Record<string, unknown>> };
  type Counts = Record<'sent' | 'completed' | 'lost' | 'interrupted', number>;
  const counters = (r: R, i = 0): Counts => r.targets[i]!['counters'] as Counts;
  const latency = (r: R, i = 0): Record<string, unknown> & { percentiles: Record<string, number> } =>
    r.targets[i]!['latency'] as Record<string, unknown> & { percentiles: Record<string, number> };
  type Interval = { counters: Counts; latency: Record<'p99' | 'max', number>; qps: number };
  const interval = (r: R, j: number): Interval => (r.targets[0]!['intervals'] as Interval[])[j]!;
  const cases: Array<[string, (r: R) => void, RegExp]> = [
    // "integer" in JSON Schema includes 1e308; the count would render as 1e+308 and the loss as 0.00%.
    ['sent = 1e308', (r) => (counters(r)['sent'] = 1e308), /: \/targets\/0\/counters\/sent is 1e\+308, above 2\^53 - 1/],
    ['sent that is not completed + lost + interrupted', (r) => (counters(r, 1)['sent'] += 1000), /: \/targets\/1\/counters\/sent is \d+, expected completed \+ lost \+ interrupted = \d+/],
    ['lost that no kind of loss explains', (r) => {
      counters(r)['lost'] += 5;
      counters(r)['sent'] += 5;
    }, /: \/targets\/0\/counters\/lost is \d+, expected timedOut \+ truncated \+ aborted \+ wrongAnswer = \d+/],
    ['intervals that do not add up to the run', (r) => {
      interval(r, 1).counters['sent'] += 7;
      interval(r, 1).counters['interrupted'] += 7;
    }, /: \/targets\/0\/counters\/sent is \d+ but its intervals add up to \d+/],
    ['a qps no run can produce (not completed / runTimeSec)', (r) => ((r.targets[1]!['qps'] as number) *= 2), /: \/targets\/1\/qps is [\d.e+]+, expected completed \/ runTimeSec = [\d.e+]+ \(dnsperf's "Queries per second"\)/],
    ['an interval qps no run can produce', (r) => (interval(r, 2).qps = 1e12), /: \/targets\/0\/intervals\/2\/qps is 1000000000000, expected completed \/ durationSec = /],
    ['a p99 above the max', (r) => (latency(r).percentiles['p99'] = 1e9), /: \/targets\/0\/latency\/percentiles\/p99 is 1000000000 µs, expected between .* and the max/],
    ['a p50 above the p90', (r) => (latency(r, 2).percentiles['p50'] = latency(r, 2).percentiles['p90']! + 1), /: \/targets\/2\/latency\/percentiles\/p90 is .* expected between/],
    ['a min above the max', (r) => (latency(r)['min'] = 1e7), /: \/targets\/0\/latency\/min is 10000000 µs, above the max/],
    ['a mean outside [min, max]', (r) => (latency(r)['mean'] = 0), /: \/targets\/0\/latency\/mean is 0 µs, outside \[min/],
    ['two targets with one label', (r) => (r.targets[2]!['label'] = r.targets[0]!['label']), /: \/targets\/2\/label "vip" is also the label of \/targets\/0/],
    ['an interval p99 above its max', (r) => (interval(r, 0).latency['p99'] = interval(r, 0).latency['max']! + 1000), /: \/targets\/0\/intervals\/0\/latency has percentiles out of order/],
  ];
  for (const [what, mutate, pattern] of cases) {
    it(what, async () => {
      const file = saved(mutate);
      await refused(['report', file], file, pattern);
    });
  }

  it('the fixture itself (every number as dnsbench writes it) loads, so the checks above test only their mutation', () => {
    expect(() => loadReport(saved(() => {}))).not.toThrow();
  });

  it('merge refuses such a file too, naming it, and writes nothing', async () => {
    const good = saved(() => {});
    const bad = saved((r) => (latency(r).percentiles['p99'] = 1e9));
    const out = join(dir, 'merged-inconsistent.json');
    await refused(['merge', good, bad, '-o', out], bad, /\/targets\/0\/latency\/percentiles\/p99 is 1000000000 µs/);
    expect(existsSync(out)).toBe(false);
  });
});
