// Side files read whole (--tls-ca, --expect-file, serve --zone) are read up to a bound: given
// /dev/zero (or an endless FIFO) they used to be read until memory ran out, a 20 s hang and then a
// crash, instead of one line saying the file is not what was expected (exit 2).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli-main.js';
import { loadZoneFile } from '../src/serve/zone.js';
import { readBounded, TooLargeError } from '../src/util/read-bounded.js';
import { captureConsole, ROOT } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-bounded-'));
const queries = join(ROOT, 'querysets/demo.txt');

async function refused(args: string[], pattern: RegExp): Promise<void> {
  const con = captureConsole();
  const code = await main(args, con);
  expect(code, con.stderr).toBe(2);
  expect(con.stderr.trimEnd().split('\n'), con.stderr).toHaveLength(1);
  expect(con.stderr).toMatch(pattern);
  expect(con.stderr).not.toMatch(/internal error|\n\s+at /);
}

describe('readBounded', () => {
  it('reads a file whole up to the bound, and refuses one byte more', () => {
    const f = join(dir, 'ten');
    writeFileSync(f, '0123456789');
    expect(readBounded(f, 10).toString()).toBe('0123456789');
    expect(() => readBounded(f, 9)).toThrow(TooLargeError);
  });

  it('stops on /dev/zero at the bound instead of reading forever', () => {
    expect(() => readBounded('/dev/zero', 1 << 20)).toThrow(TooLargeError);
  });

  it('a directory is EISDIR, a missing file ENOENT, for the caller to word', () => {
    expect(() => readBounded(dir, 10)).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    expect(() => readBounded(join(dir, 'missing'), 10)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('flags whose file is /dev/zero: one line, exit 2, at once', () => {
  // 127.0.0.1:9 (discard): nothing is sent, the flags fail first.
  it('--tls-ca /dev/zero', async () => {
    await refused(['-s', '127.0.0.1:9', '-m', 'dot', '-d', queries, '-n', '1', '--tls-ca', '/dev/zero'], /^dnsbench: --tls-ca \/dev\/zero: more than 16 MiB \(or it does not end, like \/dev\/zero\); expected PEM certificates$/m);
  });

  it('--expect-file /dev/zero', async () => {
    await refused(['-s', '127.0.0.1:9', '-d', queries, '-n', '1', '--expect', '--expect-file', '/dev/zero'], /^dnsbench: --expect-file \/dev\/zero: more than 256 MiB \(or it does not end/m);
  });

  it('serve --zone /dev/zero', () => {
    expect(() => loadZoneFile('/dev/zero')).toThrow(/^\/dev\/zero: more than 256 MiB \(or it does not end, like \/dev\/zero\); expected a zone master file$/);
  });
});
