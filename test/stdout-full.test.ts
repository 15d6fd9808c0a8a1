// Text or `--json -` redirected to a file that cannot take it (`> out.txt` on a full disk; here
// /dev/full, which fails every write with ENOSPC) used to exit 0 with the file empty or cut: the
// stream's error was taken for a reader that left (`| head -1`, which stays quiet, test/epipe.test.ts).
// Now: one line on stderr, exit 3, as for any output file that could not be written.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderJson } from '../src/report/json.js';
import { BIN } from './support/cli.js';
import { vipFixtureReport } from './support/report-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-stdout-full-'));
const saved = join(dir, 'saved.json');
writeFileSync(saved, renderJson(vipFixtureReport()));

/** `node dist/bin.js ...args > stdoutPath`, stderr captured. */
function runTo(stdoutPath: string, args: string[]): { code: number | null; stderr: string } {
  const fd = openSync(stdoutPath, 'w');
  try {
    const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, stderr: r.stderr };
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(!existsSync('/dev/full'))('stdout that is full', () => {
  for (const [what, args] of [
    ['the text report', ['report', saved]],
    ['--json -', ['report', saved, '--json', '-']],
    ['merge -o -', ['merge', saved, saved, '--force', '-o', '-', '--quiet']],
  ] as const) {
    it(`${what}: exit 3 and one line saying so`, () => {
      const r = runTo('/dev/full', [...args]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain('dnsbench: cannot write stdout: no space left on device (ENOSPC); what it holds is incomplete\n');
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    });
  }

  it('the same commands into a file that takes the text still exit 0 (so the check above can fail)', () => {
    const r = runTo(join(dir, 'out.json'), ['report', saved, '--json', '-']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('cannot write stdout');
  });
});
