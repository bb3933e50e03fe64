/**
 * Folders published whole: written under a temp name beside the target, then renamed into place,
 * so a reader (or a failed run) never sees half a folder.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';

/** A fresh temp folder beside `target` (same file system, so the final rename is atomic). */
export async function tempDirBeside(target: string): Promise<string> {
  const parent = path.dirname(path.resolve(target));
  await mkdir(parent, { recursive: true });
  const temp = path.join(parent, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await mkdir(temp);
  return temp;
}

/** True when `dir` does not exist or holds nothing. */
export async function isMissingOrEmpty(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

/**
 * Moves the finished `temp` folder to `target`. `replace`: an existing target is swapped out and
 * removed; otherwise the target must be missing or empty.
 */
export async function publishDir(temp: string, target: string, options: { replace?: boolean } = {}): Promise<void> {
  const resolved = path.resolve(target);
  if (options.replace) {
    const old = `${temp}.old`;
    let moved = false;
    try {
      await rename(resolved, old);
      moved = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      await rename(temp, resolved);
    } catch (err) {
      if (moved) await rename(old, resolved);
      throw err;
    }
    if (moved) await rm(old, { recursive: true, force: true });
    return;
  }
  try {
    await rmdir(resolved);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await rename(temp, resolved);
}
