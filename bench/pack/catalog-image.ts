/**
 * The catalog `ferry pack` starts from: a small base image (one real tar.gz layer holding a text
 * file), and a package-manifest package whose bundles name the benchmark images by digest, built
 * into a catalog image with `ferry registry build --from BASE --to REGISTRY/olm/NAME:v1`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { create as createTar } from 'tar';
import type { TestRegistry } from '../../test/helpers/registry.js';
import { writePackageManifest, type CsvSpec } from '../../test/helpers/manifests.js';
import { MediaType } from '../../src/oci/media-types.js';
import { REF_NAME_ANNOTATION, type Descriptor } from '../../src/oci/descriptor.js';
import { normalizeReference } from '../../src/oci/reference.js';
import type { BuiltImage } from '../copy/generate-layout.js';
import { runFerryCommand, runSkopeoCopies, skopeoRaw } from '../copy/run-tools.js';
import type { ExpectedArchive, ExpectedImage } from './check-archive.js';

const GROUP = 5; // images per bundle

function writeBlob(blobsDir: string, mediaType: string, bytes: Buffer): Descriptor {
  const hex = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(path.join(blobsDir, hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}

/**
 * Writes a one-layer linux/amd64 base image (a real gzipped tar holding /etc/ferry-bench-base) as
 * an OCI layout in `dir` and pushes it to `registry` as bench/base:1; returns that reference.
 */
export async function pushBaseImage(dir: string, registry: TestRegistry): Promise<string> {
  const root = path.join(dir, 'rootfs');
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  writeFileSync(path.join(root, 'etc', 'ferry-bench-base'), 'base image of the ferry pack benchmark\n');
  const layerTar = path.join(dir, 'layer.tar');
  createTar({ cwd: root, file: layerTar, sync: true, portable: true, mtime: new Date('2024-01-01T00:00:00Z') }, ['etc']);
  const tarBytes = readFileSync(layerTar);
  const layoutDir = path.join(dir, 'layout');
  const blobsDir = path.join(layoutDir, 'blobs', 'sha256');
  mkdirSync(blobsDir, { recursive: true });
  const layer = writeBlob(blobsDir, MediaType.ociLayerGzip, gzipSync(tarBytes));
  const config = writeBlob(
    blobsDir,
    MediaType.ociConfig,
    Buffer.from(JSON.stringify({ created: '2024-01-01T00:00:00Z', architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [`sha256:${createHash('sha256').update(tarBytes).digest('hex')}`] } })),
  );
  const manifest = writeBlob(blobsDir, MediaType.ociManifest, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer] })));
  writeFileSync(path.join(layoutDir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(path.join(layoutDir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ ...manifest, annotations: { [REF_NAME_ANNOTATION]: 'base' } }] }));
  const reference = `${registry.host}/bench/base:1`;
  await runSkopeoCopies(['--dest-tls-verify=false', '--preserve-digests'], [[`oci:${layoutDir}:base`, `docker://${reference}`]]);
  return reference;
}

export interface BenchCatalog {
  /** The catalog image, normalized (as ferry names it in the archive). */
  catalog: ExpectedImage;
  /** The images its bundles name (by digest, normalized), in image order. */
  images: ExpectedImage[];
  /** The catalog image's blobs (manifest, config, layers): digest → size. */
  blobs: Map<string, number>;
  /** The catalog image's manifest, config and layers, named by its normalized reference. */
  image: BuiltImage;
  bundles: number;
}

/**
 * Writes package `name` under `dir` (one bundle per five images, a replaces chain in one channel;
 * each bundle's operator image is the first of its five, and relatedImages names all five by
 * digest as `REGISTRY/bench/imgNN@sha256:…`), builds it onto `base` as REGISTRY/olm/NAME:v1, and
 * reads back the catalog image's blobs.
 */
export async function buildBenchCatalog(dir: string, name: string, registry: TestRegistry, images: readonly BuiltImage[], base: string): Promise<BenchCatalog> {
  const refs = images.map((i) => `${registry.host}/bench/${i.name}@${i.manifest.digest}`);
  const csvs: CsvSpec[] = [];
  for (let start = 0; start < refs.length; start += GROUP) {
    const group = refs.slice(start, start + GROUP);
    const version = `1.${csvs.length}.0`;
    csvs.push({
      name: `${name}.v${version}`,
      version,
      ...(csvs.length > 0 ? { replaces: csvs[csvs.length - 1]!.name } : {}),
      images: [group[0]!],
      relatedImages: group,
    });
  }
  const packageDir = writePackageManifest(dir, name, [{ name: 'stable', currentCSV: csvs[csvs.length - 1]!.name }], csvs, 'stable');
  const reference = `${registry.host}/olm/${name}:v1`;
  const built = await runFerryCommand<{ image?: { digest: string } }>(['registry', 'build', '--from-dir', packageDir, '--from', base, '--to', reference]);
  const digest = built.envelope.result.image?.digest;
  if (digest === undefined) throw new Error(`ferry registry build --to ${reference} reported no image digest`);

  const raw = await skopeoRaw(`docker://${reference}`, ['--tls-verify=false']);
  const rawDigest = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  if (rawDigest !== digest) throw new Error(`${reference}: the registry serves ${rawDigest}, ferry registry build reported ${digest}`);
  const manifest = JSON.parse(raw.toString('utf8')) as { mediaType?: string; config?: Descriptor; layers?: Descriptor[] };
  if (manifest.config === undefined || manifest.layers === undefined) throw new Error(`${reference}: expected an image manifest, got ${manifest.mediaType}`);
  const blobs = new Map<string, number>([[digest, raw.length], [manifest.config.digest, manifest.config.size], ...manifest.layers.map((l): [string, number] => [l.digest, l.size])]);
  return {
    catalog: { ref: normalizeReference(reference), digest },
    images: images.map((i, n) => ({ ref: normalizeReference(refs[n]!), digest: i.manifest.digest })),
    blobs,
    image: { name: normalizeReference(reference), manifest: { mediaType: manifest.mediaType ?? MediaType.ociManifest, digest, size: raw.length }, config: manifest.config, layers: manifest.layers },
    bundles: csvs.length,
  };
}

/** What an archive of `catalog` (naming `images`) must hold, and the sum of its blob sizes. */
export function archiveContents(images: readonly BuiltImage[], catalog: BenchCatalog): { expected: ExpectedArchive; blobBytes: number } {
  const blobs = new Map<string, number>(catalog.blobs);
  for (const i of images) for (const d of [i.manifest, i.config, ...i.layers]) blobs.set(d.digest, d.size);
  let blobBytes = 0;
  for (const size of blobs.values()) blobBytes += size;
  return { expected: { images: catalog.images, catalog: catalog.catalog, blobs }, blobBytes };
}
