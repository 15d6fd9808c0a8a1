// The TSIG secret never appears in any output (issue 11, items 6-7), whatever spelling commander
// accepted it in: -y V, -yV, --tsig V, --tsig=V, and clusters of short flags (-ey V, -eyV, -vy V,
// -Dey V, ...). The list of spellings is built from the program's own flags, and each is checked
// to be one commander really parses as the key before its outputs are searched. Parser messages
// (unknown option, invalid argument) name the flag, never the value.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli-main.js';
import { buildProgram } from '../src/cli.js';
import { redactArgv, tsigValues } from '../src/redact.js';
import type { Responder } from '../src/serve/responder.js';
import { runServe } from '../src/serve/run.js';
import { captureConsole, runCli } from './support/cli.js';

const SECRET = 'c3VwZXItc2VjcmV0LXRzaWcta2V5';
const VALUE = `hmac-sha256:chinanet:${SECRET}`;
const dir = mkdtempSync(join(tmpdir(), 'dnsbench-secrets-'));
const queries = join(dir, 'q.txt');
writeFileSync(queries, 'www.demo.test A\ndemo.test NS\n');

/** Short flags of the run that take no value (e, D, R, v, ...), from the program itself. */
function booleanShortFlags(): string[] {
  return buildProgram(() => undefined)
    .options.filter((o) => o.short !== undefined && !o.required && !o.optional && o.short !== '-h')
    .map((o) => o.short!.slice(1));
}

/** Every way to give -y VALUE that commander accepts: plain, attached, long, long=, and in clusters. */
function spellings(): string[][] {
  const out: string[][] = [['-y', VALUE], [`-y${VALUE}`], ['--tsig', VALUE], [`--tsig=${VALUE}`]];
  const flags = booleanShortFlags();
  for (const f of flags) out.push([`-${f}y`, VALUE], [`-${f}y${VALUE}`]);
  for (const [a, b] of [['D', 'e'], ['v', 'e'], ['e', 'R'], ['R', 'v']] as const) out.push([`-${a}${b}y`, VALUE], [`-${a}${b}y${VALUE}`]);
  return out;
}

describe('the spellings are real: commander takes the key from each', () => {
  it('covers -e, -D, -R and -v clusters, and commander parses VALUE as the key in every one', () => {
    expect(booleanShortFlags()).toEqual(expect.arrayContaining(['e', 'D', 'R', 'v']));
    for (const s of spellings()) expect(tsigValues(['-d', queries, ...s]), s.join(' ')).toEqual([VALUE]);
  });

  it('redactArgv keeps everything but the secret, in every spelling', () => {
    for (const s of spellings()) {
      const shown = redactArgv(['dnsbench', '-d', queries, ...s]);
      expect(shown.join(' ')).not.toContain(SECRET);
      expect(shown.join(' ')).toContain('hmac-sha256:chinanet:<redacted>');
      expect(shown.slice(0, 3)).toEqual(['dnsbench', '-d', queries]);
    }
    // A key given twice: both secrets go (the parser saw both values).
    const other = 'b3RoZXItc2VjcmV0LWtleQ==';
    expect(redactArgv(['-y', `k:${other}`, `-ey${VALUE}`]).join(' ')).toBe('-y k:<redacted> -eyhmac-sha256:chinanet:<redacted>');
    // Another key inside an --event's shell command (nsupdate -y ...) goes too, in either spelling.
    expect(redactArgv(['dnsbench', '-d', queries, '--event', `2=nsupdate -y hmac-sha256:ddns:${other} u.txt`])).toEqual([
      'dnsbench', '-d', queries, '--event', '2=nsupdate -y hmac-sha256:ddns:<redacted> u.txt',
    ]);
    expect(redactArgv(['dnsbench', `--event=2=dig -yk:${other} @127.0.0.1`])).toEqual(['dnsbench', '--event=2=dig -yk:<redacted> @127.0.0.1']);
    // The run's key spelled -yKEY (which the shell pattern also matches) still goes everywhere else.
    expect(redactArgv(['dnsbench', `-y${VALUE}`, '--event', `1=echo ${SECRET}`]).join(' ')).not.toContain(SECRET);
  });
});

