/**
 * `registry build`: sources (manifest folders, App Registry namespaces, bundle images, an existing
 * database or catalog image to start from) → database → (unless only the database is wanted) a catalog image pushed or
 * saved. Everything happens in a temp folder first, so a failure leaves no output behind.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExitCode, FerryError } from '../../errors.js';
import type { CopyListener } from '../../oci/copy/progress.js';
import type { RegistryOptions } from '../../oci/registry/client.js';
import { StoreSet } from '../../oci/store-set.js';
import { publishDir, tempDirBeside } from '../../util/atomic-dir.js';
import { parseImageName } from '../../oci/transport.js';
import type { ModeOption } from '../graph.js';
import type { LoadResult } from '../load.js';
import { downloadAppRegistry, type DownloadAppRegistryOptions } from '../appregistry/index.js';
import { writeFbcFromDatabase } from '../fbc/fbc-from-database.js';
import { latestOpmBaseWarning } from '../image/base-image-warning.js';
import { buildCatalogImage, type BuiltCatalogImage } from '../image/build-catalog-image.js';
import type { CatalogFormat } from '../image/catalog-labels.js';
import { readCatalogImage } from '../image/read-catalog-image.js';
import { unpackBundleImages } from '../image/unpack-bundle-images.js';
import { createDatabase, openDatabase, saveDatabase } from '../sqlite/database.js';
import { CatalogQueries } from '../sqlite/queries.js';
import { loadIntoDatabase } from './load-into-database.js';
import { summarize, type CatalogSummary } from './summary.js';

export const DATABASE_FILE_NAME = 'index.db';
/** The folder a database-only file-based-catalog build writes into `databaseDir`. */
export const CONFIGS_DIR_NAME = 'configs';

export interface CatalogSources {
  fromDirs?: readonly string[];
  /** Bundle images to pull and add. */
  bundles?: readonly string[];
  /** Start from this database (read, migrated, never modified). */
  fromDb?: string;
  /** Start from the database of this catalog image. */
  fromIndex?: string;
  /** An App Registry namespace to download every operator of (or those named). */
  appRegistry?: Omit<DownloadAppRegistryOptions, 'signal'>;
  mode?: ModeOption;
}

export interface BuildCatalogOptions extends CatalogSources {
  base: string;
  /** What the image (or database-only output) holds: the sqlite database (default) or a file-based catalog rendered from it. */
  outputFormat?: CatalogFormat;
  /** `docker://REF` / bare reference to push to, `oci-archive:FILE:NAME` to save; undefined: database only into `databaseDir`. */
  destination?: string;
  databaseDir?: string;
  source?: RegistryOptions;
  target?: RegistryOptions;
  /** An OCI layout consulted before the registries for source images (the base, bundle images, --from-index). */
  imagesFrom?: string;
  jobs?: number;
  signal?: AbortSignal;
  onEvent?: CopyListener;
}

export interface BuildCatalogResult extends CatalogSummary {
  /** Where index.db was written (database-only sqlite builds). */
  database?: string;
  /** Where the configs folder was written (database-only file-based-catalog builds). */
  configs?: string;
  image?: BuiltCatalogImage;
  /** All packages in the catalog (the starting catalog's included). */
  catalogPackages: string[];
  notes: string[];
  warnings: string[];
}

export async function buildCatalog(options: BuildCatalogOptions): Promise<BuildCatalogResult> {
  const work = await mkdtemp(path.join(tmpdir(), 'ferry-build-catalog-'));
  const stores = new StoreSet({ ...(options.source ? { source: options.source } : {}), ...(options.imagesFrom !== undefined ? { imagesFrom: options.imagesFrom } : {}) });
  try {
    const database = path.join(work, DATABASE_FILE_NAME);
    const format = options.outputFormat ?? 'sqlite';
    // A database-only sqlite build saves straight to the user's folder (atomically); the others keep it in work.
    const output = options.destination === undefined && format === 'sqlite' ? path.join(options.databaseDir!, DATABASE_FILE_NAME) : database;
    const signal = options.signal ? { signal: options.signal } : {};
    if (options.fromDb !== undefined) await copyFile(options.fromDb, database);
    else if (options.fromIndex !== undefined) {
      const location = await stores.locate(parseImageName(options.fromIndex), 'source');
      const catalog = await readCatalogImage(location, path.join(work, 'index'), signal);
      if (catalog.content.kind !== 'sqlite') {
        throw new FerryError('UNSUPPORTED_CATALOG', `${options.fromIndex} is a file-based catalog; --from-index takes a sqlite catalog image`, ExitCode.invalidInput);
      }
      await copyFile(catalog.content.database, database);
    }
    const bundleImages = options.bundles?.length ? await unpackBundleImages(options.bundles, path.join(work, 'bundles'), stores, signal) : new Map<string, string>();
    const appRegistryRoots = options.appRegistry ? (await downloadAppRegistry({ ...options.appRegistry, ...signal }, path.join(work, 'appregistry'))).roots : [];
    const roots = [...(options.fromDirs ?? []), ...appRegistryRoots, ...bundleImages.keys()];
    const started = options.fromDb !== undefined || options.fromIndex !== undefined;
    const { db } = started ? await openDatabase(database) : { db: await createDatabase() };
    let catalogPackages: string[];
    let loaded: LoadResult;
    try {
      loaded = await loadIntoDatabase(db, roots, { mode: options.mode ?? 'auto', bundleImages, database: options.fromDb ?? options.fromIndex ?? database });
      catalogPackages = new CatalogQueries(db).listPackages().sort();
      if (started) db.exec('VACUUM');
      await saveDatabase(db, output);
    } finally {
      db.close();
    }
    const baseWarning = options.destination === undefined ? undefined : latestOpmBaseWarning(options.base, format);
    const base = { ...summarize(loaded.catalog), catalogPackages, notes: loaded.notes, warnings: [...loaded.warnings, ...(baseWarning ? [baseWarning] : [])] };
    if (options.destination === undefined && format === 'sqlite') return { ...base, database: output };
    let configs: { dir: string; files: string[] } | undefined;
    if (format === 'fbc') {
      const target = options.destination === undefined ? path.join(options.databaseDir!, CONFIGS_DIR_NAME) : path.join(work, CONFIGS_DIR_NAME);
      const temp = await tempDirBeside(target);
      try {
        const written = await writeFbcFromDatabase(database, temp);
        await publishDir(temp, target, { replace: true });
        configs = { dir: target, files: written.files };
      } finally {
        await rm(temp, { recursive: true, force: true });
      }
    }
    if (options.destination === undefined) return { ...base, configs: configs!.dir };
    const image = await buildCatalogImage({
      database,
      format,
      ...(configs ? { configs } : {}),
      base: options.base,
      destination: options.destination,
      ...(options.source ? { source: options.source } : {}),
      ...(options.target ? { target: options.target } : {}),
      ...(options.imagesFrom !== undefined ? { imagesFrom: options.imagesFrom } : {}),
      ...(options.jobs ? { jobs: options.jobs } : {}),
      ...signal,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
    return { ...base, image };
  } finally {
    await stores.close();
    await rm(work, { recursive: true, force: true });
  }
}
