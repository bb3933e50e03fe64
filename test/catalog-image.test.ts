/**
 * registry build (catalog image) and registry images --from, on a real registry, with synthetic
 * packages and bundles (helpers/synthetic-corpus), base images made by umoci and everything checked
 * by skopeo, umoci and sqlite3.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseMappings } from '../src/mirror/mapping-file.js';
import { validateClusterManifest } from '../src/mirror/validate-manifests.js';
import { startAppRegistryServer } from './helpers/app-registry-server.js';
import { renderFbcFromDatabase, pushUmociImage } from './helpers/catalog-fixtures.js';
import { checkPushedCatalog, startCatalogFixture } from './helpers/catalog-image-checks.js';
import { ferryAsync } from './helpers/cli.js';
import { runChecked } from './helpers/exec.js';
import { sha256Digest, skopeoCopy, skopeoInspectRaw, type FixtureLayout } from './helpers/fixtures.js';
import { tempDir } from './helpers/paths.js';
import type { TestRegistry } from './helpers/registry.js';
import { writeSyntheticCorpus } from './helpers/synthetic-corpus.js';

const corpus = writeSyntheticCorpus();
const PACKAGES = ['flat', 'kv', 'metrics'].map((p) => corpus.packageDir(p));
let layout: FixtureLayout;
let registry: TestRegistry;
let database: string;
let expectedImages: string[];

before(async () => {
  ({ layout, registry, database, expectedImages } = await startCatalogFixture(PACKAGES));
  await skopeoCopy(layout.images.multi.layoutRef, `docker://${registry.host}/opm-multi:latest`, { dest: registry, all: true });
});

after(async () => registry.stop());

describe('registry build → registry images --from', () => {
  test('pushed catalog: labels, entrypoint, cmd, port; database schema 13; same images as the database; reproducible', async () => {
    await checkPushedCatalog(registry, PACKAGES, `${registry.host}/opm:latest`, expectedImages);
  });

  test('a multi-platform base gives a multi-platform catalog', async () => {
    const ref = `${registry.host}/olm/multi:v1`;
    const built = await ferryAsync(['registry', 'build', '--from-dir', PACKAGES.join(','), '--from', `${registry.host}/opm-multi:latest`, '--to', ref, '--json']);
    assert.equal(built.status, 0, built.stderr);
    assert.deepEqual(built.json!.result.image.platforms, ['linux/amd64', 'linux/arm64']);
    const index = JSON.parse((await skopeoInspectRaw(`docker://${ref}`, registry)).toString('utf8')) as { manifests: Array<{ digest: string; platform: { architecture: string } }> };
    assert.equal(index.manifests.length, 2);
    for (const m of index.manifests) {
      const child = JSON.parse((await skopeoInspectRaw(`docker://${registry.host}/olm/multi@${m.digest}`, registry)).toString('utf8')) as { layers: Array<{ digest: string }> };
      assert.equal(child.layers.at(-1)!.digest, built.json!.result.image.layer.digest, `${m.platform.architecture} carries the database layer`);
    }
    const images = await ferryAsync(['registry', 'images', '--from', ref, '--json']);
    assert.deepEqual(images.json!.result.images, [...expectedImages, ref].sort());
  });

  test('--save: skopeo reads the tarball as oci-archive: with the pushed digest, and as docker-archive:', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'catalog.tar');
    const saved = await ferryAsync(['registry', 'build', '--from-dir', PACKAGES.join(','), '--from', `${registry.host}/opm:latest`, '--save', file, '--tag', 'example.com/olm/catalog:v1', '--json']);
    assert.equal(saved.status, 0, saved.stderr);
    const pushed = await ferryAsync(['registry', 'build', '--from-dir', PACKAGES.join(','), '--from', `${registry.host}/opm:latest`, '--to', `${registry.host}/olm/catalog:saved`, '--json']);
    assert.equal(saved.json!.result.image.digest, pushed.json!.result.image.digest);
    assert.equal(sha256Digest(await skopeoInspectRaw(`oci-archive:${file}:example.com/olm/catalog:v1`)), pushed.json!.result.image.digest);
    const docker = JSON.parse((await runChecked('skopeo', ['--insecure-policy', 'inspect', '--config', `docker-archive:${file}`])).stdout) as { config: { Labels: Record<string, string> } };
    assert.equal(docker.config.Labels['operators.operatorframework.io.index.database.v1'], '/database/index.db');
    const images = await ferryAsync(['registry', 'images', '--from-archive', file, '--json']);
    assert.deepEqual(images.json!.result.images, [...expectedImages, 'example.com/olm/catalog:v1'].sort());
  });

  test('a file-based catalog image lists the same images as the sqlite catalog of the same packages', async () => {
    const configs = path.join(tempDir(), 'configs');
    mkdirSync(configs);
    await renderFbcFromDatabase(database, configs);
    const ref = `${registry.host}/olm/fbc:v1`;
    await pushUmociImage({ files: configs, at: '/configs', labels: { 'operators.operatorframework.io.index.configs.v1': '/configs' }, destination: `docker://${ref}`, skopeoFlags: ['--dest-tls-verify=false'] });
    const images = await ferryAsync(['registry', 'images', '--from', ref, '--json']);
    assert.equal(images.status, 0, images.stderr);
    assert.equal(images.json!.result.catalog.kind, 'fbc');
    assert.deepEqual(images.json!.result.images, [...expectedImages, ref].sort());
  });
});

describe('bad input', () => {
  test('a database removed by a whiteout in a higher layer is not found (exit 5)', async () => {
    const files = path.join(tempDir(), 'db');
    mkdirSync(files);
    await runChecked('cp', [database, path.join(files, 'index.db')]);
    const ref = `${registry.host}/olm/whiteout:v1`;
    await pushUmociImage({ files, at: '/database', labels: { 'operators.operatorframework.io.index.database.v1': '/database/index.db' }, destination: `docker://${ref}`, whiteout: 'database/index.db', skopeoFlags: ['--dest-tls-verify=false'] });
    const r = await ferryAsync(['registry', 'images', '--from', ref, '--json']);
    assert.equal(r.status, 5, r.stderr);
    assert.match(r.json!.error.message, /has no file \/database\/index\.db/);
  });

  test('an image with neither catalog label: clear message, exit 3', async () => {
    const r = await ferryAsync(['registry', 'images', '--from', `${registry.host}/opm:latest`, '--json']);
    assert.equal(r.status, 3);
    assert.equal(r.json!.error.code, 'NOT_A_CATALOG');
    assert.match(r.json!.error.message, /neither the operators\.operatorframework\.io\.index\.database\.v1 nor/);
  });

  test('a missing base image: exit 5, no tarball left', async () => {
    const dir = tempDir();
    const r = await ferryAsync(['registry', 'build', '--from-dir', PACKAGES[0]!, '--from', `${registry.host}/no/such-base:1`, '--save', path.join(dir, 'c.tar'), '--json']);
    assert.equal(r.status, 5, r.stderr);
    assert.deepEqual(readdirSync(dir), []);
    assert.ok(!existsSync(path.join(dir, 'c.tar')));
  });
});

describe('sources', () => {
  test('--bundles: bundle images (made by umoci) are pulled and unpacked; each image becomes a related image', async () => {
    const versions = ['1.1.0', '1.10.0'];
    const refs: string[] = [];
    for (const v of versions) {
      const ref = `${registry.host}/bundles/bundled:${v}`;
      await pushUmociImage({ files: path.join(corpus.bundleDir('bundled'), v), at: '/', labels: { 'operators.operatorframework.io.bundle.package.v1': 'bundled' }, destination: `docker://${ref}`, skopeoFlags: ['--dest-tls-verify=false'] });
      refs.push(ref);
    }
    const out = tempDir();
    const r = await ferryAsync(['registry', 'build', '--bundles', refs.join(','), '--db-only', '--save', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json!.result.bundles, 2);
    const bundlePaths = await runChecked('sqlite3', [path.join(out, 'index.db'), 'SELECT bundlepath FROM operatorbundle ORDER BY bundlepath']);
    assert.deepEqual(bundlePaths.stdout.trim().split('\n'), refs.sort());
    const images = await ferryAsync(['registry', 'images', '--from-db', path.join(out, 'index.db'), '--json']);
    for (const ref of refs) assert.ok(images.json!.result.images.includes(ref), `${ref} is a related image`);
  });

  test('--from-index starts from a catalog image and adds packages', async () => {
    const ref = `${registry.host}/olm/start:v1`;
    const first = await ferryAsync(['registry', 'build', '--from-dir', PACKAGES[0]!, '--from', `${registry.host}/opm:latest`, '--to', ref, '--json']);
    assert.equal(first.status, 0, first.stderr);
    const out = tempDir();
    const r = await ferryAsync(['registry', 'build', '--from-index', ref, '--from-dir', PACKAGES[1]!, '--db-only', '--save', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.json!.result.catalogPackages, ['flat', 'kv']);
  });
});

describe('registry images --to', () => {
  test('mapping on stdout and in mapping.txt, manifests that validate; the mirrored catalog reads back the same', async () => {
    const ref = `${registry.host}/olm/catalog:to`;
    const built = await ferryAsync(['registry', 'build', '--from-dir', PACKAGES.join(','), '--from', `${registry.host}/opm:latest`, '--to', ref, '--json']);
    assert.equal(built.status, 0, built.stderr);
    const dir = tempDir();
    const manifests = path.join(dir, 'manifests');
    const r = await ferryAsync(['registry', 'images', '--from', ref, '--to', `${registry.host}/mirror`, '--manifests', manifests, '--catalog-name', 'ferry-test', '--publisher', 'ferry']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, expectedImages.length + 1);
    const mappingFile = readFileSync(path.join(manifests, 'mapping.txt'), 'utf8');
    assert.deepEqual(parseMappings(mappingFile, 'mapping.txt').map((m) => `${m.source}=${m.destination}`), lines);
    for (const file of ['imageContentSourcePolicy.yaml', 'imageDigestMirrorSet.yaml', 'imageTagMirrorSet.yaml', 'catalogSource.yaml'].filter((f) => existsSync(path.join(manifests, f)))) {
      assert.deepEqual(validateClusterManifest(readFileSync(path.join(manifests, file), 'utf8'), file), [], `${file} validates`);
    }
    const catalogLine = lines.find((l) => l.startsWith(`${ref}=`))!;
    const mirrored = catalogLine.split('=')[1]!;
    assert.match(readFileSync(path.join(manifests, 'catalogSource.yaml'), 'utf8'), new RegExp(`image: ${mirrored.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    // Mirror the catalog line with ferry itself; the mirrored catalog lists the same images.
    writeFileSync(path.join(dir, 'catalog-only.txt'), `${catalogLine}\n`);
    const mirror = await ferryAsync(['image', 'mirror', '-f', path.join(dir, 'catalog-only.txt'), '--json']);
    assert.equal(mirror.status, 0, mirror.stderr);
    const back = await ferryAsync(['registry', 'images', '--from', mirrored, '--json']);
    assert.deepEqual(back.json!.result.images.filter((i: string) => i !== mirrored), expectedImages);
  });
});

describe('App Registry source', () => {
  test('registry build --appregistry-namespace → push → registry images --from lists what the database gives', async () => {
    const server = await startAppRegistryServer();
    try {
      const ref = `${registry.host}/olm/appregistry:v1`;
      const built = await ferryAsync(['registry', 'build', '--appregistry-namespace', server.namespace, '--appregistry-endpoint', server.url, '--auth-token', server.token!, '--from', `${registry.host}/opm:latest`, '--to', ref, '--json']);
      assert.equal(built.status, 0, built.stderr);
      assert.deepEqual(built.json!.result.catalogPackages, server.packages.map((p) => p.name.split('/').pop()!).sort());
      assert.ok(!built.stdout.includes(server.token!) && !built.stderr.includes(server.token!), 'the token never appears');
      const out = tempDir();
      const db = await ferryAsync(['registry', 'build', '--appregistry-namespace', server.namespace, '--appregistry-endpoint', server.url, '--auth-token', server.token!, '--db-only', '--save', out, '--json']);
      const fromDb = await ferryAsync(['registry', 'images', '--from-db', db.json!.result.database, '--json']);
      const fromImage = await ferryAsync(['registry', 'images', '--from', ref, '--json']);
      assert.deepEqual(fromImage.json!.result.images, [...fromDb.json!.result.images, ref].sort());
      const wrong = await ferryAsync(['registry', 'build', '--appregistry-namespace', server.namespace, '--appregistry-endpoint', server.url, '--auth-token', 'basic d3Jvbmc=', '--db-only', '--save', tempDir(), '--json']);
      assert.equal(wrong.status, 4);
    } finally {
      await server.stop();
    }
  });
});

describe('starting catalogs', () => {
  test('a package loaded again replaces the starting one, with a warning that says so', async () => {
    const out = tempDir();
    const r = await ferryAsync(['registry', 'build', '--from-db', database, '--from-dir', PACKAGES[0]!, '--db-only', '--save', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.json!.result.catalogPackages, ['flat', 'kv', 'metrics']);
    assert.ok(r.json!.warnings.some((w: string) => /package flat was in the database and is replaced by the package-manifest folder/.test(w)));
  });
});
