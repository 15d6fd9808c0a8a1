// --gate and --max-regression parsing: every form and unit, and every way to get one wrong
// (each a one-line UsageError, exit 2, that lists the valid metrics).
import { describe, expect, it } from 'vitest';
import { ExitCode, UsageError } from '../src/errors.js';
import { gateText, parseGate, parseMaxRegression } from '../src/gates/parse.js';

function usage(fn: () => unknown): UsageError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UsageError);
  const u = err as UsageError;
  expect(u.exitCode).toBe(ExitCode.usage);
  expect(u.message).not.toContain('\n');
  return u;
}

describe('parseGate: latency metrics and time units', () => {
  it.each([
    ['p50<2ms', 'p50', '<', 2000, 'ms'],
    ['p90<=1.5ms', 'p90', '<=', 1500, 'ms'],
    ['p99<2ms', 'p99', '<', 2000, 'ms'],
    ['p99.9<=10ms', 'p99.9', '<=', 10_000, 'ms'],
    ['p99.99<20ms', 'p99.99', '<', 20_000, 'ms'],
    ['mean<500us', 'mean', '<', 500, 'us'],
    ['mean<500µs', 'mean', '<', 500, 'us'],
    ['min>=10us', 'min', '>=', 10, 'us'],
    ['max<1s', 'max', '<', 1_000_000, 's'],
    ['max<0.25s', 'max', '<', 250_000, 's'],
    ['stddev<1ms', 'stddev', '<', 1000, 'ms'],
    ['corrected.p99<3ms', 'corrected.p99', '<', 3000, 'ms'],
    ['corrected.mean<1e3us', 'corrected.mean', '<', 1000, 'us'],
    ['p99>0.5ms', 'p99', '>', 500, 'ms'],
    ['p50==1ms', 'p50', '==', 1000, 'ms'],
  ])('%s', (expr, name, op, threshold, unit) => {
    const g = parseGate(expr);
    expect(g.metric.kind).toBe('latency');
    expect(g.metric.name).toBe(name);
    expect(g.op).toBe(op);
    expect(g.threshold).toBe(threshold);
    expect(g.unit).toBe(unit);
    expect(g.target).toBeNull();
    expect(g.metric.kind === 'latency' && g.metric.corrected).toBe(name.startsWith('corrected.'));
  });

  it('scales decimals without binary rounding (1.005 ms is 1005 us exactly, 8.2 s is 8200000 us)', () => {
    expect(1.005 * 1000).not.toBe(1005); // the trap this avoids
    expect(8.2 * 1e6).not.toBe(8_200_000);
    expect(parseGate('p99<=1.005ms').threshold).toBe(1005);
    expect(parseGate('max<=8.2s').threshold).toBe(8_200_000);
    expect(parseGate('p99<=0.0023s').threshold).toBe(2300);
    expect(parseGate('p99<=.5ms').threshold).toBe(500);
  });

  it('allows spaces anywhere and any case in metric names', () => {
    const g = parseGate(' P99 <  2 ms ');
    expect([g.metric.name, g.op, g.threshold, g.unit]).toEqual(['p99', '<', 2000, 'ms']);
  });
});

