#!/usr/bin/env node
// Measures what the native UDP addon can do on its own (issue 9), before it is plugged into the
// engine: a minimal closed-loop driver (a window of W queries per socket, refilled inside each
// onReadable) against knotd, alternating with dnsperf on the same server. Not part of CI.
//
//   node scripts/native-probe.mjs [--seconds 5] [--rounds 3] [--strace] [--send-caps 256,32]
//       starts knotd (1 UDP worker) on a free port of 127.0.0.1 and alternates, per round:
//       dnsperf -c 2 -T 2 -q 200, dnsperf -c 1 -T 1 -q 200, probe (2 sockets x 100, one thread).
//       Prints per-run qps, CPU (user+sys of the whole process, from bash `times`) and CPU µs per
//       completed query, then medians. --strace adds one run of each under `strace -c -f` for
//       syscalls per query. --send-caps runs the probe once per sendmmsg cap listed (default 256).
//   node scripts/native-probe.mjs drive PORT SECONDS SOCKETS WINDOW QUERYFILE [SENDCAP]
//       the driver alone; prints one JSON line.
//
// Every packet goes to 127.0.0.1. Each run is bounded (-l seconds, plus a 1 s drain, plus a kill
// after 60 s more).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';


// ------------------------------------------------------------------------------------- driver

/** Wire-format queries (ID 0, RD set) for "name type" lines; A and AAAA only, enough for the probe. */
function encodeQueries(text) {
  const msgs = [];
  for (const line of text.split('\n')) {
    const [name, type] = line.trim().split(/\s+/);
    if (!name || name.startsWith(';')) continue;
    const qtype = { A: 1, AAAA: 28, NS: 2, MX: 15, TXT: 16, SOA: 6 }[(type ?? 'A').toUpperCase()] ?? 1;
    const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
    const q = [];
    for (const l of labels) q.push(l.length, ...Buffer.from(l, 'ascii'));
    q.push(0, qtype >> 8, qtype & 0xff, 0, 1);
    msgs.push(Buffer.from([0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...q]));
  }
  const total = msgs.reduce((a, m) => a + m.length, 0);
  const wire = new Uint8Array(new SharedArrayBuffer(total));
  const offsets = new Uint32Array(new SharedArrayBuffer((msgs.length + 1) * 4));
  let at = 0;
  msgs.forEach((m, i) => {
    offsets[i] = at;
    wire.set(m, at);
    at += m.length;
  });
  offsets[msgs.length] = at;
  return { wire, offsets, count: msgs.length };
}

