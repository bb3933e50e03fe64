/**
 * Placing a flattened blob's one file so that `loadManifests` reads it: the folder gets exactly that
 * file, byte for byte, under its own name unless the loader would misread that name (a
 * `package.yaml` would make the folder look like a package-manifest folder; a hidden or non-YAML
 * name would be skipped), in which case it is called `bundle.yaml` (the name operator-courier used).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ArchiveError } from '../../oci/archive/tar-header.js';
import { isHidden, isManifestFile, parseDocs } from '../manifests/files.js';
import { isFlattenedDoc } from '../manifests/flattened-file.js';
import { ProblemList } from '../problems.js';

/** The name used when the blob's own file name would mislead the loader. */
export const FLATTENED_FILE_NAME = 'bundle.yaml';

const PACKAGE_FILE_NAME = /(^|\.)package\.ya?ml$/i;

/** The name the flattened file gets in its package folder. */
export function flattenedFileName(original: string): string {
  const base = path.posix.basename(original);
  const usable = isManifestFile(base) && !isHidden(base) && !PACKAGE_FILE_NAME.test(base) && path.extname(base).toLowerCase() !== '.json';
  return usable ? base : FLATTENED_FILE_NAME;
}

/**
 * Checks that `source` is a flattened manifest and writes it as `dir/<name>`; returns the path.
 * Throws ArchiveError (exit 3) when the file is not one (`where` names the blob).
 */
export async function placeFlattened(source: string, originalName: string, dir: string, where: string): Promise<string> {
  const text = await readFile(source, 'utf8');
  const problems = new ProblemList();
  const docs = parseDocs(text, originalName, problems);
  if (docs === undefined) {
    const detail = problems.list.map((p) => p.message).join('; ');
    throw new ArchiveError(`${where}: the blob's one file ${JSON.stringify(originalName)} is not readable YAML (${detail})`);
  }
  if (!docs.some(isFlattenedDoc)) {
    throw new ArchiveError(
      `${where}: the blob holds one file, ${JSON.stringify(originalName)}, and it is not a flattened operator manifest (a YAML document whose data holds clusterServiceVersions / packages strings)`,
    );
  }
  const target = path.join(dir, flattenedFileName(originalName));
  await writeFile(target, text, { flag: 'wx', mode: 0o644 });
  return target;
}

