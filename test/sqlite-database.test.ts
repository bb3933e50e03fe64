/**
 * The written database of synthetic packages (read back with the real sqlite3 command): its
 * integrity, opm's rows for the worked example's graph, and reading an old schema-5 database built
 * here with sqlite3 from the reference's description — migrated in memory, the user's file untouched.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { listDatabaseImages } from '../src/catalog/operations/list-images.js';
import { listCatalog } from '../src/catalog/operations/list-catalog.js';
import { openDatabase } from '../src/catalog/sqlite/database.js';
import { ferry } from './helpers/cli.js';
import { tempDir } from './helpers/paths.js';
import { writeSyntheticCorpus } from './helpers/synthetic-corpus.js';

function sqlite3(db: string, sql: string): string {
  return execFileSync('sqlite3', [db, sql], { encoding: 'utf8' });
}

// That the schema is exactly opm's (sqlite3 .schema against the reference opm-schema-13.sql) is
// checked by the conformance suite (test/conformance/sqlite-database-corpus.test.ts).
describe('written database', () => {
  let db: string;
  before(() => {
    const out = tempDir();
    const corpus = writeSyntheticCorpus();
    const roots = ['kv', 'metrics', 'flat'].map((p) => corpus.packageDir(p));
    const run = ferry(['registry', 'build', '--from-dir', roots.join(','), '--from-dir', corpus.bundleDir('bundled'), '--db-only', '--save', out]);
    assert.equal(run.status, 0, run.stderr);
    db = path.join(out, 'index.db');
  });

  it('passes PRAGMA integrity_check and foreign_key_check', () => {
    assert.equal(sqlite3(db, 'PRAGMA integrity_check').trim(), 'ok');
    assert.equal(sqlite3(db, 'PRAGMA foreign_key_check').trim(), '');
  });

  it('holds one schema_migrations row (13, UTC timestamp)', () => {
    assert.match(sqlite3(db, 'SELECT version, timestamp FROM schema_migrations').trim(), /^13\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  it("writes kv's channel entries as opm's worked example (etcd's graph: replaces, a skipped CSV not in the package)", () => {
    assert.equal(
      sqlite3(db, "SELECT entry_id, operatorbundle_name, ifnull(replaces,'NULL'), depth FROM channel_entry WHERE package_name='kv' AND channel_name='alpha' ORDER BY entry_id").trim(),
      ['kv-operator.v0.9.2|4|0', 'kv-operator.v0.9.1|NULL|1', 'kv-operator.v0.9.2|2|1', 'kv-operator.v0.9.0|5|2', 'kv-operator.v0.6.1|NULL|3']
        .map((r, i) => {
          const [name, rep, depth] = r.split('|');
          const first = Number(sqlite3(db, "SELECT min(entry_id) FROM channel_entry WHERE package_name='kv' AND channel_name='alpha'").trim());
          return `${first + i}|${name}|${rep === 'NULL' ? 'NULL' : first + Number(rep) - 1}|${depth}`;
        })
        .join('\n'),
    );
  });

  it('stores operatorbundle columns as opm does (CSV JSON with sorted keys and a newline, blobs, empty strings)', () => {
    const row = sqlite3(db, "SELECT typeof(csv), typeof(bundle), bundlepath, version, skiprange, replaces, skips FROM operatorbundle WHERE name='kv-operator.v0.9.2'").trim();
    assert.equal(row, 'blob|blob||0.9.2|< 0.6.0|kv-operator.v0.9.0|kv-operator.v0.9.1');
    const csv = sqlite3(db, "SELECT CAST(csv AS TEXT) FROM operatorbundle WHERE name='kv-operator.v0.9.2'");
    assert.ok(csv.startsWith('{"apiVersion":"operators.coreos.com/v1alpha1","kind":"ClusterServiceVersion","metadata":{'));
    assert.ok(csv.endsWith('}\n\n'), 'JSON followed by a newline');
    assert.equal(sqlite3(db, "SELECT count(*) FROM properties WHERE operatorbundle_path IS NOT NULL").trim(), '0');
    assert.equal(
      sqlite3(db, "SELECT value FROM properties WHERE type='olm.package' AND operatorbundle_name='kv-operator.v0.9.2'").trim(),
      '{"packageName":"kv","version":"0.9.2"}',
    );
    assert.equal(
      sqlite3(db, "SELECT group_name, version, kind, plural FROM api WHERE kind='KvCluster'").trim(),
      'kv.example.com|v1beta2|KvCluster|kvclusters',
    );
  });
});

describe('schema 5 database', () => {
  const schema5 = `
CREATE TABLE schema_migrations (version bigint NOT NULL, timestamp DATETIME DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE operatorbundle (name TEXT PRIMARY KEY, csv TEXT, bundle TEXT, bundlepath TEXT, skiprange TEXT, version TEXT);
CREATE TABLE package (name TEXT PRIMARY KEY, default_channel TEXT, FOREIGN KEY(name, default_channel) REFERENCES channel(package_name,name) ON DELETE CASCADE);
CREATE TABLE channel (name TEXT, package_name TEXT, head_operatorbundle_name TEXT, PRIMARY KEY(name, package_name), FOREIGN KEY(head_operatorbundle_name) REFERENCES operatorbundle(name) ON DELETE CASCADE);
CREATE TABLE channel_entry (entry_id INTEGER PRIMARY KEY, channel_name TEXT, package_name TEXT, operatorbundle_name TEXT, replaces INTEGER, depth INTEGER, FOREIGN KEY(replaces) REFERENCES channel_entry(entry_id) DEFERRABLE INITIALLY DEFERRED, FOREIGN KEY(channel_name, package_name) REFERENCES channel(name, package_name) ON DELETE CASCADE);
CREATE TABLE api (group_name TEXT, version TEXT, kind TEXT, plural TEXT NOT NULL, PRIMARY KEY(group_name, version, kind));
CREATE TABLE api_provider (group_name TEXT, version TEXT, kind TEXT, channel_entry_id INTEGER, PRIMARY KEY(group_name, version, kind, channel_entry_id), FOREIGN KEY(channel_entry_id) REFERENCES channel_entry(entry_id) ON DELETE CASCADE, FOREIGN KEY(group_name, version, kind) REFERENCES api(group_name, version, kind));
CREATE TABLE api_requirer (group_name TEXT, version TEXT, kind TEXT, channel_entry_id INTEGER, PRIMARY KEY(group_name, version, kind, channel_entry_id), FOREIGN KEY(channel_entry_id) REFERENCES channel_entry(entry_id) ON DELETE CASCADE, FOREIGN KEY(group_name, version, kind) REFERENCES api(group_name, version, kind));
CREATE TABLE related_image (image TEXT, operatorbundle_name TEXT, FOREIGN KEY(operatorbundle_name) REFERENCES operatorbundle(name) ON DELETE CASCADE);
INSERT INTO schema_migrations VALUES (5, '2020-03-01 10:00:00');
INSERT INTO operatorbundle VALUES ('etcdoperator.v0.9.2', '{}', '{}', 'quay.io/example/etcd-bundle:0.9.2', '< 0.9.2', '0.9.2');
INSERT INTO operatorbundle VALUES ('etcdoperator.v0.9.0', '{}', '{}', 'quay.io/example/etcd-bundle:0.9.0', '', '0.9.0');
INSERT INTO package VALUES ('etcd', NULL);
INSERT INTO channel VALUES ('alpha', 'etcd', 'etcdoperator.v0.9.2');
UPDATE package SET default_channel='alpha' WHERE name='etcd';
INSERT INTO channel_entry VALUES (1, 'alpha', 'etcd', 'etcdoperator.v0.9.2', 2, 0);
INSERT INTO channel_entry VALUES (2, 'alpha', 'etcd', 'etcdoperator.v0.9.0', NULL, 1);
INSERT INTO api VALUES ('etcd.database.coreos.com', 'v1beta2', 'EtcdCluster', 'etcdclusters');
INSERT INTO api VALUES ('monitoring.coreos.com', 'v1', 'Prometheus', 'prometheuses');
INSERT INTO api_provider VALUES ('etcd.database.coreos.com', 'v1beta2', 'EtcdCluster', 1);
INSERT INTO api_provider VALUES ('etcd.database.coreos.com', 'v1beta2', 'EtcdCluster', 2);
INSERT INTO api_requirer VALUES ('monitoring.coreos.com', 'v1', 'Prometheus', 1);
INSERT INTO related_image VALUES ('quay.io/coreos/etcd-operator@sha256:c0301e4686c3ed4206e370b42de5a3bd2229b9fb4906cf85f3f30650424abec2', 'etcdoperator.v0.9.2');
INSERT INTO related_image VALUES ('quay.io/example/etcd-bundle:0.9.2', 'etcdoperator.v0.9.2');
INSERT INTO related_image VALUES ('quay.io/coreos/etcd-operator@sha256:db563baa8194fcfe39d1df744ed70024b0f1f9e9b55b5923c2f3a413c44dc6b8', 'etcdoperator.v0.9.0');
`;
  let file: string;
  let digest: string;
  const hash = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');
  before(() => {
    file = path.join(tempDir(), 'bundles.db');
    execFileSync('sqlite3', [file], { input: schema5 });
    digest = hash(file);
  });

  it('lists packages, channels and heads', async () => {
    const listing = await listCatalog({ database: file });
    assert.equal(listing.schemaVersion, 5);
    assert.deepEqual(listing.packages.map((p) => [p.name, p.defaultChannel, p.channels]), [['etcd', 'alpha', [{ name: 'alpha', head: 'etcdoperator.v0.9.2' }]]]);
    assert.deepEqual(listing.packages[0]!.bundles.map((b) => [b.name, b.bundlePath]), [
      ['etcdoperator.v0.9.0', 'quay.io/example/etcd-bundle:0.9.0'],
      ['etcdoperator.v0.9.2', 'quay.io/example/etcd-bundle:0.9.2'],
    ]);
  });

  it('lists images for the catalog and for one bundle, bundle images included though related_image lacks one', async () => {
    assert.deepEqual((await listDatabaseImages({ database: file })).images, [
      'quay.io/coreos/etcd-operator@sha256:c0301e4686c3ed4206e370b42de5a3bd2229b9fb4906cf85f3f30650424abec2',
      'quay.io/coreos/etcd-operator@sha256:db563baa8194fcfe39d1df744ed70024b0f1f9e9b55b5923c2f3a413c44dc6b8',
      'quay.io/example/etcd-bundle:0.9.0',
      'quay.io/example/etcd-bundle:0.9.2',
    ]);
    assert.deepEqual((await listDatabaseImages({ database: file, bundle: 'etcdoperator.v0.9.0' })).images, [
      'quay.io/coreos/etcd-operator@sha256:db563baa8194fcfe39d1df744ed70024b0f1f9e9b55b5923c2f3a413c44dc6b8',
      'quay.io/example/etcd-bundle:0.9.0',
    ]);
  });

  it('migrates a copy in memory to schema 13 (APIs re-keyed by bundle, replaces backfilled, properties and dependencies derived)', async () => {
    const { db } = await openDatabase(file);
    const rows = (sql: string): unknown[][] => db.exec(sql)[0]?.values ?? [];
    assert.deepEqual(rows('SELECT version FROM schema_migrations'), [[13]]);
    assert.deepEqual(rows('SELECT operatorbundle_name, operatorbundle_version, operatorbundle_path FROM api_provider ORDER BY 1'), [
      ['etcdoperator.v0.9.0', '0.9.0', 'quay.io/example/etcd-bundle:0.9.0'],
      ['etcdoperator.v0.9.2', '0.9.2', 'quay.io/example/etcd-bundle:0.9.2'],
    ]);
    assert.deepEqual(rows("SELECT replaces, skips FROM operatorbundle WHERE name='etcdoperator.v0.9.2'"), [['etcdoperator.v0.9.0', '']]);
    assert.deepEqual(rows("SELECT CAST(value AS TEXT) FROM dependencies WHERE operatorbundle_name='etcdoperator.v0.9.2'"), [
      ['{"group":"monitoring.coreos.com","kind":"Prometheus","version":"v1"}'],
    ]);
    assert.deepEqual(rows("SELECT type, CAST(value AS TEXT) FROM properties WHERE operatorbundle_name='etcdoperator.v0.9.0' ORDER BY type DESC"), [
      ['olm.package', '{"packageName":"etcd","version":"0.9.0"}'],
      ['olm.gvk', '{"group":"etcd.database.coreos.com","kind":"EtcdCluster","version":"v1beta2"}'],
    ]);
    assert.deepEqual(rows('PRAGMA foreign_key_check'), []);
    // opm's migration 007 adds the api cleanup triggers; a migrated database has them like a fresh one.
    assert.deepEqual(rows("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"), [['api_provider_cleanup'], ['api_requirer_cleanup']]);
    db.close();
  });

  it("never changes the user's file", () => {
    assert.equal(hash(file), digest);
  });

  it('refuses a database older than schema 5 with a clear message', () => {
    const old = path.join(tempDir(), 'old.db');
    execFileSync('sqlite3', [old], { input: 'CREATE TABLE schema_migrations (version bigint NOT NULL, timestamp DATETIME); INSERT INTO schema_migrations VALUES (3, NULL);' });
    const run = ferry(['registry', 'list', '--database', old]);
    assert.equal(run.status, 3);
    assert.match(run.stderr, /schema version 3, older than 5/);
  });
});