async function drive([portText, secsText, socketsText, windowText, queryFile, sendCapText]) {
  const addon = createRequire(import.meta.url)(join(ROOT, 'build', 'Release', 'dnsbench_udp.node'));
  const port = Number(portText);
  const seconds = Number(secsText);
  const nSockets = Number(socketsText);
  const window = Number(windowText);
  const q = encodeQueries(readFileSync(queryFile, 'utf8'));
  const TIMEOUT_MS = 1000;
  const SLOTS = 256;
  const SLOT = 512;
  const STRIDE = addon.metaStride;
  let nextQuery = 0;
  let completed = 0;
  let lost = 0;
  let mismatched = 0;
  let sent = 0;
  let sending = true;
  const latencies = new Float64Array(8 << 20);
  let nLat = 0;

  const channels = [];
  for (let c = 0; c < nSockets; c++) {
    const sendCap = sendCapText ? Number(sendCapText) : null;
    const sock = addon.open({ family: 4, host: HOST, port, localAddress: null, localPort: null, bufferBytes: 4 << 20, connect: true, sendCap });
    sock.setQueries(q.wire, q.offsets);
    const ch = {
      sock,
      inflight: 0,
      state: new Uint8Array(65536),
      sentAt: new Float64Array(65536),
      query: new Int32Array(65536),
      free: Uint16Array.from({ length: 65536 }, (_, i) => 65535 - i),
      nFree: 65536,
      // oldest-first timeout sweep (dnsperf's): FIFO of (id, sequence) in send order
      fifoId: new Uint16Array(65536),
      fifoSeq: new Uint32Array(65536),
      seq: new Uint32Array(65536),
      head: 0,
      tail: 0,
      ids: new Uint16Array(window),
      qi: new Int32Array(window),
      at: new Float64Array(window),
      ring: new Uint8Array(SLOTS * SLOT),
      meta: new Float64Array(SLOTS * STRIDE),
    };
    channels.push(ch);
  }

  const release = (ch, id) => {
    ch.state[id] = 0;
    ch.free[ch.nFree++] = id;
    ch.inflight--;
  };

  const refill = (ch) => {
    if (!sending) return;
    const k = window - ch.inflight;
    if (k <= 0) return;
    for (let i = 0; i < k; i++) {
      ch.ids[i] = ch.free[ch.nFree - 1 - i];
      ch.qi[i] = nextQuery;
      nextQuery = nextQuery + 1 === q.count ? 0 : nextQuery + 1;
    }
    const done = ch.sock.sendBatch(ch.ids, ch.qi, k, ch.at);
    for (let i = 0; i < done; i++) {
      const id = ch.ids[i];
      ch.nFree--;
      if (ch.at[i] < 0) {
        ch.free[ch.nFree++] = id;
        continue;
      }
      ch.state[id] = 1;
      ch.sentAt[id] = ch.at[i];
      ch.query[id] = ch.qi[i];
      const s = ++ch.seq[id];
      ch.fifoId[ch.tail] = id;
      ch.fifoSeq[ch.tail] = s;
      ch.tail = (ch.tail + 1) & 0xffff;
      ch.inflight++;
      sent++;
    }
    // Queries not taken (EAGAIN) go back to the rotation so none is skipped.
    if (done < k) nextQuery = (nextQuery - (k - done) + q.count * 2) % q.count;
  };

  const { wire, offsets } = q;
  for (const ch of channels) {
    ch.sock.start({
      ring: ch.ring,
      slotSize: SLOT,
      slots: SLOTS,
      meta: ch.meta,
      onReadable(n) {
        const ring = ch.ring;
        const meta = ch.meta;
        for (let i = 0; i < n; i++) {
          const b = i * SLOT;
          const len = meta[i * STRIDE];
          const id = (ring[b] << 8) | ring[b + 1];
          if (len < 12 || (ring[b + 2] & 0x80) === 0 || ch.state[id] !== 1) {
            mismatched++;
            continue;
          }
          // The question must be the one asked (RFC 5452 9.1), compared where it lies.
          const qs = offsets[ch.query[id]] + 12;
          const qe = offsets[ch.query[id] + 1];
          let same = len >= 12 + (qe - qs);
          for (let j = qs, k = b + 12; same && j < qe; j++, k++) same = wire[j] === ring[k];
          if (!same) {
            mismatched++;
            continue;
          }
          if (nLat < latencies.length) latencies[nLat++] = meta[i * STRIDE + 1] - ch.sentAt[id];
          completed++;
          release(ch, id);
        }
        refill(ch);
      },
      onWritable() {
        refill(ch);
      },
      onError() {},
    });
  }

  const sweep = () => {
    const now = addon.monotonicMs();
    for (const ch of channels) {
      while (ch.head !== ch.tail) {
        const id = ch.fifoId[ch.head];
        if (ch.state[id] === 1 && ch.seq[id] === ch.fifoSeq[ch.head]) {
          if (now - ch.sentAt[id] < TIMEOUT_MS) break;
          release(ch, id);
          lost++;
        }
        ch.head = (ch.head + 1) & 0xffff;
      }
      refill(ch);
    }
  };
  const sweeper = setInterval(sweep, 100);

  const cpu0 = process.cpuUsage();
  const t0 = addon.monotonicMs();
  for (const ch of channels) refill(ch);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  sending = false;
  const tSendEnd = addon.monotonicMs();
  const drainEnd = tSendEnd + 1000;
  while (channels.some((ch) => ch.inflight > 0) && addon.monotonicMs() < drainEnd) await new Promise((r) => setTimeout(r, 5));
  const t1 = addon.monotonicMs();
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sweeper);
  let unanswered = 0;
  for (const ch of channels) unanswered += ch.inflight;
  const stats = channels.map((ch) => ch.sock.stats());
  for (const ch of channels) ch.sock.close();
  const lat = latencies.subarray(0, nLat).sort();
  const pct = (p) => (nLat ? lat[Math.min(nLat - 1, Math.floor(p * nLat))] : NaN);
  const sum = (k) => stats.reduce((a, s) => a + s[k], 0);
  const runTime = (t1 - t0) / 1000;
  process.stdout.write(
    JSON.stringify({
      sent,
      completed,
      lost: lost + unanswered,
      timedOut: lost,
      unanswered,
      mismatched,
      runTime,
      qps: completed / runTime,
      cpuUsPerQuery: (cpu.user + cpu.system) / completed,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      latencyMs: { min: lat[0], p50: pct(0.5), p99: pct(0.99) },
      sendCalls: sum('sendCalls'),
      recvCalls: sum('recvCalls'),
      wakeups: sum('wakeups'),
      addonSyscallsPerQuery: (sum('sendCalls') + sum('recvCalls')) / completed,
      timestamps: channels[0].sock.timestamps,
    }) + '\n',
  );
}

