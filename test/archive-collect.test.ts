/**
 * The gathering half of pack: a catalog image and its related images, copied into the cache with
 * digests unchanged; missing images reported with their bundles; a second run fetches no blob.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { parseChecksums } from '../src/archive/checksums.js';
import { collectImages } from '../src/archive/pack/collect-images.js';
import { writeArchive } from '../src/archive/pack/write-archive.js';
import { generateKeyPair } from '../src/archive/signing.js';
import { parseVolumeSize } from '../src/archive/volume-size.js';
import { openVolumes } from '../src/archive/volumes/read-volumes.js';
import { runChecked } from './helpers/exec.js';
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
  await skopeoCopy(layout.images.big.layoutRef, `docker://${host}/fx/big:1.0`, { dest: registry });
  const manifests = tempDir();
  writePackageManifest(manifests, 'demo', [{ name: 'stable', currentCSV: 'demo.v1.0.0' }], [
    { name: 'demo.v1.0.0', version: '1.0.0', images: [`${host}/fx/app:1.0`], relatedImages: [`${host}/fx/multi@${layout.images.multi.digest}`, `${host}/fx/gone:1`, `${host}/fx/big:1.0`] },
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
  assert.deepEqual(first.images.map((i) => i.source), [`${host}/fx/app:1.0`, `${host}/fx/big:1.0`, `${host}/fx/multi@${layout.images.multi.digest}`]);
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

test('the archive: skopeo reads images out of it by source reference; sha256sum -c checks it after extraction; volumes join and verify', async () => {
  const cacheDir = tempDir();
  const collected = await collectImages({ catalog, cacheDir });
  const dir = tempDir();
  const written = await writeArchive({ collected, output: path.join(dir, 'demo.tar'), ferryVersion: '0.1.0', signKey: generateKeyPair().privateKeyPem });
  assert.deepEqual(written.files, [path.join(dir, 'demo.tar')]);
  assert.ok(written.signed);
  const host = registry.host;
  assert.equal(sha256Digest(await skopeoInspectRaw(`oci-archive:${written.files[0]}:${host}/fx/app:1.0`)), layout.images.app.digest);
  assert.equal(sha256Digest(await skopeoInspectRaw(`oci-archive:${written.files[0]}:${catalog}`)), collected.catalog.digest);
  const out = path.join(dir, 'x');
  mkdirSync(out);
  await runChecked('tar', ['-xf', written.files[0]!, '-C', out]);
  const check = await runChecked('sha256sum', ['--strict', '-c', 'checksums.sha256'], { cwd: out });
  assert.ok(!/FAILED/.test(check.stdout));
  assert.equal(written.identity, sha256Digest(readFileSync(path.join(out, 'checksums.sha256'))));
  const metadata = JSON.parse(readFileSync(path.join(out, 'ferry-archive.json'), 'utf8')) as { missing: Array<{ source: string }>; images: unknown[] };
  assert.deepEqual(metadata.missing.map((m) => m.source), [`${host}/fx/gone:1`]);
  assert.equal(metadata.images.length, 3);

  // Volumes of 1 MiB: the 8 MiB layer is stored in pieces; every member reads back verified.
  const vdir = tempDir();
  const volumes = await writeArchive({ collected, output: path.join(vdir, 'demo.tar'), ferryVersion: '0.1.0', volumeSize: parseVolumeSize('1MiB') });
  assert.ok(volumes.files.length >= 9, `${volumes.files.length} volumes`);
  const set = await openVolumes(volumes.files[0]!);
  assert.equal(set.archive, volumes.identity, 'every volume names this archive');
  const chunks: Buffer[] = [];
  for await (const chunk of set.openMember('checksums.sha256')) chunks.push(chunk as Buffer);
  const checksums = Buffer.concat(chunks);
  assert.equal(sha256Digest(checksums), volumes.identity);
  const sums = parseChecksums(checksums, 'checksums.sha256');
  assert.ok(sums.some((e) => e.path === `blobs/sha256/${layout.images.big.layers[0]!.slice(7)}`), 'the big layer is listed');
  for (const entry of sums) {
    const stream = set.openVerified(entry.path, `sha256:${entry.sha256}`);
    for await (const _ of stream) void _;
  }
});

test('ferry pack: exit 7 with the missing image and its bundle listed, the archive written; --no-continue-on-error fails first and writes nothing', async () => {
  const dir = tempDir();
  const cacheDir = tempDir();
  const r = await ferryAsync(['pack', '--catalog', catalog, '-o', path.join(dir, 'demo.tar'), '--cache-dir', cacheDir, '--json']);
  assert.equal(r.status, 7, r.stderr);
  assert.equal(r.json!.status, 'partial');
  assert.deepEqual(r.json!.result.files, [path.join(dir, 'demo.tar')]);
  assert.deepEqual(r.json!.result.missing.map((m: { source: string; bundles: string[] }) => [m.source, m.bundles]), [[`${registry.host}/fx/gone:1`, ['demo.v1.0.0']]]);
  assert.ok(r.json!.warnings.some((w: string) => w.includes('gone:1 could not be packed (needed by demo.v1.0.0)')));
  const strictDir = tempDir();
  const strict = await ferryAsync(['pack', '--catalog', catalog, '-o', path.join(strictDir, 'demo.tar'), '--cache-dir', cacheDir, '--no-continue-on-error', '--json']);
  assert.equal(strict.status, 5);
  assert.deepEqual(readdirSync(strictDir), []);
});
