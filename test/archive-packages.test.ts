/**
 * `ferry pack --packages`: the archive's catalog is rebuilt to hold only the kept packages, and only
 * their images are packed. sqlite: the database in a new layer, read back by sqlite3 and by
 * `registry images` from the archive. File-based: the configs filtered behind an opaque whiteout
 * and the stale serving cache removed (checked on a rootfs unpacked by umoci), the command's cache
 * flags dropped (checked by skopeo). Also `--dry-run`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pushUmociImage, renderFbcFromDatabase } from './helpers/catalog-fixtures.js';
import { ferryAsync } from './helpers/cli.js';
import { runChecked } from './helpers/exec.js';
import { buildFixtureLayout, skopeoCopy, type FixtureLayout } from './helpers/fixtures.js';
import { writePackageManifest } from './helpers/manifests.js';
import { tempDir } from './helpers/paths.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';

let layout: FixtureLayout;
let registry: TestRegistry;
let host: string;
let sqliteCatalog: string;
let fbcCatalog: string;
let database: string;
let manifestsDir: string;

before(async () => {
  layout = await buildFixtureLayout();
  registry = await startRegistry({ auth: 'none' });
  host = registry.host;
  await skopeoCopy(layout.images.base.layoutRef, `docker://${host}/opm:latest`, { dest: registry });
  await skopeoCopy(layout.images.app.layoutRef, `docker://${host}/fx/app:1.0`, { dest: registry });
  await skopeoCopy(layout.images.multi.layoutRef, `docker://${host}/fx/multi:1.0`, { dest: registry, all: true });
  const manifests = tempDir();
  manifestsDir = manifests;
  writePackageManifest(manifests, 'demo', [{ name: 'stable', currentCSV: 'demo.v1.0.0' }], [{ name: 'demo.v1.0.0', version: '1.0.0', images: [`${host}/fx/app:1.0`] }]);
  writePackageManifest(manifests, 'other', [{ name: 'alpha', currentCSV: 'other.v2.0.0' }], [{ name: 'other.v2.0.0', version: '2.0.0', images: [`${host}/fx/multi@${layout.images.multi.digest}`] }]);
  sqliteCatalog = `${host}/olm/two:v1`;
  const fromDirs = ['--from-dir', path.join(manifests, 'demo'), '--from-dir', path.join(manifests, 'other')];
  const built = await ferryAsync(['registry', 'build', ...fromDirs, '--from', `${host}/opm:latest`, '--to', sqliteCatalog, '--json']);
  assert.equal(built.status, 0, built.stderr);
  const dbDir = tempDir();
  const db = await ferryAsync(['registry', 'build', ...fromDirs, '--db-only', '--save', dbDir, '--json']);
  assert.equal(db.status, 0, db.stderr);
  database = path.join(dbDir, 'index.db');

  // A file-based catalog as opm builds them: configs plus a pre-built serving cache.
  const configs = path.join(tempDir(), 'configs');
  mkdirSync(configs);
  await renderFbcFromDatabase(database, configs);
  const cache = path.join(tempDir(), 'cache');
  mkdirSync(cache);
  writeFileSync(path.join(cache, 'digest'), 'a cache of both packages\n');
  fbcCatalog = `${host}/olm/two-fbc:v1`;
  await pushUmociImage({
    files: configs,
    at: '/configs',
    more: [{ files: cache, at: '/tmp/cache' }],
    labels: { 'operators.operatorframework.io.index.configs.v1': '/configs' },
    entrypoint: ['/bin/opm'],
    cmd: ['serve', '/configs', '--cache-dir=/tmp/cache'],
    destination: `docker://${fbcCatalog}`,
    skopeoFlags: ['--dest-tls-verify=false'],
  });
});

after(async () => {
  await registry?.stop();
});

test('sqlite: --packages demo packs only demo and its image; the catalog in the archive lists only them', async () => {
  const dir = tempDir();
  const archive = path.join(dir, 'demo.tar');
  const r = await ferryAsync(['pack', '--catalog', sqliteCatalog, '--packages', 'demo', '-o', archive, '--cache-dir', tempDir(), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const info = await ferryAsync(['inspect', archive, '--json']);
  const metadata = info.json!.result.metadata;
  assert.deepEqual(metadata.packages.map((p: { name: string }) => p.name), ['demo']);
  assert.deepEqual(metadata.images.map((i: { source: string }) => i.source), [`${host}/fx/app:1.0`]);
  assert.deepEqual(metadata.catalog.pruned.packages, ['demo']);
  const original = await ferryAsync(['image', 'inspect', `docker://${sqliteCatalog}`, '--json']);
  assert.equal(metadata.catalog.pruned.sourceDigest, original.json!.result.digest);
  assert.notEqual(metadata.catalog.digest, original.json!.result.digest, 'a new image');

  const out = path.join(dir, 'x');
  mkdirSync(out);
  await runChecked('tar', ['-xf', archive, '-C', out, 'catalog/index.db']);
  const images = await runChecked('sqlite3', [path.join(out, 'catalog/index.db'), 'SELECT DISTINCT image FROM related_image ORDER BY image']);
  assert.deepEqual(images.stdout.trim().split('\n'), [`${host}/fx/app:1.0`]);

  // The catalog image inside the archive carries the pruned database.
  const listed = await ferryAsync(['registry', 'images', '--from', `oci-archive:${archive}:${metadata.catalog.source}`, '--json']);
  assert.equal(listed.status, 0, listed.stderr);
  assert.deepEqual(listed.json!.result.images, [`${host}/fx/app:1.0`, metadata.catalog.source].sort());
  assert.equal((await ferryAsync(['verify', archive])).status, 0);
});

test('file-based: --packages demo filters the configs behind an opaque whiteout, removes the stale serving cache and its flags', async () => {
  const dir = tempDir();
  const archive = path.join(dir, 'fbc.tar');
  const r = await ferryAsync(['pack', '--catalog', fbcCatalog, '--packages', 'demo', '-o', archive, '--cache-dir', tempDir(), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const metadata = (await ferryAsync(['inspect', archive, '--json'])).json!.result.metadata;
  assert.deepEqual(metadata.packages.map((p: { name: string }) => p.name), ['demo']);
  assert.deepEqual(metadata.images.map((i: { source: string }) => i.source), [`${host}/fx/app:1.0`]);

  // Independent tools: skopeo takes the image out of the archive, umoci unpacks its layers.
  const oci = path.join(dir, 'oci');
  await runChecked('skopeo', ['--insecure-policy', 'copy', `oci-archive:${archive}:${metadata.catalog.source}`, `oci:${oci}:x`]);
  const config = JSON.parse((await runChecked('skopeo', ['inspect', '--config', `oci:${oci}:x`])).stdout) as { config: { Cmd: string[]; Entrypoint: string[] } };
  assert.deepEqual(config.config.Cmd, ['serve', '/configs']);
  assert.deepEqual(config.config.Entrypoint, ['/bin/opm']);
  const bundle = path.join(dir, 'bundle');
  await runChecked('umoci', ['unpack', '--rootless', '--image', `${oci}:x`, bundle]);
  const rootfs = path.join(bundle, 'rootfs');
  assert.deepEqual(readdirSync(path.join(rootfs, 'configs')), ['demo']);
  assert.match(readFileSync(path.join(rootfs, 'configs', 'demo', 'catalog.json'), 'utf8'), /"schema": "olm.package"/);
  assert.equal(existsSync(path.join(rootfs, 'tmp', 'cache')), false, 'the serving cache is gone');
  assert.equal((await ferryAsync(['verify', archive])).status, 0);
});

test('--packages naming a package the catalog lacks: exit 5 naming it and those present, no archive written', async () => {
  const dir = tempDir();
  const r = await ferryAsync(['pack', '--catalog', sqliteCatalog, '--packages', 'demo,nope', '-o', path.join(dir, 'x.tar'), '--cache-dir', tempDir(), '--json']);
  assert.equal(r.status, 5, r.stderr);
  assert.match(r.json!.error.message, /no package named nope/);
  assert.deepEqual(readdirSync(dir), []);
  const f = await ferryAsync(['pack', '--catalog', fbcCatalog, '--packages', 'nope', '-o', path.join(dir, 'x.tar'), '--cache-dir', tempDir(), '--json']);
  assert.equal(f.status, 5, f.stderr);
  assert.match(f.json!.error.message, /no package named nope in the catalog \(it has demo, other\)/);
  assert.deepEqual(readdirSync(dir), []);
});

test('--dry-run: images and sizes from manifests alone (no blob of theirs fetched, no archive), the same sizes pack then records', async () => {
  const dir = tempDir();
  const cacheDir = tempDir();
  const blobGets = (): number => registry.logLines().filter((l) => /"GET \/v2\/fx\/[^ ]+\/blobs\/sha256:/.test(l)).length;
  const before = blobGets();
  const plan = await ferryAsync(['pack', '--catalog', sqliteCatalog, '--dry-run', '-o', path.join(dir, 'two.tar'), '--cache-dir', cacheDir, '--json']);
  assert.equal(plan.status, 0, plan.stderr);
  assert.equal(blobGets(), before, 'no config or layer of a related image was downloaded');
  assert.deepEqual(readdirSync(dir), [], 'nothing written');
  const r = plan.json!.result;
  assert.equal(r.dryRun, true);
  assert.deepEqual(r.packages, ['demo', 'other']);
  assert.deepEqual(r.images.map((i: { source: string }) => i.source), [`${host}/fx/app:1.0`, `${host}/fx/multi@${layout.images.multi.digest}`]);
  assert.deepEqual(r.images[1].platforms, ['linux/amd64', 'linux/arm64']);
  // The gathered catalog shares its base layer with the fixture images: that much is already cached.
  assert.ok(r.blobs.cached.bytes < r.blobs.bytes, `${r.blobs.cached.bytes} of ${r.blobs.bytes} bytes cached`);

  const packed = await ferryAsync(['pack', '--catalog', sqliteCatalog, '-o', path.join(dir, 'two.tar'), '--cache-dir', cacheDir, '--json']);
  assert.equal(packed.status, 0, packed.stderr);
  const metadata = (await ferryAsync(['inspect', path.join(dir, 'two.tar'), '--json'])).json!.result.metadata;
  assert.deepEqual(
    metadata.images.map((i: { source: string; size: number }) => [i.source, i.size]),
    r.images.map((i: { source: string; size: number }) => [i.source, i.size]),
  );
  const again = await ferryAsync(['pack', '--catalog', sqliteCatalog, '--dry-run', '-o', path.join(dir, 'again.tar'), '--cache-dir', cacheDir, '--json']);
  assert.equal(again.json!.result.blobs.cached.bytes, r.blobs.bytes, 'after the pack, everything is in the cache');
});

test('pack from manifests: the catalog is built first (as registry build) into the cache, then packed under --tag', async () => {
  const dir = tempDir();
  const archive = path.join(dir, 'built.tar');
  const tag = `${host}/olm/built:v1`;
  const r = await ferryAsync(['pack', '--from-dir', path.join(manifestsDir, 'demo'), '--from', `${host}/opm:latest`, '--tag', tag, '-o', archive, '--cache-dir', tempDir(), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const metadata = (await ferryAsync(['inspect', archive, '--json'])).json!.result.metadata;
  assert.equal(metadata.catalog.source, tag);
  assert.equal(metadata.catalog.kind, 'sqlite');
  assert.match(metadata.catalog.builtFrom, /--from-dir .*demo --from .*opm:latest/);
  assert.deepEqual(metadata.images.map((i: { source: string }) => i.source), [`${host}/fx/app:1.0`]);
  // The same catalog as registry build makes from the same input.
  const pushed = await ferryAsync(['registry', 'build', '--from-dir', path.join(manifestsDir, 'demo'), '--from', `${host}/opm:latest`, '--to', tag, '--json']);
  assert.equal(pushed.json!.result.image.digest, metadata.catalog.digest);
  assert.equal((await ferryAsync(['verify', archive])).status, 0);

  const both = await ferryAsync(['pack', '--catalog', sqliteCatalog, '--from-dir', path.join(manifestsDir, 'demo'), '-o', path.join(dir, 'x.tar')]);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /do not combine it with --from-dir/);
  const neither = await ferryAsync(['pack', '-o', path.join(dir, 'x.tar')]);
  assert.equal(neither.status, 2);
  assert.match(neither.stderr, /nothing to pack/);
});
