/**
 * Loading manifests into an open database as opm adds them: bundles of a package the database holds
 * extend it, a package-manifest folder replaces its package, new packages are added.
 */
import type { ModeOption } from '../graph.js';
import { loadManifests, type LoadResult } from '../load.js';
import type { Database } from '../sqlite/database.js';
import { readStoredPackages } from '../sqlite/stored-packages.js';
import { writePackages } from '../sqlite/writer.js';

export async function loadIntoDatabase(
  db: Database,
  roots: readonly string[],
  options: { mode: ModeOption; bundleImages: ReadonlyMap<string, string>; database: string },
): Promise<LoadResult> {
  if (roots.length === 0) return { catalog: { packages: [] }, notes: [], warnings: [] };
  const loaded = await loadManifests(roots, { mode: options.mode, bundleImages: options.bundleImages, stored: readStoredPackages(db, options.database) });
  writePackages(db, loaded.catalog.packages, { mode: options.mode });
  return loaded;
}
