import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as dnsPacket from 'dns-packet';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode, InputError } from '../src/errors.js';
import { loadQuerySet } from '../src/queryset/load.js';
import type { EncodeOptions, QuerySet } from '../src/queryset/types.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-queryset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
function file(content: string | Uint8Array): string {
  const path = join(dir, `q${++fileNo}.txt`);
  writeFileSync(path, content);
  return path;
}

const plain: EncodeOptions = { recursionDesired: true, edns: null };

/** Each message of the set, decoded, plus the raw bytes. */
function messages(qs: QuerySet): { raw: Uint8Array; packet: dnsPacket.Packet }[] {
  const wire = new Uint8Array(qs.wire);
  const offsets = new Uint32Array(qs.offsets);
  return Array.from({ length: qs.count }, (_, i) => {
    const raw = wire.subarray(offsets[i], offsets[i + 1]);
    return { raw, packet: dnsPacket.decode(Buffer.from(raw)) };
  });
}

const questions = (qs: QuerySet): string[] =>
  messages(qs).map(({ packet }) => `${packet.questions?.[0]?.name} ${packet.questions?.[0]?.type}`);

async function loadError(promise: Promise<unknown>): Promise<InputError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  return err as InputError;
}

describe('loadQuerySet from a file', () => {
  const text = [
    '\ufeff; a query file in every dialect',   // UTF-8 BOM, then a comment
    'www.example.com A',
    '#server 192.0.2.1',
    '',
    '  indented.example.com\tAAAA\r',           // leading blanks, tab, CRLF
    'mx.example.com.  mx  ecs=198.51.100.0/24',  // trailing dot, lower case, extra column
    '. NS',
    '   ; indented comment',
    'dot\\.inside.example TYPE65',
    'last.example TXT',                         // no LF at the end of the file
  ].join('\n');

  it('encodes every query line, in order, and skips the rest', async () => {
    const path = file(text);
    const qs = await loadQuerySet(path, plain);
    expect(qs.source).toBe(path);
    expect(qs.count).toBe(6);
    expect(questions(qs)).toEqual([
      'www.example.com A', 'indented.example.com AAAA', 'mx.example.com MX', '. NS',
      'dot.inside.example UNKNOWN_65', 'last.example TXT', // dns-packet 5 does not know HTTPS
    ]);
    for (const { packet } of messages(qs)) {
      expect(packet.id).toBe(0);
      expect(packet.flags).toBe(dnsPacket.RECURSION_DESIRED);
    }
  });

  it('fills offsets, question lengths, max length and SHA-256 consistently', async () => {
    const path = file(text);
    const qs = await loadQuerySet(path, plain);
    const offsets = new Uint32Array(qs.offsets);
    const qlens = new Uint16Array(qs.questionLengths);
    expect(qs.wire).toBeInstanceOf(SharedArrayBuffer);
    expect(qs.offsets).toBeInstanceOf(SharedArrayBuffer);
    expect(qs.questionLengths).toBeInstanceOf(SharedArrayBuffer);
    expect(offsets).toHaveLength(qs.count + 1);
    expect(qlens).toHaveLength(qs.count);
    expect(offsets[0]).toBe(0);
    // The wire buffer is sized from an upper bound; the messages end at offsets[count].
    expect(offsets[qs.count]).toBeLessThanOrEqual(qs.wire.byteLength);
    // www.example.com: 17-octet name + type + class; without EDNS a message is header + question.
    expect(qlens[0]).toBe(21);
    // Other columns are ignored, but mx.example.com's `ecs=` column adds an OPT RR (11 octets)
    // carrying a client-subnet option for a /24 (4 + 4 + 3 octets).
    expect([...qlens].map((q, i) => (offsets[i + 1] ?? 0) - (offsets[i] ?? 0) - 12 - q)).toEqual([0, 0, 22, 0, 0, 0]);
    const lengths = messages(qs).map(({ raw }) => raw.length);
    expect(qs.maxMessageLength).toBe(Math.max(...lengths));
    expect(qs.maxMessageLength).toBe(12 + 16 + 4 + 22); // mx.example.com with its subnet
    expect(qs.sha256).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('applies the encode options to every message', async () => {
    const opts: EncodeOptions = {
      recursionDesired: false,
      edns: { udpSize: 1232, dnssecOk: true, options: [{ code: 65001, data: Uint8Array.from([1, 2]) }] },
    };
    const qs = await loadQuerySet(file('a.example A\nb.example AAAA\n'), opts);
    const qlens = new Uint16Array(qs.questionLengths);
    messages(qs).forEach(({ raw, packet }, i) => {
      expect(packet.flags).toBe(0);
      const opt = packet.additionals?.[0] as unknown as { udpPayloadSize: number; flag_do: boolean; options: { code: number }[] };
      expect(opt.udpPayloadSize).toBe(1232);
      expect(opt.flag_do).toBe(true);
      expect(opt.options.map((o) => o.code)).toEqual([65001]);
      expect(raw.length).toBe(12 + (qlens[i] ?? 0) + 11 + 4 + 2);
    });
  });

  it('fingerprints the raw bytes: CRLF and LF versions of a file differ', async () => {
    const lf = await loadQuerySet(file('a.example A\n'), plain);
    const crlf = await loadQuerySet(file('a.example A\r\n'), plain);
    const used = (qs: typeof lf): Uint8Array => new Uint8Array(qs.wire, 0, new Uint32Array(qs.offsets)[qs.count]);
    expect(used(crlf)).toEqual(used(lf));
    expect(crlf.sha256).not.toBe(lf.sha256);
  });
});

describe("queryperf's directive lines", () => {
  it('are read as comments, and the first one is kept (line and text, escaped) for the warning', async () => {
    const qs = await loadQuerySet(file('; a comment\nwww.example.com A\n#server 10.0.0.1\n  #PORT 5353\n#maxwait 2\nmail.example.com MX\n'), plain);
    expect(qs.count).toBe(2);
    expect(qs.directive).toEqual({ line: 3, text: '#server 10.0.0.1' });
    const esc = await loadQuerySet(file('#port \x1b[31m53\nwww.example.com A\n'), plain);
    expect(esc.directive).toEqual({ line: 1, text: '#port \\x1b[31m53' });
  });

  it('a plain # comment is not one', async () => {
    for (const text of ['# server 10.0.0.1\n', '#servers\n', '#comment\n', '']) {
      expect((await loadQuerySet(file(`${text}www.example.com A\n`), plain)).directive, JSON.stringify(text)).toBeNull();
    }
  });
});

describe('loadQuerySet from stdin', () => {
  it('reads all of stdin (chunks split mid-line) into a set that can be replayed', async () => {
    const chunks = ['www.exa', 'mple.com A\r\nsecond.exa', 'mple.com MX\n; end\n', 'third.example AAAA'];
    const stream = Readable.from(chunks.map((c) => Buffer.from(c)));
    const qs = await loadQuerySet('-', plain, stream);
    expect(qs.source).toBe('<stdin>');
    expect(qs.count).toBe(3);
    expect(questions(qs)).toEqual(['www.example.com A', 'second.example.com MX', 'third.example AAAA']);
    expect(qs.sha256).toBe(createHash('sha256').update(chunks.join('')).digest('hex'));
    expect(stream.readableEnded).toBe(true);
  });

  it('accepts a stream that yields strings', async () => {
    const qs = await loadQuerySet('-', plain, Readable.from(['a.example A\n', 'b.example NS\n'], { objectMode: true }));
    expect(questions(qs)).toEqual(['a.example A', 'b.example NS']);
  });

  it('names <stdin> in bad-line messages', async () => {
    const err = await loadError(loadQuerySet('-', plain, Readable.from([Buffer.from('ok.example A\nbad AA\n')])));
    expect(err.message.split('\n')[0]).toBe('<stdin>:2: unknown query type "AA"');
    expect(err.problems[0]?.file).toBe('<stdin>');
  });
});

describe('loadQuerySet rejects bad files', () => {
  it('lists every kind of bad line with file, line and reason', async () => {
    const path = file([
      'good.example A',
      'example.com AA',
      'example.com',
      '\\256.example A',
      '\\12.example A',
      'a..b A',
      `${'x'.repeat(64)}.example A`,
      `${Array(130).fill('ab').join('.')} A`,
      'example.com TYPE65536',
    ].join('\n'));
    const err = await loadError(loadQuerySet(path, plain));
    expect(err.exitCode).toBe(ExitCode.usage);
    expect(err.totalProblems).toBe(8);
    expect(err.problems.map((p) => [p.file, p.line])).toEqual([2, 3, 4, 5, 6, 7, 8, 9].map((n) => [path, n]));
    const reasons = err.problems.map((p) => p.reason);
    expect(reasons[0]).toBe('unknown query type "AA"');
    expect(reasons[1]).toMatch(/^missing query type/);
    expect(reasons[2]).toContain('value above 255');
    expect(reasons[3]).toContain('three decimal digits');
    expect(reasons[4]).toContain('empty label');
    expect(reasons[5]).toContain('label longer than 63 octets');
    expect(reasons[6]).toContain('name longer than 255 octets');
    expect(reasons[7]).toContain('unknown query type "TYPE65536"');
    const lines = err.message.split('\n');
    expect(lines).toHaveLength(9);
    expect(lines[0]).toBe(`${path}:2: unknown query type "AA"`);
    expect(lines[8]).toBe(`${path}: 8 bad lines; fix or remove them`);
  });

  it('shows at most 10 problems but counts them all', async () => {
    // Lines 3, 6, ..., 111 (37 of them) are bad; the rest of the 120 are good.
    const body = Array.from({ length: 120 }, (_, k) => k + 1)
      .map((n) => (n % 3 === 0 && n <= 111 ? `n${n}.example AA` : `n${n}.example A`));
    const path = file(body.join('\n'));
    const err = await loadError(loadQuerySet(path, plain));
    expect(err.totalProblems).toBe(37);
    expect(err.problems).toHaveLength(10);
    expect(err.problems.map((p) => p.line)).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
    const lines = err.message.split('\n');
    expect(lines).toHaveLength(11);
    expect(lines.slice(0, 10).every((l, i) => l === `${path}:${3 * (i + 1)}: unknown query type "AA"`)).toBe(true);
    expect(lines[10]).toBe(`${path}: 37 bad lines (first 10 shown); fix or remove them`);
  });

  it('says "1 bad line" for one', async () => {
    const path = file('a.example A\nb.example\n');
    const err = await loadError(loadQuerySet(path, plain));
    expect(err.message.split('\n')[1]).toBe(`${path}: 1 bad line; fix or remove them`);
    expect(err.totalProblems).toBe(1);
  });

  it('reports a missing file in one line, with the errno and no stack', async () => {
    const path = join(dir, 'does-not-exist.txt');
    const err = await loadError(loadQuerySet(path, plain));
    expect(err.message).toBe(`cannot read query file "${path}": ENOENT: no such file or directory`);
    expect(err.exitCode).toBe(ExitCode.usage);
  });

  it('reports a directory clearly', async () => {
    const err = await loadError(loadQuerySet(dir, plain));
    expect(err.message).toBe(`cannot read query file "${dir}": it is a directory, not a file`);
  });

  it('rejects a file with only comments and blank lines', async () => {
    const path = file('; nothing here\n#server 192.0.2.1\n\n   \r\n');
    const err = await loadError(loadQuerySet(path, plain));
    expect(err.message).toBe(`query file "${path}" has no queries (only blank lines and comments)`);
  });

  it('rejects an empty file and empty stdin', async () => {
    const path = file('');
    expect((await loadError(loadQuerySet(path, plain))).message).toBe(`query file "${path}" has no queries (it is empty)`);
    expect((await loadError(loadQuerySet('-', plain, Readable.from([])))).message).toContain('"<stdin>" has no queries');
  });
});
