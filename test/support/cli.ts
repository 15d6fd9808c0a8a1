// Run the built CLI (dist/bin.js) as a real process, the way users and scripts do, or main()
// in-process with a capturing Console for fast validation tests.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Console } from '../../src/commands/console.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = resolve(ROOT, 'dist/bin.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawn `node dist/bin.js ...args`, bounded by `timeoutMs` (killed after it). */
export function runCli(args: string[], o: { input?: string; timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first (npm test does)`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: o.cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe'], ...(o.env ? { env: o.env } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    if (o.input !== undefined) child.stdin.end(o.input);
    else child.stdin.end();
  });
}

/** A Console that records output; exit() throws so a test sees it. */
export function captureConsole(stdinIsTTY = false): Console & { stdout: string; stderr: string } {
  const c = {
    stdout: '',
    stderr: '',
    out(t: string) {
      c.stdout += t;
    },
    err(t: string) {
      c.stderr += t;
    },
    stdin: process.stdin,
    stdinIsTTY,
    stderrIsTTY: false,
    onStop() {},
    exit(code: number): never {
      throw new Error(`exit(${code})`);
    },
  };
  return c;
}

/**
 * main(args) must refuse with exit 2: nothing on stdout, exactly one stderr line starting
 * "dnsbench: " and matching `pattern`, and no stack trace. Returns stderr.
 */
export async function expectUsageError(args: string[], pattern: RegExp, o: { stdinIsTTY?: boolean } = {}): Promise<string> {
  const { main } = await import('../../src/cli-main.js');
  const { expect } = await import('vitest');
  const con = captureConsole(o.stdinIsTTY ?? false);
  const code = await main(args, con);
  expect(code, `${args.join(' ')} -> ${con.stderr}`).toBe(2);
  expect(con.stdout).toBe('');
  const lines = con.stderr.trimEnd().split('\n');
  expect(lines, con.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^dnsbench: /);
  expect(lines[0]).toMatch(pattern);
  expect(con.stderr).not.toMatch(/\n\s+at /);
  return con.stderr;
}
