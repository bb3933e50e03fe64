/**
 * The whole story on two real registries, as users run it (bin/run.js): a catalog of `fixture`'s
 * packages on SOURCE → ferry pack (volumes) → read-only copies → ferry verify → ferry push to MIRROR;
 * then every image is on MIRROR by digest with SOURCE's bytes, the catalog reads back, the manifests
 * validate. Shared by the main suite (synthetic packages) and the conformance suite (shared corpus).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { validateClusterManifest } from '../../src/mirror/validate-manifests.js';
import { removeOnExit } from './cleanup.js';
import { ferryAsync } from './cli.js';
import { readOnlyCopy } from './damage.js';
import { sha256Digest, skopeoInspectRaw } from './fixtures.js';
import type { ImageFixture } from './package-images.js';
import { tempDir } from './paths.js';
import type { TestRegistry } from './registry.js';

function temp(prefix: string): string {
  const dir = tempDir(prefix);
  removeOnExit(dir);
  return dir;
}

const sourceCreds = (source: TestRegistry): string[] => ['--creds', `${source.username}:${source.password}`];
const mirrorCreds = (mirror: TestRegistry): string[] => ['--creds', `${mirror.username}:${mirror.password}`, '--ca-file', mirror.caFile!];

/** `host/repo:tag@digest` → `host/repo@digest` (skopeo refuses both). */
const byDigest = (reference: string, digest: string): string => `${reference.replace(/@.*$/, '').replace(/:[^:/]+$/, '')}@${digest}`;

/** SOURCE holds `fixture`'s images and an opm base image at SOURCE/opm:latest; MIRROR is empty. */
export async function checkRoundTrip(source: TestRegistry, mirror: TestRegistry, fixture: ImageFixture): Promise<void> {
  const catalog = `${source.host}/olm/corpus:v1`;
  const built = await ferryAsync(['registry', 'build', ...fixture.packages.flatMap((p) => ['--from-dir', p.dir]), '--from', `${source.host}/opm:latest`, '--to', catalog, '--src-creds', `${source.username}:${source.password}`, '--dest-creds', `${source.username}:${source.password}`, '--json']);
  assert.equal(built.status, 0, `build: ${built.stdout}\n${built.stderr}`);

  const work = temp('ferry-roundtrip-');
  const packed = await ferryAsync(['pack', '--catalog', catalog, '-o', path.join(work, 'packed', 'corpus.tar'), '--volume-size', '1MiB', '--cache-dir', path.join(work, 'pack-cache'), ...sourceCreds(source), '--json']);
  assert.equal(packed.status, 0, `pack: ${packed.stdout}\n${packed.stderr}`);
  const volumes: string[] = packed.json!.result.files;
  assert.ok(volumes.length >= 1);

  // Carried: the volumes copied to other media, made read-only.
  const onMedia = readOnlyCopy(volumes);

  const verified = await ferryAsync(['verify', onMedia[0]!, '--json']);
  assert.equal(verified.status, 0, verified.stderr);
  assert.equal(verified.json!.result.ok, true);

  const manifests = path.join(work, 'manifests');
  const pushed = await ferryAsync(['push', onMedia[0]!, '--to', `${mirror.host}/olm`, ...mirrorCreds(mirror), '--manifests', manifests, '--cache-dir', path.join(work, 'push-cache'), '--json']);
  assert.equal(pushed.status, 0, pushed.stderr);
  const result = pushed.json!.result;
  assert.equal(result.images.failed, 0);
  assert.equal(result.images.total, fixture.catalogImages.length + 1);
  assert.equal(result.catalog.status, 'pushed');
  assert.equal(result.next, `oc apply -f ${manifests}`);

  // Every image of the archive is on MIRROR by digest, with SOURCE's bytes.
  const everything: Array<{ source: string; destination: string; digest: string }> = [...result.list, result.catalog];
  for (const image of everything) {
  const fromSource = await skopeoInspectRaw(byDigest(image.source, image.digest), source);
  const fromMirror = await skopeoInspectRaw(byDigest(image.destination, image.digest), mirror);
  assert.deepEqual(fromMirror, fromSource, image.source);
  assert.equal(sha256Digest(fromMirror), image.digest);
  // And the tag push gave it names the same manifest.
  assert.equal(sha256Digest(await skopeoInspectRaw(image.destination, mirror)), image.digest, image.destination);
  }

  // The catalog, read back from MIRROR, names images that are all on MIRROR under their mapped names.
  const mapping = new Map(
  readFileSync(path.join(manifests, 'mapping.txt'), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('=') as [string, string]),
  );
  const listed = await ferryAsync(['registry', 'images', '--from', result.catalog.destination, ...mirrorCreds(mirror), '--json']);
  assert.equal(listed.status, 0, listed.stderr);
  const images: string[] = listed.json!.result.images.filter((i: string) => i !== listed.json!.result.catalog?.reference);
  assert.deepEqual(images.sort(), fixture.catalogImages.map((i) => i.normalized).sort());
  for (const image of images) {
  const destination = mapping.get(image);
  assert.ok(destination, `mapping.txt maps ${image}`);
  const expected = fixture.catalogImages.find((i) => i.normalized === image)!.digest;
  assert.equal(sha256Digest(await skopeoInspectRaw(destination, mirror)), expected, `${image} → ${destination}`);
  }

  // Every manifest validates and names MIRROR; the CatalogSource points at the pushed catalog.
  const files = readdirSync(manifests).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.includes('catalogSource.yaml') && files.includes('imageDigestMirrorSet.yaml') && files.includes('imageContentSourcePolicy.yaml'), files.join(', '));
  for (const file of files) {
  const text = readFileSync(path.join(manifests, file), 'utf8');
  assert.deepEqual(validateClusterManifest(text, file), [], file);
  assert.ok(text.includes(`${mirror.host}/olm/`), `${file} names the mirror`);
  }
  assert.ok(readFileSync(path.join(manifests, 'catalogSource.yaml'), 'utf8').includes(result.catalog.destination.replace(/:[^:/]+$/, '')));
}
