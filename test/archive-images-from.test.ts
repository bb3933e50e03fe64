/**
 * `ferry pack --images-from DIR`: an OCI layout consulted before the registries.
 *
 * 1. The bundled example (examples/images) packs with no registry at all: the catalog is built on
 *    the layout's base, every image comes from the layout with its digest unchanged, and the
 *    archive verifies.
 * 2. Layout and registry together, against a real registry: images the layout holds (one by tag,
 *    one named by digest and held under a tag of its repository) are taken from it even though the
 *    registry has them too (its access log shows no request for them), the image the layout lacks
 *    is pulled from the registry; the archive verifies.
 * 3. The lookup rules (LayoutImages) on copies of the example layout: ref names compared
 *    normalized, digests matched by repository, a wrong digest under a digest name is an integrity
 *    error, a blob found by its file name is checked against that name.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { LayoutImages } from '../src/oci/layout/layout-images.js';
import { LayoutStore } from '../src/oci/layout/layout-store.js';
import { parseReference } from '../src/oci/reference.js';
import { removeOnExit } from './helpers/cleanup.js';
import { ferryAsync } from './helpers/cli.js';
import { buildFixtureLayout, pushFixtures, skopeoCopy, type FixtureLayout } from './helpers/fixtures.js';
import { writePackageManifest } from './helpers/manifests.js';
import { repoRoot, tempDir } from './helpers/paths.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';

const EXAMPLE_IMAGES = path.join(repoRoot, 'examples', 'images');
const CATALOG_BASE = `oci:${EXAMPLE_IMAGES}:quay.io/ferry-example/catalog-base:latest`;
const REF_NAME = 'org.opencontainers.image.ref.name';

interface LayoutEntry {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

function layoutEntries(dir: string): LayoutEntry[] {
  return (JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: LayoutEntry[] }).manifests;
}

function temp(prefix: string): string {
  const dir = tempDir(prefix);
  removeOnExit(dir);
  return dir;
}

interface ArchiveImage {
  source: string;
  digest: string;
}

async function archiveImages(archive: string): Promise<{ catalog: ArchiveImage & { platforms: string[] }; images: ArchiveImage[]; missing: unknown[] }> {
  const r = await ferryAsync(['inspect', archive, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return r.json!.result.metadata;
}

async function assertVerifies(archive: string): Promise<void> {
  const r = await ferryAsync(['verify', archive, '--json']);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.equal(r.json!.result.ok, true);
  assert.deepEqual(r.json!.result.problems, []);
}

test('the example packs from examples/images with no registry: catalog built on the layout base, every image from the layout, digests unchanged', async () => {
  const dir = temp('ferry-images-from-example-');
  const archive = path.join(dir, 'example.tar');
  const r = await ferryAsync(['pack', '--from-dir', path.join(repoRoot, 'examples', 'manifests'), '--from', CATALOG_BASE, '--tag', 'quay.io/ferry-example/catalog:v1', '--images-from', EXAMPLE_IMAGES, '-o', archive, '--cache-dir', path.join(dir, 'cache'), '--json']);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.deepEqual(r.json!.result.missing, []);

  const layout = new Map(layoutEntries(EXAMPLE_IMAGES).map((e) => [e.annotations![REF_NAME]!, e.digest]));
  const metadata = await archiveImages(archive);
  // The example names quay.io/ferry-example/*, ghcr.io and docker.io images that exist nowhere but
  // in the layout: each one packed, with the layout's digest, proves it came from there.
  assert.equal(metadata.images.length, layout.size - 1);
  for (const image of metadata.images) assert.equal(image.digest, layout.get(image.source), image.source);
  assert.equal(metadata.catalog.source, 'quay.io/ferry-example/catalog:v1');
  assert.deepEqual(metadata.catalog.platforms, ['linux/amd64', 'linux/arm64']);
  assert.deepEqual(metadata.missing, []);
  await assertVerifies(archive);
});

test('pack --images-from that is not an OCI layout fails at once with exit 5', async () => {
  const dir = temp('ferry-images-from-bad-');
  const r = await ferryAsync(['pack', '--from-dir', path.join(repoRoot, 'examples', 'manifests'), '--from', CATALOG_BASE, '--images-from', dir, '-o', path.join(dir, 'x.tar'), '--cache-dir', path.join(dir, 'cache'), '--json']);
  assert.equal(r.status, 5, r.stderr);
  assert.equal(r.json!.error.code, 'NOT_FOUND');
  assert.match(r.json!.error.message, /not an OCI image layout/);
});

let fixtures: FixtureLayout;
let registry: TestRegistry;

before(async () => {
  fixtures = await buildFixtureLayout();
  registry = await startRegistry({ auth: 'none' });
  await pushFixtures(fixtures, registry, 'fx', { names: ['base', 'app', 'multi'] });
});

after(async () => registry.stop());

test('pack --images-from takes what the layout holds (by tag, by digest under a tag) and pulls only the rest from the registry', async () => {
  const dir = temp('ferry-images-from-mixed-');
  const host = registry.host;
  // The layout holds app (named by tag) and multi (named by a tag; the catalog names it by digest).
  const local = path.join(dir, 'local');
  await skopeoCopy(fixtures.images.app.layoutRef, `oci:${local}:${host}/fx/app:1.0`);
  await skopeoCopy(fixtures.images.multi.layoutRef, `oci:${local}:${host}/fx/multi:1.0`);
  const wanted = {
    app: `${host}/fx/app:1.0`,
    multi: `${host}/fx/multi@${fixtures.images.multi.digest}`,
    base: `${host}/fx/base:1.0`,
  };
  const manifests = path.join(dir, 'manifests');
  writePackageManifest(manifests, 'mixed', [{ name: 'stable', currentCSV: 'mixed.v1.0.0' }], [{ name: 'mixed.v1.0.0', version: '1.0.0', images: [wanted.app], relatedImages: [wanted.multi, wanted.base] }], 'stable');

  const archive = path.join(dir, 'mixed.tar');
  const before = registry.logLines().length;
  const r = await ferryAsync(['pack', '--from-dir', manifests, '--from', CATALOG_BASE, '--tag', 'example.com/olm/mixed:v1', '--images-from', local, '-o', archive, '--cache-dir', path.join(dir, 'cache'), '--json']);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);

  const metadata = await archiveImages(archive);
  const digests = new Map(metadata.images.map((i) => [i.source, i.digest]));
  assert.deepEqual([...digests.keys()].sort(), Object.values(wanted).sort());
  assert.equal(digests.get(wanted.app), fixtures.images.app.digest);
  assert.equal(digests.get(wanted.multi), fixtures.images.multi.digest);
  assert.equal(digests.get(wanted.base), fixtures.images.base.digest);
  await assertVerifies(archive);

  // The registry's access log: base was fetched (manifest and blobs); app and multi, which it also
  // holds, were not asked for at all.
  const requests = registry.logLines().slice(before).filter((l) => l.startsWith('127.0.0.1 ') && /"(GET|HEAD) \/v2\/fx\//.test(l));
  const of = (name: string): string[] => requests.filter((l) => l.includes(`/v2/fx/${name}/`));
  assert.ok(of('base').some((l) => l.includes('"GET ') && l.includes('/manifests/')), 'the base manifest came from the registry');
  assert.ok(of('base').some((l) => l.includes('"GET ') && l.includes('/blobs/sha256:')), 'the base blobs came from the registry');
  assert.deepEqual(of('app'), []);
  assert.deepEqual(of('multi'), []);
});

test('LayoutImages: ref names compared normalized, digests matched by repository, a digest name holding another manifest is an integrity error', async () => {
  const dir = temp('ferry-layout-images-');
  cpSync(EXAMPLE_IMAGES, dir, { recursive: true });
  const entries = layoutEntries(dir);
  const named = (ref: string): LayoutEntry => entries.find((e) => e.annotations![REF_NAME] === ref)!;
  const busybox = named('docker.io/library/busybox:1.36');
  const world = named('ghcr.io/ferry-example/world:2.0.0');
  const greeter = entries.find((e) => e.annotations![REF_NAME]!.startsWith('quay.io/ferry-example/greeter@'))!;
  // Rewrite the names as a user's skopeo layout might have them: short forms, a tag for the greeter,
  // and a digest name that lies (it names world 2.1.0's digest but holds world 2.0.0).
  const world210 = named('ghcr.io/ferry-example/world:2.1.0').digest;
  const edited = [
    { ...busybox, annotations: { [REF_NAME]: 'busybox:1.36' } },
    { ...greeter, annotations: { [REF_NAME]: 'quay.io/ferry-example/greeter:1.0.0' } },
    { ...world, annotations: { [REF_NAME]: `ghcr.io/ferry-example/world@${world210}` } },
    { ...world, annotations: { [REF_NAME]: 'not a reference' } },
  ];
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: edited }));
  const images = new LayoutImages(await LayoutStore.open(dir));
  const find = (ref: string) => images.find(parseReference(ref));

  const short = await find('docker.io/library/busybox:1.36');
  assert.equal(short?.reference, 'busybox:1.36');
  assert.equal((await short!.store.getManifest('', short!.reference)).digest, busybox.digest);
  assert.equal(await find('docker.io/library/busybox:1.37'), undefined);

  const byDigest = await find(`quay.io/ferry-example/greeter@${greeter.digest}`);
  assert.equal(byDigest?.reference, greeter.digest);
  assert.equal((await byDigest!.store.getManifest('', byDigest!.reference)).digest, greeter.digest);
  // Same digest, other repository: not this image.
  assert.equal(await find(`quay.io/ferry-example/other@${greeter.digest}`), undefined);

  await assert.rejects(find(`ghcr.io/ferry-example/world@${world210}`), (err: Error & { code?: string }) => err.code === 'INTEGRITY' && err.message.includes(world.digest));

  // A manifest found by its blob file name (not listed in index.json) must be that digest.
  const store = await LayoutStore.open(dir);
  const hex = (d: string): string => d.slice('sha256:'.length);
  cpSync(path.join(dir, 'blobs', 'sha256', hex(world.digest)), path.join(dir, 'blobs', 'sha256', hex(world210)));
  await assert.rejects(store.getManifest('', world210), (err: Error & { code?: string }) => err.code === 'INTEGRITY');
});
