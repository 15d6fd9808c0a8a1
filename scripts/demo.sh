#!/usr/bin/env bash
# `npm run demo`: the README's first command. Installs npm deps if needed, builds, and runs the
# `demo` subcommand (which brings its own loopback responder). Extra args go to `dnsbench demo`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_node_modules
step "build"
npm run --silent build
if [ ! -f dist/bin.js ]; then
  echo "dist/bin.js was not built: src/bin.ts does not exist yet on this branch" >&2
  exit 1
fi
exec node dist/bin.js demo "$@"
