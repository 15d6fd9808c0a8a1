#!/usr/bin/env bash
# `npm run bench:capacity`: dnsbench capacity beside Debian's resperf against the same knotd (one
# UDP worker) on a free port of 127.0.0.1, with the same query file (querysets/mixed.txt):
#   1. resperf -m MAX -r RAMP (its "Maximum throughput", and the loss at that point);
#   2. dnsbench capacity --ramp --max MAX --ramp-time RAMP --slo 'loss<1%' (the same ramp);
#   3. dnsbench capacity --slo 'p99<5ms,loss<0.1%' (the step search, the README's command),
#      timed, with its HTML curve kept.
# Prints the figures side by side; README "Finding capacity" records a run of it.
#
# Env: CAP_MAX (default 200000) qps at the top of both ramps, CAP_RAMP (default 20) seconds,
#      CAP_KEEP=DIR keeps the reports (JSON, HTML, resperf's plot file) in DIR,
#      CAP_NICE=N runs knotd and every tool at nice N (e.g. -10 as root: ahead of other work on a
#      shared machine, so the figures are the rig's and not the neighbours'; default 0),
#      CAP_PIN=1 gives knotd the last core and the tools the others (taskset; dnsbench -T = the
#      tools' cores), so the server and the generator do not compete for a core (README: a
#      generator starved by the server on a small machine is reported as the limit).
# Exit: 0 every tool ran; 1 one failed or knotd could not start.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

MAX=${CAP_MAX:-200000}
RAMP=${CAP_RAMP:-20}
[[ "$MAX" =~ ^[0-9]+$ ]] && ((MAX >= 1000 && MAX <= 5000000)) || { echo "CAP_MAX must be 1000..5000000, got '$MAX'" >&2; exit 2; }
[[ "$RAMP" =~ ^[0-9]+$ ]] && ((RAMP >= 2 && RAMP <= 600)) || { echo "CAP_RAMP must be 2..600, got '$RAMP'" >&2; exit 2; }
NICE=${CAP_NICE:-0}
[[ "$NICE" =~ ^-?[0-9]+$ ]] && ((NICE >= -20 && NICE <= 19)) || { echo "CAP_NICE must be -20..19, got '$NICE'" >&2; exit 2; }
CORES=$(nproc)
# Command prefixes: nice $NICE, and with CAP_PIN=1 knotd on the last core, the tools on the others.
SERVER=(nice -n "$NICE") TOOLS=(nice -n "$NICE") THREADS=() PINNED=""
if [ "${CAP_PIN:-0}" = 1 ] && ((CORES >= 2)) && command -v taskset >/dev/null; then
  SERVER+=(taskset -c $((CORES - 1)))
  TOOLS+=(taskset -c "0-$((CORES - 2))")
  THREADS=(-T $((CORES - 1)))
  PINNED="; knotd on CPU $((CORES - 1)), the tools on CPU 0-$((CORES - 2))"
