/** The registry commands end to end through the real CLI: add, rm, prune, list, images, --json. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { ferry } from './helpers/cli.js';
import { writeBundle, writePackageManifest } from './helpers/manifests.js';
import { tempDir } from './helpers/paths.js';
import { fakeDigest, writeSyntheticCorpus } from './helpers/synthetic-corpus.js';

const corpus = writeSyntheticCorpus();
const pm = (p: string): string => corpus.packageDir(p);

describe('registry commands', () => {
  let db: string;
  before(() => {
    const out = tempDir();
    const run = ferry(['registry', 'build', '--from-dir', `${pm('kv')},${pm('metrics')}`, '--db-only', '--save', out, '--json']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.json?.status, 'ok');
    assert.equal(run.json?.result.packages, 2);
    assert.equal(run.json?.result.bundles, 6);
    db = run.json?.result.database;
  });

  it('add puts packages in, and replaces a package that is already there', () => {
    let run = ferry(['registry', 'add', '--database', db, '--from-dir', pm('flat'), '--json']);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.json?.result.packagesAfter, ['flat', 'kv', 'metrics']);
    run = ferry(['registry', 'add', '--database', db, '--from-dir', pm('kv')]);
    assert.equal(run.status, 0, run.stderr);
    const counts = execFileSync('sqlite3', [db, "SELECT count(*) FROM operatorbundle; SELECT count(*) FROM channel_entry WHERE package_name='kv'; PRAGMA foreign_key_check;"], { encoding: 'utf8' });
    assert.equal(counts, '10\n12\n');
  });

  it('list shows packages, channels and heads; --json gives the structure', () => {
    const human = ferry(['registry', 'list', '--database', db]);
    assert.equal(human.status, 0);
    assert.match(human.stdout, /^kv \(default channel alpha, 3 bundles\)\n  alpha \*: kv-operator\.v0\.9\.2\n  beta: kv-operator\.v0\.9\.0\n/m);
    const json = ferry(['registry', 'list', '--database', db, '--json']);
    const flat = json.json?.result.packages.find((p: { name: string }) => p.name === 'flat');
    assert.deepEqual(flat.channels, [
      { name: 'alpha', head: 'flat-operator.v0.12.2' },
      { name: 'beta', head: 'flat-operator.v0.12.1' },
      { name: 'stable', head: 'flat-operator.v0.11.1' },
    ]);
  });

  it('images prints normalized, sorted, unique references; --bundle narrows to one bundle', () => {
    const run = ferry(['registry', 'images', '--from-db', db]);
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 13);
    assert.deepEqual(lines, [...lines].sort());
    assert.ok(lines.includes('docker.io/synthetic/flat-operator:0.12.2'));
    const one = ferry(['registry', 'images', '--from-db', db, '--bundle', 'kv-operator.v0.9.2']);
    assert.deepEqual(
      one.stdout.trim().split('\n'),
      [`quay.io/synthetic/kv-operator@${fakeDigest('kv-operator 0.9.2')}`, `quay.io/synthetic/kv@${fakeDigest('kv 3.3.10')}`, `quay.io/synthetic/kv@${fakeDigest('kv 3.3.13')}`].sort(),
    );
    const missing = ferry(['registry', 'images', '--from-db', db, '--bundle', 'nope.v1']);
    assert.equal(missing.status, 5);
    assert.match(missing.stderr, /no bundle named nope\.v1/);
  });

  it('rm removes packages and their bundles; prune keeps only the list', () => {
    const copy = path.join(tempDir(), 'copy.db');
    execFileSync('cp', [db, copy]);
    let run = ferry(['registry', 'rm', '--database', copy, '--packages', 'metrics', '--json']);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.json?.result.packagesAfter, ['flat', 'kv']);
    run = ferry(['registry', 'prune', '--database', copy, '--packages', 'kv']);
    assert.equal(run.status, 0, run.stderr);
    const q = (sql: string): string => execFileSync('sqlite3', [copy, sql], { encoding: 'utf8' }).trim();
    assert.equal(q('SELECT group_concat(name) FROM package'), 'kv');
    assert.equal(q("SELECT count(*) FROM operatorbundle WHERE name NOT LIKE 'kv-operator%'"), '0');
    assert.equal(q("SELECT count(*) FROM related_image WHERE operatorbundle_name NOT LIKE 'kv-operator%'"), '0');
    assert.equal(q("SELECT count(*) FROM properties WHERE operatorbundle_name NOT LIKE 'kv-operator%'"), '0');
    assert.equal(q('PRAGMA integrity_check'), 'ok');
    const unknown = ferry(['registry', 'rm', '--database', copy, '--packages', 'nope']);
    assert.equal(unknown.status, 5);
    assert.match(unknown.stderr, /no package named nope/);
  });

  it('images reports invalid references with the bundle naming them and exits 7 (partial)', () => {
    const root = tempDir();
    writePackageManifest(root, 'odd', [{ name: 'alpha', currentCSV: 'odd.v1' }], [{ name: 'odd.v1', images: ['quay.io/ok/op:1', 'Quay.io/BAD/Name:1'] }]);
    const out = tempDir();
    assert.equal(ferry(['registry', 'build', '--from-dir', root, '--db-only', '--save', out]).status, 0);
    const run = ferry(['registry', 'images', '--from-db', path.join(out, 'index.db')]);
    assert.equal(run.status, 7);
    assert.equal(run.stdout, 'quay.io/ok/op:1\n');
    assert.match(run.stderr, /warning: invalid image reference "Quay\.io\/BAD\/Name:1": repository name must be lowercase \(named by odd\.v1\)/);
    const json = ferry(['registry', 'images', '--from-db', path.join(out, 'index.db'), '--json']);
    assert.equal(json.status, 7);
    assert.equal(json.json?.status, 'partial');
    assert.deepEqual(json.json?.result.invalid.map((i: { image: string; bundles: string[] }) => [i.image, i.bundles]), [['Quay.io/BAD/Name:1', ['odd.v1']]]);
  });

  it('bundle folders: auto mode says which mode each package got; --mode forces one', () => {
    const root = tempDir();
    writeBundle(path.join(root, 'r', '1'), 'r', ['stable'], { name: 'r.v1.0.0', version: '1.0.0' });
    writeBundle(path.join(root, 'r', '2'), 'r', ['stable'], { name: 'r.v2.0.0', version: '2.0.0', replaces: 'r.v1.0.0' });
    writeBundle(path.join(root, 's', '1'), 's', ['stable'], { name: 's.v1.0.0', version: '1.0.0' });
    writeBundle(path.join(root, 's', '2'), 's', ['stable'], { name: 's.v1.1.0', version: '1.1.0' });
    writeBundle(path.join(root, 's', '3'), 's', ['stable'], { name: 's.v1.10.0', version: '1.10.0' });
    const out = tempDir();
    const run = ferry(['registry', 'build', '--from-dir', root, '--db-only', '--save', out]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /package r: replaces mode/);
    assert.match(run.stderr, /package s: semver mode \(the replaces graph does not hold/);
    const q = (sql: string): string => execFileSync('sqlite3', [path.join(out, 'index.db'), sql], { encoding: 'utf8' }).trim();
    assert.equal(
      q("SELECT group_concat(e.operatorbundle_name || '>' || ifnull(r.operatorbundle_name, '-') || '@' || e.depth, ' ') FROM channel_entry e LEFT JOIN channel_entry r ON e.replaces = r.entry_id WHERE e.package_name = 's' ORDER BY e.entry_id"),
      's.v1.10.0>s.v1.1.0@0 s.v1.1.0>s.v1.0.0@1 s.v1.0.0>-@2',
    );
    const forced = ferry(['registry', 'build', '--from-dir', path.join(root, 's'), '--mode', 'replaces', '--db-only', '--save', tempDir()]);
    assert.equal(forced.status, 3);
    assert.match(forced.stderr, /s\.v1\.1\.0 is not reachable from the channel head s\.v1\.10\.0 along replaces\/skips; use --mode semver/);
  });

  it('usage errors exit 2; --help shows examples', () => {
    const run = ferry(['registry', 'build', '--db-only']);
    assert.equal(run.status, 2, run.stderr);
    const folder = ferry(['registry', 'build', '--from-dir', pm('kv'), '--save', tempDir()]);
    assert.equal(folder.status, 2);
    assert.match(folder.stderr, /is a folder/);
    assert.match(folder.stderr, /--db-only/);
    const nowhere = ferry(['registry', 'build', '--from-dir', pm('kv')]);
    assert.equal(nowhere.status, 2);
    assert.match(nowhere.stderr, /--to REF \(push\) or --save FILE/);
    const help = ferry(['registry', 'images', '--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /EXAMPLES/);
  });
});
