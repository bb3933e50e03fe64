/**
 * The gathering half of pack: a catalog image and its related images, copied into the cache with
 * digests unchanged; missing images reported with their bundles; a second run fetches no blob.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { collectImages } from '../src/archive/pack/collect-images.js';
import { ferryAsync } from './helpers/cli.js';
import { buildFixtureLayout, sha256Digest, skopeoCopy, skopeoInspectRaw, type FixtureLayout } from './helpers/fixtures.js';
import { writePackageManifest } from './helpers/manifests.js';
import { tempDir } from './helpers/paths.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';

let layout: FixtureLayout;
let registry: TestRegistry;
let catalog: string;

before(async () => {
  layout = await buildFixtureLayout();
  registry = await startRegistry({ auth: 'none' });
  const host = registry.host;
  await skopeoCopy(layout.images.base.layoutRef, `docker://${host}/opm:latest`, { dest: registry });
  await skopeoCopy(layout.images.app.layoutRef, `docker://${host}/fx/app:1.0`, { dest: registry });
  await skopeoCopy(layout.images.multi.layoutRef, `docker://${host}/fx/multi:1.0`, { dest: registry, all: true });
  const manifests = tempDir();
  writePackageManifest(manifests, 'demo', [{ name: 'stable', currentCSV: 'demo.v1.0.0' }], [
    { name: 'demo.v1.0.0', version: '1.0.0', images: [`${host}/fx/app:1.0`], relatedImages: [`${host}/fx/multi@${layout.images.multi.digest}`, `${host}/fx/gone:1`] },
  ]);
  catalog = `${host}/olm/demo:v1`;
  const built = await ferryAsync(['registry', 'build', '--from-dir', path.join(manifests, 'demo'), '--from', `${host}/opm:latest`, '--to', catalog, '--json']);
  assert.equal(built.status, 0, built.stderr);
});

after(async () => registry.stop());

test('catalog and related images land in the cache under their source references; a missing image is reported with its bundle; a second run fetches no blob', async () => {
  const cacheDir = tempDir();
  const first = await collectImages({ catalog, cacheDir });
  const host = registry.host;
  assert.deepEqual(first.images.map((i) => i.source), [`${host}/fx/app:1.0`, `${host}/fx/multi@${layout.images.multi.digest}`]);
  assert.deepEqual(first.missing.map((m) => [m.source, m.bundles, m.error.code]), [[`${host}/fx/gone:1`, ['demo.v1.0.0'], 'NOT_FOUND']]);
  assert.equal(first.catalog.kind, 'sqlite');
  assert.deepEqual(first.images.find((i) => i.source.includes('multi'))!.platforms, ['linux/amd64', 'linux/arm64']);
  // skopeo reads each image out of the cache layout by its source reference, digests unchanged.
  assert.equal(sha256Digest(await skopeoInspectRaw(`oci:${first.layoutDir}:${host}/fx/app:1.0`)), layout.images.app.digest);
  assert.equal(sha256Digest(await skopeoInspectRaw(`oci:${first.layoutDir}:${catalog}`)), first.catalog.digest);

  const blobGets = (): number => registry.logLines().filter((l) => l.startsWith('127.0.0.1 ') && /"GET \/v2\/[^ ]+\/blobs\/sha256:/.test(l)).length;
  const before = blobGets();
  const second = await collectImages({ catalog, cacheDir });
  assert.deepEqual(second.images.map((i) => i.digest), first.images.map((i) => i.digest));
  assert.equal(blobGets(), before, 'nothing downloaded again');

  await assert.rejects(collectImages({ catalog, cacheDir, continueOnError: false }), (e: Error & { exitCode: number }) => e.exitCode === 5 && /gone:1 \(needed by demo\.v1\.0\.0\)/.test(e.message));
});
