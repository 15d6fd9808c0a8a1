#!/usr/bin/env node
// Entry point. Kept tiny on purpose: it starts the engine's worker threads (engine/warm.ts) before
// loading the CLI (cli-main.ts), so their ~60 ms boot overlaps the CLI's own load, flag parsing and
// query reading instead of following them (docs/performance.md "Startup").
import { realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { prewarm, prewarmDisabled, warmCount } from './engine/warm.js';

// Run when executed (also through npm's bin symlink), not when imported.
const entry = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (entry === fileURLToPath(import.meta.url)) {
  if (!prewarmDisabled(process.env)) prewarm(warmCount(process.argv.slice(2), availableParallelism()));
  const { runAsCli } = await import('./cli-main.js');
  runAsCli();
}