// ------------------------------------------------------------------------------------- rounds

function arg(argv, name, dflt) {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
}

const median = (xs) => {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs argv under bash and returns its stdout and the CPU seconds of the whole process tree. */
function timed(argv, outFile, limitSeconds) {
  const script = 'timeout -k 5 "$LIMIT" "$@" >"$OUT" 2>&1; rc=$?; times; exit $rc';
  const r = spawnSync('bash', ['-c', script, 'probe', ...argv], {
    encoding: 'utf8',
    env: { ...process.env, OUT: outFile, LIMIT: String(limitSeconds) },
  });
  // `times`: line 1 the shell's own user/sys, line 2 its children's ("0m1.234s 0m0.567s").
  const line = r.stdout.trim().split('\n')[1] ?? '';
  const secs = (t) => {
    const m = /(\d+)m([\d.]+)s/.exec(t ?? '');
    return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  };
  const [u, s] = line.split(/\s+/);
  return { status: r.status, cpu: secs(u) + secs(s), out: readFileSync(outFile, 'utf8') };
}

/** CPU seconds (user + sys) a process has used so far, from /proc/PID/stat. */
function processCpu(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

function parseDnsperf(out) {
  const num = (re) => Number(re.exec(out)?.[1]);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    minMs: num(/\(min ([\d.]+),/) * 1000,
    avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
  };
}

/** Total syscalls of the traced process tree (`strace -c -f` summary "total" line). */
function straceTotal(file) {
  const line = readFileSync(file, 'utf8').split('\n').find((l) => /\btotal\s*$/.test(l));
  const cols = line?.trim().split(/\s+/) ?? [];
  // "100.00 secs usecs/call calls [errors] total"
  return Number(cols[3]);
}

async function main(argv) {
  const seconds = arg(argv, '--seconds', 5);
  const rounds = arg(argv, '--rounds', 3);
  const withStrace = argv.includes('--strace');
  const capsAt = argv.indexOf('--send-caps');
  const caps = capsAt >= 0 ? argv[capsAt + 1].split(',').map(Number) : [256];
  const work = mkdtempSync(join(tmpdir(), 'dnsbench-probe-'));
  let knot = null;
  /** Stops knotd by its pid (SIGTERM, SIGKILL after 5 s) and waits for it before removing its files. */
  const cleanup = async () => {
    if (knot && knot.exitCode === null && knot.signalCode === null) {
      const exited = new Promise((r) => knot.once('exit', r));
      knot.kill('SIGTERM');
      const timer = setTimeout(() => knot.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(work, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup().finally(() => process.exit(130));
  });
  try {
    const port = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bench.mjs'), 'free-port'], { encoding: 'utf8' }).stdout.trim();
    cpSync(join(ROOT, 'test', 'fixtures', 'db.test'), join(work, 'db.test'));
    writeFileSync(
      join(work, 'knot.conf'),
      `server:\n  rundir: "${work}"\n  listen: ${HOST}@${port}\n  background-workers: 1\n  udp-workers: 1\n  tcp-workers: 1\n` +
        `database:\n  storage: "${work}"\nzone:\n  - domain: test.com\n    file: "${work}/db.test"\n    storage: "${work}"\n` +
        `    zonefile-load: whole\n    journal-content: none\nlog:\n  - target: stderr\n    any: warning\n`,
    );
    const knotd = ['/usr/sbin/knotd', 'knotd'].find((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status === 0) ?? 'knotd';
    knot = spawn(knotd, ['-c', join(work, 'knot.conf')], { stdio: 'ignore' });
    const ready = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bench.mjs'), 'wait', port, 'www.test.com', '15'], { encoding: 'utf8' });
    if (ready.status !== 0) throw new Error(`knotd did not answer on ${HOST}:${port}`);
    const queries = join(work, 'queries.txt');
    writeFileSync(queries, Array.from({ length: 1000 }, (_, i) => `h${i}.test.com A`).join('\n') + '\nwww.test.com A\n');

    const tools = {
      'dnsperf -c2 -T2': ['dnsperf', '-s', HOST, '-p', port, '-d', queries, '-l', String(seconds), '-c', '2', '-T', '2', '-q', '200'],
      'dnsperf -c1 -T1': ['dnsperf', '-s', HOST, '-p', port, '-d', queries, '-l', String(seconds), '-c', '1', '-T', '1', '-q', '200'],
    };
    for (const cap of caps) tools[`probe 2x100 cap${cap}`] = [process.execPath, fileURLToPath(import.meta.url), 'drive', port, String(seconds), '2', '100', queries, String(cap)];
    const results = Object.fromEntries(Object.keys(tools).map((k) => [k, []]));
    process.stderr.write(`knotd on ${HOST}:${port} (1 UDP worker); ${seconds} s per run, ${rounds} rounds, alternating\n`);
    for (let round = 1; round <= rounds; round++) {
      for (const [name, argv_] of Object.entries(tools)) {
        const knot0 = processCpu(knot.pid);
        const t = timed(argv_, join(work, 'out.txt'), seconds + 60);
        const knotCpu = processCpu(knot.pid) - knot0;
        let r;
        if (name.startsWith('probe')) {
          const j = JSON.parse(t.out.trim().split('\n').at(-1));
          r = { qps: j.qps, completed: j.completed, lost: j.lost, minMs: j.latencyMs.min, p50Ms: j.latencyMs.p50, inRunCpuUs: j.cpuUsPerQuery, sysPerQ: j.addonSyscallsPerQuery };
        } else {
          r = parseDnsperf(t.out);
        }
        r.cpu = t.cpu;
        r.knotCpu = knotCpu;
        r.cpuUsPerQuery = (t.cpu * 1e6) / r.completed;
        results[name].push(r);
        process.stderr.write(
          `round ${round} ${name.padEnd(18)} ${r.qps.toFixed(0).padStart(7)} qps  ${t.cpu.toFixed(2)} CPU s  ${r.cpuUsPerQuery.toFixed(2)} µs/q  knotd ${knotCpu.toFixed(2)} CPU s  lost ${r.lost}  min ${r.minMs.toFixed(3)} ms` +
            (r.p50Ms !== undefined ? `  p50 ${r.p50Ms.toFixed(3)} ms  in-run ${r.inRunCpuUs.toFixed(2)} µs/q  addon syscalls/q ${r.sysPerQ.toFixed(3)}` : '') +
            '\n',
        );
      }
    }
    const base = median(results['dnsperf -c2 -T2'].map((r) => r.qps));
    const best = Math.max(base, median(results['dnsperf -c1 -T1'].map((r) => r.qps)));
    const baseCpu = median(results['dnsperf -c2 -T2'].map((r) => r.cpuUsPerQuery));
    process.stdout.write(`\nmedians over ${rounds} rounds (${seconds} s each; shared machine, expect noise):\n`);
    for (const [name, rs] of Object.entries(results)) {
      const qps = median(rs.map((r) => r.qps));
      const cpu = median(rs.map((r) => r.cpuUsPerQuery));
      process.stdout.write(
        `  ${name.padEnd(18)} ${qps.toFixed(0).padStart(7)} qps (${(qps / base).toFixed(2)}x dnsperf -c2 -T2, ${(qps / best).toFixed(2)}x its best)  ` +
          `${cpu.toFixed(2)} CPU µs/query (${(cpu / baseCpu).toFixed(2)}x)  min ${median(rs.map((r) => r.minMs)).toFixed(3)} ms  knotd ${median(rs.map((r) => r.knotCpu)).toFixed(2)} CPU s\n`,
      );
    }
    if (withStrace) {
      process.stdout.write('\nsyscalls per completed query (strace -c -f, one run each; strace slows both):\n');
      for (const [name, argv_] of Object.entries(tools)) {
        const trace = join(work, 'strace.txt');
        const t = timed(['strace', '-c', '-f', '-o', trace, ...argv_], join(work, 'out.txt'), seconds + 60);
        const completed = name.startsWith('probe') ? JSON.parse(t.out.trim().split('\n').at(-1)).completed : parseDnsperf(t.out).completed;
        const calls = straceTotal(trace);
        process.stdout.write(`  ${name.padEnd(16)} ${(calls / completed).toFixed(3)} (${calls} calls, ${completed} queries)\n`);
      }
    }
  } finally {
    await cleanup();
  }
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'drive') await drive(rest);
else await main(process.argv.slice(2));
