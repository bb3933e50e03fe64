/**
 * Changing an existing database: add packages from manifests (replacing packages of the same name),
 * remove packages, prune to a keep list. The file is read into memory (migrated to schema 13 when
 * older), changed there, and written back atomically only when everything succeeded.
 */
import { NotFoundError } from '../../errors.js';
import type { ModeOption } from '../graph.js';
import { loadManifests } from '../load.js';
import { openDatabase, saveDatabase, type Database } from '../sqlite/database.js';
import { CatalogQueries } from '../sqlite/queries.js';
import { removePackages } from '../sqlite/remove.js';
import { writePackages } from '../sqlite/writer.js';
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

export async function addToDatabase(options: { database: string; fromDirs: readonly string[]; mode?: ModeOption }): Promise<AddResult> {
  const loaded = await loadManifests(options.fromDirs, { mode: options.mode ?? 'auto' });
  const result = await change(options.database, (db) => writePackages(db, loaded.catalog.packages));
  return { ...result, ...summarize(loaded.catalog), notes: loaded.notes, warnings: loaded.warnings };
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