fi
for b in knotd resperf; do
  command -v "$b" >/dev/null || { echo "$b not found: apt-get install knot dnsperf" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/dnsbench-bench-capacity-XXXXXX")
knot_pid=""
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
cleanup() {
  if [ -n "$knot_pid" ]; then
    kill -TERM "$knot_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do alive "$knot_pid" || break; sleep 0.1; done
    alive "$knot_pid" && kill -KILL "$knot_pid" 2>/dev/null
    wait "$knot_pid" 2>/dev/null || true
  fi
  if [ -n "${CAP_KEEP:-}" ]; then mkdir -p "$CAP_KEEP" && cp "$work"/*.json "$work"/*.html "$work"/*.gnuplot "$work"/*.out "$CAP_KEEP"/ 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_node_modules
step "build dnsbench"
npm run --silent build

step "start knotd"
port=$(node scripts/bench.mjs free-port)
cp test/fixtures/db.test "$work/db.test"
cat >"$work/knot.conf" <<CONF
server:
  rundir: "$work"
  listen: 127.0.0.1@$port
  background-workers: 1
  udp-workers: 1
  tcp-workers: 1
database:
  storage: "$work"
zone:
  - domain: test.com
    file: "$work/db.test"
    storage: "$work"
    zonefile-load: whole
    journal-content: none
log:
  - target: stderr
    any: warning
CONF
"${SERVER[@]}" knotd -c "$work/knot.conf" >"$work/knot.log" 2>&1 &
knot_pid=$!
if ! node scripts/bench.mjs wait "$port" www.test.com 15; then
  echo "knotd did not answer on 127.0.0.1:$port within 15 s; log tail:" >&2
  tail -n 20 "$work/knot.log" >&2
  exit 1
fi
echo "knotd $(knotd -V 2>&1 | awk '{print $NF}') on 127.0.0.1:$port (1 UDP worker); $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg); nice $NICE$PINNED" >&2
QUERIES=querysets/mixed.txt
failed=0

step "resperf -m $MAX -r $RAMP"
# -R reopens the file at its end (it holds 2000 queries); -t 2 s so its drain stays short; -F 0: do
# not end the test when resperf falls 1000 queries behind (on a busy machine it does at ~10k qps);
# -b 4096: the same socket buffers as dnsbench capacity's default, so neither drops answers itself.
if timeout -k 5 $((RAMP + 120)) "${TOOLS[@]}" resperf -s 127.0.0.1 -p "$port" -d "$QUERIES" -R -F 0 -b 4096 -m "$MAX" -r "$RAMP" -t 2 -P "$work/resperf.gnuplot" >"$work/resperf.out" 2>&1; then
  rp_max=$(awk '/Maximum throughput:/ { printf "%d", $3 }' "$work/resperf.out")
  rp_lost=$(awk '/Lost at that point:/ { print $5 }' "$work/resperf.out")
  rp_behind=$(grep -o 'Fell behind.*' "$work/resperf.out" || true)
else
  failed=1
  echo "resperf failed; last lines:" >&2
  tail -n 8 "$work/resperf.out" >&2
fi

step "dnsbench capacity --ramp --max $MAX --ramp-time $RAMP --slo 'loss<1%'"
set +e
timeout -k 5 $((RAMP + 120)) "${TOOLS[@]}" \
  node dist/bin.js capacity -s 127.0.0.1 -p "$port" -d "$QUERIES" --slo 'loss<1%' --ramp --max "$MAX" --ramp-time "$RAMP" "${THREADS[@]}" \
  --json "$work/ramp.json" --html "$work/ramp.html" >"$work/ramp.out" 2>&1
ramp_rc=$?
t0=$(date +%s)
step "dnsbench capacity --slo 'p99<5ms,loss<0.1%'"
timeout -k 5 600 "${TOOLS[@]}" \
  node dist/bin.js capacity -s 127.0.0.1 -p "$port" -d "$QUERIES" --slo 'p99<5ms,loss<0.1%' "${THREADS[@]}" \
  --json "$work/search.json" --html "$work/search.html" >"$work/search.out" 2>&1
search_rc=$?
search_secs=$(($(date +%s) - t0))
set -e
alive "$knot_pid" || { echo "knotd died; log tail:" >&2; tail -n 20 "$work/knot.log" >&2; exit 1; }

node --input-type=module - "$work" "${rp_max:-}" "${rp_lost:-}" "$ramp_rc" "$search_rc" "$search_secs" "${rp_behind:-}" <<'JS'
import { readFileSync, existsSync } from 'node:fs';
const [work, rpMax, rpLost, rampRc, searchRc, searchSecs, rpBehind] = process.argv.slice(2);
const load = (f) => (existsSync(`${work}/${f}`) ? JSON.parse(readFileSync(`${work}/${f}`, 'utf8')).capacity : null);
const fmt = (n) => (n === null || n === undefined || n === '' ? '-' : Math.round(Number(n)).toLocaleString('en-US'));
const ramp = load('ramp.json');
// resperf's plot file: per bucket (-i 0.5 s) the rate sent and the responses per second; the best
// bucket with 99% or more answered is the nearest resperf figure to a loss<1% SLO.
let rpClean = null;
if (existsSync(`${work}/resperf.gnuplot`)) {
  for (const line of readFileSync(`${work}/resperf.gnuplot`, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/).map(Number);
    if (f.length < 4 || !Number.isFinite(f[2]) || f[2] <= 0) continue;
    if (f[3] / f[2] >= 0.99 && (rpClean === null || f[3] > rpClean)) rpClean = f[3];
  }
}
const search = load('search.json');
const peak = ramp ? Math.max(...ramp.windows.map((w) => w.answeredQps)) : null;
console.log('');
console.log('tool / mode                                        figure (qps)  what it is');
console.log('-------------------------------------------------  ------------  ---------------------------------------------');
console.log(`resperf -m -r (its ramp)                           ${fmt(rpMax).padStart(12)}  "Maximum throughput" (lost at that point: ${rpLost || '-'})${rpBehind ? `; ${rpBehind}` : ''}`);
console.log(`resperf, best 0.5 s bucket with >= 99% answered    ${fmt(rpClean).padStart(12)}  from its plot file (responses / queries sent in the bucket)`);
console.log(`dnsbench capacity --ramp, peak answered rate       ${fmt(peak).padStart(12)}  the same quantity as resperf's maximum: answers/s in the best window`);
console.log(`dnsbench capacity --ramp --slo 'loss<1%'           ${fmt(ramp?.capacityQps).padStart(12)}  ${ramp ? `${ramp.result} (exit ${rampRc}): ${ramp.summary}` : `no report (exit ${rampRc})`}`);
console.log(`dnsbench capacity --slo 'p99<5ms,loss<0.1%'        ${fmt(search?.capacityQps).padStart(12)}  ${search ? `${search.result} in ${searchSecs} s, ${search.steps.length} steps (exit ${searchRc}): ${search.summary}` : `no report (exit ${searchRc})`}`);
JS
[ "$failed" = 0 ] || exit 1
