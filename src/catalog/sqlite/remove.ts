/**
 * Removing packages and stranded bundles, with opm's SQL and order (`opm registry rm`, `prune`,
 * `prune-stranded`). Foreign keys must be on: related images, channels and entries go by cascade.
 */
import { NotFoundError } from '../../errors.js';
import { queryColumn, queryRows, type Database } from './database.js';

export interface RemoveOptions {
  /** The caller already holds a transaction. */
  inTransaction?: boolean;
}

/** Removes each package and its bundles, then stranded bundles. Throws NotFoundError for an unknown package. */
export function removePackages(db: Database, names: readonly string[], options: RemoveOptions = {}): void {
  const wanted = [...new Set(names.filter((n) => n !== ''))];
  const known = new Set(queryColumn<string>(db, 'SELECT name FROM package'));
  const unknown = wanted.filter((n) => !known.has(n));
  if (unknown.length > 0) throw new NotFoundError(`no package named ${unknown.join(', ')} in the database`);
  const own = !options.inTransaction;
  if (own) db.exec('BEGIN');
  try {
    for (const name of wanted) removePackage(db, name);
    removeStrandedBundles(db);
    if (own) db.exec('COMMIT');
  } catch (err) {
    if (own) db.exec('ROLLBACK');
    throw err;
  }
}

function removePackage(db: Database, name: string): void {
  db.run(
    'DELETE FROM deprecated WHERE deprecated.operatorbundle_name IN (SELECT DISTINCT deprecated.operatorbundle_name FROM (deprecated INNER JOIN channel_entry ON deprecated.operatorbundle_name = channel_entry.operatorbundle_name) WHERE channel_entry.package_name = ?)',
    [name],
  );
  const bundles = queryColumn<string>(db, 'SELECT DISTINCT channel_entry.operatorbundle_name FROM channel_entry WHERE channel_entry.package_name=?', [name]);
  for (const bundle of bundles) removeBundle(db, bundle);
  db.run('DELETE FROM package WHERE package.name=?', [name]);
  db.run('DELETE FROM channel WHERE package_name = ?', [name]);
}

function removeBundle(db: Database, bundle: string): void {
  db.run('DELETE FROM operatorbundle WHERE operatorbundle.name=?', [bundle]);
  db.run('DELETE FROM api_provider WHERE api_provider.operatorbundle_name=?', [bundle]);
  db.run('DELETE FROM api_requirer WHERE api_requirer.operatorbundle_name=?', [bundle]);
  db.run('DELETE FROM channel_entry WHERE channel_entry.operatorbundle_name=?', [bundle]);
  // Rows whose version or path is NULL are not linked by the foreign key, so the cascade misses them
  // (opm leaves them behind); delete them by name so nothing of a removed bundle stays.
  db.run('DELETE FROM properties WHERE operatorbundle_name=?', [bundle]);
  db.run('DELETE FROM dependencies WHERE operatorbundle_name=?', [bundle]);
  db.run('DELETE FROM related_image WHERE operatorbundle_name=?', [bundle]);
}

/** Bundles in no channel entry and not deprecated, and bundles whose package is gone (opm prune-stranded). */
export function removeStrandedBundles(db: Database): void {
  const stranded = queryColumn<string>(
    db,
    'SELECT name FROM operatorbundle WHERE name NOT IN (SELECT operatorbundle_name FROM channel_entry) AND name NOT IN (SELECT operatorbundle_name FROM deprecated)',
  );
  for (const bundle of stranded) removeBundle(db, bundle);
  const packages = new Set(queryColumn<string>(db, 'SELECT DISTINCT name FROM package'));
  for (const row of queryRows<{ operatorbundle_name: string; value: string | Uint8Array }>(
    db,
    "SELECT DISTINCT operatorbundle_name, value FROM properties WHERE type = 'olm.package'",
  )) {
    const text = typeof row.value === 'string' ? row.value : Buffer.from(row.value).toString('utf8');
    let packageName: unknown;
    try {
      packageName = (JSON.parse(text) as { packageName?: unknown }).packageName;
    } catch {
      continue;
    }
    if (typeof packageName === 'string' && !packages.has(packageName)) removeBundle(db, row.operatorbundle_name);
  }
  db.run('DELETE FROM deprecated WHERE deprecated.operatorbundle_name NOT IN (SELECT DISTINCT name FROM operatorbundle)');
}
