/**
 * What `ferry pack` of a catalog must give, checked with independent tools (tar, sha256sum, skopeo)
 * and ferry's own reader; shared by the main suite (synthetic packages) and the conformance suite
 * (shared-corpus packages).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseChecksums } from '../../src/archive/checksums.js';
import { openVolumes } from '../../src/archive/volumes/read-volumes.js';
import { removeOnExit } from './cleanup.js';
import { ferryAsync } from './cli.js';
import { runChecked } from './exec.js';
import { sha256Digest, skopeoCopy, skopeoInspectRaw, type RegistryEndpoint } from './fixtures.js';
import type { ImageFixture } from './package-images.js';
import { tempDir } from './paths.js';
import type { TestRegistry } from './registry.js';

interface RawManifestDoc {
  mediaType?: string;
  config?: { digest: string };
  layers?: Array<{ digest: string }>;
  manifests?: Array<{ digest: string }>;
}

function temp(prefix: string): string {
  const dir = tempDir(prefix);
  removeOnExit(dir);
  return dir;
}

/**
 * Everything an image is made of in the registry, read by skopeo: manifest (and index) digests and
 * config and layer digests.
 */
export async function registryClosure(ref: string, endpoint: RegistryEndpoint): Promise<{ manifests: Set<string>; blobs: Set<string> }> {
  const manifests = new Set<string>();
  const blobs = new Set<string>();
  const repository = ref.replace(/@.*$/, '').replace(/:[^:/]+$/, '');
  // skopeo refuses a reference with both a tag and a digest; the digest is what names the image.
  const visit = async (reference: string): Promise<void> => {
    const raw = await skopeoInspectRaw(`docker://${reference}`, endpoint);
    manifests.add(sha256Digest(raw));
    const doc = JSON.parse(raw.toString('utf8')) as RawManifestDoc;
    for (const child of doc.manifests ?? []) await visit(`${repository}@${child.digest}`);
    if (doc.config) blobs.add(doc.config.digest);
    for (const l of doc.layers ?? []) blobs.add(l.digest);
  };
  await visit(ref.includes('@') ? `${repository}${ref.slice(ref.indexOf('@'))}` : ref);
  return { manifests, blobs };
}

export async function union(refs: readonly string[], endpoint: RegistryEndpoint): Promise<{ manifests: Set<string>; blobs: Set<string> }> {
  const all = { manifests: new Set<string>(), blobs: new Set<string>() };
  for (const ref of refs) {
    const c = await registryClosure(ref, endpoint);
    c.manifests.forEach((d) => all.manifests.add(d));
    c.blobs.forEach((d) => all.blobs.add(d));
  }
  return all;
}

/** Every member listed in checksums.sha256, read back through the volume reader and verified against its sha256. */
export async function verifyWithReader(archive: string): Promise<{ identity: string; members: string[] }> {
  const set = await openVolumes(archive);
  const chunks: Buffer[] = [];
  for await (const c of set.openMember('checksums.sha256')) chunks.push(c as Buffer);
  const checksums = Buffer.concat(chunks);
  assert.equal(sha256Digest(checksums), set.archive, 'the archive identity is the sha256 of its checksums file');
  const entries = parseChecksums(checksums, 'checksums.sha256');
  for (const e of entries) {
    for await (const _ of set.openVerified(e.path, `sha256:${e.sha256}`)) void _;
  }
  const listed = new Set(entries.map((e) => e.path));
  const others = set.members().map((m) => m.name).filter((n) => !listed.has(n));
  assert.deepEqual(others.sort(), ['checksums.sha256'], 'every member but the checksums file itself is listed');
  return { identity: set.archive, members: entries.map((e) => e.path) };
}

/** `ferry verify` (the receiving side's check) accepts the archive. */
export async function ferryVerify(archive: string): Promise<void> {
  const r = await ferryAsync(['verify', archive]);
  assert.equal(r.status, 0, `ferry verify ${archive}:\n${r.stdout}\n${r.stderr}`);
}

interface ArchiveMetadata {
  format: string;
  catalog: { source: string; digest: string; kind: string };
  images: Array<{ source: string; digest: string; bundles: string[] }>;
  missing: unknown[];
  invalid: unknown[];
  blobs: { count: number; bytes: number };
}

/**
 * The packages of `fixture` (every image in `registry`) built into a catalog pushed there, packed, and
 * the archive read by tar, sha256sum and skopeo: exactly the catalog's images, with the registry's bytes.
 */
