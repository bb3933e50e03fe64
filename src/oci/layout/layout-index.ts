/** Reading an OCI layout's `oci-layout` marker and `index.json`. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../../errors.js';
import type { Descriptor } from '../descriptor.js';
import { ManifestError } from '../manifest.js';

export interface LayoutIndex {
  /** index.json as parsed, kept whole so an update preserves fields ferry does not know. */
  document: Record<string, unknown>;
  manifests: Descriptor[];
}

export async function readLayoutIndex(dir: string): Promise<LayoutIndex> {
  let marker: string;
  try {
    marker = await readFile(path.join(dir, 'oci-layout'), 'utf8');
  } catch {
    throw new NotFoundError(`${dir} is not an OCI image layout (no oci-layout file)`);
  }
  return parseLayoutIndex(marker, await readFile(path.join(dir, 'index.json'), 'utf8').catch(() => undefined), dir);
}

/** Parses the two files (shared with archives, which read them from a tar). */
export function parseLayoutIndex(marker: string, indexJson: string | undefined, where: string): LayoutIndex {
  let version: unknown;
  try {
    version = (JSON.parse(marker) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
  } catch {
    throw new ManifestError(`${where}: oci-layout is not valid JSON`);
  }
  if (typeof version !== 'string' || !version.startsWith('1.')) throw new ManifestError(`${where}: unsupported OCI layout version ${JSON.stringify(version)}`);
  if (indexJson === undefined) throw new NotFoundError(`${where}: OCI layout has no index.json`);
  let document: Record<string, unknown>;
  try {
    document = JSON.parse(indexJson) as Record<string, unknown>;
  } catch (err) {
    throw new ManifestError(`${where}: index.json is not valid JSON (${(err as Error).message})`);
  }
  const manifests = Array.isArray(document.manifests) ? (document.manifests as Descriptor[]) : [];
  return { document, manifests };
}
