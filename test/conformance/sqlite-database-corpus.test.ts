/**
 * The database ferry writes from shared-corpus packages against the reference schema (read back with
 * the real sqlite3 command): exactly opm's schema 13, integrity, and etcd's rows as opm's worked
 * example has them. The main suite checks the same on synthetic packages (test/sqlite-database.test.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { ferry } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { corpusDir, referenceDir } from './shared-paths.js';

function sqlite3(db: string, sql: string): string {
  return execFileSync('sqlite3', [db, sql], { encoding: 'utf8' });
}

describe('written database (shared corpus)', () => {
  let db: string;
  before(() => {
    const out = tempDir();
    const roots = ['etcd', 'prometheus', 'strimzi-kafka-operator'].map((p) => path.join(corpusDir, 'package-manifests', p));
    const run = ferry(['registry', 'build', '--from-dir', roots.join(','), '--from-dir', path.join(corpusDir, 'bundles', 'kiali'), '--db-only', '--save', out]);
    assert.equal(run.status, 0, run.stderr);
    db = path.join(out, 'index.db');
  });

  it('has exactly the schema of operator-registry 13 (sqlite3 .schema)', () => {
    assert.equal(sqlite3(db, '.schema'), readFileSync(path.join(referenceDir, 'opm-schema-13.sql'), 'utf8'));
  });

  it('passes PRAGMA integrity_check and foreign_key_check', () => {
    assert.equal(sqlite3(db, 'PRAGMA integrity_check').trim(), 'ok');
    assert.equal(sqlite3(db, 'PRAGMA foreign_key_check').trim(), '');
  });

  it('holds one schema_migrations row (13, UTC timestamp)', () => {
    assert.match(sqlite3(db, 'SELECT version, timestamp FROM schema_migrations').trim(), /^13\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  it("writes etcd's channel entries exactly as opm's worked example", () => {
    assert.equal(
      sqlite3(db, "SELECT entry_id, operatorbundle_name, ifnull(replaces,'NULL'), depth FROM channel_entry WHERE package_name='etcd' AND channel_name='alpha' ORDER BY entry_id").trim(),
      ['etcdoperator.v0.9.2|4|0', 'etcdoperator.v0.9.1|NULL|1', 'etcdoperator.v0.9.2|2|1', 'etcdoperator.v0.9.0|5|2', 'etcdoperator.v0.6.1|NULL|3']
        .map((r, i) => {
          const [name, rep, depth] = r.split('|');
          const first = Number(sqlite3(db, "SELECT min(entry_id) FROM channel_entry WHERE package_name='etcd' AND channel_name='alpha'").trim());
          return `${first + i}|${name}|${rep === 'NULL' ? 'NULL' : first + Number(rep) - 1}|${depth}`;
        })
        .join('\n'),
    );
  });

  it('stores operatorbundle columns as opm does (CSV JSON with sorted keys and a newline, blobs, empty strings)', () => {
    const row = sqlite3(db, "SELECT typeof(csv), typeof(bundle), bundlepath, version, skiprange, replaces, skips FROM operatorbundle WHERE name='etcdoperator.v0.9.2'").trim();
    assert.equal(row, 'blob|blob||0.9.2|< 0.6.0|etcdoperator.v0.9.0|etcdoperator.v0.9.1');
    const csv = sqlite3(db, "SELECT CAST(csv AS TEXT) FROM operatorbundle WHERE name='etcdoperator.v0.9.2'");
    assert.ok(csv.startsWith('{"apiVersion":"operators.coreos.com/v1alpha1","kind":"ClusterServiceVersion","metadata":{'));
    assert.ok(csv.endsWith('}\n\n'), 'JSON followed by a newline');
    assert.equal(sqlite3(db, "SELECT count(*) FROM properties WHERE operatorbundle_path IS NOT NULL").trim(), '0');
    assert.equal(
      sqlite3(db, "SELECT value FROM properties WHERE type='olm.package' AND operatorbundle_name='etcdoperator.v0.9.2'").trim(),
      '{"packageName":"etcd","version":"0.9.2"}',
    );
    assert.equal(
      sqlite3(db, "SELECT group_name, version, kind, plural FROM api WHERE kind='EtcdCluster'").trim(),
      'etcd.database.coreos.com|v1beta2|EtcdCluster|etcdclusters',
    );
  });
});
