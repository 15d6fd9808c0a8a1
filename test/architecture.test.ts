// The pipeline's shape, checked: no import cycles and imports only down the layers
// (.dependency-cruiser.cjs, also run by `npm test` before vitest), and nothing below the process
// boundary (bin.ts, cli-main.ts, cli.ts, commands/) touches `process` or prints.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/cli.js';

const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

function depcruise(dir: string): { code: number; out: string } {
  try {
    const out = execFileSync(DEPCRUISE, [dir, '--config', CONFIG, '--output-type', 'err'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
    return { code: 0, out };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, out: err.stdout + err.stderr };
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('architecture', () => {
  it('src/ has no import cycle and every import points down the pipeline', () => {
    const r = depcruise('src');
    expect(r.out).not.toMatch(/error /);
    expect(r.code).toBe(0);
  });

  it('the check fails on a cycle (it is not a check that cannot fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsbench-cycle-'));
    writeFileSync(join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = (): number => b() + 1;\n");
    writeFileSync(join(dir, 'b.ts'), "import { a } from './a.js';\nexport const b = (): number => (a ? 1 : 0);\n");
    const r = depcruise(dir);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/no-circular/);
  });

  it('nothing below bin.ts, cli-main.ts, cli.ts and commands/ touches process or the console', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      const rel = relative(join(ROOT, 'src'), file);
      if (/^(bin|cli|cli-main|cli-options|cli-transport)\.ts$|^commands\//.test(rel)) continue;
      // Code only: comments may mention process.exit while saying why nobody calls it.
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      for (const m of code.matchAll(/\b(process|console)\.(\w+)/g)) offenders.push(`${rel}: ${m[0]}`);
    }
    expect(offenders).toEqual([]);
  });
});
