import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { afterAll, expect, it } from 'vitest';
import { loadQuerySet } from '../src/queryset/load.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-queryset-large-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LINES = 2_000_000;
const TYPES = ['A', 'AAAA', 'mx', 'TXT', 'NS', 'TYPE65', 'SOA', 'ptr'] as const;
const TYPE_NUMBERS = [1, 28, 15, 16, 2, 65, 6, 12];
const nameOf = (i: number): string => `host${i}.zone${i % 997}.example`;

it('loads a 2,000,000-line file with consistent offsets and question lengths', async () => {
  // Every 1000th line is a comment and every 7th ends in CRLF, so the fast path meets both.
  const parts: string[] = [];
  let queries = 0;
  for (let i = 0; i < LINES; i++) {
    if (i % 1000 === 999) {
      parts.push(`; comment ${i}\n`);
      continue;
    }
    parts.push(`${nameOf(i)} ${TYPES[i % TYPES.length]}${i % 7 === 0 ? '\r\n' : '\n'}`);
    queries++;
  }
  const path = join(dir, 'two-million.txt');
  writeFileSync(path, parts.join(''));
  parts.length = 0;

  const opts = { recursionDesired: true, edns: { udpSize: 4096, dnssecOk: false, options: [] } };
  const started = performance.now();
  const qs = await loadQuerySet(path, opts);
  console.log(`loaded ${qs.count} queries (${qs.wire.byteLength} wire bytes) in ${(performance.now() - started).toFixed(0)} ms`);

  expect(qs.count).toBe(queries);
  const wire = new Uint8Array(qs.wire);
  const offsets = new Uint32Array(qs.offsets);
  const qlens = new Uint16Array(qs.questionLengths);
  expect(offsets).toHaveLength(queries + 1);
  expect(qlens).toHaveLength(queries);
  // The wire buffer is sized from an upper bound; the messages end at offsets[count].
  expect(offsets[0]).toBe(0);
  expect(offsets[queries]).toBeLessThanOrEqual(wire.length);

  // Each message is header + question + OPT RR (11 bytes), and the question ends in class IN.
  let bad = -1;
  let max = 0;
  for (let q = 0; q < queries && bad < 0; q++) {
    const start = offsets[q] ?? 0;
    const length = (offsets[q + 1] ?? 0) - start;
    const qlen = qlens[q] ?? 0;
    if (length !== 12 + qlen + 11 || wire[start + 12 + qlen - 1] !== 1 || wire[start + 12 + qlen] !== 0) bad = q;
    if (length > max) max = length;
  }
  expect(bad).toBe(-1);
  expect(qs.maxMessageLength).toBe(max);

  // Spot-check decoded messages across the file against the line they came from.
  for (const i of [0, 1, 7, 998, 1000, 1_234_567, LINES - 2]) {
    expect(i % 1000).not.toBe(999); // comment lines hold no query
    const q = i - Math.floor(i / 1000);
    const packet = dnsPacket.decode(Buffer.from(wire.subarray(offsets[q], offsets[q + 1])));
    const question = packet.questions?.[0];
    expect(question?.name).toBe(nameOf(i));
    expect(dnsPacket.decode.bytes).toBe((offsets[q + 1] ?? 0) - (offsets[q] ?? 0));
    const qtypeAt = (offsets[q] ?? 0) + 12 + (qlens[q] ?? 0) - 4;
    expect(((wire[qtypeAt] ?? 0) << 8) | (wire[qtypeAt + 1] ?? 0)).toBe(TYPE_NUMBERS[i % TYPES.length]);
  }
});
