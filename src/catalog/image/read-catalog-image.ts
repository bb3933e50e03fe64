/**
 * Opens a catalog image (registry, layout or archive) and extracts its catalog: the sqlite database
 * its `...index.database.v1` label points at, or the file-based catalog folder of its
 * `...index.configs.v1` label. A multi-platform catalog is read through its linux/amd64 image
 * (every platform carries the same catalog), else its first.
 */
import path from 'node:path';
import { ExitCode, FerryError } from '../../errors.js';
import type { ImageLocation } from '../../oci/copy/location.js';
import { readImageConfig } from '../../oci/image-config.js';
import { resolveImage } from '../../oci/resolve-image.js';
import { CONFIGS_LABEL, DATABASE_LABEL } from './catalog-labels.js';
import { extractFile, extractFolder } from './extract-from-layers.js';

export type CatalogContent =
  | { kind: 'sqlite'; database: string; label: string }
  | { kind: 'fbc'; configsDir: string; label: string; files: string[] };

export interface CatalogImage {
  /** The digest of what the user named (an index stays an index). */
  digest: string;
  /** The platform read, for a multi-platform catalog. */
  platform?: string;
  content: CatalogContent;
}

export async function readCatalogImage(location: ImageLocation, workDir: string, options: { signal?: AbortSignal } = {}): Promise<CatalogImage> {
  const { top, image, platform } = await resolveImage(location, options);
  const { config } = await readImageConfig(location, image.config, options);
  const labels = config.config?.Labels ?? {};
  const base = { digest: top.digest, ...(platform ? { platform } : {}) };
  const databasePath = labels[DATABASE_LABEL];
  if (databasePath) {
    const database = path.join(workDir, 'index.db');
    await extractFile(location, image, databasePath, database, options);
    return { ...base, content: { kind: 'sqlite', database, label: databasePath } };
  }
  const configsPath = labels[CONFIGS_LABEL];
  if (configsPath) {
    const configsDir = path.join(workDir, 'configs');
    const files = await extractFolder(location, image, configsPath, configsDir, options);
    if (files.length === 0) throw new FerryError('NOT_FOUND', `${location.display}: the folder ${configsPath} named by ${CONFIGS_LABEL} is empty or missing`, ExitCode.notFound);
    return { ...base, content: { kind: 'fbc', configsDir, label: configsPath, files } };
  }
  throw new FerryError('NOT_A_CATALOG', `${location.display} is not a catalog image: its config has neither the ${DATABASE_LABEL} nor the ${CONFIGS_LABEL} label`, ExitCode.invalidInput);
}
