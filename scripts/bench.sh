#!/usr/bin/env bash
# `npm run bench`: benchmark the benchmarker. Starts knotd (the fastest server here, one UDP worker)
# on a free port of 127.0.0.1 and runs Debian's dnsperf and dnsbench against it with the same flags,
# alternately (dnsperf, dnsbench, dnsperf, ...) so drift in the machine hits both tools alike.
# Reports each run's qps and CPU time (user+sys of the tool's process), the per-tool medians, and
# the dnsbench/dnsperf qps ratio against the target (>= 0.85).
#
# Env: BENCH_SECONDS (default 5) per run, BENCH_ROUNDS (default 3) runs per tool.
# Exit: 0 all runs ok; 1 a run failed (the report is still printed) or the rig could not start.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
[[ "$SECS" =~ ^[0-9]+$ ]] && ((SECS >= 1 && SECS <= 600)) || { echo "BENCH_SECONDS must be 1..600, got '$SECS'" >&2; exit 2; }
[[ "$ROUNDS" =~ ^[0-9]+$ ]] && ((ROUNDS >= 1 && ROUNDS <= 50)) || { echo "BENCH_ROUNDS must be 1..50, got '$ROUNDS'" >&2; exit 2; }
# dnsperf's own flags (README: the yardstick), identical for both tools.
LOAD_FLAGS=(-l "$SECS" -c 2 -T 2 -q 200)

for b in knotd dnsperf; do
  command -v "$b" >/dev/null || { echo "$b not found: apt-get install knot dnsperf (npm test does it when run as root)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/dnsbench-bench-XXXXXX")
knot_pid=""
# Stop knotd by its pid: SIGTERM, then SIGKILL after 5 s. A killed child stays a zombie until we
# wait for it, so "alive" means the pid exists and is not in state Z.
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
cleanup() {
  if [ -n "$knot_pid" ]; then
    kill -TERM "$knot_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do alive "$knot_pid" || break; sleep 0.1; done
    alive "$knot_pid" && kill -KILL "$knot_pid" 2>/dev/null
    wait "$knot_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- dnsbench: build it first; a missing CLI must not stop the dnsperf half --------------------
dnsbench_ok=1
ensure_node_modules
step "build dnsbench"
if ! npm run --silent build >"$work/build.log" 2>&1; then
  dnsbench_ok=0
  echo "dnsbench: build failed; dnsbench rounds will be skipped. Last lines:" >&2
  tail -n 15 "$work/build.log" >&2
elif [ ! -f dist/bin.js ]; then
  dnsbench_ok=0
  echo "dnsbench: dist/bin.js does not exist (no src/bin.ts on this branch yet); dnsbench rounds will be skipped" >&2
fi

# --- knotd ---------------------------------------------------------------------------------------
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
    any: info
CONF
knotd -c "$work/knot.conf" >"$work/knot.log" 2>&1 &
knot_pid=$!
if ! node scripts/bench.mjs wait "$port" www.test.com 15; then
  echo "knotd did not answer www.test.com on 127.0.0.1:$port within 15 s; log tail:" >&2
  tail -n 20 "$work/knot.log" >&2
  exit 1
fi

# 1001 names: h0..h999 spread the load over the zone, www is the name every tool is checked with.
{
  for i in $(seq 0 999); do printf 'h%d.test.com A\n' "$i"; done
  printf 'www.test.com A\n'
} >"$work/queries.txt"

# --- rounds --------------------------------------------------------------------------------------
# "XmY.YYYs" (bash `times`) -> seconds
to_seconds() { awk -v t="$1" 'BEGIN { split(t, a, /m|s/); printf "%.3f", a[1] * 60 + a[2] }'; }

# run_tool ROUND TOOL CMD...: runs CMD in a subshell whose `times` then reports exactly the CPU of
# CMD (its children: timeout and the tool). Appends one TSV line to results.tsv.
run_tool() {
  local round=$1 tool=$2
  shift 2
  local out="$work/$tool-$round.out"
  (
    set +e
    t0=$(date +%s%N)
    # bound each run even if a tool ignores -l
    timeout -k 5 $((SECS + 60)) "$@" >"$out" 2>&1
    echo $? >"$out.rc"
    echo $(( ($(date +%s%N) - t0) / 1000000 )) >"$out.wall"
    times >"$out.times"
  )
  local rc qps completed user sys cpu wall status
  rc=$(cat "$out.rc")
  wall=$(awk '{ printf "%.2f", $1 / 1000 }' "$out.wall")
  qps=$(awk '/Queries per second:/ { print $4; exit }' "$out")
  completed=$(awk '/Queries completed:/ { print $3; exit }' "$out")
  user=$(awk 'NR == 2 { print $1 }' "$out.times")
  sys=$(awk 'NR == 2 { print $2 }' "$out.times")
  cpu=$(awk -v u="$(to_seconds "$user")" -v s="$(to_seconds "$sys")" 'BEGIN { printf "%.3f", u + s }')
  if [ "$rc" != 0 ]; then
    status="exit $rc"
  elif [ -z "$qps" ]; then
    status="no 'Queries per second:' line"
  else
    status=ok
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$tool" "${qps:-0}" "${completed:-0}" "$cpu" "$wall" "$status" >>"$work/results.tsv"
  printf '  round %d %-8s %12s qps  %7s CPU s  %6s s wall  %s\n' "$round" "$tool" "${qps:--}" "$cpu" "$wall" "$status" >&2
  if [ "$status" != ok ]; then
    echo "  $tool output (last lines of $out):" >&2
    tail -n 8 "$out" | sed 's/^/    /' >&2
  fi
}

echo "knotd $(knotd -V 2>&1 | awk '{print $NF}') on 127.0.0.1:$port (pid $knot_pid, 1 UDP worker); $(nproc) CPUs" >&2
echo "dnsperf  -s 127.0.0.1 -p $port -d queries.txt ${LOAD_FLAGS[*]}" >&2
echo "dnsbench -s 127.0.0.1 -p $port -d queries.txt ${LOAD_FLAGS[*]}" >&2
: >"$work/results.tsv"
for round in $(seq 1 "$ROUNDS"); do
  step "round $round/$ROUNDS"
  run_tool "$round" dnsperf dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" "${LOAD_FLAGS[@]}"
  alive "$knot_pid" || { echo "knotd died; log tail:" >&2; tail -n 20 "$work/knot.log" >&2; exit 1; }
  if [ "$dnsbench_ok" = 1 ]; then
    run_tool "$round" dnsbench node dist/bin.js -s 127.0.0.1 -p "$port" -d "$work/queries.txt" "${LOAD_FLAGS[@]}"
  else
    printf '%s\tdnsbench\t0\t0\t0\t0\tnot built\n' "$round" >>"$work/results.tsv"
  fi
  alive "$knot_pid" || { echo "knotd died; log tail:" >&2; tail -n 20 "$work/knot.log" >&2; exit 1; }
done

echo
node scripts/bench.mjs report "$work/results.tsv" "$SECS" || true
# What checking every answer costs (docs/performance.md "Validation cost"): a few seconds, no server.
if [ "$dnsbench_ok" = 1 ]; then
  echo
  node scripts/bench-validate.mjs || true
fi
if grep -qv $'\tok$' "$work/results.tsv"; then exit 1; fi