describe('no output of a run carries the secret, in any spelling', () => {
  let responder: Responder;
  beforeAll(async () => {
    responder = await runServe({ address: '127.0.0.1', port: 0, faults: {} }, () => {});
  });
  afterAll(() => responder.close());

  it('stdout, stderr, --json, --html, --junit, --markdown and --csv', async () => {
    const all = spellings();
    const check = async (s: string[], i: number): Promise<void> => {
      const out = (ext: string): string => join(dir, `run${i}.${ext}`);
      // The embedded responder does not sign its answers: every answer fails TSIG verification, so
      // the run also prints the TSIG notes (which name the key) and exits 3. -S prints mid-run lines.
      const r = await runCli([
        '-s', `127.0.0.1:${responder.port}`, '-d', queries, '-n', '1', '-t', '0.2', '-T', '1', '-S', '0.1', '--title', 'secrets', ...s,
        '--json', out('json'), '--html', out('html'), '--junit', out('xml'), '--markdown', out('md'), '--csv', out('csv'), '--gate', 'qps>0',
        ...(i === 0 ? ['-v'] : []),
      ]);
      expect([1, 3], `${s.join(' ')}: ${r.stderr}`).toContain(r.code);
      expect(r.stdout).toContain('[Status] Command line: dnsbench');
      expect(r.stdout).toContain('hmac-sha256:chinanet:<redacted>');
      const texts: Record<string, string> = { stdout: r.stdout, stderr: r.stderr };
      for (const e of ['json', 'html', 'xml', 'md', 'csv']) texts[e] = readFileSync(out(e), 'utf8');
      expect(JSON.parse(texts['json']!).command.join(' ')).toContain('hmac-sha256:chinanet:<redacted>');
      for (const [where, text] of Object.entries(texts)) expect(text.includes(SECRET), `${s.join(' ')} -> ${where}`).toBe(false);
    };
    // Four processes at a time: each run is short, and the machine has two cores.
    for (let i = 0; i < all.length; i += 4) await Promise.all(all.slice(i, i + 4).map((s, j) => check(s, i + j)));
  });
});

describe('parser messages name the flag, never the value', () => {
  const cases: Array<[string[], RegExp]> = [
    [[`--tsig-key=${VALUE}`], /^dnsbench: unknown option '--tsig-key' \(see dnsbench --help\)\n$/],
    [[`--tsg=${SECRET}`], /^dnsbench: unknown option '--tsg' \(did you mean --tsig\?\)/],
    [[`--Tsig=${VALUE}`], /^dnsbench: unknown option '--Tsig' \(did you mean --tsig\?\)/],
    [[`-Zy${VALUE}`], /^dnsbench: unknown option '-Z'/],
    [[`-eZy${VALUE}`], /^dnsbench: unknown option '-Z'/],
    [[`-e=${SECRET}`], /^dnsbench: unknown option '-='/],
    [[`--hmac-sha256:chinanet:${SECRET}`], /^dnsbench: unknown option '--hmac-sha256'/],
    [['-f', SECRET], /^dnsbench: -f\/--family: expected one of inet, inet6, any/],
    [['-y', VALUE, SECRET], /^dnsbench: too many arguments/],
    [['-y', VALUE, '--tsig'], /^dnsbench: -y\/--tsig: expected a value <\[alg:\]name:secret> after it/],
    [['report', 'x.json', `--tsig=${VALUE}`], /^dnsbench: unknown option '--tsig'/],
    [['merge', 'a.json', 'b.json', `-y${VALUE}`], /^dnsbench: unknown option '-y'/],
  ];
  for (const [args, pattern] of cases) {
    it(args.join(' ').replaceAll(SECRET, 'SECRET'), async () => {
      const con = captureConsole();
      expect(await main(args, con)).toBe(2);
      expect(con.stdout).toBe('');
      expect(con.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(con.stderr).toMatch(pattern);
      expect(con.stderr).not.toContain(SECRET);
    });
  }
});
