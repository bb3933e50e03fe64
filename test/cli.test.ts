/** The registry commands end to end through the real CLI: add, rm, prune, list, images, --json. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ferry } from './helpers/cli.js';
import { describeRegistryCommands } from './helpers/registry-command-checks.js';
import { writeBundle, writePackageManifest } from './helpers/manifests.js';
import { tempDir } from './helpers/paths.js';
import { fakeDigest, writeSyntheticCorpus } from './helpers/synthetic-corpus.js';

const corpus = writeSyntheticCorpus();
const pm = (p: string): string => corpus.packageDir(p);

describeRegistryCommands('registry commands', {
  dir: pm,
  first: ['kv', 'metrics'],
  bundles: 6,
  added: 'flat',
  addedHeads: { alpha: 'flat-operator.v0.12.2', beta: 'flat-operator.v0.12.1', stable: 'flat-operator.v0.11.1' },
  counts: [10, 12],
  prefix: 'kv-operator',
  heads: { alpha: 'kv-operator.v0.9.2', beta: 'kv-operator.v0.9.0' },
  imageCount: 13,
  someImage: 'docker.io/synthetic/flat-operator:0.12.2',
  headImages: [`quay.io/synthetic/kv-operator@${fakeDigest('kv-operator 0.9.2')}`, `quay.io/synthetic/kv@${fakeDigest('kv 3.3.10')}`, `quay.io/synthetic/kv@${fakeDigest('kv 3.3.13')}`],
});

describe('registry commands: more', () => {
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
