// package-root.ts: the tsc output and the startup bundles sit at different depths below the
// package root, so files (docs/, zones/, build/) are found by walking up to package.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPackageRoot, PACKAGE_ROOT } from '../src/package-root.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-root-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('findPackageRoot', () => {
  it('finds the checkout from this module, and from the depths dist/ and dist/engine/native/ have', () => {
    expect(findPackageRoot(join(PACKAGE_ROOT, 'src'))).toBe(PACKAGE_ROOT);
    expect(findPackageRoot(join(PACKAGE_ROOT, 'dist'))).toBe(PACKAGE_ROOT);
    expect(findPackageRoot(join(PACKAGE_ROOT, 'dist', 'engine', 'native'))).toBe(PACKAGE_ROOT);
  });

  it('skips a package.json of another name (dnsbench installed inside another project)', () => {
    const root = join(dir, 'app');
    mkdirSync(join(root, 'node_modules', 'dnsbench', 'dist'), { recursive: true });
    writeFileSync(join(root, 'package.json'), '{"name":"app"}');
    writeFileSync(join(root, 'node_modules', 'dnsbench', 'package.json'), '{"name":"dnsbench"}');
    expect(findPackageRoot(join(root, 'node_modules', 'dnsbench', 'dist'))).toBe(join(root, 'node_modules', 'dnsbench'));
  });

  it('throws naming where it looked when no dnsbench package.json is above', () => {
    const lost = join(dir, 'lost', 'a', 'b');
    mkdirSync(lost, { recursive: true });
    writeFileSync(join(dir, 'lost', 'package.json'), 'not json');
    expect(() => findPackageRoot(lost)).toThrow(`cannot find the package root (a package.json named "dnsbench") above ${lost}`);
  });
});
