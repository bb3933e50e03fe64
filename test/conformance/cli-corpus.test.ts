/** The registry commands end to end through the real CLI on shared-corpus packages: add, rm, prune, list, images (the main suite runs the same on synthetic packages, test/cli.test.ts). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { ferry } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { corpusDir } from './shared-paths.js';

const pm = (p: string): string => path.join(corpusDir, 'package-manifests', p);

describe('registry commands (shared corpus)', () => {
  let db: string;
  before(() => {
    const out = tempDir();
    const run = ferry(['registry', 'build', '--from-dir', `${pm('etcd')},${pm('prometheus')}`, '--db-only', '--save', out, '--json']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.json?.status, 'ok');
    assert.equal(run.json?.result.packages, 2);
    assert.equal(run.json?.result.bundles, 6);
    db = run.json?.result.database;
  });

  it('add puts packages in, and replaces a package that is already there', () => {
    let run = ferry(['registry', 'add', '--database', db, '--from-dir', pm('strimzi-kafka-operator'), '--json']);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.json?.result.packagesAfter, ['etcd', 'prometheus', 'strimzi-kafka-operator']);
    run = ferry(['registry', 'add', '--database', db, '--from-dir', pm('etcd')]);
    assert.equal(run.status, 0, run.stderr);
    const counts = execFileSync('sqlite3', [db, "SELECT count(*) FROM operatorbundle; SELECT count(*) FROM channel_entry WHERE package_name='etcd'; PRAGMA foreign_key_check;"], { encoding: 'utf8' });
    assert.equal(counts, '10\n12\n');
  });

  it('list shows packages, channels and heads; --json gives the structure', () => {
    const human = ferry(['registry', 'list', '--database', db]);
    assert.equal(human.status, 0);
    assert.match(human.stdout, /^etcd \(default channel alpha, 3 bundles\)\n  alpha \*: etcdoperator\.v0\.9\.2\n  beta: etcdoperator\.v0\.9\.0\n/m);
    const json = ferry(['registry', 'list', '--database', db, '--json']);
    const strimzi = json.json?.result.packages.find((p: { name: string }) => p.name === 'strimzi-kafka-operator');
    assert.deepEqual(strimzi.channels, [
      { name: 'alpha', head: 'strimzi-cluster-operator.v0.12.2' },
      { name: 'beta', head: 'strimzi-cluster-operator.v0.12.1' },
      { name: 'stable', head: 'strimzi-cluster-operator.v0.11.1' },
    ]);
  });

  it('images prints normalized, sorted, unique references; --bundle narrows to one bundle', () => {
    const run = ferry(['registry', 'images', '--from-db', db]);
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 12);
    assert.deepEqual(lines, [...lines].sort());
    assert.ok(lines.includes('docker.io/strimzi/operator:0.12.2'));
    const one = ferry(['registry', 'images', '--from-db', db, '--bundle', 'etcdoperator.v0.9.2']);
    assert.deepEqual(one.stdout.trim().split('\n'), [
      'quay.io/coreos/etcd-operator@sha256:c0301e4686c3ed4206e370b42de5a3bd2229b9fb4906cf85f3f30650424abec2',
      'quay.io/coreos/etcd@sha256:3816b6daf9b66d6ced6f0f966314e2d4f894982c6b1493061502f8c2bf86ac84',
      'quay.io/coreos/etcd@sha256:49d3d4a81e0d030d3f689e7167f23e120abf955f7d08dbedf3ea246485acee9f',
    ]);
    const missing = ferry(['registry', 'images', '--from-db', db, '--bundle', 'nope.v1']);
    assert.equal(missing.status, 5);
    assert.match(missing.stderr, /no bundle named nope\.v1/);
  });

  it('rm removes packages and their bundles; prune keeps only the list', () => {
    const copy = path.join(tempDir(), 'copy.db');
    execFileSync('cp', [db, copy]);
    let run = ferry(['registry', 'rm', '--database', copy, '--packages', 'prometheus', '--json']);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.json?.result.packagesAfter, ['etcd', 'strimzi-kafka-operator']);
    run = ferry(['registry', 'prune', '--database', copy, '--packages', 'etcd']);
    assert.equal(run.status, 0, run.stderr);
    const q = (sql: string): string => execFileSync('sqlite3', [copy, sql], { encoding: 'utf8' }).trim();
    assert.equal(q('SELECT group_concat(name) FROM package'), 'etcd');
    assert.equal(q("SELECT count(*) FROM operatorbundle WHERE name NOT LIKE 'etcdoperator%'"), '0');
    assert.equal(q("SELECT count(*) FROM related_image WHERE operatorbundle_name NOT LIKE 'etcdoperator%'"), '0');
    assert.equal(q("SELECT count(*) FROM properties WHERE operatorbundle_name NOT LIKE 'etcdoperator%'"), '0');
    assert.equal(q('PRAGMA integrity_check'), 'ok');
    const unknown = ferry(['registry', 'rm', '--database', copy, '--packages', 'nope']);
    assert.equal(unknown.status, 5);
    assert.match(unknown.stderr, /no package named nope/);
  });
});
