// Ctrl-C or SIGTERM while `dnsbench report` writes its outputs: the default action killed the
// process between writing a temp file and renaming it, so `.a.json.dnsbench-....tmp` files stayed
// beside the outputs (in a shared CI directory, litter that is a half-written report). Now the
// outputs are all renamed into place or none is, and no temp file remains.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderJson } from '../src/report/json.js';
import { BIN } from './support/cli.js';
import { vipFixtureReport } from './support/report-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-signal-out-'));

describe('a signal while report writes its outputs', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} as soon as the first temp file appears: no temp file left, outputs all or none`, async () => {
      // An 8 MB title makes the JSON and HTML big enough that writing them takes a while (the
      // window between the first temp file and the renames), without much memory.
      const saved = join(dir, `saved-${signal}.json`);
      writeFileSync(saved, renderJson({ ...vipFixtureReport(), title: 'x'.repeat(8 * 1024 * 1024) }));
      const out = mkdtempSync(join(dir, 'out-'));
      const child = spawn(process.execPath, [BIN, 'report', saved, '--quiet', '--json', join(out, 'a.json'), '--html', join(out, 'a.html'), '--markdown', join(out, 'a.md')], { stdio: 'ignore' });
      let signalled = false;
      // Poll for the first temp file (every ms; the window is tens of ms on a busy 2-core machine).
      const poll = setInterval(() => {
        if (!signalled && readdirSync(out).some((f) => f.endsWith('.tmp'))) {
          signalled = true;
          child.kill(signal);
        }
      }, 1);
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      clearInterval(poll);
      // Without a temp file seen the signal was never sent and the test says nothing: fail loudly.
      expect(signalled, 'no temp file was seen: the window was missed').toBe(true);
      const left = readdirSync(out);
      expect(left.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect([[], ['a.html', 'a.json', 'a.md']]).toContainEqual(left.sort());
      expect([0, signal === 'SIGINT' ? 130 : 143]).toContain(code);
    }, 60_000);
  }
});
