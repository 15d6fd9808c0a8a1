#!/usr/bin/env node
// Helpers for scripts/bench.sh, dependency-free so they run before `npm ci`:
//   free-port                 print a 127.0.0.1 port free for both UDP and TCP
//   wait PORT NAME SECONDS    poll 127.0.0.1:PORT with an A query for NAME until NOERROR (exit 1 on timeout)
//   report RESULTS.tsv SECS   print the table, per-tool medians and the dnsbench/dnsperf qps ratio
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const HOST = '127.0.0.1'; // the only place the bench ever sends to
const TARGET_RATIO = 0.85;

const [cmd, ...args] = process.argv.slice(2);

// ---------------------------------------------------------------------------------------------
// free-port: same rule as test/support/ports.ts (below the ephemeral range, UDP and TCP both free).

function bindUdp(port) {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(null);
    });
    s.bind(port, HOST, () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function bindTcp(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: HOST, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

async function freePort() {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux
  }
  const from = Math.max(1024, low - 12288);
  for (let i = 0; i < 200; i++) {
    const candidate = i < 190 ? from + Math.floor(Math.random() * (low - from)) : 0;
    const p = await bindUdp(candidate);
    if (p !== null && (await bindTcp(p))) return p;
  }
  throw new Error('no free port on 127.0.0.1 after 200 attempts');
}

// ---------------------------------------------------------------------------------------------
// wait: a hand-built query (RFC 1035 section 4.1) so this works without node_modules.

function encodeQuery(id, name) {
  const labels = name.replace(/\.$/, '').split('.');
  const qname = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(1, 4); // QDCOUNT
  return Buffer.concat([header, qname, Buffer.from([0, 1, 0, 1])]); // A, IN
}

/** Resolves the RCODE of the answer to one query, or null after timeoutMs / on ICMP unreachable. */
function queryOnce(port, name, timeoutMs) {
  const id = Math.floor(Math.random() * 65536);
  const s = createSocket('udp4');
  return new Promise((resolve) => {
    let done = false;
    const finish = (v) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      s.close();
      resolve(v);
    };
    const t = setTimeout(() => finish(null), timeoutMs);
    s.on('error', () => finish(null));
    s.on('message', (m) => {
      if (m.length >= 12 && m.readUInt16BE(0) === id && (m[2] & 0x80) !== 0) finish({ rcode: m[3] & 0x0f, ancount: m.readUInt16BE(6) });
    });
    s.connect(port, HOST, () => s.send(encodeQuery(id, name), (e) => e && finish(null)));
  });
}

async function waitFor(port, name, seconds) {
  const deadline = Date.now() + seconds * 1000;
  for (let i = 0; i < seconds * 20 + 1 && Date.now() < deadline; i++) {
    const r = await queryOnce(port, name, 300);
    if (r && r.rcode === 0 && r.ancount > 0) return true;
    await new Promise((res) => setTimeout(res, 50));
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// report

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '-');

function report(file, seconds) {
  // round \t tool \t qps \t completed \t cpu_seconds \t wall_seconds \t status
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [round, tool, qps, completed, cpu, wall, ...status] = l.split('\t');
      return { round, tool, qps: Number(qps), completed: Number(completed), cpu: Number(cpu), wall: Number(wall), status: status.join(' ') };
    });
  const cpuPerM = (r) => (r.completed > 0 ? (r.cpu / r.completed) * 1e6 : NaN);
  // Wall time is shown because a tool may run past -l (dnsperf waits for stragglers), and CPU
  // spent then counts too: CPU per query is the whole process's cost.
  const cols = ['round', 'tool', 'qps', 'CPU s', 'wall s', 'CPU s / 1M queries', 'status'];
  const table = rows.map((r) => [r.round, r.tool, fmt(r.qps), fmt(r.cpu, 2), fmt(r.wall, 2), fmt(cpuPerM(r), 2), r.status]);
  const widths = cols.map((c, i) => Math.max(c.length, ...table.map((row) => String(row[i]).length)));
  const line = (cells) => cells.map((c, i) => (i <= 1 || i === 6 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(cols));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) console.log(line(row));
  console.log('');

  const med = {};
  for (const tool of ['dnsperf', 'dnsbench']) {
    const ok = rows.filter((r) => r.tool === tool && r.status === 'ok');
    med[tool] = { n: ok.length, qps: median(ok.map((r) => r.qps)), cpuPerM: median(ok.map(cpuPerM)) };
    console.log(`median ${tool.padEnd(8)}  ${fmt(med[tool].qps).padStart(9)} qps  ${fmt(med[tool].cpuPerM, 2).padStart(6)} CPU s / 1M queries  (${ok.length} ok runs)`);
  }
  const overran = rows.filter((r) => r.status === 'ok' && r.wall > seconds + 1);
  for (const tool of new Set(overran.map((r) => r.tool))) {
    const worst = Math.max(...overran.filter((r) => r.tool === tool).map((r) => r.wall));
    // Measured with dnsperf 2.10: after -l it waits out its -t timeout (5 s) for the queries it
    // lost, spinning in recv the whole time, so that CPU lands in its per-query cost.
    console.log(`note: ${tool} ran up to ${worst.toFixed(1)} s wall for -l ${seconds}; its CPU includes the time past -l`);
  }
  const ratio = med.dnsbench.qps / med.dnsperf.qps;
  if (!Number.isFinite(ratio)) {
    console.log(`\nratio dnsbench/dnsperf qps: not computed (${med.dnsbench.n === 0 ? 'no successful dnsbench run' : 'no successful dnsperf run'}); target >= ${TARGET_RATIO}`);
    return 1;
  }
  const cpuRatio = med.dnsbench.cpuPerM / med.dnsperf.cpuPerM;
  console.log(`\nratio dnsbench/dnsperf qps: ${ratio.toFixed(3)}  (target >= ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'})`);
  console.log(`ratio dnsbench/dnsperf CPU per query: ${Number.isFinite(cpuRatio) ? cpuRatio.toFixed(2) : '-'}`);
  return 0;
}

// ---------------------------------------------------------------------------------------------

try {
  if (cmd === 'free-port') {
    console.log(await freePort());
  } else if (cmd === 'wait') {
    const [port, name, seconds] = args;
    process.exitCode = (await waitFor(Number(port), name ?? 'www.test.com', Math.min(Number(seconds) || 15, 120))) ? 0 : 1;
  } else if (cmd === 'report') {
    process.exitCode = report(args[0], Number(args[1]) || 0);
  } else {
    console.error('usage: bench.mjs free-port | wait PORT NAME SECONDS | report RESULTS.tsv SECS');
    process.exitCode = 2;
  }
} catch (e) {
  console.error(String(e));
  process.exitCode = 1;
}
