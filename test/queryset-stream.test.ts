// The streaming loader (src/queryset/stream.ts) against the in-memory one: the same messages,
// byte for byte and in order, over several passes, with --segment and --ecs, through a ring far
// smaller than the file (so every slot is reused many times); pipes split mid-line, spooled to an
// unlinked 0600 file and replayed; bad lines before and after sending starts; lines with no end;
// count and SHA-256. The consumer is the engine's own StreamCursor, as a loop uses it.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { NOT_READY, STREAM_END, StreamCursor } from '../src/engine/stream-cursor.js';
import { InputError } from '../src/errors.js';
import { buildQuerySet, loadQuerySet } from '../src/queryset/load.js';
import { RingViews } from '../src/queryset/ring.js';
import type { Segment } from '../src/queryset/segment.js';
import type { StreamTuning } from '../src/queryset/stream.js';
import type { EncodeOptions, QuerySet } from '../src/queryset/types.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function file(text: string | Buffer): string {
  const path = join(dir, `q${++fileNo}.txt`);
  writeFileSync(path, text);
  return path;
}

const plain: EncodeOptions = { recursionDesired: true, edns: null };
const rich: EncodeOptions = {
  recursionDesired: true,
  edns: { udpSize: 1232, dnssecOk: true, options: [{ code: 65001, data: Uint8Array.from([1, 2]) }] },
  ecs: ['198.51.100.0/24', '2001:db8::/48', '203.0.113.7/32'],
};
/** A ring of 4 slots of at most 7 queries: a file of a few hundred lines reuses each slot many times. */
const tiny: Partial<StreamTuning> = { thresholdBytes: 64, primeBytes: 64, slots: 4, perSlot: 7, slotBytes: 4096, pipeWaitMs: 50 };

/** Lines of every kind the parser meets, ~250 queries. */
function sampleText(): string {
  const lines: string[] = ['\ufeff; a BOM, then a comment'];
  for (let i = 0; i < 260; i++) {
    if (i % 17 === 0) lines.push('');
    if (i % 23 === 0) lines.push(`# queryperf directive ${i}`);
    const type = ['A', 'AAAA', 'mx', 'TXT', 'TYPE65'][i % 5];
    const name = i % 11 === 0 ? `w\\046eird${i}.example.` : `host${i}.example`;
    const tail = i % 13 === 0 ? ' ecs=192.0.2.0/24' : i % 7 === 0 ? ' ignored columns' : '';
    lines.push(`${i % 3 === 0 ? '  ' : ''}${name} ${type}${tail}${i % 4 === 0 ? '\r' : ''}`);
  }
  return lines.join('\n'); // the last line has no LF
}

/** Every message of an in-memory set, in order. */
function messagesOf(qs: QuerySet): string[] {
  const wire = Buffer.from(qs.wire);
  const offsets = new Uint32Array(qs.offsets);
  return Array.from({ length: qs.count }, (_, i) => wire.subarray(offsets[i], offsets[i + 1]).toString('hex'));
}

/**
 * Runs a streamed set once and takes every query as an engine loop would (per target, in chunks,
 * giving chunks back as soon as they are used up): the messages each target got, hex, in order.
 * Stops after `limit` queries per target when given.
 */
async function consume(qs: QuerySet, o: { passes: number | null; targets?: number; limit?: number }): Promise<{ got: string[][]; qlens: number[] }> {
  const stream = qs.stream!;
  const targets = o.targets ?? 1;
  const ring = stream.ring(1);
  const claimed = new SharedArrayBuffer(8 * targets);
  await stream.startRun(ring, { targets, passes: o.passes, claimed });
  let wake: (() => void) | null = null;
  const cursor = new StreamCursor(ring, targets, () => wake?.(), () => performance.now(), () => Infinity);
  cursor.begin(claimed);
  const v = new RingViews(ring);
  const wire = Buffer.from(ring.wire);
  const got: string[][] = Array.from({ length: targets }, () => []);
  const qlens: number[] = [];
  const done = new Array<boolean>(targets).fill(false);
  try {
    for (let guard = 0; guard < 1_000_000 && done.includes(false); guard++) {
      let waiting = false;
      for (let t = 0; t < targets; t++) {
        if (done[t]) continue;
        if (o.limit !== undefined && got[t]!.length >= o.limit) {
          done[t] = true;
          continue;
        }
        const qi = cursor.next(t);
        if (qi === STREAM_END) done[t] = true;
        else if (qi === NOT_READY) waiting = true;
        else {
          got[t]!.push(wire.subarray(v.offsets[qi], v.offsets[qi + 1]).toString('hex'));
          if (t === 0) qlens.push(v.questionLengths[qi]!);
        }
      }
      if (waiting) await new Promise<void>((r) => (wake = r));
    }
  } finally {
    cursor.finish();
    stream.stopRun();
  }
  return { got, qlens };
}

