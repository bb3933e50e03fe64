/**
 * Placing a flattened blob's one file so that `loadManifests` reads it. The folder gets exactly that
 * YAML, under its own name unless the loader would misread that name (a `package.yaml` would make the
 * folder look like a package-manifest folder; a hidden or non-YAML name would be skipped), in which
 * case it is called `bundle.yaml` (the name operator-courier used).
 *
 * The loader finds single-file flattened manifests by sniffing the first 64 KiB of a file for `data:`
 * and a `clusterServiceVersions:` or `packages:` key (src/catalog/manifests/discover.ts). App Registry
 * blobs put `customResourceDefinitions` first, so a package with large CRDs has those keys beyond the
 * sniff and the folder would load as "no operator manifests found". For such a file only, the outer
 * document is re-written with `data` first and `packages`, `clusterServiceVersions` ahead of the CRDs;
 * the three values are strings and are carried over unchanged, and the re-written text is checked to
 * read back as exactly the same documents before it is used. (The same re-write is used for a file
 * whose sniffed head has a `packageName:` line at column 0, which the loader would take for a
 * package file.)
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { dump, YAML11_SCHEMA } from 'js-yaml';
import { ArchiveError } from '../../oci/archive/tar-header.js';
import { isHidden, isManifestFile, parseDocs, type Doc } from '../manifests/files.js';
import { isFlattenedDoc } from '../manifests/flattened-file.js';
import { parseYamlStream, YamlSyntaxError } from '../manifests/yaml.js';
import { ProblemList } from '../problems.js';

/** The name used when the blob's own file name would mislead the loader. */
export const FLATTENED_FILE_NAME = 'bundle.yaml';

// Mirrors of the loader's recognition rules (discover.ts); keep them in step.
const PACKAGE_FILE_NAME = /(^|\.)package\.ya?ml$/i;
const SNIFF_LIMIT = 64 * 1024;
const DATA_KEY = /^data\s*:/m;
const FLATTENED_DATA = /^\s*(clusterServiceVersions|packages)\s*:/m;
const PACKAGE_NAME_LINE = /^packageName\s*:/m;
const KEY_ORDER = ['packages', 'clusterServiceVersions', 'customResourceDefinitions'];

/** The name the flattened file gets in its package folder. */
export function flattenedFileName(original: string): string {
  const base = path.posix.basename(original);
  const usable = isManifestFile(base) && !isHidden(base) && !PACKAGE_FILE_NAME.test(base) && path.extname(base).toLowerCase() !== '.json';
  return usable ? base : FLATTENED_FILE_NAME;
}

/**
 * True when the loader's discovery recognizes `text` as a single-file flattened manifest: its sniff
 * sees `data:` and a data key, and does not see a `packageName:` line at column 0 (which would make
 * the folder pass for a package-manifest folder; possible with under-indented quoted scalars).
 */
export function loaderRecognizes(text: string): boolean {
  const head = Buffer.from(text, 'utf8').subarray(0, SNIFF_LIMIT).toString('utf8');
  return DATA_KEY.test(head) && FLATTENED_DATA.test(head) && !PACKAGE_NAME_LINE.test(head);
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
  await writeFile(target, loaderRecognizes(text) ? text : rewriteForLoader(docs, where), { flag: 'wx', mode: 0o644 });
  return target;
}

/** The documents again, `data` first and its keys in KEY_ORDER; verified to read back identically. */
function rewriteForLoader(docs: Doc[], where: string): string {
  const reordered = docs.map((doc) => {
    if (!isFlattenedDoc(doc)) return doc;
    const data = doc['data'] as Record<string, unknown>;
    const keys = [...KEY_ORDER.filter((k) => k in data), ...Object.keys(data).filter((k) => !KEY_ORDER.includes(k))];
    const { data: _data, ...rest } = doc;
    void _data;
    return { data: Object.fromEntries(keys.map((k) => [k, data[k]])), ...rest };
  });
  const text = reordered.map((doc) => dump(doc, { schema: YAML11_SCHEMA, lineWidth: -1, noRefs: true })).join('---\n');
  let back: unknown[];
  try {
    back = parseYamlStream(text);
  } catch (err) {
    if (!(err instanceof YamlSyntaxError)) throw err;
    back = [];
  }
  if (!isDeepStrictEqual(back, docs) || !loaderRecognizes(text)) {
    throw new ArchiveError(`${where}: the flattened manifest has its data keys beyond the first 64 KiB, where ferry's loader does not look, and could not be re-ordered safely`);
  }
  return text;
}
