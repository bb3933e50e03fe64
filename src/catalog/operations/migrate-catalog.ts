/**
 * `registry migrate DB|IMAGE DIR`, as `opm migrate`: a sqlite catalog (a database file, or the
 * database of a catalog image) written as a file-based catalog, `DIR/<package>/catalog.json` (or
 * .yaml), exactly as opm renders it. DIR must be missing or empty; the catalog is written beside
 * it and renamed into place, so a failed migrate leaves no output.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExitCode, FerryError } from '../../errors.js';
import type { RegistryOptions } from '../../oci/registry/client.js';
import { StoreSet } from '../../oci/store-set.js';
import { parseImageName } from '../../oci/transport.js';
import { isMissingOrEmpty, publishDir, tempDirBeside } from '../../util/atomic-dir.js';
import { writeFbcFromDatabase } from '../fbc/fbc-from-database.js';
import type { FbcFormat } from '../fbc/write-fbc.js';
import { readCatalogImage } from '../image/read-catalog-image.js';

export interface MigrateCatalogOptions {
  /** A database file, or a catalog image reference (`docker://`, `oci:`, `oci-archive:` or bare). */
  source: string;
  outputDir: string;
  format?: FbcFormat;
  registry?: RegistryOptions;
  imagesFrom?: string;
  signal?: AbortSignal;
}

export interface MigrateCatalogResult {
  source: string;
  sourceKind: 'database' | 'image';
  outputDir: string;
  format: FbcFormat;
  packages: string[];
  channels: number;
  bundles: number;
  files: string[];
}

export async function migrateCatalog(options: MigrateCatalogOptions): Promise<MigrateCatalogResult> {
  const format = options.format ?? 'json';
  if (!(await isMissingOrEmpty(options.outputDir))) {
    throw new FerryError('OUTPUT_EXISTS', `output folder ${options.outputDir} must be empty`, ExitCode.usage);
  }
  const work = await mkdtemp(path.join(tmpdir(), 'ferry-migrate-'));
  let temp: string | undefined;
  try {
    const isFile = (await stat(options.source).catch(() => undefined))?.isFile() === true;
    let database = options.source;
    if (!isFile) {
      const stores = new StoreSet({ ...(options.registry ? { source: options.registry } : {}), ...(options.imagesFrom !== undefined ? { imagesFrom: options.imagesFrom } : {}) });
      try {
        const location = await stores.locate(parseImageName(options.source), 'source');
        const catalog = await readCatalogImage(location, work, options.signal ? { signal: options.signal } : {});
        if (catalog.content.kind !== 'sqlite') {
          throw new FerryError('UNSUPPORTED_CATALOG', `${options.source} is already a file-based catalog; migrate takes a sqlite catalog`, ExitCode.invalidInput);
        }
        database = catalog.content.database;
      } finally {
        await stores.close();
      }
    }
    temp = await tempDirBeside(options.outputDir);
    const written = await writeFbcFromDatabase(database, temp, format);
    await publishDir(temp, options.outputDir);
    temp = undefined;
    return { source: options.source, sourceKind: isFile ? 'database' : 'image', outputDir: options.outputDir, format, ...written };
  } finally {
    if (temp !== undefined) await rm(temp, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
}
