// `--json /dev/stdout` (and /dev/fd/1, `merge -o /dev/stdout`) is `--json -`: stdout carries the
// JSON and nothing else. It used to carry the text report (or merge's summary) first and the JSON
// after it, so `dnsbench ... --json /dev/stdout | jq` failed to parse.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderJson } from '../src/report/json.js';
import type { Report } from '../src/results/report.js';
import type { Responder } from '../src/serve/responder.js';
import { runServe } from '../src/serve/run.js';
import { ROOT, runCli } from './support/cli.js';
import { expectRunAccounted } from './support/accounting.js';
import { vipFixtureReport } from './support/report-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-json-stdout-'));
let responder: Responder;
beforeAll(async () => {
  responder = await runServe({ address: '127.0.0.1', port: 0, faults: {} }, () => {});
});
afterAll(() => responder.close());

describe('--json /dev/stdout is the one JSON document on stdout', () => {
  it('a run: stdout parses as the report, the text report is not on it', async () => {
    const r = await runCli(['-s', `127.0.0.1:${responder.port}`, '-d', join(ROOT, 'querysets/demo.txt'), '-n', '1', '-t', '2', '--json', '/dev/stdout']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('Statistics:');
    const report = JSON.parse(r.stdout) as Report;
    expect(report.targets[0]!.counters.sent).toBeGreaterThan(0);
    expectRunAccounted(report.targets[0]!);
  });

  it('report --json /dev/fd/1 and merge -o /dev/stdout: the same', async () => {
    const saved = join(dir, 'saved.json');
    writeFileSync(saved, renderJson(vipFixtureReport()));
    const re = await runCli(['report', saved, '--json', '/dev/fd/1']);
    expect(re.code, re.stderr).toBe(0);
    expect((JSON.parse(re.stdout) as Report).targets).toHaveLength(3);
    const other = join(dir, 'other.json');
    writeFileSync(other, renderJson(vipFixtureReport()));
    const m = await runCli(['merge', saved, other, '--force', '-o', '/dev/stdout']);
    expect(m.code, m.stderr).toBe(0);
    const merged = JSON.parse(m.stdout) as Report;
    expect(merged.command).toContain('/dev/stdout');
    expect(merged.targets[0]!.counters.sent).toBe(2 * vipFixtureReport().targets[0]!.counters.sent);
  });
});
