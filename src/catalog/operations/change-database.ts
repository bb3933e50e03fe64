/**
 * Changing an existing database: add packages from manifests or bundle images (bundles extend a
 * package already there, as opm registry add -b; a package-manifest folder replaces it),
 * remove packages, prune to a keep list. The file is read into memory (migrated to schema 13 when
 * older), changed there, and written back atomically only when everything succeeded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NotFoundError, UsageError } from '../../errors.js';
import type { RegistryOptions } from '../../oci/registry/client.js';
import { StoreSet } from '../../oci/store-set.js';
import type { ModeOption } from '../graph.js';
import { unpackBundleImages } from '../image/unpack-bundle-images.js';
import type { LoadResult } from '../load.js';
import { loadIntoDatabase } from './load-into-database.js';
import { openDatabase, saveDatabase, type Database } from '../sqlite/database.js';
import { CatalogQueries } from '../sqlite/queries.js';
import { removePackages } from '../sqlite/remove.js';
import { summarize, type CatalogSummary } from './summary.js';

export interface ChangeResult {
  database: string;
  /** Schema version the file had before (13 unless it was migrated). */
  migratedFrom: number;
  packagesBefore: string[];
  packagesAfter: string[];
}

async function change(database: string, edit: (db: Database) => Promise<void> | void): Promise<ChangeResult> {
  const { db, originalVersion } = await openDatabase(database);
  try {
    const queries = new CatalogQueries(db);
    const packagesBefore = queries.listPackages().sort();
    await edit(db);
    const packagesAfter = queries.listPackages().sort();
    db.exec('VACUUM');
    await saveDatabase(db, database);
    return { database, migratedFrom: originalVersion, packagesBefore, packagesAfter };
  } finally {
    db.close();
  }
}

export interface AddResult extends ChangeResult, CatalogSummary {
  notes: string[];
  warnings: string[];
}

export interface AddOptions {
  database: string;
  fromDirs?: readonly string[];
  /** Bundle images to pull and add (their packages extended when already in the database, as opm registry add -b). */
  bundles?: readonly string[];
  mode?: ModeOption;
  source?: RegistryOptions;
  signal?: AbortSignal;
}

export async function addToDatabase(options: AddOptions): Promise<AddResult> {
  const work = await mkdtemp(path.join(tmpdir(), 'ferry-add-'));
  const stores = new StoreSet(options.source ? { source: options.source } : {});
  try {
    const signal = options.signal ? { signal: options.signal } : {};
    const bundleImages = options.bundles?.length ? await unpackBundleImages(options.bundles, path.join(work, 'bundles'), stores, signal) : new Map<string, string>();
    const roots = [...(options.fromDirs ?? []), ...bundleImages.keys()];
    if (roots.length === 0) throw new UsageError('nothing to add: give --from-dir or --bundles');
    const mode = options.mode ?? 'auto';
    let loaded: LoadResult = { catalog: { packages: [] }, notes: [], warnings: [] };
    const result = await change(options.database, async (db) => {
      loaded = await loadIntoDatabase(db, roots, { mode, bundleImages, database: options.database });
    });
    return { ...result, ...summarize(loaded.catalog), notes: loaded.notes, warnings: loaded.warnings };
  } finally {
    await stores.close();
    await rm(work, { recursive: true, force: true });
  }
}

export async function removeFromDatabase(options: { database: string; packages: readonly string[] }): Promise<ChangeResult> {
  return change(options.database, (db) => removePackages(db, options.packages));
}

export async function pruneDatabase(options: { database: string; keep: readonly string[] }): Promise<ChangeResult> {
  return change(options.database, (db) => {
    const present = new CatalogQueries(db).listPackages();
    const missing = options.keep.filter((k) => k !== '' && !present.includes(k));
    if (missing.length > 0) throw new NotFoundError(`no package named ${missing.join(', ')} in ${options.database}; nothing was pruned`);
    removePackages(db, present.filter((p) => !options.keep.includes(p)));
  });
}
