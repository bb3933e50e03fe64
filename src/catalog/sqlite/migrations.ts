/**
 * Forward migrations of operator-registry databases, schema 5 → 13, applied to the in-memory copy
 * (never to the user's file). They follow opm's numbered migrations 006–013; the one deliberate
 * difference is 009, whose UPDATE of dependency values in opm overwrites every row with the first row's
 * value (operator-registry issue #519) — here each row keeps its own value, minus the "type" key, as
 * the migration intended.
 */
import { DatabaseError } from '../../errors.js';
import { goJson } from '../../util/go-json.js';
import { queryColumn, queryRows, utcTimestamp, type Database } from './database.js';
import { SCHEMA_13, SCHEMA_VERSION } from './schema.js';

export const OLDEST_READABLE_VERSION = 5;

const encoder = new TextEncoder();

function schemaStatement(marker: string): string {
  const s = SCHEMA_13.find((st) => st.includes(marker));
  if (!s) throw new Error(`schema statement ${marker} not found`);
  return s;
}

function bundleKeyOf(name: string, version: string | null, path: string | null): string {
  return `${name}\0${version ?? ''}\0${path ?? ''}`;
}

type Migration = (db: Database) => void;

const MIGRATIONS: Record<number, Migration> = {
  6: (db) => {
    for (const table of ['api_provider', 'api_requirer']) {
      const body = schemaStatement(`"${table}"`).replace(`CREATE TABLE "${table}"`, `CREATE TABLE ${table}_new`);
      db.exec(body);
    }
    db.exec(schemaStatement('CREATE UNIQUE INDEX pk'));
    for (const table of ['api_provider', 'api_requirer']) {
      const rows = queryRows<{ group_name: string | null; version: string | null; kind: string | null; name: string | null; bversion: string | null; path: string | null }>(
        db,
        `SELECT p.group_name, p.version, p.kind, ob.name AS name, ob.version AS bversion, ob.bundlepath AS path FROM ${table} p JOIN channel_entry ON channel_entry.entry_id = p.channel_entry_id JOIN operatorbundle ob ON ob.name = channel_entry.operatorbundle_name`,
      );
      const seen = new Set<string>();
      for (const r of rows) {
        if (r.group_name === null || r.version === null || r.kind === null || r.name === null) continue;
        const k = `${bundleKeyOf(r.name, r.bversion, r.path)}\0${r.group_name}\0${r.version}\0${r.kind}`;
        if (seen.has(k)) continue;
        seen.add(k);
        db.run(`INSERT INTO ${table}_new(group_name, version, kind, operatorbundle_name, operatorbundle_version, operatorbundle_path) VALUES (?, ?, ?, ?, ?, ?)`, [
          r.group_name,
          r.version,
          r.kind,
          r.name,
          r.bversion,
          r.path,
        ]);
      }
    }
    db.exec('DROP TABLE api_provider; DROP TABLE api_requirer; ALTER TABLE api_provider_new RENAME TO api_provider; ALTER TABLE api_requirer_new RENAME TO api_requirer;');
  },
  7: (db) => {
    db.exec('ALTER TABLE operatorbundle ADD COLUMN replaces TEXT; ALTER TABLE operatorbundle ADD COLUMN skips TEXT;');
    // opm's migration 007 also adds the triggers that drop an api row when its last provider or requirer goes.
    db.exec(schemaStatement('CREATE TRIGGER api_provider_cleanup'));
    db.exec(schemaStatement('CREATE TRIGGER api_requirer_cleanup'));
    for (const name of queryColumn<string>(db, 'SELECT DISTINCT name FROM operatorbundle WHERE name IS NOT NULL')) {
      const replaced = queryColumn<string | null>(
        db,
        'SELECT DISTINCT replaces.operatorbundle_name FROM channel_entry LEFT OUTER JOIN channel_entry replaces ON channel_entry.replaces = replaces.entry_id WHERE channel_entry.operatorbundle_name = ? ORDER BY channel_entry.depth ASC',
        [name],
      );
      const replaces = replaced[0] ?? '';
      const skips = replaced.slice(1).filter((s): s is string => s !== null);
      db.run('UPDATE operatorbundle SET replaces = ?, skips = ? WHERE name = ?', [replaces, skips.join(','), name]);
    }
  },
  8: (db) => {
    db.exec(schemaStatement('CREATE TABLE dependencies'));
    const seen = new Set<string>();
    for (const r of queryRows<{ group_name: string | null; version: string | null; kind: string | null; name: string | null; bversion: string | null; path: string | null }>(
      db,
      'SELECT group_name, version, kind, operatorbundle_name AS name, operatorbundle_version AS bversion, operatorbundle_path AS path FROM api_requirer',
    )) {
      if (r.group_name === null || r.version === null || r.kind === null || r.name === null) continue;
      const k = `${bundleKeyOf(r.name, r.bversion, r.path)}\0${r.group_name}\0${r.version}\0${r.kind}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const value = goJson({ group: r.group_name, kind: r.kind, type: 'olm.gvk', version: r.version });
      db.run('INSERT INTO dependencies(type, value, operatorbundle_name, operatorbundle_version, operatorbundle_path) VALUES (?, ?, ?, ?, ?)', [
        'olm.gvk',
        encoder.encode(value),
        r.name,
        r.bversion,
        r.path,
      ]);
    }
  },
  9: (db) => {
    db.exec(schemaStatement('CREATE TABLE properties'));
    const providers = queryRows<{ group_name: string; version: string; kind: string; name: string; bversion: string | null; path: string | null }>(
      db,
      'SELECT DISTINCT group_name, version, kind, operatorbundle_name AS name, operatorbundle_version AS bversion, operatorbundle_path AS path FROM api_provider WHERE operatorbundle_name IS NOT NULL',
    );
    const packaged = new Set<string>();
    for (const p of providers) {
      const key = bundleKeyOf(p.name, p.bversion, p.path);
      const insert = (type: string, value: string): void => {
        db.run('INSERT INTO properties(type, value, operatorbundle_name, operatorbundle_version, operatorbundle_path) VALUES (?, ?, ?, ?, ?)', [
          type,
          encoder.encode(value),
          p.name,
          p.bversion,
          p.path,
        ]);
      };
      if (!packaged.has(key)) {
        packaged.add(key);
        const pkg = queryColumn<string>(db, 'SELECT DISTINCT package_name FROM channel_entry WHERE operatorbundle_name = ?', [p.name])[0] ?? '';
        insert('olm.package', goJson({ packageName: pkg, version: p.bversion ?? '' }));
      }
      insert('olm.gvk', goJson({ group: p.group_name, kind: p.kind, version: p.version }));
    }
    // opm's UPDATE here correlates the subquery with itself and gives every row the first row's value;
    // strip "type" from each row's own value instead.
    db.exec("UPDATE dependencies SET value = json_remove(CAST(value AS TEXT), '$.type') WHERE json_valid(CAST(value AS TEXT))");
  },
  10: (db) => {
    db.exec(
      'UPDATE properties SET operatorbundle_path = (SELECT bundlepath FROM operatorbundle WHERE properties.operatorbundle_name = operatorbundle.name AND properties.operatorbundle_version = operatorbundle.version)',
    );
  },
  11: (db) => {
    db.exec('ALTER TABLE operatorbundle ADD COLUMN substitutesfor TEXT');
  },
  12: (db) => {
    db.exec(schemaStatement('CREATE TABLE deprecated'));
    db.exec("INSERT OR REPLACE INTO deprecated(operatorbundle_name) SELECT operatorbundle_name FROM properties WHERE properties.type = 'olm.deprecated'");
  },
  13: (db) => {
    db.exec(
      'DELETE FROM deprecated WHERE deprecated.operatorbundle_name NOT IN (SELECT DISTINCT deprecated.operatorbundle_name FROM (deprecated INNER JOIN channel_entry ON deprecated.operatorbundle_name = channel_entry.operatorbundle_name))',
    );
  },
};

/** Brings an opened database to schema 13 in one transaction; `file` names it in errors. */
export function migrateToLatest(db: Database, file: string, version: number): void {
  if (version === SCHEMA_VERSION) return;
  if (version < 0) throw new DatabaseError(`${file} is not an operator-registry database (no schema_migrations version)`);
  if (version > SCHEMA_VERSION) throw new DatabaseError(`${file} has schema version ${version}; ferry reads versions ${OLDEST_READABLE_VERSION} to ${SCHEMA_VERSION}`);
  if (version < OLDEST_READABLE_VERSION) {
    throw new DatabaseError(`${file} has schema version ${version}, older than ${OLDEST_READABLE_VERSION}, the oldest ferry reads`);
  }
  db.exec('BEGIN');
  try {
    for (let v = version + 1; v <= SCHEMA_VERSION; v++) MIGRATIONS[v]!(db);
    db.exec('DROP TABLE schema_migrations');
    db.exec(schemaStatement('CREATE TABLE schema_migrations'));
    db.run('INSERT INTO schema_migrations(version, timestamp) VALUES (?, ?)', [SCHEMA_VERSION, utcTimestamp()]);
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw new DatabaseError(`cannot migrate ${file} from schema version ${version}: ${(err as Error).message}`, { cause: err });
  }
}
