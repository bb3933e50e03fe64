/**
 * Writing the catalog model into an operator-registry schema-13 database, row for row as opm writes
 * it (see docs/catalog-database.md for the few deliberate differences). One transaction per call: a
 * failure leaves the database as it was.
 */
import { csvImages, providedApis, requiredApis } from '../csv.js';
import type { ModeOption } from '../graph.js';
import type { Bundle, GroupVersionKind, Package } from '../model.js';
import { goJson } from '../../util/go-json.js';
import { InvalidInputError, type Problem } from '../../errors.js';
import type { Statement } from 'sql.js';
import type { Database, SqlValue } from './database.js';
import { removePackages } from './remove.js';

const encoder = new TextEncoder();

/** NULL for '' (opm's sqlString, used in the bundle-keyed tables). */
function nullable(s: string): string | null {
  return s === '' ? null : s;
}

function gvkValue(g: GroupVersionKind): string {
  return goJson({ group: g.group, kind: g.kind, version: g.version });
}

/** Prepared statements reused across rows: sql.js compiles the SQL again on every `db.run`. */
class Statements {
  private readonly cache = new Map<string, Statement>();

  constructor(private readonly db: Database) {}

  run(sql: string, params: SqlValue[]): void {
    this.prepared(sql).run(params);
  }

  /** Rowid of the last insert. */
  lastRowId(): number {
    const s = this.prepared('SELECT last_insert_rowid()');
    s.step();
    const id = s.get()[0] as number;
    s.reset();
    return id;
  }

  private prepared(sql: string): Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }

  free(): void {
    for (const s of this.cache.values()) s.free();
    this.cache.clear();
  }
}

export interface WriteOptions {
  /**
   * The mode the user asked for. After an explicit semver or semver-skippatch load, opm clears `csv`
   * and `bundle` of every image-loaded bundle that heads no channel, in the whole database; ferry
   * does the same then, and otherwise only for the packages it built in a semver mode.
   */
  mode?: ModeOption;
}

/**
 * Adds packages. A package already in the database is extended when it carries `storedBundles` (its
 * bundles are kept and its channels rewritten), else replaced whole.
 */
export function writePackages(db: Database, packages: readonly Package[], options: WriteOptions = {}): void {
  const sql = new Statements(db);
  db.exec('BEGIN');
  try {
    const existing = new Set(
      (db.exec('SELECT name FROM package')[0]?.values ?? []).map((r) => r[0] as string),
    );
    const replaced = packages.filter((p) => existing.has(p.name) && p.storedBundles === undefined).map((p) => p.name);
    if (replaced.length > 0) removePackages(db, replaced, { inTransaction: true });
    for (const pkg of packages.filter((p) => existing.has(p.name) && p.storedBundles !== undefined)) removeChannels(sql, pkg.name);
    checkNoNameClash(db, packages);
    for (const pkg of packages) writePackage(sql, pkg);
    clearNonHeadBundles(sql, packages, options.mode);
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  } finally {
    sql.free();
  }
}

