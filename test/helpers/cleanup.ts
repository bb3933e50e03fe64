import { rmSync } from 'node:fs';

/** Set FERRY_TEST_KEEP_FILES=1 to keep registries' storage, logs and fixture layouts for debugging. */
export const keepTestFiles = process.env.FERRY_TEST_KEEP_FILES === '1';

const dirs = new Set<string>();
let hooked = false;

/** Removes dir (recursively) when the process exits, unless FERRY_TEST_KEEP_FILES=1. */
export function removeOnExit(dir: string): void {
  if (keepTestFiles) return;
  dirs.add(dir);
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const d of dirs) removeDir(d);
  });
}

/** Removes dir now (unless FERRY_TEST_KEEP_FILES=1); never throws. */
export function removeDir(dir: string): void {
  if (keepTestFiles) return;
  dirs.delete(dir);
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // best effort
  }
}
