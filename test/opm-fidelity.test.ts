/**
 * ferry builds catalogs as opm v1.26.0 does, checked against goldens taken from real opm runs on the
 * same synthetic bundle images (test/golden/opm-scenarios.json; the conformance suite confirms them
 * with live opm): bundles with dependencies.yaml and properties.yaml, semver mode clearing non-head
 * bundles, semver-skippatch, and bundles added to a package already in the database (registry add -b,
 * registry build --from-db --bundles). Plus the smaller rules opm has: bundle versions as Go semver
 * reads them, the default channel of a one-channel package, replaced-package warnings.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ferryAsync } from './helpers/cli.js';
import { writePackageManifest } from './helpers/manifests.js';
import { pushBundleImages, pushScenarioImages, runScenario, SCENARIO_GOLDEN, SCENARIOS, writeBundleFolder, type CatalogBuilder, type ScenarioOutcome } from './helpers/opm-scenarios.js';
import { repoRoot, tempDir } from './helpers/paths.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';

const golden = JSON.parse(readFileSync(path.join(repoRoot, SCENARIO_GOLDEN), 'utf8')) as Record<string, ScenarioOutcome>;

/** ferry building from bundle images: registry build --bundles, then registry add -b for later ones. */
const ferryBuilder: CatalogBuilder = {
  async build(refs, mode, database) {
    rmSync(path.dirname(database), { recursive: true, force: true });
    const r = await ferryAsync(['registry', 'build', '--bundles', refs.join(','), '--mode', mode, '--db-only', '--save', path.dirname(database)]);
    return r.status === 0;
  },
  async add(refs, mode, database) {
    const r = await ferryAsync(['registry', 'add', '-d', database, '-b', refs.join(','), '--mode', mode]);
    return r.status === 0;
  },
};

/** The same, with the later bundles added by `registry build --from-db DB --bundles` into a new database. */
const fromDbBuilder: CatalogBuilder = {
  build: ferryBuilder.build,
  async add(refs, mode, database) {
    const out = tempDir();
    const r = await ferryAsync(['registry', 'build', '--from-db', database, '--bundles', refs.join(','), '--mode', mode, '--db-only', '--save', out]);
    if (r.status !== 0) return false;
    rmSync(database);
    const { copyFileSync } = await import('node:fs');
    copyFileSync(path.join(out, 'index.db'), database);
    return true;
  },
};

describe('catalogs as real opm makes them (goldens from opm v1.26.0)', () => {
  let registry: TestRegistry;
  let refs: Map<string, string>;
  before(async () => {
    registry = await startRegistry({ auth: 'none' });
    refs = await pushScenarioImages(registry.host);
  });
  after(async () => registry.stop());

  for (const scenario of SCENARIOS) {
    it(scenario.name, async () => {
      assert.ok(golden[scenario.name], `no golden for ${scenario.name}`);
      assert.deepEqual(await runScenario(ferryBuilder, scenario, refs), golden[scenario.name]);
      if (scenario.firstBuild !== undefined) assert.deepEqual(await runScenario(fromDbBuilder, scenario, refs), golden[scenario.name]);
    });
  }

  it('says why it refuses a bundle the replaces graph leaves out, and keeps the database unchanged', async () => {
    const dir = tempDir();
    const first = [...refs.entries()].filter(([k]) => k === 'dep:0.1.0' || k === 'dep:0.2.0').map(([, v]) => v);
    assert.equal((await ferryAsync(['registry', 'build', '--bundles', first.join(','), '--mode', 'replaces', '--db-only', '--save', dir])).status, 0);
    const db = path.join(dir, 'index.db');
    const before = readFileSync(db);
    const r = await ferryAsync(['registry', 'add', '-d', db, '-b', `${refs.get('dep:0.3.0')},${refs.get('dep:0.2.1')}`, '--mode', 'replaces']);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /dep\.v0\.2\.1 is not reachable from the channel head dep\.v0\.3\.0/);
    assert.deepEqual(readFileSync(db), before);
  });

  it('refuses a bundle whose CSV version opm cannot parse (a leading v), naming the file', async () => {
    const root = tempDir();
    writeBundleFolder(path.join(root, 'v1'), { pkg: 'vee', version: 'v1.2.3', channels: ['stable'] });
    const r = await ferryAsync(['registry', 'build', '--from-dir', root, '--db-only', '--save', tempDir()]);
    assert.equal(r.status, 3);
    assert.match(r.stderr, /csv\.yaml \(spec\.version\): version "v1\.2\.3" of vee\.vv1\.2\.3 is not a semantic version/);
  });

  it('warns when a package file names a default channel that is not its only channel (opm takes the only one)', async () => {
    const root = tempDir();
    writePackageManifest(root, 'one', [{ name: 'stable', currentCSV: 'one.v1' }], [{ name: 'one.v1', version: '1.0.0' }], 'nosuch');
    const out = tempDir();
    const r = await ferryAsync(['registry', 'build', '--from-dir', root, '--db-only', '--save', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.json!.warnings.filter((w: string) => /default channel/.test(w)).length, 1);
    assert.match(r.json!.warnings.join('\n'), /default channel nosuch is not a channel; the only channel, stable, is the default/);
  });

  it('warns that a package-manifest folder replaces a package already in the database, and counts the whole catalog', async () => {
    const root = tempDir();
    writePackageManifest(path.join(root, 'a'), 'pa', [{ name: 'stable', currentCSV: 'pa.v1' }], [{ name: 'pa.v1', version: '1.0.0' }]);
    writePackageManifest(path.join(root, 'b'), 'pb', [{ name: 'stable', currentCSV: 'pb.v1' }], [{ name: 'pb.v1', version: '1.0.0' }]);
    const out = tempDir();
    assert.equal((await ferryAsync(['registry', 'build', '--from-dir', path.join(root, 'a'), '--from-dir', path.join(root, 'b'), '--db-only', '--save', out])).status, 0);
    const again = await ferryAsync(['registry', 'add', '-d', path.join(out, 'index.db'), '--from-dir', path.join(root, 'a'), '--json']);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.json!.warnings.join('\n'), /package pa was in the database and is replaced by the package-manifest folder loaded now/);
    const summary = await ferryAsync(['registry', 'build', '--from-db', path.join(out, 'index.db'), '--from-dir', path.join(root, 'a'), '--db-only', '--save', tempDir()]);
    assert.match(summary.stdout, /2 packages in the catalog; loaded now: 1 packages/);
  });

  it('adds bundle folders to a package already in the database as it adds bundle images', async () => {
    const root = tempDir();
    const [ref] = await pushBundleImages(registry.host, [{ pkg: 'fold', version: '1.0.0', channels: ['stable'] }]);
    writeBundleFolder(path.join(root, 'fold-2'), { pkg: 'fold', version: '2.0.0', channels: ['stable'], replaces: '1.0.0' });
    const out = tempDir();
    assert.equal((await ferryAsync(['registry', 'build', '--bundles', ref!, '--db-only', '--save', out])).status, 0);
    const r = await ferryAsync(['registry', 'add', '-d', path.join(out, 'index.db'), '--from-dir', root, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const listing = await ferryAsync(['registry', 'list', '-d', path.join(out, 'index.db'), '--json']);
    const pkg = listing.json!.result.packages.find((p: { name: string }) => p.name === 'fold');
    assert.deepEqual(pkg.channels, [{ name: 'stable', head: 'fold.v2.0.0' }]);
    assert.deepEqual(pkg.bundles.map((b: { name: string }) => b.name).sort(), ['fold.v1.0.0', 'fold.v2.0.0']);
  });
});