/** operatorbundle.name is the primary key: a CSV name may belong to one package only. */
function checkNoNameClash(db: Database, packages: readonly Package[]): void {
  const problems: Problem[] = [];
  const stored = new Set((db.exec('SELECT name FROM operatorbundle')[0]?.values ?? []).map((r) => r[0] as string));
  for (const pkg of packages) {
    for (const b of pkg.bundles) {
      if (!stored.has(b.name)) continue;
      const owner = db.exec('SELECT package_name FROM channel_entry WHERE operatorbundle_name = ? LIMIT 1', [b.name])[0]?.values[0]?.[0];
      problems.push({ file: b.csv.file, field: 'metadata.name', message: `CSV ${b.name} is already in the database${owner ? ` (package ${String(owner)})` : ''}` });
    }
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
}

/** The package row, its channels and entries (rebuilt next), as opm's rmPackage before AddPackageChannels. */
function removeChannels(sql: Statements, name: string): void {
  sql.run('DELETE FROM package WHERE name = ?', [name]);
  sql.run('DELETE FROM channel WHERE package_name = ?', [name]);
  sql.run('DELETE FROM channel_entry WHERE package_name = ?', [name]);
}

const CLEAR_NON_HEAD = "UPDATE operatorbundle SET bundle = NULL, csv = NULL WHERE bundlepath != '' AND name NOT IN (SELECT head_operatorbundle_name FROM channel)";

/** opm's ClearNonHeadBundles after a semver-mode load (see WriteOptions.mode). */
function clearNonHeadBundles(sql: Statements, packages: readonly Package[], mode: ModeOption | undefined): void {
  if (mode === 'semver' || mode === 'semver-skippatch') {
    sql.run(CLEAR_NON_HEAD, []);
    return;
  }
  for (const pkg of packages) {
    if (pkg.mode !== 'semver' && pkg.mode !== 'semver-skippatch') continue;
    for (const name of [...pkg.bundles.map((b) => b.name), ...(pkg.storedBundles ?? [])]) sql.run(`${CLEAR_NON_HEAD} AND name = ?`, [name]);
  }
}

/**
 * Bundles that get an `olm.package` property. A bundle image carries one of its own; for manifest
 * folders opm writes it only while walking a channel from its head along `replaces`, so a bundle
 * reached only through `skips` (or in no channel) has none.
 */
function packagePropertyBundles(pkg: Package): Set<string> {
  if (pkg.mode !== 'package-manifest') return new Set(pkg.bundles.map((b) => b.name));
  const byName = new Map(pkg.bundles.map((b) => [b.name, b]));
  const visited = new Set<string>();
  for (const channel of pkg.channels) {
    for (let b = byName.get(channel.head); b && !visited.has(b.name); b = byName.get(b.replaces)) visited.add(b.name);
  }
  return visited;
}

function writePackage(sql: Statements, pkg: Package): void {
  const withPackageProperty = packagePropertyBundles(pkg);
  for (const bundle of pkg.bundles) writeBundle(sql, bundle, withPackageProperty.has(bundle.name));
  sql.run('INSERT INTO package(name) VALUES (?)', [pkg.name]);
  for (const channel of pkg.channels) {
    sql.run('INSERT INTO channel(name, package_name, head_operatorbundle_name) VALUES (?, ?, ?)', [channel.name, pkg.name, channel.head]);
  }
  sql.run('UPDATE package SET default_channel = ? WHERE name = ?', [pkg.defaultChannel, pkg.name]);
  for (const channel of pkg.channels) {
    const ids: number[] = [];
    for (const entry of channel.entries) {
      sql.run('INSERT INTO channel_entry(channel_name, package_name, operatorbundle_name, depth) VALUES (?, ?, ?, ?)', [channel.name, pkg.name, entry.bundle, entry.depth]);
      ids.push(sql.lastRowId());
    }
    channel.entries.forEach((entry, i) => {
      if (entry.replaces !== undefined) sql.run('UPDATE channel_entry SET replaces = ? WHERE entry_id = ?', [ids[entry.replaces]!, ids[i]!]);
    });
  }
}

function writeBundle(sql: Statements, b: Bundle, packageProperty: boolean): void {
  const csvJson = `${goJson(b.csv.object)}\n`;
  const bundleJson = b.objects.map((o) => `${goJson(o.object)}\n`).join('');
  sql.run(
    'INSERT INTO operatorbundle(name, csv, bundle, bundlepath, version, skiprange, replaces, skips, substitutesfor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [b.name, encoder.encode(csvJson), encoder.encode(bundleJson), b.bundlePath, b.version, b.skipRange, b.replaces, b.skips.join(','), b.substitutesFor],
  );
  const key: SqlValue[] = [b.name, nullable(b.version), nullable(b.bundlePath)];

  const images = new Set(csvImages(b.csv.object));
  if (b.bundlePath !== '') images.add(b.bundlePath);
  for (const image of images) sql.run('INSERT INTO related_image(image, operatorbundle_name) VALUES (?, ?)', [image, b.name]);

  const provided = providedApis(b.csv.object, b.objects);
  const required = requiredApis(b.csv.object).apis;
  for (const [table, apis] of [['api_provider', provided], ['api_requirer', required]] as const) {
    for (const g of apis) {
      sql.run('INSERT OR IGNORE INTO api(group_name, version, kind, plural) VALUES (?, ?, ?, ?)', [g.group, g.version, g.kind, g.plural]);
      sql.run(`INSERT INTO ${table}(group_name, version, kind, operatorbundle_name, operatorbundle_version, operatorbundle_path) VALUES (?, ?, ?, ?, ?, ?)`, [
        g.group,
        g.version,
        g.kind,
        ...key,
      ]);
    }
  }

  for (const d of b.extraDependencies) {
    sql.run('INSERT INTO dependencies(type, value, operatorbundle_name, operatorbundle_version, operatorbundle_path) VALUES (?, ?, ?, ?, ?)', [
      d.type,
      encoder.encode(goJson(d.value)),
      ...key,
    ]);
  }
  for (const g of required) {
    sql.run('INSERT INTO dependencies(type, value, operatorbundle_name, operatorbundle_version, operatorbundle_path) VALUES (?, ?, ?, ?, ?)', [
      'olm.gvk',
      encoder.encode(gvkValue(g)),
      ...key,
    ]);
  }

  const properties = new Map<string, [string, string]>();
  const addProperty = (type: string, value: string): void => {
    properties.set(`${type}\0${value}`, [type, value]);
  };
  for (const p of b.extraProperties) addProperty(p.type, goJson(p.value));
  if (packageProperty) addProperty('olm.package', goJson({ packageName: b.packageName, version: b.version }));
  for (const g of provided) addProperty('olm.gvk', gvkValue(g));
  for (const [type, value] of properties.values()) {
    sql.run('INSERT INTO properties(type, value, operatorbundle_name, operatorbundle_version, operatorbundle_path) VALUES (?, ?, ?, ?, ?)', [type, value, ...key]);
  }
}
