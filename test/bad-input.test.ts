/**
 * Every kind of bad input named in the design gets one clear message naming the file and the field,
 * exit code 3 (invalid input), all problems at once, and nothing written.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ferry } from './helpers/cli.js';
import { csvYaml, writeBundle, writePackageManifest } from './helpers/manifests.js';
import { tempDir } from './helpers/paths.js';
import { assertLoadedWithWarnings, assertRefused } from './helpers/refusal.js';
import { SYNTHETIC_BUNDLE_PACKAGES, writeSyntheticBundlePackage } from './helpers/synthetic-corpus.js';

describe('invalid input', () => {
  it('malformed YAML names the file, line and column', () => {
    const root = tempDir();
    const dir = writePackageManifest(root, 'p', [{ name: 'alpha', currentCSV: 'p.v1' }], [{ name: 'p.v1' }]);
    writeFileSync(path.join(dir, 'v0', 'crd.yaml'), 'kind: CustomResourceDefinition\nspec:\n  names: [a\n  b: c\n');
    assertRefused(root, [{ file: 'v0/crd.yaml', message: /malformed YAML at line \d+, column \d+/ }]);
  });

  it('a CSV without metadata.name', () => {
    const root = tempDir();
    writePackageManifest(root, 'p', [{ name: 'alpha', currentCSV: 'p.v1' }], [{ name: '' }]);
    assertRefused(root, [{ file: 'p.v0.clusterserviceversion.yaml', field: 'metadata.name', message: /is required/ }]);
  });

  it('two CSVs with one name in a package', () => {
    const root = tempDir();
    writePackageManifest(root, 'p', [{ name: 'alpha', currentCSV: 'p.v1' }], [{ name: 'p.v1' }, { name: 'p.v1', version: '0.0.2' }]);
    assertRefused(root, [{ file: 'p.v1.clusterserviceversion.yaml', field: 'metadata.name', message: /two CSVs named p\.v1 in package p/ }]);
  });

  it("a channel whose currentCSV is missing", () => {
    const root = tempDir();
    writePackageManifest(root, 'p', [{ name: 'alpha', currentCSV: 'p.v9' }], [{ name: 'p.v1' }]);
    assertRefused(root, [{ file: 'p.package.yaml', field: 'channels[0].currentCSV', message: /currentCSV p\.v9 is not in the package/ }]);
  });

  it('replaces naming a bundle that is not in the catalog', () => {
    const root = tempDir();
    writePackageManifest(root, 'p', [{ name: 'alpha', currentCSV: 'p.v2' }], [{ name: 'p.v2', replaces: 'p.v1' }]);
    assertRefused(root, [{ file: 'p.v0.clusterserviceversion.yaml', field: 'spec.replaces', message: /replaces p\.v1, which is not in the catalog/ }]);
  });

  it('a replaces cycle', () => {
    const root = tempDir();
    writePackageManifest(root, 'p', [{ name: 'alpha', currentCSV: 'p.v2' }], [{ name: 'p.v2', replaces: 'p.v1' }, { name: 'p.v1', replaces: 'p.v2' }]);
    assertRefused(root, [{ field: 'spec.replaces', file: '.clusterserviceversion.yaml', message: /replaces cycle/ }]);
  });

  it('several channels and no default (package manifest and bundles)', () => {
    const root = tempDir();
    writePackageManifest(root, 'p', [{ name: 'a', currentCSV: 'p.v1' }, { name: 'b', currentCSV: 'p.v1' }], [{ name: 'p.v1' }]);
    assertRefused(root, [{ file: 'p.package.yaml', field: 'defaultChannel', message: /2 channels and no default channel/ }]);
    const bundles = tempDir();
    writeBundle(path.join(bundles, 'q', '1'), 'q', ['a'], { name: 'q.v1', version: '1.0.0' });
    writeBundle(path.join(bundles, 'q', '2'), 'q', ['b'], { name: 'q.v2', version: '2.0.0' });
    assertRefused(bundles, [{ file: 'q', message: /2 channels \(a, b\) and no bundle names a default channel/ }]);
  });

  it('a malformed dependencies.yaml in two bundles of a package: ignored with a warning naming line and column, as opm ignores it', () => {
    const root = tempDir();
    const dir = writeSyntheticBundlePackage(path.join(root, 'broken-deps'), SYNTHETIC_BUNDLE_PACKAGES.find((p) => p.name === 'broken-deps')!);
    assertLoadedWithWarnings(dir, [
      { file: '1.1.0/metadata/dependencies.yaml', message: /malformed YAML at line 22, column 12/ },
      { file: '1.2.0/metadata/dependencies.yaml', message: /malformed YAML at line 22, column 12/ },
    ]);
  });

  it('reports every problem of every package at once, in human form on stderr', () => {
    const root = tempDir();
    writePackageManifest(root, 'p', [{ name: 'alpha', currentCSV: 'p.v9' }], [{ name: 'p.v1' }]);
    writePackageManifest(root, 'r', [{ name: 'a', currentCSV: 'r.v1' }, { name: 'b', currentCSV: 'r.v1' }], [{ name: 'r.v1', replaces: 'r.v0' }]);
    const out = path.join(tempDir(), 'out');
    const run = ferry(['registry', 'build', '--from-dir', root, '--db-only', '--save', out]);
    assert.equal(run.status, 3);
    assert.match(run.stderr, /ferry: error \[INVALID_INPUT\]: 3 problems in the input; nothing was written/);
    assert.match(run.stderr, /replaces r\.v0, which is not in the catalog \(channels a, b\)/);
    assert.match(run.stderr, /p\.package\.yaml \(channels\[0\]\.currentCSV\)/);
    assert.match(run.stderr, /r\.package\.yaml \(defaultChannel\)/);
    assert.match(run.stderr, /r\.v0\.clusterserviceversion\.yaml \(spec\.replaces\)/);
    assert.equal(run.stdout, '');
    assert.equal(existsSync(out), false);
  });

  it('registry add with bad input leaves the existing database byte for byte', () => {
    const good = tempDir();
    writePackageManifest(good, 'p', [{ name: 'alpha', currentCSV: 'p.v1' }], [{ name: 'p.v1' }]);
    const out = tempDir();
    assert.equal(ferry(['registry', 'build', '--from-dir', good, '--db-only', '--save', out]).status, 0);
    const db = path.join(out, 'index.db');
    const before = createHash('sha256').update(readFileSync(db)).digest('hex');
    const bad = tempDir();
    writePackageManifest(bad, 'q', [{ name: 'alpha', currentCSV: 'q.v2' }], [{ name: 'q.v2', replaces: 'q.v1' }]);
    const run = ferry(['registry', 'add', '--database', db, '--from-dir', bad]);
    assert.equal(run.status, 3);
    assert.equal(createHash('sha256').update(readFileSync(db)).digest('hex'), before);
  });

  it('a folder with no manifests, and a missing folder', () => {
    const empty = tempDir();
    mkdirSync(path.join(empty, 'nothing-here'));
    assertRefused(empty, [{ file: path.basename(empty), message: /no operator manifests found/ }]);
    assertRefused(path.join(empty, 'missing'), [{ file: 'missing', message: /does not exist/ }]);
  });

  it('a bundle with two CSVs and a bundle with an unparseable version', () => {
    const root = tempDir();
    const b = writeBundle(path.join(root, 'x', '1'), 'x', ['alpha'], { name: 'x.v1', version: '1.0.0' });
    writeFileSync(path.join(b, 'manifests', 'second.yaml'), csvYaml({ name: 'x.v1b', version: '1.0.1' }));
    writeBundle(path.join(root, 'yy', '1'), 'yy', ['alpha'], { name: 'yy.v1', version: 'not-semver' });
    assertRefused(root, [
      { file: 'x/1/manifests', message: /more than one ClusterServiceVersion in one bundle: csv\.yaml, second\.yaml/ },
      { file: 'yy/1/manifests/csv.yaml', field: 'spec.version', message: /is not a semantic version/ },
    ]);
  });
});
