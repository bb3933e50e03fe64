/**
 * `registry build --db-only`: manifests → a new operator-registry database file, written atomically.
 */
import path from 'node:path';
import type { ModeOption } from '../graph.js';
import { loadManifests } from '../load.js';
import { createDatabase, saveDatabase } from '../sqlite/database.js';
import { writePackages } from '../sqlite/writer.js';
import { summarize, type CatalogSummary } from './summary.js';

export interface BuildDatabaseOptions {
  fromDirs: readonly string[];
  /** Folder that receives `index.db`. */
  outputDir: string;
  mode?: ModeOption;
}

export interface BuildDatabaseResult extends CatalogSummary {
  database: string;
  notes: string[];
  warnings: string[];
}

export const DATABASE_FILE_NAME = 'index.db';

export async function buildDatabase(options: BuildDatabaseOptions): Promise<BuildDatabaseResult> {
  const loaded = await loadManifests(options.fromDirs, { mode: options.mode ?? 'auto' });
  const db = await createDatabase();
  try {
    writePackages(db, loaded.catalog.packages);
    const database = path.join(options.outputDir, DATABASE_FILE_NAME);
    await saveDatabase(db, database);
    return { database, ...summarize(loaded.catalog), notes: loaded.notes, warnings: loaded.warnings };
  } finally {
    db.close();
  }
}
