// The operations flags from the command line, against the built-in responder on loopback: flag
// errors (exit 2, one line), --expect and --expect-file counting wrong answers (never completed,
// never "nothing answered"), the `wrong` gate, --event records (ok, failing, past the end of the
// run, killed at its bound), --watch-serial, and the sections in --json, text and `report`.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResponder, type Responder } from '../src/serve/responder.js';
import { loadZoneFile } from '../src/serve/zone.js';
import { DEMO_ZONE } from '../src/serve/run.js';
import type { Report } from '../src/results/report.js';
import { EventRunner, outputTail } from '../src/commands/events.js';
import { redactShellSecrets } from '../src/redact.js';
import { SerialWatcher, soaQuery, soaSerial } from '../src/commands/serial-watch.js';
import { expectRunAccounted } from './support/accounting.js';
import { runCli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-ops-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

let responder: Responder;
beforeAll(async () => {
  responder = await startResponder({ address: '127.0.0.1', port: 0, zone: loadZoneFile(DEMO_ZONE) });
});
afterAll(() => responder.close());

const server = (): string[] => ['-s', `127.0.0.1:${responder.port}`];

describe('flag errors: exit 2 and one line naming the flag', () => {
  it.each([
    [['--event', '3'], /--event "3": expected TIME=COMMAND/],
    [['--event', 'x=ls'], /--event "x=ls": TIME must be seconds/],
    [['--outage-below', '0'], /--outage-below: expected a percentage/],
    [['--degraded-above', '20'], /--degraded-above: expected a latency with a unit/],
    [['--watch-serial', 'bad..zone'], /--watch-serial: expected a zone name/],
    [['--expect-file', '/nonexistent/x'], /--expect-file: no such file/],
    [['--event', '1=true', '--repeat', '2'], /--event cannot be combined with --repeat/],
  ])('%j', async (args, message) => {
    const q = file('plain.txt', 'www.demo.test A\n');
    const r = await runCli([...server(), '-d', q, '-l', '0.2', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--expect with queries on stdin says to use --expect-file', async () => {
    const r = await runCli([...server(), '-l', '0.2', '--expect'], { input: 'www.demo.test A expect=192.0.2.10\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--expect reads the query file's expect= columns, which needs -d FILE .*give --expect-file FILE/);
  });

  it('--expect without any expect= column is refused before sending', async () => {
    const r = await runCli([...server(), '-d', file('none.txt', 'www.demo.test A\n'), '-l', '0.2', '--expect']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--expect: no query in .* has an expect= column/);
  });
});

describe('--expect and --expect-file against the responder', () => {
  let report: Report;
  let text = '';
  beforeAll(async () => {
    const q = file('q.txt', 'www.demo.test A expect=192.0.2.10\nwww.demo.test AAAA expect=2001:DB8::10\nnx.demo.test A expect=NXDOMAIN\nalias.demo.test A expect=192.0.2.99\nmail.demo.test MX\n');
    const exp = file('exp.txt', 'mail.demo.test MX 10 mx1.demo.test.\nmail.demo.test MX 20 mx2.demo.test.\n');
    const json = join(dir, 'expect.json');
    const r = await runCli([...server(), '-d', q, '-n', '20', '-c', '1', '-T', '1', '-q', '5', '--expect', '--expect-file', exp, '--json', json, '--gate', 'wrong<=20', '--gate', 'wrong<20']);
    // The second gate fails: exit 1, not 3 (wrong answers are answers).
    expect(r.code, r.stderr).toBe(1);
    text = r.stdout;
    report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  });

  it('counts the alias query wrong every time, and nothing else', () => {
    const t = report.targets[0]!;
    expectRunAccounted(t);
    expect(t.counters.sent).toBe(100);
    expect(t.counters.wrongAnswer).toBe(20);
    expect(t.counters.completed).toBe(80);
    expect(t.answerChecks!.expect).toEqual({
      checked: 100,
      wrong: 20,
      examples: [{ query: 'alias.demo.test. A', got: '192.0.2.10', expected: '192.0.2.99' }],
    });
    expect(report.config.ops).toMatchObject({ expect: true, expectFile: expect.stringContaining('exp.txt') });
  });

  it('gates on wrong, and prints the checks under the target', () => {
    expect(report.gates!.results.map((g) => [g.gate, g.passed])).toEqual([
      ['wrong<=20', true],
      ['wrong<20', false],
    ]);
    expect(text).toContain('Answer checks: 100 answers compared with --expect, 20 wrong (20.00%)\n  alias.demo.test. A: got 192.0.2.10, expected 192.0.2.99\n');
  });

  it('`dnsbench report` re-renders the same checks from the JSON', async () => {
    const r = await runCli(['report', join(dir, 'expect.json')]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.stdout).toContain('Answer checks: 100 answers compared with --expect, 20 wrong (20.00%)');
  });
});

describe('--rrset-order, --event and --watch-serial in one run', () => {
  let report: Report;
  let stderr = '';
  beforeAll(async () => {
    const q = file('rr.txt', 'rr.demo.test A\nwww.demo.test A\n');
    const json = join(dir, 'ops.json');
    const r = await runCli([...server(), '-d', q, '-l', '1', '-Q', '200', '-T', '1', '-c', '1', '--interval', '0.1', '--rrset-order', '--watch-serial', 'demo.test',
      '--event', '0.2=echo started; echo second line >&2', '--event', '0.3=exit 4', '--event', '30=echo never', '--json', json], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    stderr = r.stderr;
    report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  });

  it('records every event: ran, failed (reported, not fatal), not run', () => {
    const [a, b, c] = report.events!;
    expect(a).toMatchObject({ atSec: 0.2, exitCode: 0, error: null, timedOut: false, output: 'started\nsecond line' });
    // Started at its due time (the run's common start + 0.2 s), a little late at most on a busy machine.
    expect(a!.dueAtMs! - report.targets[0]!.timing.startedAtMs).toBeGreaterThan(100);
    expect(a!.startedAtMs!).toBeGreaterThanOrEqual(a!.dueAtMs!);
    expect(a!.startedAtMs! - a!.dueAtMs!).toBeLessThan(250);
    expect(b).toMatchObject({ atSec: 0.3, exitCode: 4, error: null });
    expect(c).toMatchObject({ atSec: 30, startedAtMs: null, exitCode: null, error: expect.stringMatching(/^not run: the run ended \d+\.\d\d s after its start, before 30 s$/) });
    expect(report.notes).toContain('Event 2 (0.3 s, "exit 4") failed: exit status 4.');
    expect(stderr).toMatch(/event 1 at 0\.2 s exited 0 after \d+ ms: echo started/);
    expect(stderr).toMatch(/event 2 at 0\.3 s exited 4/);
  });

  it('the responder answers rr in one order: fixed', () => {
    const names = report.targets[0]!.answerChecks!.rrsetOrder!.names;
    expect(names.map((n) => [n.query, n.verdict])).toEqual([['rr.demo.test. A', 'fixed']]);
    expect(report.targets[0]!.answerChecks!.expect).toBeNull();
  });

  it('--watch-serial asked every interval, outside the load\'s counters', () => {
    const s = report.serials!;
    const t = report.targets[0]!;
    expect(s.zone).toBe('demo.test.');
    expect(s.targets[0]).toMatchObject({ initial: 2024010101, last: 2024010101, failed: 0 });
    expect(s.targets[0]!.sent).toBeGreaterThanOrEqual(5);
    expect(s.targets[0]!.answered).toBe(s.targets[0]!.sent - s.targets[0]!.timedOut);
    expect(s.changes).toEqual([]);
    // The load's counters hold only the load (-Q 200 for 1 s, two names, no SOA).
    expect(t.rcodes).toEqual({ NOERROR: t.counters.completed });
    expect(t.counters.sent).toBeLessThanOrEqual(201);
  });

  it('has a timeline (--interval was given) with the events', () => {
    expect(report.timeline!.targets[0]!.outages).toEqual([]);
    expect(report.timeline!.targets[0]!.intervalSec).toBeCloseTo(0.1, 9);
  });
});

describe('events and the SOA watch, as units', () => {
  it('an event past its bound is killed (its process group), and its output tail is kept', async () => {
    const runner = new EventRunner([{ atSec: 0, command: 'echo before; sleep 5 & sleep 5; echo after' }], { timeoutMs: 300 });
    const t0 = Date.now();
    runner.start(t0);
    await new Promise((r) => setTimeout(r, 50));
    const [r] = await runner.finish();
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL', exitCode: null, output: 'before' });
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('an interrupted run kills what still runs', async () => {
    const runner = new EventRunner([{ atSec: 0, command: 'sleep 10' }]);
    runner.start(Date.now());
    await new Promise((r) => setTimeout(r, 100));
    const [r] = await runner.finish({ kill: true });
    expect(r!.signal).toBe('SIGKILL');
  });

  it('an event -y secret never reaches its record: command and output redacted, the real command run', async () => {
    // nsupdate -y, dig -y and kdig -y take [alg:]name:secret; the command runs with the secret.
    const runner = new EventRunner([{ atSec: 0, command: 'echo -y hmac-sha256:ddns:SECRETVALUE; echo SECRETVALUE | wc -c' }]);
    runner.start(Date.now());
    await new Promise((r) => setTimeout(r, 200));
    const [r] = await runner.finish();
    expect(r!.command).toBe('echo -y hmac-sha256:ddns:<redacted>; echo <redacted> | wc -c');
    // It ran with the secret: wc counted its 11 characters and a newline.
    expect(r!.output).toBe('-y hmac-sha256:ddns:<redacted>\n12');
    expect(JSON.stringify(r)).not.toContain('SECRETVALUE');
  });

  // Only the last 4096 bytes of output are kept: when that cut fell inside the secret, its end
  // (here 12 of its 24 characters) matched no whole secret and went into the report as printed.
  it('an event secret cut by the output bound: no part of it is kept', async () => {
    const secret = 'kve3QMmhjXGZUZURb6mucQ==';
    // The last 4096 bytes start 12 characters into the secret; blank lines are dropped from the tail.
    const print = `printf '%s' "${'P'.repeat(50)}${secret}"; i=0; while [ $i -lt 4076 ]; do echo; i=$((i+1)); done; printf 'a\\nb\\nc\\nd\\n'`;
    const runner = new EventRunner([{ atSec: 0, command: `true -y hmac-sha256:k:${secret}; ${print}` }]);
    runner.start(Date.now());
    await new Promise((r) => setTimeout(r, 300));
    const [r] = await runner.finish();
    expect(r!.exitCode).toBe(0);
    expect(r!.output).toBe('<redacted>\na\nb\nc\nd');
    for (let k = 4; k <= secret.length; k++) expect(JSON.stringify(r)).not.toContain(secret.slice(-k));
  });

  it('finds -y secrets in shell commands however they are spelled', () => {
    const cases: Array<[string, string]> = [
      ['nsupdate -y hmac-sha256:k:SECRET1 f', 'nsupdate -y hmac-sha256:k:<redacted> f'],
      ['dig -yk:SECRET2 @x', 'dig -yk:<redacted> @x'],
      ['kdig --tsig=hmac-md5:k:SECRET3', 'kdig --tsig=hmac-md5:k:<redacted>'],
      ["sh -c 'nsupdate -y \"k:SECRET4\" f'", "sh -c 'nsupdate -y \"k:<redacted>\" f'"],
      ['true;dig -y k:SECRET5', 'true;dig -y k:<redacted>'],
      ['rndc -y keyname reload', 'rndc -y keyname reload'],
      ['ip link set eth0 down', 'ip link set eth0 down'],
    ];
    for (const [given, shown] of cases) expect(redactShellSecrets(given).text).toBe(shown);
    expect(redactShellSecrets('a -y k:S1ECRET b --tsig k2:S2ECRET').secrets).toEqual(['S1ECRET', 'S2ECRET']);
  });

  it('output tails are bounded and printable', () => {
    expect(outputTail(Buffer.from('a\nb\nc\nd\ne\nf\ng\x1b[2J\n'))).toBe('c\nd\ne\nf\ng?[2J');
    expect(outputTail(Buffer.alloc(5000, 0x41)).length).toBeLessThanOrEqual(500);
  });

  it('reads the serial of an SOA answer, and says why when there is none', async () => {
    const w = new SerialWatcher([{ label: 'r', host: '127.0.0.1', port: responder.port, family: 4, spec: '' }], 'demo.test.', 50, null, null);
    w.start(Date.now());
    await new Promise((r) => setTimeout(r, 180));
    const s = await w.stop();
    expect(s.targets[0]).toMatchObject({ initial: 2024010101, failed: 0 });
    expect(s.targets[0]!.sent).toBeGreaterThanOrEqual(3);
    expect(soaSerial(soaQuery('demo.test.', 1))).toBe('not a response');
    const refused = Buffer.from(soaQuery('x.', 1));
    refused[2] = 0x80;
    refused[3] = 5;
    expect(soaSerial(refused)).toBe('REFUSED');
  });
});
