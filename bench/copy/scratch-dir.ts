/**
 * A benchmark's scratch folder (a fresh temp dir): generated layouts, copy outputs, mapping
 * files and the private HOMEs of child processes all live under it, and it goes as a whole at exit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let scratchRoot: string | undefined;

/** Creates the scratch folder (`ferry-bench-<benchmark>-XXXXXX`) under the system temp dir and returns its path. */
export function createScratchDir(benchmark: string): string {
  scratchRoot = mkdtempSync(path.join(os.tmpdir(), `ferry-bench-${benchmark}-`));
  return scratchRoot;
}

/** A path inside the scratch folder (which must have been created). */
export function scratchPath(name: string): string {
  return path.join(scratchRoot!, name);
}

/** Removes the scratch folder, if it was created. */
export function removeScratchDir(): void {
  if (scratchRoot !== undefined) rmSync(scratchRoot, { recursive: true, force: true });
}
