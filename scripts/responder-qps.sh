#!/usr/bin/env bash
# Measures the embedded responder's throughput with Debian's dnsperf as the load generator, so a
# change to src/serve can be checked against the "tens of thousands of qps on one thread" target.
# Usage: scripts/responder-qps.sh [QUERYFILE] [SECONDS]   (needs dnsperf; builds dist/ first)
set -euo pipefail
cd "$(dirname "$0")/.."
queries=${1:-querysets/demo.txt}
seconds=${2:-5}
npx tsc -p tsconfig.json
portfile=$(mktemp)
node --input-type=module -e "
  import { runServe } from './dist/serve/run.js';
  const r = await runServe({ address: '127.0.0.1', port: 0, faults: {} }, (l) => console.error(l));
  (await import('node:fs')).writeFileSync('$portfile', String(r.port));
  process.on('SIGTERM', async () => { console.error(JSON.stringify(r.stats())); await r.close(); });
" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$portfile"' EXIT
for _ in $(seq 50); do [ -s "$portfile" ] && break; sleep 0.1; done
port=$(cat "$portfile")
dnsperf -s 127.0.0.1 -p "$port" -d "$queries" -l "$seconds" -c 2 -T 1 -q 100
kill "$server"
wait "$server" || true
