/**
 * A deterministic synthetic OCI image layout, written by hand from image specs: seeded layer blobs
 * (shared by label), a config and manifest per image, index.json naming each image.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createGunzip } from 'node:zlib';
import { writeLayerBlob, type LayerBlob } from './write-layer-blob.js';
import { MediaType } from '../../src/oci/media-types.js';
import { REF_NAME_ANNOTATION, type Descriptor } from '../../src/oci/descriptor.js';

export interface LayerSpec {
  /** Layers with the same label are the same blob, written once. */
  label: string;
  size: number;
}

export interface ImageSpec {
  name: string;
  layers: LayerSpec[];
}

export interface BuiltImage {
  name: string;
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
}

export interface Layout {
  dir: string;
  images: BuiltImage[];
  /** Every distinct blob (layers, configs, manifests): digest → size. */
  blobs: Map<string, number>;
  /** Sum of distinct blob sizes: what a copy has to move once. */
  uniqueBytes: number;
  /** Sum over images of config and layer sizes (shared layers counted per image). */
  logicalBytes: number;
  /** sha256 over the manifest digests: equal across runs, as generation is seeded. */
  fingerprint: string;
  ms: number;
}

async function writeJsonBlob(blobsDir: string, mediaType: string, doc: unknown): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(doc));
  const hex = createHash('sha256').update(bytes).digest('hex');
  await writeFile(path.join(blobsDir, hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}

/** Writes the layout for `specs` into `dir`, layer content keyed by `seed`, and checks one layer gunzips to its diff_id. */
export async function writeLayout(dir: string, seed: string, specs: ImageSpec[]): Promise<Layout> {
  const started = performance.now();
  const blobsDir = path.join(dir, 'blobs', 'sha256');
  mkdirSync(blobsDir, { recursive: true });
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const layers = new Map<string, LayerBlob>();
  const blobs = new Map<string, number>();
  const images: BuiltImage[] = [];
  let logicalBytes = 0;
  for (const spec of specs) {
    const descriptors: LayerBlob[] = [];
    for (const layer of spec.layers) {
      let d = layers.get(layer.label);
      if (d === undefined) {
        d = await writeLayerBlob(blobsDir, seed, layer.label, layer.size);
        layers.set(layer.label, d);
        blobs.set(d.digest, d.size);
      }
      descriptors.push(d);
    }
    const created = '2024-01-01T00:00:00Z';
    const config = await writeJsonBlob(blobsDir, MediaType.ociConfig, {
      created,
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'], Labels: { 'io.ferry.bench': 'copy', 'io.ferry.bench.image': spec.name } },
      // The layers are gzip streams of random bytes, not tars: nothing on the copy path unpacks them.
      rootfs: { type: 'layers', diff_ids: descriptors.map((d) => d.diffId) },
      history: spec.layers.map((l) => ({ created, created_by: `ferry bench: layer ${l.label} (${l.size} bytes)` })),
    });
    const layerDescriptors: Descriptor[] = descriptors.map(({ mediaType, digest, size }) => ({ mediaType, digest, size }));
    const manifest = await writeJsonBlob(blobsDir, MediaType.ociManifest, { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: layerDescriptors });
    blobs.set(config.digest, config.size);
    blobs.set(manifest.digest, manifest.size);
    logicalBytes += config.size + descriptors.reduce((sum, d) => sum + d.size, 0);
    images.push({ name: spec.name, manifest, config, layers: layerDescriptors });
  }
  const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: images.map((i) => ({ ...i.manifest, annotations: { [REF_NAME_ANNOTATION]: i.name } })) };
  writeFileSync(path.join(dir, 'index.json'), `${JSON.stringify(index)}\n`);
  // The framing must be a gzip stream that really holds the content the diff_id names.
  const smallest = [...layers.values()].sort((x, y) => x.size - y.size)[0]!;
  const unpacked = createHash('sha256');
  for await (const chunk of createReadStream(path.join(blobsDir, smallest.digest.slice('sha256:'.length))).pipe(createGunzip())) unpacked.update(chunk as Buffer);
  if (`sha256:${unpacked.digest('hex')}` !== smallest.diffId) throw new Error(`generated layer ${smallest.digest} does not gunzip to its diff_id ${smallest.diffId}`);
  let uniqueBytes = 0;
  for (const size of blobs.values()) uniqueBytes += size;
  const fingerprint = createHash('sha256').update(images.map((i) => `${i.name}=${i.manifest.digest}`).join('\n')).digest('hex');
  return { dir, images, blobs, uniqueBytes, logicalBytes, fingerprint, ms: performance.now() - started };
}
