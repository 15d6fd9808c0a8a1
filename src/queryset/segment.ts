// `--segment I/N`: this generator sends segment I of N of the query file, so N generators on N
// hosts together send the whole file exactly once per pass. Query i of the file (counting from 0
// over queries, not lines) belongs to segment (i mod N) + 1: round-robin rather than contiguous
// blocks, so every segment sees the same mix of names and types as the whole file, and the
// segments differ in size by at most one query.
import { UsageError } from '../errors.js';

/** Segment `index` (1-based) of `count`. */
export interface Segment {
  readonly index: number;
  readonly count: number;
}

/**
 * Most segments a run may be split into. A generator is a host or a pod; a thousand of them is
 * beyond any test bed, and the bound keeps `merge` (which reads that many reports from a
 * stream at most) and its messages small.
 */
export const MAX_SEGMENTS = 1000;

/**
 * Parses `I/N` (whole numbers, 1 <= I <= N <= MAX_SEGMENTS).
 * @throws UsageError naming the flag, what it accepts and the value given.
 */
export function parseSegment(value: string, flag = '--segment'): Segment {
  const m = /^\s*(\d{1,9})\s*\/\s*(\d{1,9})\s*$/.exec(value);
  if (!m) {
    throw new UsageError(`${flag}: expected I/N, this generator's segment I of N (e.g. 2/4), got "${value}"`);
  }
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SEGMENTS) {
    throw new UsageError(`${flag} ${value}: N (the number of segments) must be from 1 to ${MAX_SEGMENTS}, got ${count}`);
  }
  if (index < 1 || index > count) {
    throw new UsageError(`${flag} ${value}: I must be from 1 to ${count} (segments are numbered from 1), got ${index}`);
  }
  return { index, count };
}

/** True when query `i` of the file (0-based, over queries) belongs to `segment`. */
export function inSegment(i: number, segment: Segment): boolean {
  return i % segment.count === segment.index - 1;
}

/** How many of `fileQueries` queries segment `s` holds: ceil for the first (fileQueries mod N) segments. */
export function segmentSize(fileQueries: number, s: Segment): number {
  return Math.floor(fileQueries / s.count) + (s.index - 1 < fileQueries % s.count ? 1 : 0);
}

/** "2/4", as flags and messages write a segment. */
export const formatSegment = (s: Segment): string => `${s.index}/${s.count}`;