describe('parseGate: rates, counts and shares', () => {
  it('qps is a plain number', () => {
    const g = parseGate('qps>=50000');
    expect(g.metric).toEqual({ kind: 'rate', name: 'qps' });
    expect([g.op, g.threshold, g.unit]).toEqual(['>=', 50_000, '']);
  });

  it('loss is lost/sent in percent', () => {
    const g = parseGate('loss<0.1%');
    expect(g.metric).toEqual({ kind: 'share', name: 'loss', read: { counter: 'lost' }, of: 'sent' });
    expect([g.threshold, g.unit]).toEqual([0.1, '%']);
  });

  it('rcode.X is a share of completed with %, a count without; names are case-insensitive', () => {
    expect(parseGate('rcode.SERVFAIL<0.5%').metric).toEqual({ kind: 'share', name: 'rcode.SERVFAIL', read: { rcode: 'SERVFAIL' }, of: 'completed' });
    expect(parseGate('rcode.servfail<0.5%').metric.name).toBe('rcode.SERVFAIL');
    expect(parseGate('rcode.NXDOMAIN==0').metric).toEqual({ kind: 'count', name: 'rcode.NXDOMAIN', read: { rcode: 'NXDOMAIN' } });
    expect(parseGate('rcode.RCODE15<1').metric.name).toBe('rcode.RCODE15');
  });

  it.each([
    ['sent>=1000', 'sent', 'sent'],
    ['completed>=990', 'completed', 'completed'],
    ['lost<10', 'lost', 'lost'],
    ['timeouts<10', 'timeouts', 'timedOut'],
    ['truncated==0', 'truncated', 'truncated'],
    ['late<5', 'late', 'late'],
    ['mismatched==0', 'mismatched', 'mismatched'],
    ['malformed==0', 'malformed', 'malformed'],
    ['interrupted==0', 'interrupted', 'interrupted'],
    ['aborted==0', 'aborted', 'aborted'],
    ['tcp-fallbacks<100', 'tcp-fallbacks', 'tcpFallbacks'],
    ['tsig-failed==0', 'tsig-failed', 'tsigFailed'],
    ['socket-errors==0', 'socket-errors', 'socketErrors'],
    ['http-errors<1', 'http-errors', 'httpErrors'],
  ])('%s is a count of counters.%s', (expr, name, counter) => {
    expect(parseGate(expr).metric).toEqual({ kind: 'count', name, read: { counter } });
  });

  it('a counter with % is its share of the queries sent', () => {
    expect(parseGate('completed>=99.5%').metric).toEqual({ kind: 'share', name: 'completed', read: { counter: 'completed' }, of: 'sent' });
    expect(parseGate('timeouts<0.1%').metric).toEqual({ kind: 'share', name: 'timeouts', read: { counter: 'timedOut' }, of: 'sent' });
  });
});

describe('parseGate: targets', () => {
  it.each([
    ['vip:p99<2ms', 'vip'],
    ['dns-1.b_2:qps>=10', 'dns-1.b_2'],
    ['127.0.0.1:5353:p99<2ms', '127.0.0.1:5353'],
    ['127.0.0.1:loss<1%', '127.0.0.1'],
    ['[::1]:p99<2ms', '::1'],
    ['::1:p99<2ms', '::1'],
  ])('%s -> target %s', (expr, target) => {
    expect(parseGate(expr).target).toBe(target);
  });

  it('prints the gate back with the target, IPv6 in brackets', () => {
    expect(gateText(parseGate('vip : p99 < 2 ms'))).toBe('vip:p99<2ms');
    expect(gateText(parseGate('P99.9<=10ms'), 'b')).toBe('b:p99.9<=10ms');
    expect(gateText(parseGate('[::1]:p99<2ms'))).toBe('[::1]:p99<2ms');
    expect(gateText(parseGate('rcode.servfail<0.5%'))).toBe('rcode.SERVFAIL<0.5%');
  });
});

describe('parseGate: bounds at the edge of a metric range still decide', () => {
  it.each(['qps>0', 'qps<=0', 'timeouts==0', 'timeouts<=0', 'loss<100%', 'loss>=100%', 'loss==100%', 'loss==0%', 'p99>0ms', 'loss>99.9%'])('%j is accepted', (expr) => {
    expect(parseGate(expr).expression).toBe(expr);
  });
});

