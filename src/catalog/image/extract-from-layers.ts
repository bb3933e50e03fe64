/**
 * Extracts one file or one folder of an image's final filesystem without unpacking the image:
 * layers are read top first, each streamed and verified (size, digest) to its end; the highest
 * layer holding a path wins, whiteouts hide what lies below them.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import { ExitCode, FerryError } from '../../errors.js';
import type { ImageLocation } from '../../oci/copy/location.js';
import type { ImageManifest } from '../../oci/manifest.js';
import { Hidden, cleanLayerPath, whiteoutOf } from './layer-paths.js';

export interface ExtractOptions {
  signal?: AbortSignal;
}

/**
 * Writes the file at `filePath` (e.g. `/database/index.db`) of the image to `target`. Throws
 * NOT_FOUND naming the image when no layer has it (or a whiteout removed it).
 */
export async function extractFile(location: ImageLocation, manifest: ImageManifest, filePath: string, target: string, options: ExtractOptions = {}): Promise<void> {
  const wanted = cleanLayerPath(filePath);
  if (!wanted) throw new FerryError('INVALID_INPUT', `${location.display}: invalid path "${filePath}"`, ExitCode.invalidInput);
  const hidden = new Hidden();
  const temp = `${target}.${process.pid}.tmp`;
  await mkdir(path.dirname(target), { recursive: true });
  try {
    for (const layer of [...manifest.layers].reverse()) {
      if (hidden.hides(wanted)) break;
      const below = new Hidden();
      let found = false;
      await readLayer(location, layer, options, async (name, entry) => {
        const whiteout = whiteoutOf(name);
        if (whiteout) {
          below.add(whiteout);
          return false;
        }
        if (name !== wanted || entry.type !== 'File' || found) return false;
        found = true;
        await pipeline(entry, createWriteStream(temp));
        return true;
      });
      if (found) {
        await rename(temp, target);
        return;
      }
      hidden.merge(below);
    }
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  throw new FerryError('NOT_FOUND', `${location.display}: the image has no file ${filePath}`, ExitCode.notFound);
}

/** Writes every file under `folderPath` (e.g. `/configs`) of the image into `targetDir`. Returns the files written. */
export async function extractFolder(location: ImageLocation, manifest: ImageManifest, folderPath: string, targetDir: string, options: ExtractOptions = {}): Promise<string[]> {
  const root = cleanLayerPath(folderPath);
  if (root === undefined || root === '') throw new FerryError('INVALID_INPUT', `${location.display}: invalid folder "${folderPath}"`, ExitCode.invalidInput);
  const hidden = new Hidden();
  const decided = new Set<string>();
  const written: string[] = [];
  for (const layer of [...manifest.layers].reverse()) {
    if (hidden.hides(root)) break;
    const below = new Hidden();
    await readLayer(location, layer, options, async (name, entry) => {
      const whiteout = whiteoutOf(name);
      if (whiteout) {
        below.add(whiteout);
        return false;
      }
      if (!name.startsWith(`${root}/`) || entry.type !== 'File' || decided.has(name) || hidden.hides(name)) return false;
      decided.add(name);
      const relative = name.slice(root.length + 1);
      const file = path.join(targetDir, relative);
      // Synchronous up to the pipe: the parser must find the entry consumed before it moves on.
      mkdirSync(path.dirname(file), { recursive: true });
      await pipeline(entry, createWriteStream(file));
      written.push(relative);
      return true;
    });
    hidden.merge(below);
  }
  return written.sort();
}

/**
 * Streams one layer (verified to its end) through a tar parser; `onFile` may consume an entry and
 * returns true when it did (otherwise the entry is skipped).
 */
async function readLayer(location: ImageLocation, layer: { digest: string; size: number; mediaType: string }, options: ExtractOptions, onFile: (name: string, entry: ReadEntry) => Promise<boolean>): Promise<void> {
  if (/zstd/.test(layer.mediaType)) throw new FerryError('UNSUPPORTED_LAYER', `${location.display}: layer ${layer.digest} is zstd-compressed, which ferry does not read`, ExitCode.invalidInput);
  const blob = await location.store.getBlob(location.repository, layer, options.signal ? { signal: options.signal } : {});
  const pending: Promise<unknown>[] = [];
  const parser = new Parser({
    // Not strict: some producers (umoci insert, seen here) end layers without the two zero blocks,
    // which docker and containerd accept too. The layer's digest was verified, so nothing is lost in transit.
    strict: false,
    onReadEntry: (entry: ReadEntry) => {
      const name = cleanLayerPath(entry.path);
      if (name === undefined) {
        entry.resume();
        return;
      }
      const work = onFile(name, entry).then((consumed) => {
        if (!consumed) entry.resume();
      });
      pending.push(work);
      work.catch(() => entry.resume());
    },
  });
  await pipeline(blob, parser, options.signal ? { signal: options.signal } : {});
  await Promise.all(pending);
}