describe('a streamed file holds the same queries as the in-memory loader', () => {
  const text = sampleText();
  const cases: Array<{ name: string; opts: EncodeOptions; segment: Segment | null }> = [
    { name: 'plain', opts: plain, segment: null },
    { name: 'EDNS, options and --ecs rotation', opts: rich, segment: null },
    { name: '--segment 2/3 with --ecs', opts: rich, segment: { index: 2, count: 3 } },
  ];
  for (const c of cases) {
    it(`byte for byte, in order, pass after pass (${c.name})`, async () => {
      const whole = buildQuerySet(Buffer.from(text), 'sample', c.opts, c.segment);
      const path = file(text);
      const qs = await loadQuerySet(path, c.opts, undefined, c.segment, tiny);
      expect(qs.stream).toBeDefined();
      try {
        const { got, qlens } = await consume(qs, { passes: 3, targets: 2 });
        const expected = messagesOf(whole);
        // Every target got the whole set three times, nothing dropped, nothing invented.
        expect(got[0]).toEqual([...expected, ...expected, ...expected]);
        expect(got[1]).toEqual(got[0]);
        const wholeQlens = [...new Uint16Array(whole.questionLengths).subarray(0, whole.count)];
        expect(qlens).toEqual([...wholeQlens, ...wholeQlens, ...wholeQlens]);
        await qs.stream!.settle();
        expect(qs.count).toBe(whole.count);
        expect(qs.fileCount).toBe(whole.fileCount);
        expect(qs.sha256).toBe(whole.sha256);
        expect(qs.sha256).toBe(createHash('sha256').update(text).digest('hex'));
        expect(qs.stream!.notes()).toEqual([]);
      } finally {
        await qs.stream!.close();
      }
    });
  }

  it('starts with the first chunk ready: a file of any size is not read before sending', async () => {
    const big = Array.from({ length: 200_000 }, (_, i) => `h${i}.example A`).join('\n') + '\n';
    const qs = await loadQuerySet(file(big), plain, undefined, null, { thresholdBytes: 1 << 20 });
    try {
      const started = performance.now();
      const { got } = await consume(qs, { passes: 1, limit: 5 });
      // Generous (a loaded 2-core CI machine): reading all 2.9 MB would be the same order, the
      // point is the count below, which proves the run began before the end of the file.
      expect(performance.now() - started).toBeLessThan(2000);
      expect(got[0]).toHaveLength(5);
      await qs.stream!.settle();
      // Stopped early: the count is what was read, the hash still the whole file's.
      expect(qs.count).toBeLessThan(200_000);
      expect(qs.sha256).toBe(createHash('sha256').update(big).digest('hex'));
      expect(qs.stream!.notes().join('\n')).toMatch(/The run ended before the end of .*: \d+ queries were read \(\d+\.\d MB of 3\.\d MB\).*sha256 is of the whole file/);
    } finally {
      await qs.stream!.close();
    }
  });
});

