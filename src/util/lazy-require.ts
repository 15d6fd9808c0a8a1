// npm packages that only some commands use, loaded when first needed rather than at startup: the
// startup bundles leave them out (scripts/bundle.mjs), so a plain run never parses yaml (250 KB),
// jstat (135 KB) or dns-packet (60 KB) (docs/performance.md "Startup").
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/**
 * A getter that require()s CommonJS package `name` on its first call and returns the same module
 * after. Throws what require throws (MODULE_NOT_FOUND for a broken install).
 */
export function lazyRequire<T>(name: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= requireHere(name) as T);
}
