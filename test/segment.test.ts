// --segment I/N: the flag, and the loader's split of a query file. The N segments together must
// hold every query of the file exactly once, byte for byte as the whole file encodes it (so the
// --ecs rotation follows the file's numbering), with the whole file's hash.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as dnsPacket from 'dns-packet';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../src/errors.js';
import { loadQuerySet } from '../src/queryset/load.js';
import type { EncodeOptions, QuerySet } from '../src/queryset/types.js';
import { inSegment, MAX_SEGMENTS, parseSegment, segmentSize } from '../src/queryset/segment.js';
import { expectUsageError } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-segment-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseSegment', () => {
  it('reads I/N', () => {
    expect(parseSegment('1/1')).toEqual({ index: 1, count: 1 });
    expect(parseSegment('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseSegment(' 3 / 5 ')).toEqual({ index: 3, count: 5 });
    expect(parseSegment(`${MAX_SEGMENTS}/${MAX_SEGMENTS}`)).toEqual({ index: MAX_SEGMENTS, count: MAX_SEGMENTS });
  });

  it('refuses what is not a segment, saying what it expects', () => {
    for (const bad of ['', '2', '2/', '/4', 'a/b', '-1/4', '1.5/4', '2/4/8', '1//2', '0x1/2']) {
      expect(usage(() => parseSegment(bad))).toMatch(/^--segment: expected I\/N, .*got "/);
    }
    expect(usage(() => parseSegment('0/4'))).toBe('--segment 0/4: I must be from 1 to 4 (segments are numbered from 1), got 0');
    expect(usage(() => parseSegment('5/4'))).toBe('--segment 5/4: I must be from 1 to 4 (segments are numbered from 1), got 5');
    expect(usage(() => parseSegment('1/0'))).toMatch(/^--segment 1\/0: N \(the number of segments\) must be from 1 to 1000, got 0$/);
    expect(usage(() => parseSegment(`1/${MAX_SEGMENTS + 1}`))).toMatch(/must be from 1 to 1000, got 1001$/);
  });

  it('places query i in segment (i mod N) + 1, and sizes differ by at most one', () => {
    const n = 4;
    for (let i = 0; i < 40; i++) {
      const owners = [1, 2, 3, 4].filter((index) => inSegment(i, { index, count: n }));
      expect(owners).toEqual([(i % n) + 1]);
    }
    for (const total of [4, 5, 7, 8, 101]) {
      const sizes = [1, 2, 3, 4].map((index) => segmentSize(total, { index, count: n }));
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('is refused on the command line with one line and exit 2', async () => {
    const q = join(dir, 'cli.txt');
    writeFileSync(q, 'a.example A\n');
    await expectUsageError(['-d', q, '--segment', '3/2'], /^dnsbench: --segment 3\/2: I must be from 1 to 2/);
    await expectUsageError(['-d', q, '--segment', 'half'], /^dnsbench: --segment: expected I\/N/);
  });
});

// 23 queries (a prime, so no N divides it evenly) among comments, blanks and CRLF lines.
const NAMES = Array.from({ length: 23 }, (_, i) => `q${i}.example`);
const TYPES = ['A', 'AAAA', 'MX', 'TXT', 'NS'];
const FILE_TEXT = [
  '; a segmented query file',
  ...NAMES.flatMap((n, i) => [`${n} ${TYPES[i % TYPES.length]}${i % 5 === 0 ? '\r' : ''}`, ...(i % 4 === 0 ? ['', '# comment'] : [])]),
].join('\n');

const plain: EncodeOptions = { recursionDesired: true, edns: null };

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Message i of the set, as raw bytes. */
function message(qs: QuerySet, i: number): Uint8Array {
  const offsets = new Uint32Array(qs.offsets);
  return new Uint8Array(qs.wire).slice(offsets[i], offsets[i + 1]);
}

const allMessages = (qs: QuerySet): Uint8Array[] => Array.from({ length: qs.count }, (_, i) => message(qs, i));

describe('loadQuerySet with --segment', () => {
  const path = file('segmented.txt', FILE_TEXT);

  it('the whole file records itself as such', async () => {
    const whole = await loadQuerySet(path, plain);
    expect(whole.count).toBe(23);
    expect(whole.fileCount).toBe(23);
    expect(whole.segment).toBeNull();
  });

  for (const n of [1, 2, 3, 4, 7, 23]) {
    it(`segments 1..${n} together hold every query of the file exactly once, in file order, byte for byte`, async () => {
      const whole = await loadQuerySet(path, plain);
      const expected = allMessages(whole).map((m) => Buffer.from(m).toString('hex'));
      const seen = new Array<number>(23).fill(0);
      for (let index = 1; index <= n; index++) {
        const qs = await loadQuerySet(path, plain, undefined, { index, count: n });
        expect(qs.segment).toEqual({ index, count: n });
        expect(qs.fileCount).toBe(23);
        expect(qs.count).toBe(segmentSize(23, { index, count: n }));
        expect(qs.sha256).toBe(whole.sha256);
        expect(qs.sha256).toBe(createHash('sha256').update(FILE_TEXT).digest('hex'));
        allMessages(qs).forEach((m, j) => {
          const fileIndex = index - 1 + j * n;
          expect(Buffer.from(m).toString('hex')).toBe(expected[fileIndex]);
          seen[fileIndex]!++;
        });
        const offsets = new Uint32Array(qs.offsets);
        expect(offsets[qs.count]).toBeLessThanOrEqual(qs.wire.byteLength);
        expect(qs.maxMessageLength).toBe(Math.max(...allMessages(qs).map((m) => m.length)));
      }
      expect(seen).toEqual(new Array<number>(23).fill(1));
    });
  }

  it('keeps the file\'s query index for the --ecs rotation (query i gets subnet i mod k)', async () => {
    const subnets = ['198.51.100.0/24', '203.0.113.0/24', '192.0.2.0/24'];
    const text = [
      ...Array.from({ length: 10 }, (_, i) => `e${i}.example A`),
      'own.example A ecs=10.1.0.0/16', // query 10: its own column wins, in whichever segment holds it
      'e11.example A',
    ].join('\n');
    const ecsPath = file('ecs.txt', text);
    const opts: EncodeOptions = { recursionDesired: true, edns: { udpSize: 4096, dnssecOk: false, options: [] }, ecs: subnets };
    const subnetOf = (m: Uint8Array): string => {
      const p = dnsPacket.decode(Buffer.from(m));
      const opt = p.additionals?.[0] as unknown as { options: Array<{ code: number; ip: string; sourcePrefixLength: number }> };
      const ecs = opt.options.find((o) => o.code === 8)!;
      return `${ecs.ip}/${ecs.sourcePrefixLength}`;
    };
    const whole = await loadQuerySet(ecsPath, opts);
    const wholeSubnets = allMessages(whole).map(subnetOf);
    expect(wholeSubnets).toEqual(Array.from({ length: 12 }, (_, i) => (i === 10 ? '10.1.0.0/16' : subnets[i % 3]!)));
    for (let index = 1; index <= 4; index++) {
      const qs = await loadQuerySet(ecsPath, opts, undefined, { index, count: 4 });
      // Segment 2 of 4 holds queries 1, 5, 9: subnets 1, 2, 0 — not 0, 1, 2 as its own positions would give.
      expect(allMessages(qs).map(subnetOf)).toEqual(wholeSubnets.filter((_, i) => i % 4 === index - 1));
    }
  });

  it('reads stdin whole and then takes its segment', async () => {
    const stream = Readable.from([Buffer.from(FILE_TEXT.slice(0, 100)), Buffer.from(FILE_TEXT.slice(100))]);
    const qs = await loadQuerySet('-', plain, stream, { index: 3, count: 5 });
    const whole = await loadQuerySet(path, plain);
    expect(qs.count).toBe(segmentSize(23, { index: 3, count: 5 }));
    expect(qs.sha256).toBe(whole.sha256);
    expect(allMessages(qs).map((m) => Buffer.from(m).toString('hex'))).toEqual(
      allMessages(whole).filter((_, i) => i % 5 === 2).map((m) => Buffer.from(m).toString('hex')),
    );
  });

  it('refuses more segments than queries (some would be empty), in every segment alike', async () => {
    const small = file('three.txt', '; three\na.example A\nb.example A\n\nc.example A\n');
    for (const index of [1, 4]) {
      const err = await loadQuerySet(small, plain, undefined, { index, count: 4 }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toBe(
        `--segment ${index}/4: query file "${small}" has only 3 queries, fewer than the 4 segments, so some segments would be empty; use at most 3 segments`,
      );
    }
    expect((await loadQuerySet(small, plain, undefined, { index: 3, count: 3 })).count).toBe(1);
  });

  it('a bad line anywhere refuses every segment, not only the one holding it', async () => {
    const bad = file('bad.txt', 'a.example A\nb.example A\nc.example BOGUS\nd.example A\n');
    for (const index of [1, 2]) {
      const err = await loadQuerySet(bad, plain, undefined, { index, count: 2 }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(/bad\.txt:3: unknown query type "BOGUS"/);
    }
  });
});
