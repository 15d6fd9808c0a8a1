// The answer checks without a server: record data in canonical form from both sides (wire and
// what a user writes), expectations from query-file columns and an --expect-file, the engine's
// check of crafted answers (dns-packet builds them, with name compression), the rrset-order
// verdicts and their statistics, and merging what workers and hosts counted.
import { describe, expect, it } from 'vitest';
import packet from 'dns-packet';
import { canonicalRdata, formatIpv6, rdataText } from '../src/queryset/rdata-text.js';
import { expectationsFromColumns, expectationsFromFile, parseExpectation, TableBuilder } from '../src/queryset/expect.js';
import { buildQuerySet } from '../src/queryset/load.js';
import { AnswerChecks, answerRecords } from '../src/engine/checks.js';
import { Recorder } from '../src/engine/recorder.js';
import { ChecksCollector, mergeChecks, MAX_ORDER_CHARS, MAX_WRONG_EXAMPLES, type ChecksData } from '../src/results/checks.js';
import { analyzeOrders, chiSquarePValue, chiSquareUniform } from '../src/results/rrset-order.js';
import { answerChecksReport, checksDataOf } from '../src/results/checks-report.js';
import type { QuerySet } from '../src/queryset/types.js';

const A = 1;
const AAAA = 28;
const MX = 15;
const TXT = 16;
const ENCODE = { recursionDesired: false, edns: null };

function setOf(text: string): QuerySet {
  return buildQuerySet(Buffer.from(text), 'q.txt', ENCODE);
}

function answerTo(q: QuerySet, i: number, answers: packet.Answer[], rcode = 'NOERROR'): Buffer {
  const wire = Buffer.from(q.wire).subarray(new Uint32Array(q.offsets)[i]!, new Uint32Array(q.offsets)[i + 1]!);
  const question = packet.decode(wire).questions![0]!;
  return packet.encode({ type: 'response', id: 0, flags: packet.AUTHORITATIVE_ANSWER | ({ NOERROR: 0, NXDOMAIN: 3, REFUSED: 5 } as Record<string, number>)[rcode]!, questions: [question], answers });
}

function checker(q: QuerySet, table: ReturnType<TableBuilder['table']> | null, rrsetOrder = false): { c: AnswerChecks; rec: Recorder } {
  const rec = new Recorder({ paced: false, intervalMs: 1000, timeoutMs: 1000, startAt: 0, toEpochMs: (t) => t });
  const views = { wire: Buffer.from(q.wire), offsets: new Uint32Array(q.offsets), questionLengths: new Uint16Array(q.questionLengths) };
  const c = new AnswerChecks({ expect: table === null ? null : { index: table.index, list: table.list }, rrsetOrder }, views, () => rec);
  return { c, rec };
}

