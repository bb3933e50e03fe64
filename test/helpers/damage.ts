/** Damage done on purpose to files under test, and read-only media. */
import { chmodSync, closeSync, copyFileSync, openSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import { removeOnExit } from './cleanup.js';
import { tempDir } from './paths.js';

/** Flips (xor 0xff) the byte at `offset` of `file`. */
export function flipByte(file: string, offset: number): void {
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, offset);
    b[0] = b[0]! ^ 0xff;
    writeSync(fd, b, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}

const readOnlyDirs: string[] = [];
let restoreHooked = false;

/**
 * Copies of `files` in a fresh folder, the files and the folder made read-only (as on a DVD). They
 * are made writable again after the tests of the file, so the temp folder can be removed.
 */
export function readOnlyCopy(files: readonly string[]): string[] {
  const dir = tempDir('ferry-read-only-');
  removeOnExit(dir);
  const copies = files.map((f) => {
    const to = path.join(dir, path.basename(f));
    copyFileSync(f, to);
    chmodSync(to, 0o444);
    return to;
  });
  chmodSync(dir, 0o555);
  readOnlyDirs.push(dir);
  if (!restoreHooked) {
    restoreHooked = true;
    after(() => {
      for (const d of readOnlyDirs.splice(0)) chmodSync(d, 0o755);
    });
  }
  return copies;
}
