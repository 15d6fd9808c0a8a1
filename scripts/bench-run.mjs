#!/usr/bin/env node
// `npm run bench` (scripts/bench.sh builds first, then runs this): benchmark the benchmarker.
// knotd (one UDP worker, the fastest server here) on a free port of 127.0.0.1; Debian's dnsperf and
// dnsbench alternate round by round with the same flags, so drift in the machine hits every tool
// alike. Sections:
//   full speed  dnsperf -c 2 -T 2 and -c 1 -T 1 (its best on 2 cores), dnsbench native and dgram,
//               at -q 200: qps, CPU µs per query (the whole process, user + sys), min latency,
//               and dnsbench's p50 from its JSON.
//   fixed rate  -Q 1000 / 10000 / 30000 for each tool, and scripts/wake-floor.c (one timerfd
//               wake-up and one sendto per query, the floor): CPU µs per query (excluding startup: a
//               one-query run's CPU is subtracted), dnsbench's send lag p50/p99, raw and corrected
//               p50 (they must agree when the window never fills), and dnsperf's p50 from its -v
//               lines in a separate run (printing costs it CPU, not latency).
//   startup     process start to first query, and its CPU, for the default -T and for -T 100 -c 100
//               (with peak memory).
// Everything goes to 127.0.0.1 only. Env: BENCH_SECONDS (5), BENCH_ROUNDS (3), BENCH_RATES
// (1000,10000,30000), BENCH_SECTIONS (full,rate,burst,startup). Exit 0 when every run worked.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const SECS = intEnv('BENCH_SECONDS', 5, 1, 600);
const ROUNDS = intEnv('BENCH_ROUNDS', 3, 1, 50);
const RATES = (process.env.BENCH_RATES ?? '1000,10000,30000').split(',').map(Number).filter((n) => n > 0 && n <= 1e6);
/** Fixed-rate runs are longer: their steady state is what is compared. */
const RATE_SECS = Math.max(SECS, 8);
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? 'full,rate,burst,startup').split(','));

function intEnv(name, def, lo, hi) {
  const v = process.env[name];
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) {
    console.error(`${name} must be a whole number from ${lo} to ${hi}, got '${v}'`);
    process.exit(2);
  }
  return n;
}

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '-');

/**
 * Run a command under bash so `times` reports exactly its CPU (children's user + sys), with a
 * bound on its wall time; returns stdout+stderr, exit code, CPU seconds, wall seconds and the
 * peak RSS (KB) from /usr/bin/time when available.
 */
