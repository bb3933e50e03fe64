/**
 * Finding operator manifests under the folders the user names. A root may be a bundle folder, a
 * package-manifest folder (nested or flattened), a single-file flattened manifest, or any folder
 * holding many of these, found by walking it (hidden entries skipped).
 */
import { openSync, readSync, closeSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ProblemList } from '../problems.js';
import { annotationsFile } from './bundle-dir.js';
import { isManifestFile, listDir } from './files.js';

export type ManifestSource =
  | { kind: 'bundle'; path: string }
  | { kind: 'package-manifest'; path: string }
  | { kind: 'flattened-file'; path: string };

const PACKAGE_FILE_NAME = /(^|\.)package\.ya?ml$/i;
const PACKAGE_NAME_LINE = /^packageName\s*:/m;
const FLATTENED_DATA = /^\s*(clusterServiceVersions|packages)\s*:|"(clusterServiceVersions|packages)"\s*:/m;
/** `data:` at column 0 (YAML) or a `"data":` key (JSON). */
const DATA_KEY = /^data\s*:|"data"\s*:/m;
const SNIFF_LIMIT = 64 * 1024;

export async function discoverSources(roots: readonly string[], problems: ProblemList): Promise<ManifestSource[]> {
  const out: ManifestSource[] = [];
  for (const root of roots) {
    let info;
    try {
      info = await stat(root);
    } catch {
      problems.add(root, 'does not exist');
      continue;
    }
    const found: ManifestSource[] = [];
    if (info.isFile()) {
      if (await isFlattenedFile(root)) found.push({ kind: 'flattened-file', path: root });
    } else {
      await walk(root, found);
    }
    if (found.length === 0) problems.add(root, 'no operator manifests found (no bundle folder, package-manifest folder or flattened manifest file)');
    out.push(...found);
  }
  // Overlapping roots (a folder and its parent, or the same folder twice) name each source once.
  const seen = new Set<string>();
  return out.filter((s) => {
    const key = path.resolve(s.path);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function walk(dir: string, out: ManifestSource[]): Promise<void> {
  if (annotationsFile(dir) !== undefined) {
    out.push({ kind: 'bundle', path: dir });
    return;
  }
  const { files, dirs } = await listDir(dir);
  const manifests = files.filter(isManifestFile);
  if (await hasPackageFile(manifests)) {
    out.push({ kind: 'package-manifest', path: dir });
    return;
  }
  for (const f of manifests) if (await isFlattenedFile(f)) out.push({ kind: 'flattened-file', path: f });
  for (const d of dirs) await walk(d, out);
}

async function hasPackageFile(files: string[]): Promise<boolean> {
  if (files.some((f) => PACKAGE_FILE_NAME.test(path.basename(f)))) return true;
  for (const f of files) {
    const text = await sniff(f);
    // A flattened manifest may show a `packageName:` line (inside its packages string): not a package file.
    if (text !== undefined && PACKAGE_NAME_LINE.test(text) && !(await isFlattenedFile(f))) return true;
  }
  return false;
}

/**
 * A single-file flattened manifest: a top-level `data` key (YAML or JSON) whose map holds
 * `clusterServiceVersions` or `packages`. App Registry blobs put `customResourceDefinitions` first,
 * so those keys may lie far beyond the first bytes: when the head shows `data`, the whole file is read.
 */
async function isFlattenedFile(file: string): Promise<boolean> {
  const head = await sniff(file);
  if (head === undefined || !DATA_KEY.test(head)) return false;
  if (FLATTENED_DATA.test(head)) return true;
  return FLATTENED_DATA.test(await readFile(file, 'utf8'));
}

/** The first bytes of a file, enough to recognise a package file or a flattened manifest. */
async function sniff(file: string): Promise<string | undefined> {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_LIMIT);
    const n = readSync(fd, buffer, 0, SNIFF_LIMIT, 0);
    return buffer.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
