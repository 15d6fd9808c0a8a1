// dnsperf's lines as pure functions (src/report/text.ts, src/engine/describe.ts), the shell quoting
// of the echoed command line (src/util/shell.ts, checked by a real shell), "n/a" wherever there is
// no sample, and the CSV's empty cells. The end-to-end comparison with Debian's dnsperf is
// test/dnsperf-parity.test.ts.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildQuerySet } from '../src/queryset/load.js';
import { describeQuery } from '../src/engine/describe.js';
import { renderCsv } from '../src/report/csv.js';
import { renderHuman } from '../src/report/human.js';
import { renderLatencyTable } from '../src/report/table.js';
import { ctime, dnsperfVersion, endReason, renderStatistics, renderStatusHeader, stoppingAfter } from '../src/report/text.js';
import { displayQuote, oneLine, shellCommand } from '../src/util/shell.js';
import { fixtureReport, fixtureTarget } from './support/report-fixtures.js';
import { parseCtime } from './support/snafu.js';

describe('dnsperf status lines', () => {
  it('ctime(): C\'s format in local time, the day space-padded, the weekday right', () => {
    expect(ctime(new Date(2021, 7, 1, 11, 16, 31).getTime())).toBe('Sun Aug  1 11:16:31 2021');
    expect(ctime(new Date(2026, 10, 29, 14, 38, 6).getTime())).toBe('Sun Nov 29 14:38:06 2026');
    expect(ctime(new Date(2024, 1, 29, 0, 0, 9).getTime())).toBe('Thu Feb 29 00:00:09 2024');
    for (let ms = 1.6e12; ms < 1.9e12; ms += 86_400_000 * 37.3) {
      const text = ctime(ms);
      expect(parseCtime(text).getTime(), text).toBe(Math.floor(ms / 1000) * 1000);
    }
  });

  it('"Stopping after" in dnsperf\'s words', () => {
    expect(stoppingAfter(3, null)).toBe('[Status] Stopping after 3.000000 seconds');
    expect(stoppingAfter(0.0001, null)).toBe('[Status] Stopping after 0.000100 seconds');
    expect(stoppingAfter(null, 1)).toBe('[Status] Stopping after 1 run through file');
    expect(stoppingAfter(null, 3)).toBe('[Status] Stopping after 3 runs through file');
    expect(stoppingAfter(2.5, 1)).toBe('[Status] Stopping after 2.500000 seconds or 1 run through file');
  });

  it('the Version line is one word that SemVer and PEP 440 both accept', () => {
    const v = dnsperfVersion('0.1.0');
    expect(`Version ${v}`).toMatch(/^Version (\S+)$/);
    // SemVer 2.0.0 (its regex, build metadata) and PEP 440 (a local version label).
    expect(v).toMatch(/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)$/);
    expect(v).toMatch(/^\d+(\.\d+)*\+[a-z0-9]+([-_.][a-z0-9]+)*$/i);
  });

  it('the header: no title line for one target, the title for several; the command quoted', () => {
    const base = { version: '0.1.0', command: ['dnsbench', '--title', 'knot vs bind'], title: 'knot vs bind', server: '[::1]:53', startedAtMs: 0, timeLimitSec: null, passes: 1 };
    const one = renderStatusHeader(base).split('\n');
    expect(one.slice(0, 5)).toEqual(['DNS Performance Testing Tool', 'Version 0.1.0+dnsbench', '', "[Status] Command line: dnsbench --title 'knot vs bind'", '[Status] Sending queries (to [::1]:53)']);
    expect(one.join('\n')).not.toContain('Title');
    expect(renderStatusHeader({ ...base, several: true })).toContain('[Status] Title: knot vs bind\n');
    expect(renderStatusHeader({ ...base, several: true, title: 'a\nb\x1b[31m' })).toContain('[Status] Title: a\\nb\\x1b[31m\n');
  });

  it('the statistics block: StdDev only with two answers or more, zeros (not n/a) when none, as dnsperf', () => {
    expect(renderStatistics(fixtureTarget([500, 700]))).toContain('  Latency StdDev (s):   0.000141\n');
    const one = renderStatistics(fixtureTarget([1234]));
    expect(one).not.toContain('StdDev');
    expect(one).toMatch(/ {2}Average Latency \(s\): {2}0\.001234 \(min 0\.001234, max 0\.001234\)\n\n$/);
    const none = renderStatistics(fixtureTarget([], { counters: { lost: 3 } }));
    expect(none).toContain('  Response codes:       \n');
    expect(none).toMatch(/ {2}Average Latency \(s\): {2}0\.000000 \(min 0\.000000, max 0\.000000\)\n\n$/);
  });

  it('"Testing complete": interruption, end of file when every pass was sent, else time limit', () => {
    const t = fixtureTarget([1, 2, 3]);
    const e = { timeLimitSec: null, passes: 1, queries: 3, interrupted: false };
    expect(endReason(t, e)).toBe('end of file');
    expect(endReason(t, { ...e, timeLimitSec: 10 })).toBe('end of file');
    expect(endReason(t, { ...e, timeLimitSec: 10, passes: 2 })).toBe('time limit');
    expect(endReason(t, { ...e, timeLimitSec: 10, passes: null })).toBe('time limit');
    expect(endReason(t, { ...e, interrupted: true })).toBe('interruption');
  });
});