function runMeasured(cmd, args, { timeoutSec }) {
  const quoted = [cmd, ...args].map((a) => `'${String(a).replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `t0=$(date +%s%N); timeout -k 5 ${timeoutSec} ${quoted} > "$OUT" 2>&1; rc=$?; t1=$(date +%s%N); echo "$rc $(( (t1 - t0) / 1000000 ))" > "$OUT.rc"; times > "$OUT.times"`;
  const out = join(work, `run-${++runs}.out`);
  spawnSync('bash', ['-c', script], { env: { ...process.env, OUT: out }, stdio: 'ignore' });
  const [rc, wallMs] = readFileSync(`${out}.rc`, 'utf8').trim().split(' ').map(Number);
  const times = readFileSync(`${out}.times`, 'utf8').trim().split('\n')[1] ?? '0m0s 0m0s';
  const sec = (t) => {
    const m = /(\d+)m([\d.]+)s/.exec(t);
    return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
  };
  const [u, s] = times.split(/\s+/);
  return { text: readFileSync(out, 'utf8'), rc, cpu: sec(u) + sec(s), wall: wallMs / 1000, file: out };
}

function parseStats(text) {
  const num = (re) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : NaN;
  };
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    sent: num(/Queries sent:\s+(\d+)/),
    minMs: num(/Average Latency \(s\):\s+[\d.]+ \(min ([\d.]+)/) * 1000,
  };
}

// ---------------------------------------------------------------------------------------------
// knotd

const work = mkdtempSync(join(tmpdir(), 'dnsbench-bench-'));
let runs = 0;
let knot = null;
process.on('exit', () => {
  if (knot !== null && knot.exitCode === null) knot.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(s === 'SIGINT' ? 130 : 143));

function freePort() {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/bench.mjs'), 'free-port'], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

const port = freePort();
copyFileSync(join(ROOT, 'test/fixtures/db.test'), join(work, 'db.test'));
writeFileSync(
  join(work, 'knot.conf'),
  `server:\n  rundir: "${work}"\n  listen: ${HOST}@${port}\n  background-workers: 1\n  udp-workers: 1\n  tcp-workers: 1\n` +
    `database:\n  storage: "${work}"\nzone:\n  - domain: test.com\n    file: "${work}/db.test"\n    storage: "${work}"\n    zonefile-load: whole\n    journal-content: none\n` +
    `log:\n  - target: stderr\n    any: warning\n`,
);
knot = spawn('knotd', ['-c', join(work, 'knot.conf')], { stdio: 'ignore' });
if (spawnSync(process.execPath, [join(ROOT, 'scripts/bench.mjs'), 'wait', String(port), 'www.test.com', '15']).status !== 0) {
  console.error(`knotd did not answer on ${HOST}:${port} within 15 s`);
  process.exit(1);
}
const queries = join(work, 'queries.txt');
writeFileSync(queries, [...Array.from({ length: 1000 }, (_, i) => `h${i}.test.com A`), 'www.test.com A', ''].join('\n'));
const one = join(work, 'one.txt');
writeFileSync(one, 'www.test.com A\n');
const BIN = join(ROOT, 'dist/bin.js');
const knotCpu = () => {
  try {
    const f = readFileSync(`/proc/${knot.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
};
console.error(`knotd on ${HOST}:${port} (1 UDP worker); ${cpus().length} CPUs; ${SECS} s per run, ${ROUNDS} rounds, alternating`);

const dnsperf = (extra) => ['dnsperf', ['-s', HOST, '-p', String(port), ...extra]];
const dnsbench = (io, extra, json) => [process.execPath, [BIN, '-s', `${HOST}:${port}`, '--io', io, ...(json ? ['--json', json] : []), ...extra]];
let failures = 0;

// ---------------------------------------------------------------------------------------------
// full speed

const FULL = [
  { name: 'dnsperf -c2 -T2', tool: 'dnsperf', cmd: () => dnsperf(['-d', queries, '-l', String(SECS), '-c', '2', '-T', '2', '-q', '200']) },
  { name: 'dnsperf -c1 -T1', tool: 'dnsperf', cmd: () => dnsperf(['-d', queries, '-l', String(SECS), '-c', '1', '-T', '1', '-q', '200']) },
  { name: 'dnsbench native', tool: 'dnsbench', cmd: (j) => dnsbench('native', ['-d', queries, '-l', String(SECS), '-c', '2', '-T', '2', '-q', '200'], j) },
  { name: 'dnsbench dgram', tool: 'dnsbench', cmd: (j) => dnsbench('dgram', ['-d', queries, '-l', String(SECS), '-c', '2', '-T', '2', '-q', '200'], j) },
];

function section(title) {
  console.log(`\n## ${title}\n`);
}

function table(cols, rows) {
  const w = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ');
  console.log(line(cols));
  console.log(w.map((x) => '-'.repeat(x)).join('  '));
  for (const r of rows) console.log(line(r));
}

const results = new Map();
if (SECTIONS.has('full')) {
  section(`Full speed (-l ${SECS} -q 200), ${ROUNDS} rounds`);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const cfg of FULL) {
      const json = cfg.tool === 'dnsbench' ? join(work, `full-${round}-${cfg.name.replace(/\W/g, '')}.json`) : null;
      const [cmd, args] = cfg.cmd(json);
      const k0 = knotCpu();
      const r = runMeasured(cmd, args, { timeoutSec: SECS + 60 });
      const knotSec = knotCpu() - k0;
      const st = parseStats(r.text);
      let p50 = NaN;
      if (json) {
        try {
          p50 = JSON.parse(readFileSync(json, 'utf8')).targets[0].latency.percentiles.p50 / 1000;
        } catch {
          // the run failed: shown as '-'
        }
      }
      const ok = r.rc === 0 && Number.isFinite(st.qps);
      if (!ok) failures++;
      const row = { ...st, cpu: r.cpu, wall: r.wall, p50, knotSec, ok };
      (results.get(cfg.name) ?? results.set(cfg.name, []).get(cfg.name)).push(row);
      console.error(`  round ${round} ${cfg.name.padEnd(16)} ${fmt(st.qps).padStart(9)} qps  ${(r.cpu / st.completed * 1e6).toFixed(2).padStart(6)} CPU µs/q  min ${st.minMs.toFixed(3)} ms  knotd ${knotSec.toFixed(2)} CPU s${ok ? '' : `  FAILED (exit ${r.rc})`}`);
    }
  }
  const rows = FULL.map((cfg) => {
    const rs = (results.get(cfg.name) ?? []).filter((x) => x.ok);
    return [cfg.name, fmt(median(rs.map((x) => x.qps))), fmt(median(rs.map((x) => (x.cpu / x.completed) * 1e6)), 2), fmt(median(rs.map((x) => x.minMs * 1000))), fmt(median(rs.map((x) => x.p50 * 1000))), fmt(median(rs.map((x) => (x.knotSec / x.completed) * 1e6)), 2), String(rs.length)];
  });
  table(['median of rounds', 'qps', 'CPU µs/query', 'min latency µs', 'p50 µs', 'knotd CPU µs/query', 'ok runs'], rows);
  const q = (n) => median((results.get(n) ?? []).filter((x) => x.ok).map((x) => x.qps));
  const c = (n) => median((results.get(n) ?? []).filter((x) => x.ok).map((x) => (x.cpu / x.completed) * 1e6));
  const mn = (n) => median((results.get(n) ?? []).filter((x) => x.ok).map((x) => x.minMs));
  const best = Math.max(q('dnsperf -c2 -T2'), q('dnsperf -c1 -T1'));
  console.log('');
  const ratio = (label, v, target, higher = true) =>
    console.log(`${label.padEnd(58)} ${Number.isFinite(v) ? v.toFixed(2) : '-'}  (target ${higher ? '>=' : '<='} ${target}: ${Number.isFinite(v) && (higher ? v >= target : v <= target) ? 'met' : 'NOT met'})`);
  ratio('native qps / dnsperf qps, same knobs (-c 2 -T 2)', q('dnsbench native') / q('dnsperf -c2 -T2'), 1.5);
  ratio("native qps / dnsperf's best (-c1 -T1 or -c2 -T2)", q('dnsbench native') / best, 1.2);
  ratio('native CPU per query / dnsperf (-c 2 -T 2)', c('dnsbench native') / c('dnsperf -c2 -T2'), 0.6, false);
  ratio('native min latency / dnsperf min latency', mn('dnsbench native') / mn('dnsperf -c2 -T2'), 2, false);
  ratio('dgram qps / dnsperf qps, same knobs', q('dnsbench dgram') / q('dnsperf -c2 -T2'), 0.85);
}

