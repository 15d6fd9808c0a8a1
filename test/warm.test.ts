// engine/warm.ts: how many worker threads bin.ts starts before the CLI has loaded, from the raw
// arguments (a guess: extra ones are ended, missing ones started by openSession), and that a warm
// worker, handed its setup by message, runs like one given it as workerData.
import { describe, expect, it } from 'vitest';
import { prewarmDisabled, warmCount } from '../src/engine/warm.js';
import { runCli } from './support/cli.js';

describe('warmCount', () => {
  it('starts min(cores, -T, -c) less the main thread, which runs the first loops itself', () => {
    expect(warmCount(['-s', '127.0.0.1', '-d', 'q.txt'], 2)).toBe(1);
    expect(warmCount(['-s', '127.0.0.1', '-T', '1'], 2)).toBe(0);
    expect(warmCount(['-s', '127.0.0.1', '-T1'], 4)).toBe(0);
    expect(warmCount(['-s', '127.0.0.1', '--threads=3'], 8)).toBe(2);
    expect(warmCount(['-s', '127.0.0.1', '--threads', '100', '-c', '100'], 2)).toBe(1);
    expect(warmCount(['-s', '127.0.0.1', '-c', '1'], 2)).toBe(0);
    expect(warmCount(['-s', '127.0.0.1', '--clients=3', '-T', '2'], 8)).toBe(1);
  });

  it('leaves the main thread out when -v, --event or --watch-serial keep it busy (measure.ts mainThreadIsFree)', () => {
    expect(warmCount(['-s', '127.0.0.1', '-v'], 2)).toBe(2);
    expect(warmCount(['-s', '127.0.0.1', '--verbose', '-T', '1'], 2)).toBe(1);
    expect(warmCount(['-s', '127.0.0.1', '--event', '1=true'], 2)).toBe(2);
    expect(warmCount(['-s', '127.0.0.1', '--event=1=true'], 4)).toBe(4);
    expect(warmCount(['-s', '127.0.0.1', '--watch-serial', 'example.'], 2)).toBe(2);
  });

  it('starts none for a subcommand, --help, --version or no arguments', () => {
    expect(warmCount([], 2)).toBe(0);
    expect(warmCount(['report', 'run.json'], 2)).toBe(0);
    expect(warmCount(['serve', '-T', '2'], 2)).toBe(0);
    expect(warmCount(['-s', '127.0.0.1', '--help'], 2)).toBe(0);
    expect(warmCount(['-V'], 2)).toBe(0);
    expect(warmCount(['--version'], 2)).toBe(0);
  });

  it('ignores values that are not thread counts and stays bounded', () => {
    expect(warmCount(['-s', 'x', '-T', 'abc'], 2)).toBe(1);
    expect(warmCount(['-s', 'x', '-T', '0'], 2)).toBe(1);
    expect(warmCount(['-s', 'x', '-T', '-1'], 2)).toBe(1);
    expect(warmCount(['-s', 'x', '-T'], 2)).toBe(1);
    expect(warmCount(['-s', 'x'], 1000)).toBe(63);
    // A -T past the first 256 arguments is not looked at (the CLI still applies it).
    expect(warmCount(['-s', ...Array.from({ length: 300 }, () => 'x'), '-T', '1'], 2)).toBe(1);
  });
});

describe('prewarmDisabled', () => {
  it('reads DNSBENCH_NO_PREWARM as DNSBENCH_NO_NATIVE is read: empty and 0 leave it on', () => {
    expect(prewarmDisabled({})).toBe(false);
    expect(prewarmDisabled({ DNSBENCH_NO_PREWARM: '' })).toBe(false);
    expect(prewarmDisabled({ DNSBENCH_NO_PREWARM: '0' })).toBe(false);
    expect(prewarmDisabled({ DNSBENCH_NO_PREWARM: '1' })).toBe(true);
    expect(prewarmDisabled({ DNSBENCH_NO_PREWARM: 'yes\x1b[31m' })).toBe(true);
  });
});

describe('warm workers through the CLI', () => {
  it('a run refused for a bad flag exits 2 at once, its warm workers never keeping the process alive', async () => {
    const r = await runCli(['-s', '127.0.0.1', '-d', '/nonexistent/queries.txt', '-n', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dnsbench: .*\/nonexistent\/queries\.txt/);
  });
});
