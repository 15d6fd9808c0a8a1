// A reader that goes away (issue 11, item 8): `dnsbench ... | head -1` used to die on EPIPE with a
// Node stack trace and exit 1 ("a gate failed") in the middle of the run, before --json was
// written. Now a closed stdout or stderr ends the human output quietly; the run, its files and
// its own exit code are unchanged. Real pipes, with -S and -v so output is flowing mid-run.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Responder } from '../src/serve/responder.js';
import { runServe } from '../src/serve/run.js';
import { BIN, ROOT } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-epipe-'));
const queries = join(ROOT, 'querysets/demo.txt');
let responder: Responder;
beforeAll(async () => {
  responder = await runServe({ address: '127.0.0.1', port: 0, faults: {} }, () => {});
});
afterAll(() => responder.close());

/** A run that prints a -S line every 0.1 s and a -v line per query, for about a second. */
const flowing = (json: string, server = `127.0.0.1:${responder.port}`): string[] =>
  ['-s', server, '-d', queries, '-l', '1', '-Q', '1000', '-T', '1', '-t', '0.3', '-S', '0.1', '-v', '--json', json];

function expectCompleteReport(file: string): void {
  expect(existsSync(file)).toBe(true);
  const r = JSON.parse(readFileSync(file, 'utf8')) as { targets: Array<{ counters: Record<string, number> }> };
  const c = r.targets[0]!.counters;
  expect(c['sent']).toBeGreaterThan(100);
  expect(c['sent']).toBe(c['completed']! + c['lost']! + c['interrupted']!);
}

/** Spawns the CLI and closes our end of stdout and/or stderr after their first bytes. */
function runClosing(args: string[], close: { stdout: boolean; stderr: boolean }): Promise<{ code: number | null; stderr: string; stdoutBytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdoutBytes = 0;
    child.stdout.on('data', (b: Buffer) => {
      stdoutBytes += b.length;
      if (close.stdout) child.stdout.destroy();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (close.stderr) child.stderr.destroy();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdoutBytes });
    });
  });
}

describe('a closed stdout or stderr ends the human output quietly; the run and its files complete', () => {
  it('`dnsbench ... | head -1` (a real pipe): exit 0, one line, no stack trace, --json written', async () => {
    const json = join(dir, 'head.json');
    const cmd = `"${process.execPath}" "${BIN}" ${flowing(json).map((a) => `'${a}'`).join(' ')} | head -1; echo "exit \${PIPESTATUS[0]}" >&2`;
    // Asynchronous: the responder answers from this process, so its event loop must keep running.
    const r = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('bash', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', () => {
        clearTimeout(timer);
        resolve({ stdout, stderr });
      });
    });
    expect(r.stdout).toBe('DNS Performance Testing Tool\n');
    expect(r.stderr).toMatch(/exit 0\n$/);
    expect(r.stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
    expectCompleteReport(json);
  });

  it('stdout closed after its first bytes: the run goes on to its end and writes --json', async () => {
    const json = join(dir, 'stdout.json');
    const r = await runClosing(flowing(json), { stdout: true, stderr: false });
    expect(r.code).toBe(0);
    expect(r.stdoutBytes).toBeGreaterThan(0);
    expect(r.stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
    expect(r.stderr).toContain(`dnsbench: wrote ${json}`);
    expectCompleteReport(json);
  });

  it('stdout and stderr both closed: still exit 0 and a complete --json', async () => {
    const json = join(dir, 'both.json');
    const r = await runClosing(flowing(json), { stdout: true, stderr: true });
    expect(r.code).toBe(0);
    expectCompleteReport(json);
  });

  it("the exit code stays the run's own: nothing answering is still 3 with stdout closed", async () => {
    const json = join(dir, 'silent.json');
    // A port with no server on it: every query times out (0.3 s), nothing answers.
    const quiet = await runServe({ address: '127.0.0.1', port: 0, faults: { drop: 1 } }, () => {});
    try {
      const r = await runClosing(flowing(json, `127.0.0.1:${quiet.port}`), { stdout: true, stderr: false });
      expect(r.code).toBe(3);
      expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
      expect(existsSync(json)).toBe(true);
    } finally {
      await quiet.close();
    }
  });
});
