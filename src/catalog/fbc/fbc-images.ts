/**
 * The images of a file-based catalog: every `olm.bundle`'s `image` and each of its
 * `relatedImages[].image` (empty names allowed, empty images skipped), with the bundles that name
 * them. Files are the JSON and YAML streams under the catalog folder; `.indexignore` files exclude
 * paths below their folder (gitignore-style `*`, `?`, `**` patterns and plain names).
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError, type Problem } from '../../errors.js';
import { parseYamlStream } from '../manifests/yaml.js';
import { normalizeImages, type ListImagesResult } from '../operations/list-images.js';
import { parseJsonStream } from './json-stream.js';

interface FbcBundle {
  schema?: unknown;
  name?: unknown;
  package?: unknown;
  image?: unknown;
  relatedImages?: unknown;
}

export interface FbcImages extends ListImagesResult {
  bundles: number;
  packages: string[];
}

export async function listFbcImages(configsDir: string): Promise<FbcImages> {
  const { pairs, bundles, packages } = await readFbc(configsDir);
  return { ...normalizeImages(pairs), bundles, packages };
}

async function readFbc(configsDir: string): Promise<{ pairs: Array<{ image: string; bundle: string }>; bundles: number; packages: string[] }> {
  const pairs: Array<{ image: string; bundle: string }> = [];
  const packages = new Set<string>();
  let bundles = 0;
  await forEachFbcDocument(configsDir, (value) => {
    const doc = value as FbcBundle;
    if (doc.schema === 'olm.package' && typeof doc.name === 'string') packages.add(doc.name);
    if (doc.schema !== 'olm.bundle') return;
    bundles++;
    pairs.push(...bundleImagePairs(value));
  });
  return { pairs, bundles, packages: [...packages].sort() };
}

/** The (image, bundle) pairs one `olm.bundle` object names, as they are written (empty images skipped). */
export function bundleImagePairs(value: Record<string, unknown>): Array<{ image: string; bundle: string }> {
  const doc = value as FbcBundle;
  if (doc.schema !== 'olm.bundle') return [];
  const name = typeof doc.name === 'string' ? doc.name : '(unnamed bundle)';
  const pairs: Array<{ image: string; bundle: string }> = [];
  if (typeof doc.image === 'string' && doc.image !== '') pairs.push({ image: doc.image, bundle: name });
  if (Array.isArray(doc.relatedImages)) {
    for (const related of doc.relatedImages as Array<{ image?: unknown }>) {
      if (typeof related?.image === 'string' && related.image !== '') pairs.push({ image: related.image, bundle: name });
    }
  }
  return pairs;
}

/**
 * Calls `visit` with every object of the catalog's JSON and YAML streams, file by file in a stable
 * order, with the file's path relative to the catalog folder. Files that do not parse are collected
 * and reported together (InvalidInputError) after the others were visited.
 */
export async function forEachFbcDocument(configsDir: string, visit: (value: Record<string, unknown>, file: string) => void): Promise<void> {
  const problems: Problem[] = [];
  for (const file of await catalogFiles(configsDir)) {
    const relative = path.relative(configsDir, file);
    let values: unknown[];
    try {
      const text = await readFile(file, 'utf8');
      values = file.endsWith('.json') ? parseJsonStream(text, relative) : parseYamlStream(text);
    } catch (err) {
      problems.push({ file: relative, message: (err as Error).message });
      continue;
    }
    for (const value of values) if (value !== null && typeof value === 'object' && !Array.isArray(value)) visit(value as Record<string, unknown>, relative);
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
}

/** JSON and YAML files under `dir`, minus what `.indexignore` files exclude, in a stable order. */
async function catalogFiles(dir: string, ignores: RegExp[] = []): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  const here = [...ignores];
  if (entries.some((e) => e.isFile() && e.name === '.indexignore')) {
    const text = await readFile(path.join(dir, '.indexignore'), 'utf8');
    for (const line of text.split(/\r?\n/).map((l) => l.trim())) if (line !== '' && !line.startsWith('#')) here.push(globToRegExp(line, dir));
  }
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (here.some((re) => re.test(full))) continue;
    if (entry.isDirectory()) files.push(...(await catalogFiles(full, here)));
    else if (entry.isFile() && /\.(json|ya?ml)$/.test(entry.name)) files.push(full);
  }
  return files;
}

/** A gitignore-style pattern relative to `base`, as a regular expression over absolute paths. */
function globToRegExp(pattern: string, base: string): RegExp {
  const anchored = pattern.includes('/') && !pattern.endsWith('/');
  const body = pattern
    .replace(/^\//, '')
    .replace(/\/$/, '')
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*/g, '\u0000')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]')
    .replace(/\u0000/g, '.*');
  const prefix = base.replace(/[.+^${}()|[\]\\*?]/g, '\\$&');
  return new RegExp(anchored ? `^${prefix}/${body}(/.*)?$` : `^${prefix}/(.*/)?${body}(/.*)?$`);
}
