// `dnsbench demo` (what `npm run demo` runs): its echoed command line is the configuration it ran,
// so an operator who pastes it back against the same responder gets the same benchmark.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../src/results/report.js';
import { runCli } from './support/cli.js';

describe('dnsbench demo', () => {
  it('writes demo.json and demo.html, and its command line names -T and -c as they ran', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dnsbench-demo-'));
    const r = await runCli(['demo', '-l', '0.3', '--out', out], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'demo.json'), 'utf8')) as Report;
    expect(readFileSync(join(out, 'demo.html'), 'utf8')).toMatch(/^<!doctype html>/i);
    const cmd = report.command;
    const flag = (f: string): string | undefined => cmd[cmd.indexOf(f) + 1];
    expect(cmd.includes('-T') && cmd.includes('-c'), cmd.join(' ')).toBe(true);
    expect(Number(flag('-T'))).toBe(report.config.threads);
    expect(Number(flag('-c'))).toBe(report.config.sockets);
    expect(r.stdout).toContain(`[Status] Command line: dnsbench -s ${flag('-s')} -d `);
    expect(r.stdout).toMatch(/ -T 1 -c 2 /);
  });
});
