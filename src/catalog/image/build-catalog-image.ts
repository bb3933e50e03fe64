/**
 * Builds a catalog image without a container engine: the base image (each platform of a
 * multi-platform base) plus one layer holding the database, with the catalog label, entrypoint,
 * cmd and port set; then copies it to the destination (a registry, or an archive) with the copy
 * engine, base layers moved from the base's own store. Same database and base → same digest.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ExitCode, FerryError } from '../../errors.js';
import { CopyEngine } from '../../oci/copy/engine.js';
import type { ImageLocation } from '../../oci/copy/location.js';
import type { CopyListener } from '../../oci/copy/progress.js';
import { sha256Digest } from '../../oci/digest.js';
import type { Descriptor } from '../../oci/descriptor.js';
import { readImageConfig } from '../../oci/image-config.js';
import { LayoutStore } from '../../oci/layout/layout-store.js';
import { parseManifest, type ImageManifest, type RawManifest } from '../../oci/manifest.js';
import { MediaType } from '../../oci/media-types.js';
import { OverlayStore } from '../../oci/overlay-store.js';
import { formatPlatform } from '../../oci/platform.js';
import type { RegistryOptions } from '../../oci/registry/client.js';
import { StoreSet } from '../../oci/store-set.js';
import { parseImageName } from '../../oci/transport.js';
import { buildDate } from '../../util/build-date.js';
import { catalogConfig } from './catalog-config.js';
import { writeDatabaseLayer, type DatabaseLayer } from './database-layer.js';

export interface BuildCatalogImageOptions {
  database: string;
  /** Base image (`--from`). */
  base: string;
  /** Where the catalog goes: a registry reference, or `oci-archive:FILE[:NAME]` / `oci:DIR[:NAME]`. */
  destination: string;
  source?: RegistryOptions;
  target?: RegistryOptions;
  jobs?: number;
  signal?: AbortSignal;
  onEvent?: CopyListener;
}

export interface BuiltCatalogImage {
  destination: string;
  digest: string;
  mediaType: string;
  platforms: string[];
  layer: { digest: string; diffId: string; size: number };
  base: { reference: string; digest: string };
}

const BUILT_TAG = 'catalog';

export async function buildCatalogImage(options: BuildCatalogImageOptions): Promise<BuiltCatalogImage> {
  const work = await mkdtemp(path.join(tmpdir(), 'ferry-build-'));
  const stores = new StoreSet({ ...(options.source ? { source: options.source } : {}), ...(options.target ? { destination: options.target } : {}) });
  try {
    const base = await stores.locate(parseImageName(options.base), 'source');
    const destination = await stores.locate(parseImageName(options.destination), 'destination');
    const scratch = await LayoutStore.create(path.join(work, 'layout'));
    const layer = await writeDatabaseLayer(options.database, path.join(work, 'layer.tar.gz'));
    await scratch.putBlob('', { mediaType: MediaType.ociLayerGzip, digest: layer.digest, size: layer.size }, { open: async () => createReadStream(layer.file) });

    const baseRaw = await base.store.getManifest(base.repository, base.reference, signalOf(options));
    const baseManifest = parseManifest(baseRaw.bytes, baseRaw.mediaType, base.display);
    let built: RawManifest;
    const platforms: string[] = [];
    if (baseManifest.kind === 'index') {
      const doc = JSON.parse(baseRaw.bytes.toString('utf8')) as { manifests: Descriptor[] } & Record<string, unknown>;
      const children: Descriptor[] = [];
      for (const child of baseManifest.manifests) {
        // Attestations and other non-image entries describe the base's images, not ours: left out.
        if (child.annotations?.['vnd.docker.reference.type'] !== undefined || child.platform?.os === 'unknown') continue;
        const raw = await base.store.getManifest(base.repository, child.digest, signalOf(options));
        const parsed = parseManifest(raw.bytes, raw.mediaType, `${base.display}@${child.digest}`);
        if (parsed.kind !== 'image') throw new FerryError('INVALID_MANIFEST', `${base.display}: nested index in the base image`, ExitCode.invalidInput);
        const image = await buildPlatform(base, scratch, parsed, layer, options);
        children.push({ ...child, mediaType: image.mediaType, digest: image.digest, size: image.bytes.length });
        if (child.platform) platforms.push(formatPlatform(child.platform));
      }
      if (children.length === 0) throw new FerryError('INVALID_MANIFEST', `${base.display}: the base index has no images`, ExitCode.invalidInput);
      built = rawOf({ ...doc, manifests: children }, baseManifest.mediaType);
      await scratch.putManifest('', built, { tag: BUILT_TAG });
    } else {
      built = await buildPlatform(base, scratch, baseManifest, layer, options);
      await scratch.putManifest('', built, { tag: BUILT_TAG });
    }

    const engine = new CopyEngine({ ...(options.jobs ? { jobs: options.jobs } : {}), ...signalOf(options), ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
    const source: ImageLocation = { store: new OverlayStore(scratch, base), repository: '', reference: BUILT_TAG, display: `catalog built on ${base.display}` };
    const copied = await engine.copyImage(source, destination);
    await stores.close();
    return {
      destination: destination.display,
      digest: copied.digest,
      mediaType: copied.mediaType,
      platforms,
      layer: { digest: layer.digest, diffId: layer.diffId, size: layer.size },
      base: { reference: base.display, digest: baseManifest.digest },
    };
  } catch (err) {
    await stores.abort();
    throw err;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** One platform: the new config and manifest written to the scratch layout. */
async function buildPlatform(base: ImageLocation, scratch: LayoutStore, manifest: ImageManifest, layer: DatabaseLayer, options: BuildCatalogImageOptions): Promise<RawManifest> {
  const { config } = await readImageConfig(base, manifest.config, signalOf(options));
  const created = buildDate(config.created).toISOString().replace('.000Z', 'Z');
  const configBytes = Buffer.from(JSON.stringify(catalogConfig(config, layer.diffId, created)), 'utf8');
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

function signalOf(options: { signal?: AbortSignal }): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}
