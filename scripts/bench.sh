#!/usr/bin/env bash
# `npm run bench`: benchmark the benchmarker. Builds dnsbench, then scripts/bench-run.mjs starts
# knotd (the fastest server here, one UDP worker) on a free port of 127.0.0.1 and runs Debian's
# dnsperf and dnsbench (native and dgram I/O) against it with the same flags, alternately, so drift
# in the machine hits every tool alike: full speed, fixed rates and startup (see bench-run.mjs).
#
# Env: BENCH_SECONDS (default 5) per run, BENCH_ROUNDS (default 3) rounds, BENCH_RATES
# (1000,10000,30000), BENCH_SECTIONS (full,rate,burst,startup).
# Exit: 0 all runs ok; 1 a run failed (the tables are still printed) or knotd could not start.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

for b in knotd dnsperf; do
  command -v "$b" >/dev/null || { echo "$b not found: apt-get install knot dnsperf (npm test does it when run as root)" >&2; exit 1; }
done
ensure_node_modules
step "build dnsbench"
npm run --silent build
step "bench (knotd on 127.0.0.1, dnsperf and dnsbench alternating)"
rc=0
node scripts/bench-run.mjs || rc=$?
# What checking every answer costs (docs/performance.md "Validation cost"): a few seconds, no server.
step "validation cost (scripts/bench-validate.mjs)"
node scripts/bench-validate.mjs || rc=1
exit "$rc"
