import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (test files run from dist/test/...). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** ../shared beside the repository, as CI lays it out. */
export const sharedDir = path.resolve(repoRoot, '..', 'shared');
export const corpusDir = path.join(sharedDir, 'corpus');
export const referenceDir = path.join(sharedDir, 'reference');

export function tempDir(prefix = 'ferry-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}