export async function checkPackOfFixture(registry: TestRegistry, fixture: ImageFixture): Promise<void> {
  const host = registry.host;
  const kinds = new Set(fixture.catalogImages.map((i) => i.kind));
  assert.ok(kinds.has('tag') && kinds.has('digest') && kinds.has('tag+digest'), `fixture kinds: ${[...kinds].join(', ')}`);
  const sources = new Set(fixture.catalogImages.flatMap((i) => i.sources));
  assert.ok(sources.has('relatedImages') && sources.has('containers') && sources.has('initContainers'), `fixture sources: ${[...sources].join(', ')}`);
  // One containerImage annotation names a tag its deployment does not use; opm does not record it.
  const annotationOnly = fixture.images.filter((i) => i.catalogCsvs.length === 0);
  assert.deepEqual(annotationOnly.map((i) => i.sources), [['containerImage']]);

  const catalog = `${host}/olm/corpus:v1`;
  const built = await ferryAsync(['registry', 'build', ...fixture.packages.flatMap((p) => ['--from-dir', p.dir]), '--from', `${host}/opm:latest`, '--to', catalog, '--json']);
  assert.equal(built.status, 0, built.stderr);

  const dir = temp('ferry-e2e-out-');
  const archive = path.join(dir, 'corpus.tar');
  const r = await ferryAsync(['pack', '--catalog', catalog, '-o', archive, '--cache-dir', path.join(dir, 'cache'), '--json']);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.equal(r.json!.status, 'ok');
  assert.deepEqual(r.json!.result.files, [archive]);
  assert.equal(r.json!.result.images, fixture.catalogImages.length);
  assert.deepEqual(r.json!.result.missing, []);
  assert.deepEqual(r.json!.result.invalid, []);

  const out = path.join(dir, 'x');
  mkdirSync(out);
  await runChecked('tar', ['-xf', archive, '-C', out]);
  const check = await runChecked('sha256sum', ['--strict', '-c', 'checksums.sha256'], { cwd: out });
  assert.ok(!/FAILED|WARNING/.test(check.stdout + check.stderr), check.stdout);
  assert.equal(r.json!.result.identity, sha256Digest(readFileSync(path.join(out, 'checksums.sha256'))));

  // The metadata lists exactly the rewritten references (normalized), each with the pushed digest and the CSVs naming it.
  const metadata = JSON.parse(readFileSync(path.join(out, 'ferry-archive.json'), 'utf8')) as ArchiveMetadata;
  assert.equal(metadata.format, 'ferry-archive/v1');
  assert.equal(metadata.catalog.source, catalog);
  assert.equal(metadata.catalog.kind, 'sqlite');
  assert.deepEqual(metadata.missing, []);
  assert.deepEqual(metadata.invalid, []);
  assert.deepEqual(
  metadata.images.map((i) => [i.source, i.digest, i.bundles]).sort(),
  fixture.catalogImages.map((i) => [i.normalized, i.digest, i.catalogCsvs]).sort(),
  );
  assert.ok(!metadata.images.some((i) => i.source === annotationOnly[0]!.normalized), 'a containerImage-only reference is not packed');
  assert.equal(metadata.catalog.digest, sha256Digest(await skopeoInspectRaw(catalog, registry)));

  // index.json names each image (and the catalog) by its source reference, and the blobs are exactly what the registry holds for them.
  const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> };
  const names = index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']!);
  assert.deepEqual(names, [catalog, ...fixture.catalogImages.map((i) => i.normalized)].sort());
  const closure = await union([catalog, ...fixture.catalogImages.map((i) => i.rewritten)], registry);
  const archivedBlobs = readdirSync(path.join(out, 'blobs', 'sha256')).map((h) => `sha256:${h}`).sort();
  assert.deepEqual(archivedBlobs, [...new Set([...closure.manifests, ...closure.blobs])].sort());
  assert.deepEqual(metadata.blobs.count, archivedBlobs.length);

  // skopeo reads images straight out of the archive, digests equal to the source registry's:
  // every image by inspect, and one of each kind copied whole (every blob read).
  for (const image of fixture.catalogImages) {
  const fromArchive = sha256Digest(await skopeoInspectRaw(`oci-archive:${archive}:${image.normalized}`));
  assert.equal(fromArchive, sha256Digest(await skopeoInspectRaw(image.kind === 'tag+digest' ? image.rewritten.replace(/:[^:/@]+@/, '@') : image.rewritten, registry)), image.normalized);
  assert.equal(fromArchive, image.digest, image.normalized);
  }
  const copies = temp('ferry-e2e-copies-');
  for (const kind of ['tag', 'digest', 'tag+digest'] as const) {
  const image = fixture.catalogImages.find((i) => i.kind === kind)!;
  const copied = await skopeoCopy(`oci-archive:${archive}:${image.normalized}`, `oci:${path.join(copies, kind.replace('+', '-'))}:x`);
  assert.equal(copied, image.digest, `${kind}: ${image.normalized}`);
  }

  await verifyWithReader(archive);
  await ferryVerify(archive);
}
