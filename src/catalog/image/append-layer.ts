/**
 * A new image made of an existing one plus one layer, written to a scratch layout: for each
 * platform of a multi-platform base (attestations left out), the base's config turned into the new
 * one by `configure` (which gets the new layer's diff_id and the date to stamp) and the manifest
 * with the layer appended; for an index, a new index over the new manifests. The base's blobs are
 * not copied: a later copy through an OverlayStore takes them from the base's own store.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { ExitCode, FerryError } from '../../errors.js';
import type { ImageLocation } from '../../oci/copy/location.js';
import { sha256Digest } from '../../oci/digest.js';
import type { Descriptor } from '../../oci/descriptor.js';
import { readImageConfig, type ImageConfigDocument } from '../../oci/image-config.js';
import type { LayoutStore } from '../../oci/layout/layout-store.js';
import { parseManifest, type ImageManifest, type RawManifest } from '../../oci/manifest.js';
import { MediaType } from '../../oci/media-types.js';
import { formatPlatform } from '../../oci/platform.js';
import { buildDate } from '../../util/build-date.js';
import type { LayerFile } from './layer-file.js';

export type ConfigureImage = (base: ImageConfigDocument, diffId: string, created: string) => ImageConfigDocument;

export interface AppendedImage {
  raw: RawManifest;
  platforms: string[];
  baseDigest: string;
}

export async function appendLayer(base: ImageLocation, scratch: LayoutStore, layer: LayerFile, configure: ConfigureImage, tag: string, options: { signal?: AbortSignal } = {}): Promise<AppendedImage> {
  await scratch.putBlob('', { mediaType: MediaType.ociLayerGzip, digest: layer.digest, size: layer.size }, { open: async () => createReadStream(layer.file) });
  const baseRaw = await base.store.getManifest(base.repository, base.reference, options);
  const baseManifest = parseManifest(baseRaw.bytes, baseRaw.mediaType, base.display);
  const platforms: string[] = [];
  let built: RawManifest;
  if (baseManifest.kind === 'index') {
    const doc = JSON.parse(baseRaw.bytes.toString('utf8')) as { manifests: Descriptor[] } & Record<string, unknown>;
    const children: Descriptor[] = [];
    for (const child of baseManifest.manifests) {
      // Attestations and other non-image entries describe the base's images, not ours: left out.
      if (child.annotations?.['vnd.docker.reference.type'] !== undefined || child.platform?.os === 'unknown') continue;
      const raw = await base.store.getManifest(base.repository, child.digest, options);
      const parsed = parseManifest(raw.bytes, raw.mediaType, `${base.display}@${child.digest}`);
      if (parsed.kind !== 'image') throw new FerryError('INVALID_MANIFEST', `${base.display}: nested index in the base image`, ExitCode.invalidInput);
      const image = await appendToImage(base, scratch, parsed, layer, configure, options);
      children.push({ ...child, mediaType: image.mediaType, digest: image.digest, size: image.bytes.length });
      if (child.platform) platforms.push(formatPlatform(child.platform));
    }
    if (children.length === 0) throw new FerryError('INVALID_MANIFEST', `${base.display}: the base index has no images`, ExitCode.invalidInput);
    built = rawOf({ ...doc, manifests: children }, baseManifest.mediaType);
  } else {
    built = await appendToImage(base, scratch, baseManifest, layer, configure, options);
  }
  await scratch.putManifest('', built, { tag });
  return { raw: built, platforms, baseDigest: baseManifest.digest };
}

/** One platform: the new config and manifest written to the scratch layout. */
async function appendToImage(base: ImageLocation, scratch: LayoutStore, manifest: ImageManifest, layer: LayerFile, configure: ConfigureImage, options: { signal?: AbortSignal }): Promise<RawManifest> {
  const { config } = await readImageConfig(base, manifest.config, options);
  const created = buildDate(config.created).toISOString().replace('.000Z', 'Z');
  const configBytes = Buffer.from(JSON.stringify(configure(config, layer.diffId, created)), 'utf8');
  const configDescriptor: Descriptor = { mediaType: manifest.config.mediaType, digest: sha256Digest(configBytes), size: configBytes.length };
  await scratch.putBlob('', configDescriptor, { open: async () => Readable.from([configBytes]) });
  const docker = manifest.mediaType === MediaType.dockerManifest;
  const layerDescriptor: Descriptor = { mediaType: docker ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip, digest: layer.digest, size: layer.size };
  const doc = JSON.parse(manifest.bytes.toString('utf8')) as Record<string, unknown> & { layers: Descriptor[] };
  const raw = rawOf({ ...doc, config: configDescriptor, layers: [...doc.layers, layerDescriptor] }, manifest.mediaType);
  await scratch.putManifest('', raw);
  return raw;
}

/** New manifest bytes: serialized once here, and from then on only ever copied as bytes. */
function rawOf(doc: unknown, mediaType: string): RawManifest {
  const bytes = Buffer.from(JSON.stringify(doc), 'utf8');
  return { mediaType, digest: sha256Digest(bytes), bytes };
}
