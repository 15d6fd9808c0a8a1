// The optional CI sections (gates, baseline, repeat, mergedFrom) of real output validate against
// docs/report-v1.schema.json, and the schema does check them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResponder, type Responder } from '../src/serve/responder.js';
import { loadZoneFile } from '../src/serve/zone.js';
import { DEMO_ZONE } from '../src/serve/run.js';
import type { Report } from '../src/results/report.js';
import { ROOT, runCli } from './support/cli.js';

const schema = JSON.parse(readFileSync(join(ROOT, 'docs/report-v1.schema.json'), 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: false });
ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d\d-\d\dT/.test(s));
const validate = ajv.compile(schema);
const dir = mkdtempSync(join(tmpdir(), 'dnsbench-schema-ci-'));
const DEMO = join(ROOT, 'querysets/demo.txt');
let responder: Responder;

beforeAll(async () => {
  responder = await startResponder({ address: '127.0.0.1', port: 0, zone: loadZoneFile(DEMO_ZONE), seed: 5 });
});
afterAll(async () => {
  await responder.close();
  rmSync(dir, { recursive: true, force: true });
});

function valid(report: unknown): void {
  validate(report);
  expect(validate.errors ?? []).toEqual([]);
}

describe('schema: CI sections', () => {
  it('a repeated, gated run compared with a baseline, and a merge of two runs, validate', async () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    const server = `127.0.0.1:${responder.port}`;
    const args = ['-s', server, '-d', DEMO, '-n', '1', '-T', '1', '-t', '1', '--quiet'];
    expect((await runCli([...args, '--json', a])).code).toBe(0);
    const r = await runCli([...args, '--repeat', '2', '--gate', 'p99<10s', '--gate', 'rcode.SERVFAIL<1%', '--baseline', a, '--max-regression', 'qps=99%,p99=1000%,loss=1%', '--json', b]);
    // Loose limits: the verdict is not what this test is about (0 passed, 1 a check failed).
    expect([0, 1]).toContain(r.code);
    const gated = JSON.parse(readFileSync(b, 'utf8')) as Report;
    expect(gated.gates?.results).toHaveLength(2);
    expect(gated.baseline?.results).toHaveLength(3);
    expect(gated.repeat?.runs).toBe(2);
    valid(gated);

    const m = join(dir, 'm.json');
    expect((await runCli(['merge', a, b, '-o', m, '--quiet'])).code).toBe(0);
    const merged = JSON.parse(readFileSync(m, 'utf8')) as Report;
    expect(merged.mergedFrom).toHaveLength(2);
    valid(merged);

    // The schema checks the sections: a broken one is rejected.
    gated.gates!.results[0]!.operator = '=<' as never;
    expect(validate(gated)).toBe(false);
    merged.mergedFrom![0]!.querySetSha256 = 'mixed';
    expect(validate(merged)).toBe(false);
  });
});