// ---------------------------------------------------------------------------------------------
// fixed rate

if (SECTIONS.has('rate')) {
  section(`Fixed rate (-l ${RATE_SECS}, -c 2 -T 2 -q 200), CPU per query excluding startup`);
  // Startup CPU of each tool (a one-query run), subtracted from the fixed-rate runs.
  const base = {};
  for (const [name, [cmd, args]] of [
    ['dnsperf', dnsperf(['-d', one, '-n', '1', '-c', '2', '-T', '2'])],
    ['native', dnsbench('native', ['-d', one, '-n', '1', '-c', '2', '-T', '2'])],
    ['dgram', dnsbench('dgram', ['-d', one, '-n', '1', '-c', '2', '-T', '2'])],
  ]) {
    base[name] = median([1, 2, 3].map(() => runMeasured(cmd, args, { timeoutSec: 30 }).cpu));
  }
  // The floor (scripts/wake-floor.c): C that only wakes on a timerfd and sends, one query per
  // wake-up, over the same 2 threads. Skipped (shown as '-') where it does not compile.
  const floorBin = join(work, 'wake-floor');
  const floorOk = spawnSync('cc', ['-O2', '-pthread', '-o', floorBin, join(ROOT, 'scripts/wake-floor.c')], { stdio: 'ignore' }).status === 0;
  if (!floorOk) console.error('  wake-floor.c did not compile (no cc?): its column is left out');
  const rows = [];
  for (const rate of RATES) {
    const per = { dnsperf: [], native: [], dgram: [], floor: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      if (floorOk) {
        const r = runMeasured(floorBin, [HOST, String(port), String(rate), String(RATE_SECS), '2'], { timeoutSec: RATE_SECS + 30 });
        const n = Number(/sent (\d+)/.exec(r.text)?.[1] ?? NaN);
        per.floor.push({ cpuPerQ: (r.cpu / n) * 1e6, ok: r.rc === 0 && n > 0 });
      }
      for (const name of ['dnsperf', 'native', 'dgram']) {
        const json = name === 'dnsperf' ? null : join(work, `rate-${rate}-${round}-${name}.json`);
        const flags = ['-d', queries, '-l', String(RATE_SECS), '-c', '2', '-T', '2', '-q', '200', '-Q', String(rate)];
        const [cmd, args] = name === 'dnsperf' ? dnsperf(flags) : dnsbench(name, flags, json);
        const r = runMeasured(cmd, args, { timeoutSec: RATE_SECS + 60 });
        const st = parseStats(r.text);
        const row = { cpuPerQ: ((r.cpu - base[name]) / st.completed) * 1e6, ok: r.rc === 0 && st.completed > 0 };
        if (json && row.ok) {
          const rep = JSON.parse(readFileSync(json, 'utf8'));
          const t = rep.targets[0];
          // Steady state: the worker threads' own CPU (schedstat) over the intervals after the
          // first two (startup and V8's compiling the hot paths), per query sent in them.
          const gi = (rep.generator?.intervals ?? []).filter((iv) => iv.index >= 2);
          const qi = t.intervals.filter((iv, i) => i >= 2 && i < t.intervals.length - 1);
          const cpuMs = gi.slice(0, qi.length).reduce((a, iv) => a + iv.cpuMs.reduce((x, y) => x + y, 0), 0);
          const sentQ = qi.reduce((a, iv) => a + iv.counters.sent, 0);
          row.steady = sentQ > 0 ? (cpuMs * 1000) / sentQ : NaN;
          row.lag50 = t.pacing?.lag.percentiles.p50;
          row.lag99 = t.pacing?.lag.percentiles.p99;
          row.p50 = t.latency.percentiles.p50;
          row.c50 = t.correctedLatency?.percentiles.p50;
          row.skipped = t.pacing?.skipped ?? 0;
        }
        if (!row.ok) failures++;
        per[name].push(row);
      }
    }
    // dnsperf's p50 from its -v lines ("> NOERROR name A 0.000123"), one run.
    const v = runMeasured(...dnsperf(['-d', queries, '-l', String(Math.min(SECS, 3)), '-c', '2', '-T', '2', '-q', '200', '-Q', String(rate), '-v']), { timeoutSec: 60 });
    const lat = [...v.text.matchAll(/^> NOERROR \S+ \S+ ([\d.]+)$/gm)].map((m) => Number(m[1]) * 1e6);
    const dp50 = median(lat);
    const m = (name, k) => median(per[name].filter((x) => x.ok).map((x) => x[k]));
    rows.push([`${fmt(rate)} qps`, fmt(m('floor', 'cpuPerQ'), 2), fmt(m('dnsperf', 'cpuPerQ'), 2), fmt(m('native', 'cpuPerQ'), 2), fmt(m('native', 'steady'), 2), fmt(m('dgram', 'cpuPerQ'), 2), fmt(m('native', 'lag50')), fmt(m('native', 'lag99')), fmt(m('native', 'p50')), fmt(m('native', 'c50')), fmt(dp50), fmt(m('native', 'skipped'))]);
  }
  table(['rate', 'C floor µs/q', 'dnsperf CPU µs/q', 'native CPU µs/q', 'native steady µs/q', 'dgram CPU µs/q', 'native lag p50 µs', 'lag p99 µs', 'native p50 µs', 'corrected p50 µs', 'dnsperf p50 µs', 'skipped'], rows);
  console.log('\nCPU µs/q: the whole process minus a one-query run of the same tool (startup). Steady: dnsbench\'s worker threads\' own CPU over the intervals after the first two, per query sent in them. C floor: scripts/wake-floor.c, one timerfd wake-up and one sendto per query and nothing else (the least any tool that sends each query on time can spend).');
}

