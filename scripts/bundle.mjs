#!/usr/bin/env node
// `npm run build`, second step: bundle the tsc output's entry points into one file each,
// dist/bin.js (the tiny entry that starts the worker threads, engine/warm.ts), dist/cli-main.js
// (the CLI, which bin.js then imports; both overwrite tsc's) and dist/worker.js (each engine
// thread). Node's ESM
// loader pays about 0.4 ms per module file; the CLI and every worker load ~200 of them, so a
// measured ~60 ms of the main thread's and ~25 ms of each worker's start (docs/performance.md
// "Startup"). The rest of dist/ stays as tsc wrote it (scripts/bench-validate.mjs imports from it).
//
// Optional by design: without esbuild (or if bundling fails) tsc's dist/bin.js runs exactly the
// same code, only slower to start; we say so and exit 0. esbuild's own postinstall is denied in
// package.json's allowScripts: it only checks the platform binary that npm already installed as
// the optional dependency @esbuild/<platform>, and an unreviewed script would warn on every install.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (e) {
  console.error(`dnsbench: startup bundles skipped (esbuild unavailable: ${e.code ?? e.message}); dist/ runs unbundled`);
  process.exit(0);
}
if (!existsSync(join(DIST, 'bin.js')) || !existsSync(join(DIST, 'engine', 'worker.js'))) {
  console.error('dnsbench: startup bundles skipped: run tsc first (dist/bin.js or dist/engine/worker.js missing)');
  process.exit(0);
}
try {
  await esbuild.build({
    // dist/bin.js's and dist/cli-main.js's `new URL('./worker.js', import.meta.url)` (engine/warm.ts) then find
    // dist/worker.js, as dist/engine/session.js finds dist/engine/worker.js unbundled.
    entryPoints: { bin: join(DIST, 'bin.js'), 'cli-main': join(DIST, 'cli-main.js'), worker: join(DIST, 'engine', 'worker.js') },
    outdir: DIST,
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // npm dependencies stay in node_modules: ajv, the hdr codec and uplot are loaded at run time
    // by path (createRequire), and a dependency updated by npm is then used without a rebuild.
    // ./cli-main.js stays a file of its own: bin.js starts the workers before it is even parsed.
    external: ['./cli-main.js', 'yaml', 'jstat', 'dns-packet', 'hdr-histogram-js', 'hdr-histogram-js/*', 'ajv', 'ajv/*', 'uplot', 'uplot/*'],
    banner: { js: "import { createRequire as __dnsbenchRequire } from 'node:module'; const require = __dnsbenchRequire(import.meta.url);" },
    logLevel: 'warning',
  });
} catch (e) {
  console.error(`dnsbench: startup bundles failed (${e.message.split('\n')[0]}); dist/ runs unbundled`);
  process.exit(0);
}
