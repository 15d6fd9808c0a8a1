#!/usr/bin/env bash
# `npm test`: everything CI checks, from a fresh clone or a warm tree. Extra args go to vitest
# (e.g. `npm test -- test/rig.test.ts`).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

step "system packages"
ensure_system_deps
step "node modules"
ensure_node_modules
step "native UDP addon (scripts/build-native.mjs --if-stale; a failed build only skips its tests)"
node scripts/build-native.mjs --if-stale
step "build (tsc -p tsconfig.json, then scripts/bundle.mjs)"
npm run --silent build
step "typecheck tests (tsc -p tsconfig.test.json)"
npx --no-install tsc -p tsconfig.test.json
step "import rules (depcruise: no cycles, imports down the pipeline; docs/architecture.md)"
npx --no-install depcruise src --config .dependency-cruiser.cjs --output-type err
step "vitest run $*"
npx --no-install vitest run "$@"