// ---------------------------------------------------------------------------------------------
// burst: 20 queries at once against an idle server (-n 1 -q 20), the latency each tool reports.
// It shows what a send time includes: dnsperf reads the clock before each sendto; dnsbench's
// native path before each sendmmsg (the first query alone, then at most 8 per call).

if (SECTIONS.has('burst')) {
  const burst = join(work, 'burst.txt');
  writeFileSync(burst, Array.from({ length: 20 }, (_, i) => `h${i}.test.com A\n`).join(''));
  const BURST_ROUNDS = Math.max(ROUNDS, 8);
  section(`Burst: 20 queries at once (-n 1 -q 20 -c 1 -T 1) against idle knotd, ${BURST_ROUNDS} rounds`);
  const tools = [
    { name: 'dnsperf', cmd: () => dnsperf(['-d', burst, '-n', '1', '-c', '1', '-T', '1', '-q', '20']) },
    { name: 'dnsbench native', cmd: (j) => dnsbench('native', ['-d', burst, '-n', '1', '-c', '1', '-T', '1', '-q', '20'], j) },
    { name: 'dnsbench dgram', cmd: (j) => dnsbench('dgram', ['-d', burst, '-n', '1', '-c', '1', '-T', '1', '-q', '20'], j) },
  ];
  const got = new Map(tools.map((t) => [t.name, { mean: [], min: [], max: [] }]));
  for (let round = 1; round <= BURST_ROUNDS; round++) {
    for (const t of tools) {
      const json = t.name === 'dnsperf' ? null : join(work, `burst-${round}.json`);
      const [cmd, args] = t.cmd(json);
      const r = runMeasured(cmd, args, { timeoutSec: 30 });
      const g = got.get(t.name);
      let m = null;
      if (json === null) {
        const x = /Average Latency \(s\):\s+([\d.]+) \(min ([\d.]+), max ([\d.]+)\)/.exec(r.text);
        if (x) m = { mean: Number(x[1]) * 1e6, min: Number(x[2]) * 1e6, max: Number(x[3]) * 1e6 };
      } else {
        try {
          const lat = JSON.parse(readFileSync(json, 'utf8')).targets[0].latency;
          m = { mean: lat.mean, min: lat.min, max: lat.max };
        } catch {
          m = null;
        }
      }
      if (r.rc !== 0 || m === null) {
        failures++;
        console.log(`  round ${round} ${t.name}: failed (exit ${r.rc})`);
        continue;
      }
      for (const k of ['mean', 'min', 'max']) g[k].push(m[k]);
      console.log(`  round ${round} ${t.name.padEnd(16)} mean ${fmt(m.mean).padStart(6)} µs  min ${fmt(m.min).padStart(6)} µs  max ${fmt(m.max).padStart(6)} µs`);
    }
  }
  table(
    ['median of rounds', 'mean latency µs', 'min latency µs', 'max latency µs'],
    tools.map((t) => {
      const g = got.get(t.name);
      return [t.name, fmt(median(g.mean)), fmt(median(g.min)), fmt(median(g.max))];
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// startup

if (SECTIONS.has('startup')) {
  section('Startup: process start to first query (median of 5), CPU and peak memory');
  const rows = [];
  for (const [name, extra] of [['default -T', []], ['-T 100 -c 100', ['-T', '100', '-c', '100']]]) {
    const first = [];
    const cpu = [];
    const rss = [];
    for (let i = 0; i < 5; i++) {
      const json = join(work, `startup-${i}.json`);
      const t0 = Date.now();
      const r = runMeasured(process.execPath, [BIN, '-s', `${HOST}:${port}`, '-d', one, '-n', '1', '--json', json, ...extra], { timeoutSec: 60 });
      try {
        const rep = JSON.parse(readFileSync(json, 'utf8'));
        first.push(rep.targets[0].timing.startedAtMs - t0);
      } catch {
        failures++;
      }
      cpu.push(r.cpu);
      // Peak memory in a separate run, sampled from /proc (the sampler's own CPU stays out of the figure above).
      const m = spawnSync('bash', ['-c', `node ${BIN} -s ${HOST}:${port} -d ${one} -n 1 ${extra.join(' ')} >/dev/null 2>&1 & pid=$!; peak=0; while kill -0 $pid 2>/dev/null; do r=$(awk '/VmHWM/{print $2}' /proc/$pid/status 2>/dev/null); [ -n "$r" ] && [ "$r" -gt "$peak" ] && peak=$r; sleep 0.02; done; echo $peak`], { encoding: 'utf8' });
      rss.push(Number(m.stdout.trim()) / 1024);
    }
    rows.push([name, fmt(median(first)), fmt(median(cpu), 2), fmt(median(rss))]);
  }
  table(['run', 'start to first query ms', 'CPU s (whole process)', 'peak RSS MB'], rows);
}

// Stop knotd by its pid (its handle would keep this process alive), then exit with the verdict.
knot.kill('SIGTERM');
await new Promise((resolve) => {
  const t = setTimeout(() => {
    knot.kill('SIGKILL');
    resolve();
  }, 5000);
  knot.once('exit', () => {
    clearTimeout(t);
    resolve();
  });
});
process.exit(failures === 0 ? 0 : 1);