describe('record data in one canonical form', () => {
  it('IPv6 as RFC 5952 prints it, from any way of writing it', () => {
    const cases: Array<[string, string]> = [
      ['2001:DB8:0:0::10', '2001:db8::10'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['::ffff:192.0.2.1', '::ffff:c000:201'],
      ['::', '::'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ];
    for (const [text, canon] of cases) {
      expect(canonicalRdata(AAAA, text, 'AAAA'), text).toEqual({ text: canon });
    }
    expect(formatIpv6(Uint8Array.from([0x20, 1, 0xd, 0xb8, ...new Array(11).fill(0), 1]))).toBe('2001:db8::1');
    expect(canonicalRdata(AAAA, '2001:db8::1::2', 'AAAA')).toHaveProperty('error');
    expect(canonicalRdata(AAAA, 'fe80::1%eth0', 'AAAA')).toHaveProperty('error');
  });

  it('names lower case and absolute; MX, TXT, SOA, generic data', () => {
    expect(canonicalRdata(MX, '10  MX1.Demo.Test', 'MX')).toEqual({ text: '10 mx1.demo.test.' });
    expect(canonicalRdata(TXT, '"two strings" "in one record"', 'TXT')).toEqual({ text: '"two strings" "in one record"' });
    expect(canonicalRdata(TXT, 'v=spf1', 'TXT')).toEqual({ text: '"v=spf1"' });
    expect(canonicalRdata(TXT, '"a\\"b\\092c\\010"', 'TXT')).toEqual({ text: '"a\\"b\\\\c\\010"' });
    expect(canonicalRdata(6, 'NS.x. root.X. 2 3600 600 86400 300', 'SOA')).toEqual({ text: 'ns.x. root.x. 2 3600 600 86400 300' });
    expect(canonicalRdata(A, '\\# 4 c0000201', 'A')).toEqual({ text: '192.0.2.1' });
    expect(canonicalRdata(99, '\\# 2 ABcd', 'TYPE99')).toEqual({ text: '\\# 2 abcd' });
    expect(canonicalRdata(99, 'text', 'TYPE99')).toEqual({ error: expect.stringContaining('RFC 3597') });
    expect(canonicalRdata(A, '192.0.2.300', 'A')).toEqual({ error: '"192.0.2.300" is not an IPv4 address (A data)' });
  });

  it('from the wire: the same text, names decompressed, hostile lengths cut', () => {
    const msg = packet.encode({
      type: 'response', id: 1, questions: [{ type: 'MX', name: 'Mail.Demo.Test', class: 'IN' }],
      answers: [{ type: 'MX', name: 'Mail.Demo.Test', ttl: 1, data: { preference: 10, exchange: 'MX1.demo.test' } }],
    });
    const start = 12 + 'Mail.Demo.Test'.length + 2 + 4;
    expect(answerRecords(msg, start, MX)).toEqual(['10 mx1.demo.test.']);
    expect(rdataText(Buffer.from([1, 2, 3]), A, 0, 3)).toBe('\\# 3 010203');
    expect(rdataText(Buffer.alloc(2000, 0x41).fill(255, 0, 1), TXT, 0, 2000).length).toBeLessThanOrEqual(512);
  });
});

describe('expectations', () => {
  it('values, RCODE names and NODATA', () => {
    expect(parseExpectation(['192.0.2.2', '192.0.2.1', '192.0.2.1'], A)).toEqual({ rcode: 0, records: ['192.0.2.1', '192.0.2.2'], nodata: false, text: '192.0.2.1, 192.0.2.2' });
    expect(parseExpectation(['nxdomain'], A)).toEqual({ rcode: 3, records: [], nodata: false, text: 'NXDOMAIN' });
    expect(parseExpectation(['NODATA'], A)).toEqual({ rcode: 0, records: [], nodata: true, text: 'NODATA' });
    expect(parseExpectation(['NXDOMAIN', '192.0.2.1'], A)).toMatch(/must be the only value/);
    expect(parseExpectation(['BADCOOKIE'], A)).toMatch(/extended RCODE/);
    expect(parseExpectation([''], A)).toMatch(/nothing expected/);
  });

  it('from expect= columns, in the loader\'s query order, also for a --segment', () => {
    const text = '; comment\nwww.demo.test A expect=192.0.2.10\nnx.demo.test A ecs=192.0.2.0/24 expect=NXDOMAIN\nplain.demo.test A\nv6.demo.test AAAA expect=2001:DB8::6\n';
    const q = setOf(text);
    const t = expectationsFromColumns(Buffer.from(text), 'q.txt', q).table();
    expect([...new Int32Array(t.index)]).toEqual([0, 1, -1, 2]);
    expect(t.list.map((e) => e.text)).toEqual(['192.0.2.10', 'NXDOMAIN', '2001:db8::6']);
    expect(t.covered).toBe(3);
    const seg = buildQuerySet(Buffer.from(text), 'q.txt', ENCODE, { index: 2, count: 2 });
    const ts = expectationsFromColumns(Buffer.from(text), 'q.txt', seg).table();
    expect(seg.count).toBe(2);
    expect(ts.list.map((e) => e.text)).toEqual(['NXDOMAIN', '2001:db8::6']);
  });

  it('bad columns are listed by file and line, all at once', () => {
    const text = 'a.test A expect=1.2.3\nb.test A\nc.test MX expect=mail.test.\n';
    expect(() => expectationsFromColumns(Buffer.from(text), 'q.txt', setOf(text))).toThrow(
      /q\.txt:1: bad expect= column: "1\.2\.3" is not an IPv4 address \(A data\)\nq\.txt:3: bad expect= column: "mail\.test\." is not "PREFERENCE EXCHANGE" \(MX data\)\nq\.txt: 2 bad expectations/,
    );
  });

  it('from an --expect-file: several records per line or one per line, matched by name and type', () => {
    const q = setOf('rr.demo.test A\nMAIL.demo.test. MX\nrr.demo.test A\nother.test A\n');
    const b = new TableBuilder(q.count);
    expectationsFromFile('rr.demo.test A 198.51.100.1 198.51.100.2\nmail.demo.test MX 10 mx1.demo.test.\nmail.demo.test MX 20 mx2.demo.test.\n', 'exp.txt', q, b);
    const t = b.table();
    expect([...new Int32Array(t.index)]).toEqual([0, 1, 0, -1]);
    expect(t.list[1]!.records).toEqual(['10 mx1.demo.test.', '20 mx2.demo.test.']);
    expect(() => expectationsFromFile('nowhere.test A 1.2.3.4\n', 'exp.txt', setOf('x.test A\n'), new TableBuilder(1))).toThrow(/none of its 1 name\/type pairs/);
    expect(() => expectationsFromFile('x.test BOGUS 1\n', 'exp.txt', setOf('x.test A\n'), new TableBuilder(1))).toThrow(/exp\.txt:1: unknown type "BOGUS"/);
  });
});

describe('the engine\'s check of an answer', () => {
  const q = setOf('www.view.test A expect=198.51.100.1\nnx.view.test A expect=NXDOMAIN\nrr.view.test A expect=192.0.2.1,192.0.2.2\nfree.view.test A\nnone.view.test A expect=NODATA\n');
  const table = expectationsFromColumns(Buffer.from('www.view.test A expect=198.51.100.1\nnx.view.test A expect=NXDOMAIN\nrr.view.test A expect=192.0.2.1,192.0.2.2\nfree.view.test A\nnone.view.test A expect=NODATA\n'), 'q', q).table();
  const a = (name: string, data: string): packet.Answer => ({ type: 'A', name, ttl: 60, data });

  it('right answers pass (order and case ignored, CNAMEs before the records skipped); wrong ones are counted with examples', () => {
    const { c, rec } = checker(q, table);
    const ok = (i: number, msg: Buffer): boolean => c.accept(msg, 0, msg.length, i);
    expect(ok(0, answerTo(q, 0, [a('www.view.test', '198.51.100.1')]))).toBe(true);
    expect(ok(0, answerTo(q, 0, [a('www.view.test', '203.0.113.1')]))).toBe(false);
    expect(ok(1, answerTo(q, 1, [], 'NXDOMAIN'))).toBe(true);
    expect(ok(1, answerTo(q, 1, [a('nx.view.test', '192.0.2.9')]))).toBe(false);
    expect(ok(2, answerTo(q, 2, [{ type: 'CNAME', name: 'rr.view.test', ttl: 1, data: 'x.view.test' }, a('x.view.test', '192.0.2.2'), a('x.view.test', '192.0.2.1')]))).toBe(true);
    expect(ok(2, answerTo(q, 2, [a('rr.view.test', '192.0.2.1')]))).toBe(false);
    expect(ok(3, answerTo(q, 3, [], 'REFUSED'))).toBe(true); // no expectation: not parsed, not counted
    expect(ok(4, answerTo(q, 4, []))).toBe(true);
    expect(ok(4, answerTo(q, 4, [a('none.view.test', '192.0.2.1')]))).toBe(false);
    expect(ok(0, answerTo(q, 0, [], 'REFUSED'))).toBe(false);
    const d = rec.checks!.toData();
    expect(d.checked).toBe(9);
    expect(d.examples.map((e) => `${e.query}: got ${e.got}, expected ${e.expected}`)).toEqual([
      'www.view.test. A: got 203.0.113.1, expected 198.51.100.1',
      'nx.view.test. A: got NOERROR 192.0.2.9, expected NXDOMAIN',
      'rr.view.test. A: got 192.0.2.1, expected 192.0.2.1, 192.0.2.2',
      'none.view.test. A: got 192.0.2.1, expected NODATA',
      'www.view.test. A: got REFUSED, expected 198.51.100.1',
    ]);
    expect(d.examples).toHaveLength(MAX_WRONG_EXAMPLES);
  });

  it('an answer section that does not parse is wrong, never a crash', () => {
    const { c } = checker(q, table);
    const msg = answerTo(q, 0, [a('www.view.test', '198.51.100.1')]);
    const cut = msg.subarray(0, msg.length - 3);
    expect(c.accept(cut, 0, cut.length, 0)).toBe(false);
  });

  it('--rrset-order tallies the order of every answer with two or more records', () => {
    const { c, rec } = checker(q, null, true);
    const rr = (order: string[]): Buffer => answerTo(q, 3, order.map((x) => a('free.view.test', x)));
    for (let k = 0; k < 8; k++) {
      const m = rr(k % 2 === 0 ? ['192.0.2.1', '192.0.2.2'] : ['192.0.2.2', '192.0.2.1']);
      expect(c.accept(m, 0, m.length, 3)).toBe(true);
    }
    const single = answerTo(q, 0, [a('www.view.test', '198.51.100.1')]);
    c.accept(single, 0, single.length, 0);
    const d = rec.checks!.toData();
    expect(d.orders).toEqual([{ query: 'free.view.test. A', answers: 8, orders: [{ order: ['192.0.2.1', '192.0.2.2'], count: 4 }, { order: ['192.0.2.2', '192.0.2.1'], count: 4 }], otherOrders: 0 }]);
    expect(analyzeOrders(d.orders![0]!).verdict).toBe('cyclic');
  });
});

describe('rrset-order verdicts', () => {
  const rot = (n: number, k: number): string[] => Array.from({ length: n }, (_, i) => `r${(i + k) % n}`);
  const tally = (orders: Array<[string[], number]>) => ({ query: 'x. A', answers: orders.reduce((s, [, c]) => s + c, 0), orders: orders.map(([order, count]) => ({ order, count })), otherOrders: 0 });

  it('fixed, cyclic, random and uneven', () => {
    expect(analyzeOrders(tally([[rot(4, 0), 100]])).verdict).toBe('fixed');
    expect(analyzeOrders(tally([0, 1, 2, 3].map((k) => [rot(4, k), 25] as [string[], number]))).verdict).toBe('cyclic');
    // Only two of four rotations: uneven.
    expect(analyzeOrders(tally([[rot(4, 0), 50], [rot(4, 2), 50]])).verdict).toBe('uneven');
    // Rotations, but one record first far more often.
    expect(analyzeOrders(tally([[rot(4, 0), 70], [rot(4, 1), 10], [rot(4, 2), 10], [rot(4, 3), 10]])).verdict).toBe('uneven');
    const perms = [['a', 'b', 'c'], ['a', 'c', 'b'], ['b', 'a', 'c'], ['b', 'c', 'a'], ['c', 'a', 'b'], ['c', 'b', 'a']];
    const random = analyzeOrders(tally(perms.map((p) => [p, 50] as [string[], number])));
    expect(random.verdict).toBe('random');
    expect(random.pValue).toBe(1);
    expect(random.possibleOrders).toBe(6);
    const skewed = analyzeOrders(tally(perms.map((p, i) => [p, i === 0 ? 300 : 20] as [string[], number])));
    expect(skewed.verdict).toBe('uneven');
    expect(skewed.pValue!).toBeLessThan(0.001);
  });

  it('chi-square p-values match the distribution (df 3: 7.815 is the 5% point)', () => {
    expect(chiSquarePValue(7.815, 3)).toBeCloseTo(0.05, 3);
    expect(chiSquarePValue(0, 3)).toBe(1);
    expect(chiSquareUniform([25, 25, 25, 25])).toBe(0);
    expect(chiSquareUniform([40, 20, 20, 20])).toBe(12);
  });
});

describe('merging what workers and hosts counted', () => {
  it('counts add, examples stay five and distinct, hostile parts are skipped', () => {
    const a = new ChecksCollector(true, true);
    const b = new ChecksCollector(true, true);
    a.checked = 10;
    b.checked = 5;
    for (let i = 0; i < 4; i++) a.wrong(() => ({ query: `q${i}`, got: 'x', expected: 'y' }));
    for (let i = 2; i < 6; i++) b.wrong(() => ({ query: `q${i}`, got: 'x', expected: 'y' }));
    a.order('n. A', ['1', '2']);
    b.order('n. A', ['1', '2']);
    b.order('n. A', ['2', '1']);
    const m = mergeChecks([a.toData(), b.toData(), { checked: 'x', examples: 7, orders: [null, { query: 1 }] } as never])!;
    expect(m.checked).toBe(15);
    expect(m.examples.map((e) => e.query)).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
    expect(m.orders).toEqual([{ query: 'n. A', answers: 3, orders: [{ order: ['1', '2'], count: 2 }, { order: ['2', '1'], count: 1 }], otherOrders: 0 }]);
    // Through the report form and back: the same data.
    expect(mergeChecks([checksDataOf(answerChecksReport(m, 3))])).toEqual(m);
  });
});

// A server that shuffles a large RRset makes every answer a new order, and each order's text is
// every record: 100 names x 720 orders x 120 AAAA records held 3 GB in an 8 s run and wrote a
// 320 MB report that `dnsbench report` refuses. The text kept is bounded; the rest is counted.
describe('orders of large shuffled RRsets', () => {
  // 2 records of 10 000 characters: every order is 20 001 characters; 40 names x 720 orders
  // would be 576 M characters without the bound.
  const rec = (name: number, i: number): string => `${name}-${i}-`.padEnd(10_000, 'x');
  const keptChars = (d: ChecksData): number =>
    d.orders!.reduce((s, t) => s + t.orders.reduce((u, o) => u + o.order.join('\u0000').length, 0), 0);
  const accounted = (d: ChecksData): number => d.orders!.reduce((s, t) => s + t.orders.reduce((u, o) => u + o.count, 0) + t.otherOrders, 0);

  function shuffled(seed: number): ChecksData {
    const c = new ChecksCollector(false, true);
    for (let name = 0; name < 40; name++) {
      for (let k = 0; k < 720; k++) c.order(`n${name}. TXT`, [rec(name, k + seed), rec(name, -k - 1)]);
    }
    return c.toData();
  }

  it('a collector keeps at most MAX_ORDER_CHARS of order text and counts every answer', () => {
    const d = shuffled(0);
    expect(keptChars(d)).toBeLessThanOrEqual(MAX_ORDER_CHARS);
    expect(keptChars(d)).toBeGreaterThan(MAX_ORDER_CHARS - 20_001);
    expect(accounted(d)).toBe(40 * 720);
    expect(d.orders!.reduce((s, t) => s + t.answers, 0)).toBe(40 * 720);
    expect(d.orders!.at(-1)!.otherOrders).toBe(720);
  });

  it('merging two of them keeps the bound too, and every answer', () => {
    const m = mergeChecks([shuffled(0), shuffled(1_000_000)])!;
    expect(keptChars(m)).toBeLessThanOrEqual(MAX_ORDER_CHARS);
    expect(accounted(m)).toBe(2 * 40 * 720);
  });
});
