/**
 * Writes generated manifest files into a folder, all or nothing as far as the file system allows.
 *
 * Every file is first written in full (and flushed) under a hidden staging name beside its target
 * (writeFileAtomic); if any of that fails, the staged files are removed and the folder is as it was.
 * Only then is each staged file renamed over its target (a rename within one folder is atomic, so a
 * target is always either its old or its new content). Last, files of the managed names (by default
 * the four cluster-manifest files) that this run did not write are removed: they are an earlier run's
 * output (e.g. an ImageTagMirrorSet when there are no longer tag-only images) and applying the folder
 * must not bring them back. Files of other names are never touched.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { FerryError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { CLUSTER_MANIFEST_FILES, type ManifestFile } from './cluster-manifests.js';

export interface WriteManifestsOptions {
  /** Names this writer owns in `dir`: those not in `files` are removed. Default CLUSTER_MANIFEST_FILES. */
  managedNames?: readonly string[];
}

export interface WriteManifestsResult {
  /** Paths written, in the order of `files`. */
  written: string[];
  /** Paths of stale managed files removed. */
  removed: string[];
}

export async function writeManifestFiles(dir: string, files: readonly ManifestFile[], options: WriteManifestsOptions = {}): Promise<WriteManifestsResult> {
  const names = new Set<string>();
  for (const f of files) {
    if (f.name === '' || f.name === '.' || f.name === '..' || f.name !== path.basename(f.name) || f.name.includes('/') || f.name.includes('\\')) {
      throw new FerryError('INVALID_FILE_NAME', `manifest file name "${f.name}" must be a plain file name`);
    }
    if (names.has(f.name)) throw new FerryError('INVALID_FILE_NAME', `manifest file "${f.name}" given twice`);
    names.add(f.name);
  }
  await mkdir(dir, { recursive: true });

  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const staged = files.map((f) => ({ file: f, temp: path.join(dir, `.${f.name}.ferry-${tag}.staged`), target: path.join(dir, f.name) }));
  try {
    for (const s of staged) await writeFileAtomic(s.temp, s.file.content);
  } catch (err) {
    await removeQuietly(staged.map((s) => s.temp));
    throw err;
  }

  const written: string[] = [];
  for (const [i, s] of staged.entries()) {
    try {
      await rename(s.temp, s.target);
      written.push(s.target);
    } catch (err) {
      await removeQuietly(staged.slice(i).map((r) => r.temp));
      const done = written.length === 0 ? 'no file was replaced' : `already replaced: ${written.join(', ')}`;
      throw new FerryError('WRITE_FAILED', `cannot put ${s.target} in place (${(err as Error).message}); ${done}`, undefined, { cause: err });
    }
  }

  const removed: string[] = [];
  for (const name of options.managedNames ?? CLUSTER_MANIFEST_FILES) {
    if (names.has(name)) continue;
    const target = path.join(dir, name);
    const stat = await lstat(target).catch(() => undefined);
    if (!stat?.isFile()) continue;
    await rm(target);
    removed.push(target);
  }
  await syncDirectory(dir);
  return { written, removed };
}

/** Removes staged files; a file that cannot be removed (or never existed) does not hide the first error. */
async function removeQuietly(files: readonly string[]): Promise<void> {
  await Promise.allSettled(files.map((f) => rm(f, { force: true })));
}

/** Flushes the folder's entries (the renames and removals); not every platform allows it. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}