describe('-v lines in dnsperf\'s format', () => {
  const set = buildQuerySet(Buffer.from('www.example.com A\nexample.com. MX\n\\.odd\\032name.example TXT\n'), 'q', { recursionDesired: true, edns: null });
  // The views a worker makes of the shared query set (engine/host.ts).
  const qs = { wire: Buffer.from(set.wire), offsets: new Uint32Array(set.offsets), questionLengths: new Uint16Array(set.questionLengths) };
  it('answers, timeouts, interruptions and our own outcomes', () => {
    expect(describeQuery(qs, 0, '0', 0.341)).toBe('> NOERROR www.example.com A 0.000341');
    expect(describeQuery(qs, 1, '3', 1234.5678)).toBe('> NXDOMAIN example.com MX 1.234567');
    expect(describeQuery(qs, 0, 'timeout', 5000)).toBe('> T www.example.com A');
    expect(describeQuery(qs, 1, 'interrupted', 12)).toBe('> I example.com MX');
    expect(describeQuery(qs, 0, 'truncated', 2)).toBe('> TRUNCATED www.example.com A 0.002000');
    expect(describeQuery(qs, 0, 'aborted', 2)).toBe('> ABORTED www.example.com A');
    expect(describeQuery(qs, 2, '0', 0)).toBe('> NOERROR \\.odd\\032name.example TXT 0.000000');
  });
});

describe('the echoed command line can be pasted back into a shell', () => {
  const args = ['dnsbench', '--title', 'knot vs bind interleaved', "it's", '', 'x\ny', 'tab\there', '$HOME', '`id`', '*', 'a;b', 'é ü', '-y', 'hmac-md5:key:<redacted>', '\x1b[31m', 'back\\slash'];
  it('bash reads every argument back exactly', () => {
    const line = shellCommand(args);
    expect(line).not.toMatch(/[\x00-\x1f\x7f]/);
    const out = execFileSync('bash', ['-c', `printf '%s\\0' ${line}`]).toString();
    expect(out.split('\0').slice(0, -1)).toEqual(args);
  });
  it('plain arguments stay bare, so a dnsperf command reads as typed', () => {
    expect(shellCommand(['dnsbench', '-s', '::1', '-p', '5300', '-d', '/tmp/q.txt', '-l', '.01', '-S', '.0011', 'label=127.0.0.1:53'])).toBe(
      'dnsbench -s ::1 -p 5300 -d /tmp/q.txt -l .01 -S .0011 label=127.0.0.1:53',
    );
    expect(displayQuote('knot vs bind')).toBe("'knot vs bind'");
    expect(oneLine('a\tb\nc\x07')).toBe('a\\tb\\nc\\x07');
  });
});

describe('n/a wherever there is no sample (issue 10 item 10)', () => {
  const silent = fixtureTarget([], { counters: { lost: 20 }, label: 'dead' });
  it('the latency table', () => {
    const table = renderLatencyTable(silent);
    expect(table).toMatch(/│ latency │ n\/a +│ n\/a +│ n\/a +│ n\/a +│ n\/a +│ n\/a +│/);
    expect(table).not.toMatch(/0us/);
  });
  it('the human view of a report with a silent target: no 0us anywhere', () => {
    const report = fixtureReport([fixtureTarget([300, 400, 500], { label: 'vip' }), { ...silent, port: 5400, server: '127.0.0.1:5400' }]);
    const text = renderHuman(report, 200);
    expect(text).not.toMatch(/\b0us\b/);
    expect(text).toMatch(/│ dead +│ 0 +│ 0\.00 +│ n\/a +│ n\/a +│ n\/a +│ n\/a +│/);
  });
  it('the CSV: empty latency cells for an interval without answers', () => {
    const csv = renderCsv(fixtureReport([silent]));
    const [head, row] = csv.split('\r\n');
    const cols = head!.split(',');
    const cells = row!.split(',');
    for (const c of ['p50_us', 'p90_us', 'p99_us', 'max_us']) expect(cells[cols.indexOf(c)], c).toBe('');
    expect(cells[cols.indexOf('qps')]).toBe('0');
  });
});
