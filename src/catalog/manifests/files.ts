import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { compareBytes } from '../../util/compare-bytes.js';
import type { ProblemList } from '../problems.js';
import { parseYamlStream, YamlSyntaxError } from './yaml.js';

export type Doc = Record<string, unknown>;

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export function isManifestFile(name: string): boolean {
  return MANIFEST_EXTENSIONS.has(path.extname(name).toLowerCase());
}

export function isHidden(name: string): boolean {
  return name.startsWith('.');
}

/** Entries of a folder sorted by name (as Go's os.ReadDir returns them), hidden ones skipped. */
export async function listDir(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  const dirs: string[] = [];
  for (const e of entries.sort((a, b) => compareBytes(a.name, b.name))) {
    if (isHidden(e.name)) continue;
    if (e.isDirectory()) dirs.push(path.join(dir, e.name));
    else if (e.isFile() || e.isSymbolicLink()) files.push(path.join(dir, e.name));
  }
  return { files, dirs };
}

/** Every manifest file under `dir`, depth first, sorted, hidden files and folders skipped. */
export async function walkManifestFiles(dir: string): Promise<string[]> {
  const { files, dirs } = await listDir(dir);
  const out = files.filter((f) => isManifestFile(f));
  for (const d of dirs) out.push(...(await walkManifestFiles(d)));
  return out;
}

/**
 * Reads every document of a YAML or JSON file. A syntax error becomes a problem naming the file and
 * line, and the result is undefined; documents that are not mappings are dropped.
 */
export async function readDocs(file: string, problems: ProblemList): Promise<Doc[] | undefined> {
  let text: string;
  try {
    // Synchronous: thousands of small files read one after another are several times faster this way.
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.add(file, `cannot read: ${(err as Error).message}`);
    return undefined;
  }
  return parseDocs(text, file, problems);
}

export function parseDocs(text: string, file: string, problems: ProblemList): Doc[] | undefined {
  return parseValues(text, file, problems)?.filter(isMapping);
}

/** Every non-empty document of a YAML stream, whatever its type; undefined after a syntax problem. */
export function parseValues(text: string, file: string, problems: ProblemList): unknown[] | undefined {
  try {
    return parseYamlStream(text);
  } catch (err) {
    if (err instanceof YamlSyntaxError) {
      const where = err.line === undefined ? '' : ` at line ${err.line}, column ${err.column}`;
      problems.add(file, `malformed YAML${where}: ${err.message}`);
      return undefined;
    }
    throw err;
  }
}

export function isMapping(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
