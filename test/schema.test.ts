// Real output validated against docs/report-v1.schema.json (oha's habit): the schema is the
// contract for everyone who reads our JSON, so a test keeps it and the code in step.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResponder, type Responder } from '../src/serve/responder.js';
import { loadZoneFile } from '../src/serve/zone.js';
import { DEMO_ZONE } from '../src/serve/run.js';
import { ROOT, runCli } from './support/cli.js';

const schema = JSON.parse(readFileSync(join(ROOT, 'docs/report-v1.schema.json'), 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: false });
ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d\d-\d\dT/.test(s));
const validate = ajv.compile(schema);
let responder: Responder;

beforeAll(async () => {
  responder = await startResponder({ address: '127.0.0.1', port: 0, zone: loadZoneFile(DEMO_ZONE), faults: { drop: 0.05 }, seed: 3 });
});
afterAll(() => responder.close());

describe('JSON report schema', () => {
  it('a real run (with -Q, so corrected latency is present) validates', async () => {
    const r = await runCli(['-s', `127.0.0.1:${responder.port}`, '-d', join(ROOT, 'querysets/demo.txt'), '-l', '1', '-Q', '2000', '-t', '0.2', '--json', '-']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    const ok = validate(report);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('rejects a report that breaks the contract (the schema can fail)', async () => {
    const r = await runCli(['-s', `127.0.0.1:${responder.port}`, '-d', join(ROOT, 'querysets/demo.txt'), '-n', '1', '-t', '0.2', '--json', '-']);
    const report = JSON.parse(r.stdout) as { targets: Array<{ counters: Record<string, unknown>; latency: { unit: string } }> };
    expect(validate(report)).toBe(true);
    report.targets[0]!.counters['sent'] = -1;
    expect(validate(report)).toBe(false);
    report.targets[0]!.counters['sent'] = 1;
    report.targets[0]!.latency.unit = 'ms';
    expect(validate(report)).toBe(false);
  });
});
