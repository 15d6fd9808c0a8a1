#!/usr/bin/env node
// `npm run bench:validate` (and the last step of `npm run bench`): what the walk every answer
// goes through before it may count (src/engine/wire.ts walkMessage) costs, in nanoseconds per
// answer, for answers shaped like real servers' (docs/performance.md "Validation cost"). Also
// the question comparison every answer always had, for scale. Reads the built dist/.
//
// Env: BENCH_VALIDATE_MS (default 400) measuring time per shape and round, 3 rounds, median kept.
import { performance } from 'node:perf_hooks';
import { newRecordScan, walkMessage } from '../dist/engine/wire.js';
import { sameQuestion } from '../dist/engine/channel.js';

const MS = Number(process.env.BENCH_VALIDATE_MS ?? 400);

const u16 = (n) => Buffer.from([(n >>> 8) & 0xff, n & 0xff]);
const u32 = (n) => Buffer.from([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const name = (s) => Buffer.concat([...s.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
const ptr = (o) => Buffer.from([0xc0 | (o >> 8), o & 0xff]);
const rr = (owner, type, rdata, cls = 1) => Buffer.concat([owner, u16(type), u16(cls), u32(300), u16(rdata.length), rdata]);
const opt = (options = Buffer.alloc(0)) => rr(Buffer.from([0]), 41, options, 1232);
function msg(qname, { an = [], ns = [], ar = [], rcode = 0 }) {
  const q = Buffer.concat([name(qname), u16(1), u16(1)]);
  return Buffer.concat([u16(0x1234), u16(0x8400 | rcode), u16(1), u16(an.length), u16(ns.length), u16(ar.length), q, ...an, ...ns, ...ar]);
}

// Offsets: the question name starts at 12; "test.com" inside "www.test.com" at 16.
const A = (o, a) => rr(ptr(o), 1, Buffer.from(a));
const shapes = {
  // What knotd and NSD send for www.test.com A: answer, two NS, their glue, and an OPT (145 bytes).
  'A + 2 NS + glue + OPT (knotd, NSD)': msg('www.test.com', {
    an: [A(12, [2, 2, 2, 2])],
    ns: [rr(ptr(16), 2, Buffer.concat([Buffer.from([7]), Buffer.from('spdns01'), ptr(16)])), rr(ptr(16), 2, Buffer.concat([Buffer.from([7]), Buffer.from('spdns02'), ptr(16)]))],
    ar: [A(58, [127, 28, 0, 54]), A(80, [127, 28, 0, 55]), opt()],
  }),
  'minimal A + OPT': msg('www.test.com', { an: [A(12, [192, 0, 2, 1])], ar: [opt()] }),
  'NXDOMAIN + SOA + OPT': msg('nonexistent.test.com', {
    rcode: 3,
    ns: [rr(ptr(24), 6, Buffer.concat([Buffer.from([7]), Buffer.from('spdns01'), ptr(24), Buffer.from([4]), Buffer.from('root'), ptr(24), Buffer.alloc(20)]))],
    ar: [opt()],
  }),
  '20 A records': msg('rr.test.com', { an: Array.from({ length: 20 }, (_, i) => A(12, [198, 51, 100, i])) }),
  'A + OPT with NSID and cookie': msg('www.test.com', {
    an: [A(12, [192, 0, 2, 1])],
    ar: [opt(Buffer.concat([u16(3), u16(8), Buffer.from('ns1-fuzz'), u16(10), u16(24), Buffer.alloc(24, 7)]))],
  }),
};

const scan = newRecordScan();
for (const [what, m] of Object.entries(shapes)) if (!walkMessage(m, 0, m.length, scan)) throw new Error(`shape "${what}" does not walk: fix the script`);

/**
 * CPU ns per call of fn over about `ms` milliseconds (batches of 1000, so the clock is read
 * rarely). CPU time, not wall time: on a machine shared with other work, wall time counts the
 * time this process waited for a core.
 */
function nsPer(fn) {
  let n = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (performance.now() - t0 < MS) {
    for (let i = 0; i < 1000; i++) fn();
    n += 1000;
  }
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`Validation cost (node ${process.version}, ${MS} ms per shape and round, median of 3 rounds)`);
console.log('shape                              bytes  walk ns  question ns  read-every-byte ns');
for (const [what, m] of Object.entries(shapes)) {
  const q = m.subarray(12, 12 + m.indexOf(0, 12) - 12 + 5);
  const walk = [];
  const question = [];
  const bytes = [];
  let sink = 0;
  // For scale: one pass reading every byte of the message (the least any check of it could cost).
  const readAll = () => {
    let x = 0;
    for (let i = 0; i < m.length; i++) x += m[i];
    sink += x & 1;
  };
  for (let r = 0; r < 3; r++) {
    walk.push(nsPer(() => (sink += walkMessage(m, 0, m.length, scan) ? 1 : 0)));
    question.push(nsPer(() => (sink += sameQuestion(m, 12, q, 0, q.length) ? 1 : 0)));
    bytes.push(nsPer(readAll));
  }
  if (sink === 0) throw new Error('nothing walked');
  const col = (xs, w) => median(xs).toFixed(0).padStart(w);
  console.log(`${what.padEnd(34)} ${String(m.length).padStart(5)}  ${col(walk, 7)}  ${col(question, 11)}  ${col(bytes, 18)}`);
}
