/**
 * A record that an archive's volumes were verified whole, so a push run again on the same unchanged
 * files does not hash every byte again. The stamp names each volume file with its device, inode,
 * size, and modification and change times (a write to a file changes its ctime, which no tool can
 * set back), and the signature key it was checked with. Any difference means a full verify again.
 * Blobs are still checked against their digests as push streams them.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { archiveCacheDir } from './push-journal.js';

interface FileStamp {
  file: string;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

interface Stamp {
  archive: string;
  files: FileStamp[];
  /** Fingerprint of the key the signature was found valid with, if any. */
  signedBy?: string;
}

function stampFile(cacheDir: string, archive: string): string {
  return path.join(archiveCacheDir(cacheDir, archive), 'verified.json');
}

async function fileStamps(files: readonly string[]): Promise<FileStamp[]> {
  return Promise.all(
    files.map(async (file) => {
      const s = await stat(file, { bigint: false });
      return { file: path.resolve(file), dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs };
    }),
  );
}

/** True when `files` are exactly the files a stamp of `archive` recorded (and, with `signedBy`, checked with that key). */
export async function verifiedBefore(cacheDir: string, archive: string, files: readonly string[], signedBy?: string): Promise<boolean> {
  let stamp: Stamp;
  try {
    stamp = JSON.parse(await readFile(stampFile(cacheDir, archive), 'utf8')) as Stamp;
  } catch {
    return false;
  }
  if (stamp.archive !== archive || !Array.isArray(stamp.files)) return false;
  if (signedBy !== undefined && stamp.signedBy !== signedBy) return false;
  const now = await fileStamps(files);
  return JSON.stringify(now) === JSON.stringify(stamp.files);
}

export async function recordVerified(cacheDir: string, archive: string, files: readonly string[], signedBy?: string): Promise<void> {
  const stamp: Stamp = { archive, files: await fileStamps(files), ...(signedBy ? { signedBy } : {}) };
  await writeFileAtomic(stampFile(cacheDir, archive), `${JSON.stringify(stamp, null, 2)}\n`);
}
