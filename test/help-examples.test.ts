// Every command line shown in a --help (the main one and each subcommand's) parses: a flag renamed
// or removed would otherwise leave an example that fails with "unknown option" for the user who
// copies it. Parsing only (commander plus our stray-word check); nothing is sent.
import { describe, expect, it } from 'vitest';
import { buildProgram, type Parsed } from '../src/cli.js';
import { main } from '../src/cli-main.js';
import { captureConsole } from './support/cli.js';

/** The words of a shell command line: '...' and "..." quoting, no expansion (the examples need none). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  let word: string | null = null;
  let last = 0;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    const glued = word !== null && m.index === last;
    const piece = m[1] ?? m[2] ?? m[3]!;
    if (glued) word += piece;
    else {
      if (word !== null) words.push(word);
      word = piece;
    }
    last = re.lastIndex;
  }
  if (word !== null) words.push(word);
  return words;
}

/** The dnsbench invocations in a help text: each `dnsbench ...` up to a pipe, `&&`, `&` or the line end. */
function examples(help: string): string[][] {
  const out: string[][] = [];
  for (const line of help.split('\n')) {
    if (/^\s*Usage:/.test(line)) continue;
    for (const m of line.matchAll(/(?:^\s+|\|\s*|&&\s*)dnsbench\s+([^|&]*)/g)) {
      const args = shellWords(m[1]!.trim());
      // The generic shapes ("dnsbench RUN-FLAGS ...") are descriptions, not commands.
      if (args.some((a) => /^[A-Z][A-Z-]+$/.test(a))) continue;
      out.push(args);
    }
  }
  return out;
}

async function helpOf(args: string[]): Promise<string> {
  const con = captureConsole();
  expect(await main([...args, '--help'], con)).toBe(0);
  return con.stdout;
}

function parses(args: string[]): string | null {
  let parsed: Parsed | undefined;
  const program = buildProgram((p) => (parsed = p));
  for (const cmd of [program, ...program.commands]) cmd.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  try {
    program.parse(args, { from: 'user' });
  } catch (e) {
    return (e as Error).message;
  }
  return parsed === undefined ? 'nothing parsed' : null;
}

describe('every example in --help parses', () => {
  for (const sub of [[], ['serve'], ['demo'], ['report'], ['merge'], ['k8s'], ['capacity']]) {
    it(`dnsbench ${[...sub, '--help'].join(' ')}`, async () => {
      const found = examples(await helpOf(sub));
      expect(found.length, 'examples found').toBeGreaterThan(0);
      for (const args of found) expect(parses(args), args.join(' ')).toBeNull();
    });
  }
  it('the main help shows -S (queryperf -i) and comparing two saved runs', async () => {
    const found = examples(await helpOf([])).map((a) => a.join(' '));
    expect(found).toContain('-s 127.0.0.1 -d queries.txt -l 60 -S 1');
    expect(found.some((a) => a.startsWith('report ') && a.split(' ').filter((w) => w.endsWith('.json')).length === 2)).toBe(true);
  });
  it('a broken example is caught (the check can fail)', () => {
    expect(parses(shellWords("-s 127.0.0.1 -d q.txt --time-limt 10"))).not.toBeNull();
    expect(shellWords(`--slo 'p99<5ms,loss<0.1%' --gate "capacity>=5"`)).toEqual(['--slo', 'p99<5ms,loss<0.1%', '--gate', 'capacity>=5']);
  });
});
