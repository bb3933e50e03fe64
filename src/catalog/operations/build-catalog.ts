/**
 * `registry build`: manifests → database → (unless --db-only) a catalog image pushed to `--to` or
 * saved as a tarball (`--save`). The database is built in a temp folder first, so a failure
 * anywhere leaves no output behind.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CopyListener } from '../../oci/copy/progress.js';
import type { RegistryOptions } from '../../oci/registry/client.js';
import type { ModeOption } from '../graph.js';
import { buildCatalogImage, type BuiltCatalogImage } from '../image/build-catalog-image.js';
import { buildDatabase, type BuildDatabaseResult } from './build-database.js';

export interface BuildCatalogOptions {
  fromDirs: readonly string[];
  mode?: ModeOption;
  base: string;
  /** `docker://REF` / bare reference to push to, or `oci-archive:FILE:NAME` to save. */
  destination: string;
  source?: RegistryOptions;
  target?: RegistryOptions;
  jobs?: number;
  signal?: AbortSignal;
  onEvent?: CopyListener;
}

export interface BuildCatalogResult extends Omit<BuildDatabaseResult, 'database'> {
  image: BuiltCatalogImage;
}

export async function buildCatalog(options: BuildCatalogOptions): Promise<BuildCatalogResult> {
  const work = await mkdtemp(path.join(tmpdir(), 'ferry-db-'));
  try {
    const { database, ...summary } = await buildDatabase({ fromDirs: options.fromDirs, outputDir: work, ...(options.mode ? { mode: options.mode } : {}) });
    const image = await buildCatalogImage({
      database,
      base: options.base,
      destination: options.destination,
      ...(options.source ? { source: options.source } : {}),
      ...(options.target ? { target: options.target } : {}),
      ...(options.jobs ? { jobs: options.jobs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
    return { ...summary, image };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