describe('a pipe', () => {
  const text = sampleText();

  /** Writes `text` into a pipe in pieces of `piece` bytes (so lines split anywhere), then ends it. */
  function pipe(data: string, piece: number, pauseMs = 0): PassThrough {
    const p = new PassThrough();
    const bytes = Buffer.from(data);
    let at = 0;
    const step = (): void => {
      if (at >= bytes.length) return void p.end();
      p.write(bytes.subarray(at, at + piece));
      at += piece;
      setTimeout(step, pauseMs);
    };
    setImmediate(step);
    return p;
  }

  it('split mid-line, is spooled to an unlinked 0600 file and replayed for every pass', async () => {
    const spoolDir = mkdtempSync(join(dir, 'tmp-'));
    const saved = process.env['TMPDIR'];
    process.env['TMPDIR'] = spoolDir;
    let qs: QuerySet;
    try {
      qs = await loadQuerySet('-', rich, pipe(text, 7), null, tiny);
    } finally {
      if (saved === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = saved;
    }
    try {
      expect(qs.stream).toBeDefined();
      expect(qs.source).toBe('<stdin>');
      // Nothing named in the directory, but this process holds the spool open, owner-only.
      expect(readdirSync(spoolDir)).toEqual([]);
      const spool = readdirSync('/proc/self/fd')
        .map((fd) => ({ fd, target: safeReadlink(`/proc/self/fd/${fd}`) }))
        .find((f) => f.target.startsWith(join(spoolDir, 'dnsbench-stdin-')) && f.target.endsWith('(deleted)'));
      expect(spool, 'an open, deleted spool file').toBeDefined();
      expect(statSync(`/proc/self/fd/${spool!.fd}`).mode & 0o777).toBe(0o600);

      const whole = buildQuerySet(Buffer.from(text), '<stdin>', rich);
      const { got } = await consume(qs, { passes: 2 });
      expect(got[0]).toEqual([...messagesOf(whole), ...messagesOf(whole)]);
      // A second run (another target, --repeat) reads it all again from the spool.
      const again = await consume(qs, { passes: 1 });
      expect(again.got[0]).toEqual(messagesOf(whole));
      await qs.stream!.settle();
      expect(qs.sha256).toBe(whole.sha256);
      expect(qs.count).toBe(whole.count);
    } finally {
      await qs.stream!.close();
    }
  });

  it('that is slow sends its first queries before it ends', async () => {
    const p = new PassThrough();
    p.write('a.example A\nb.example A\nc.exa');
    const qs = await loadQuerySet('-', plain, p, null, { thresholdBytes: 1 << 20, pipeWaitMs: 50 });
    try {
      expect(qs.stream).toBeDefined();
      const stream = qs.stream!;
      const ring = stream.ring(1);
      const claimed = new SharedArrayBuffer(8);
      const started = performance.now();
      await stream.startRun(ring, { targets: 1, passes: 1, claimed });
      let wake: (() => void) | null = null;
      const cursor = new StreamCursor(ring, 1, () => wake?.(), () => performance.now(), () => Infinity);
      cursor.begin(claimed);
      const names: number[] = [];
      const take = async (n: number): Promise<void> => {
        while (names.length < n) {
          const qi = cursor.next(0);
          expect(qi).not.toBe(STREAM_END);
          if (qi === NOT_READY) await new Promise<void>((r) => (wake = r));
          else names.push(qi);
        }
      };
      await take(2);
      // The pipe is still open: the two complete lines went out without waiting for more.
      expect(performance.now() - started).toBeLessThan(2000);
      p.end('mple A\n');
      await take(3);
      expect(cursor.next(0)).toBe(STREAM_END);
      cursor.finish();
      stream.stopRun();
      await stream.settle();
      expect(qs.count).toBe(3);
      expect(qs.sha256).toBe(createHash('sha256').update('a.example A\nb.example A\nc.example A\n').digest('hex'));
    } finally {
      await qs.stream!.close();
    }
  });

  it('that ends quickly and small is loaded whole, as before', async () => {
    const qs = await loadQuerySet('-', plain, pipe('a.example A\nb.example AAAA\n', 5), null, { thresholdBytes: 1 << 20 });
    expect(qs.stream).toBeUndefined();
    expect(qs.count).toBe(2);
  });
});

describe('bad input', () => {
  it('bad lines in the part read before sending refuse the run, listed as file:line', async () => {
    const text = 'a.example A\nb.example AA\n' + Array.from({ length: 100 }, (_, i) => `h${i}.example A`).join('\n');
    const path = file(text);
    const qs = await loadQuerySet(path, plain, undefined, null, { ...tiny, primeBytes: 4096 });
    try {
      const err = await consume(qs, { passes: 1 }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message.split('\n')).toEqual([`${path}:2: unknown query type "AA"`, `${path}: 1 bad line; fix or remove them`]);
    } finally {
      await qs.stream!.close();
    }
  });

  it('bad lines after sending started are skipped, counted and listed in a note; no good line is lost', async () => {
    const good = Array.from({ length: 300 }, (_, i) => `h${i}.example A`);
    const lines = [...good];
    lines.splice(250, 0, 'bad.example NOSUCHTYPE');
    lines.splice(280, 0, 'worse..example A');
    const path = file(lines.join('\n') + '\n');
    const qs = await loadQuerySet(path, plain, undefined, null, tiny);
    try {
      const { got } = await consume(qs, { passes: 2 });
      const expected = messagesOf(buildQuerySet(Buffer.from(good.join('\n')), 'good', plain));
      expect(got[0]).toEqual([...expected, ...expected]);
      await qs.stream!.settle();
      expect(qs.count).toBe(300);
      const notes = qs.stream!.notes();
      expect(notes).toHaveLength(1);
      // Counted once (first pass), not once per pass.
      expect(notes[0]).toContain(`${path}: 2 bad lines were skipped and not sent`);
      expect(notes[0]).toContain(`${path}:251: unknown query type "NOSUCHTYPE"`);
      expect(notes[0]).toContain(`${path}:281: empty label in name "worse..example"`);
    } finally {
      await qs.stream!.close();
    }
  });

  it('a line with no end within 64 KiB: refused before sending, in one line', async () => {
    const path = file('a.example A\n' + 'x'.repeat(70_000) + ' A\nb.example A\n');
    const qs = await loadQuerySet(path, plain, undefined, null, { ...tiny, primeBytes: 1 << 20 });
    try {
      const err = await consume(qs, { passes: 1 }).then(() => null, (e: unknown) => e);
      expect((err as Error).message).toBe(`${path}:2: no line end within 65536 bytes (expected one "name type" query per line; is this a query file?)`);
    } finally {
      await qs.stream!.close();
    }
    // The in-memory loader says the same, among the other bad lines it lists.
    expect(() => buildQuerySet(Buffer.from('a.example A\n' + 'x'.repeat(70_000) + '\nb.example AA\n'), 'mem', plain)).toThrow(
      'mem:2: no line end within 65536 bytes (expected one "name type" query per line; is this a query file?)\n' +
        'mem:3: unknown query type "AA"\nmem: 2 bad lines; fix or remove them',
    );
  });

  it('a line with no end later in the stream ends the reading there, with a note', async () => {
    const head = Array.from({ length: 200 }, (_, i) => `h${i}.example A`).join('\n');
    const path = file(head + '\n' + 'y'.repeat(100_000));
    const qs = await loadQuerySet(path, plain, undefined, null, tiny);
    try {
      const { got } = await consume(qs, { passes: 5 });
      expect(got[0]).toHaveLength(200);
      expect(qs.stream!.notes()).toContain(
        `Reading ${path} stopped early, so the run ended there: ${path}:201: no line end within 65536 bytes (expected one "name type" query per line; is this a query file?).`,
      );
    } finally {
      await qs.stream!.close();
    }
  });

  it('/dev/zero and an endless pipe with no line end are refused within seconds, not read forever', async () => {
    for (const input of ['/dev/zero', '-'] as const) {
      const endless = new PassThrough();
      const chunk = Buffer.alloc(64 << 10, 0x61);
      const pump = setInterval(() => endless.write(chunk), 1);
      const started = performance.now();
      try {
        const err = await loadQuerySet(input, plain, endless).then(() => null, (e: unknown) => e);
        expect(err).toBeInstanceOf(InputError);
        const name = input === '-' ? '<stdin>' : input;
        expect((err as Error).message).toBe(`${name}:1: no line end within 65536 bytes (expected one "name type" query per line; is this a query file?)`);
        // Bounded by the 0.2 s wait for a pipe to end (or 64 MiB read), plus a loaded machine.
        expect(performance.now() - started).toBeLessThan(10_000);
      } finally {
        clearInterval(pump);
        endless.destroy();
      }
    }
  });
});

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}
