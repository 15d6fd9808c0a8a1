// `--expect` reads the query file's expect= columns in a second pass. With -d a FIFO or a pipe
// (`-d <(zcat queries.gz)`), the loader had drained it and the second read waited for a writer
// forever: the run hung before its first query. Now: one line, exit 2, nothing sent.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli-main.js';
import type { Responder } from '../src/serve/responder.js';
import { runServe } from '../src/serve/run.js';
import { captureConsole } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-expect-fifo-'));
let responder: Responder;
beforeAll(async () => {
  responder = await runServe({ address: '127.0.0.1', port: 0, faults: {} }, () => {});
});
afterAll(() => responder.close());

describe('--expect with -d a FIFO', () => {
  it('is refused once the queries are read, instead of waiting for a second writer', async () => {
    const queries = join(dir, 'q.txt');
    writeFileSync(queries, 'www.demo.test A expect=192.0.2.10\n');
    const fifo = join(dir, 'q.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // One writer, as `-d <(cat q.txt)` has; it exits when the loader has read it all.
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', queries, fifo], { stdio: 'ignore' });
    try {
      const con = captureConsole();
      const code = await Promise.race([
        main(['-s', `127.0.0.1:${responder.port}`, '-d', fifo, '-n', '1', '--expect'], con),
        new Promise<string>((resolve) => setTimeout(() => resolve('still waiting after 20 s'), 20_000)),
      ]);
      expect(code, con.stderr).toBe(2);
      expect(con.stderr).toMatch(/^dnsbench: --expect reads the query file's expect= columns a second time, which needs -d to be a regular file; ".*q\.fifo" is a pipe or device/);
      expect(responder.stats().received).toBe(0);
    } finally {
      writer.kill();
    }
  }, 30_000);
});