describe('parseGate: mistakes are one-line usage errors listing the valid metrics', () => {
  it.each([
    ['p99<2', 'give the value with a unit, s, ms or us'],
    ['p99<2xs', 'unknown unit "xs"'],
    ['p99<2MS', 'unknown unit "MS"'],
    ['p999<2ms', 'unknown metric "p999" (did you mean p99.9?)'],
    ['p98<2ms', 'unknown metric "p98" (did you mean p90?)'],
    ['latency<2ms', 'unknown metric "latency"'],
    ['p99=2ms', 'unknown operator "="'],
    ['p99=<2ms', 'unknown operator "=<"'],
    ['p99!=2ms', 'unknown operator "!="'],
    ['p99<', 'expected a number after "<"'],
    ['p99<fast', 'expected a number after "<"'],
    ['p99', 'expected [target:]metric<op>value'],
    ['', 'expected [target:]metric<op>value'],
    ['<2ms', 'no metric before the operator'],
    [':p99<2ms', 'empty target'],
    ['1ms<p99<2ms', 'one comparison per gate'],
    ['qps>=5%', 'qps takes a plain number'],
    ['qps>=50k', 'unknown unit "k"'],
    ['loss<5', 'loss is the share of queries lost: give a percentage'],
    ['loss<5ms', 'loss is the share of queries lost'],
    ['timeouts<5ms', 'timeouts is a count'],
    ['rcode.SERVFIAL<1%', 'unknown response code "SERVFIAL"'],
    ['rcode.SERVFAIL<1ms', 'rcode.SERVFAIL is a count'],
    ['corrected.qps>1', 'unknown metric "corrected.qps"'],
    ['p99<1e999ms', 'out of range'],
    // Verdicts known before any run: a gate that guards nothing, or that blocks every run.
    ['qps>=0', 'can never fail (qps is never below 0), so it would pass every run'],
    ['timeouts>=0', 'can never fail (timeouts is never below 0)'],
    ['p99>=0ms', 'can never fail (p99 is never below 0)'],
    ['loss<=100%', 'can never fail (loss is a share between 0% and 100%)'],
    ['rcode.SERVFAIL<100.5%', 'can never fail (rcode.SERVFAIL is a share between 0% and 100%)'],
    ['p99<0ms', 'can never pass (p99 is never below 0), so it would fail every run'],
    ['qps<0', 'can never pass (qps is never below 0)'],
    ['loss>100%', 'can never pass (loss is a share between 0% and 100%)'],
    ['loss>=101%', 'can never pass'],
    ['loss==150%', 'can never pass'],
  ])('%j: %s', (expr, why) => {
    const e = usage(() => parseGate(expr));
    expect(e.message).toContain(`--gate "${expr}"`);
    expect(e.message).toContain(why);
    expect(e.message).toContain('valid metrics: qps, p50, p90, p99, p99.9, p99.99, min, mean, max, stddev');
    expect(e.message).toContain('rcode.<NAME>');
  });
});

describe('parseMaxRegression', () => {
  it('% is relative for qps and latency, points for shares; units make it absolute', () => {
    const a = parseMaxRegression('qps=5%, p99=10%,loss=0.5%,rcode.SERVFAIL=0.1%,p99.9=0.5ms,timeouts=10,corrected.p99=20%');
    expect(a.map((x) => [x.metric.name, x.metric.kind, x.mode, x.amount, x.text])).toEqual([
      ['qps', 'rate', 'relative', 5, '5%'],
      ['p99', 'latency', 'relative', 10, '10%'],
      ['loss', 'share', 'points', 0.5, '0.5%'],
      ['rcode.SERVFAIL', 'share', 'points', 0.1, '0.1%'],
      ['p99.9', 'latency', 'absolute', 500, '0.5ms'],
      ['timeouts', 'count', 'absolute', 10, '10'],
      ['corrected.p99', 'latency', 'relative', 20, '20%'],
    ]);
  });

  it.each([
    ['', 'expected metric=limit'],
    ['qps', 'expected metric=limit'],
    ['=5%', 'expected metric=limit'],
    ['p99=', 'expected a number'],
    ['p99=10', 'give the value with a unit'],
    ['p99=10x', 'unknown unit "x"'],
    ['loss=1', 'loss is the share of queries lost'],
    ['bogus=5%', 'unknown metric "bogus"'],
    ['qps=5%,qps=10%', '"qps" is given twice'],
    // A limit that overflows to Infinity passed every regression ("a rise of Infinitys").
    ['p99=1e400%', 'value "1e400" is out of range'],
    ['p99.9=1e306s', 'value "1e306" is out of range'],
  ])('%j: %s', (value, why) => {
    const e = usage(() => parseMaxRegression(value));
    expect(e.message).toContain(`--max-regression "${value}"`);
    expect(e.message).toContain(why);
    expect(e.message).toContain('valid metrics:');
  });
});
