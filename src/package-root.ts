// Where dnsbench's own files are (package.json, docs/, zones/, querysets/, build/), found from
// this module's location. The tsc output (dist/**/x.js) and the startup bundles (dist/bin.js,
// dist/worker.js, scripts/bundle.mjs) sit at different depths below the root, so a fixed '../..'
// would be right in one and wrong in the other.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directories to climb at most: src/engine/native/ is the deepest place this code runs from. */
const MAX_LEVELS = 6;

/**
 * The nearest directory at or above `start` whose package.json names "dnsbench" (absolute path).
 * Throws Error when none is within MAX_LEVELS: an install missing its package.json.
 */
export function findPackageRoot(start: string): string {
  let dir = start;
  for (let i = 0; i <= MAX_LEVELS; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'dnsbench') return dir;
    } catch {
      // no (readable) package.json here: look one level up
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`dnsbench: cannot find the package root (a package.json named "dnsbench") above ${start}`);
}

/** The package root (absolute path, no trailing slash). */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
