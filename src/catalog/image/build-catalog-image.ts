/**
 * Builds a catalog image without a container engine: the base image (each platform of a
 * multi-platform base) plus one layer holding the database (or, for a file-based catalog, the
 * `/configs` folder), with the catalog label, entrypoint, cmd and port set; then copies it to the destination (a registry, or an archive) with the copy
 * engine, base layers moved from the base's own store. Same database and base → same digest.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CopyEngine } from '../../oci/copy/engine.js';
import type { ImageLocation } from '../../oci/copy/location.js';
import type { CopyListener } from '../../oci/copy/progress.js';
import { LayoutStore } from '../../oci/layout/layout-store.js';
import { OverlayStore } from '../../oci/overlay-store.js';
import type { RegistryOptions } from '../../oci/registry/client.js';
import { StoreSet } from '../../oci/store-set.js';
import { parseImageName } from '../../oci/transport.js';
import { configureCatalog } from './catalog-config.js';
import type { CatalogFormat } from './catalog-labels.js';
import { writeConfigsLayer } from './configs-layer.js';
import { appendLayer } from './append-layer.js';
import { writeDatabaseLayer } from './database-layer.js';

export interface BuildCatalogImageOptions {
  /** The sqlite database (format `sqlite`, the default). */
  database?: string;
  /** The file-based catalog folder and its files (relative paths), for format `fbc`. */
  configs?: { dir: string; files: readonly string[] };
  format?: CatalogFormat;
  /** Base image (`--from`). */
  base: string;
  /** Where the catalog goes: a registry reference, or `oci-archive:FILE[:NAME]` / `oci:DIR[:NAME]`. */
  destination: string;
  source?: RegistryOptions;
  target?: RegistryOptions;
  /** An OCI layout consulted before the registries for the base image. */
  imagesFrom?: string;
  jobs?: number;
  signal?: AbortSignal;
  onEvent?: CopyListener;
}

export interface BuiltCatalogImage {
  destination: string;
  digest: string;
  mediaType: string;
  platforms: string[];
  format: CatalogFormat;
  layer: { digest: string; diffId: string; size: number };
  base: { reference: string; digest: string };
}

const BUILT_TAG = 'catalog';

export async function buildCatalogImage(options: BuildCatalogImageOptions): Promise<BuiltCatalogImage> {
  const work = await mkdtemp(path.join(tmpdir(), 'ferry-build-'));
  const stores = new StoreSet({
    ...(options.source ? { source: options.source } : {}),
    ...(options.target ? { destination: options.target } : {}),
    ...(options.imagesFrom !== undefined ? { imagesFrom: options.imagesFrom } : {}),
  });
  try {
    const base = await stores.locate(parseImageName(options.base), 'source');
    const destination = await stores.locate(parseImageName(options.destination), 'destination');
    const scratch = await LayoutStore.create(path.join(work, 'layout'));
    const format = options.format ?? 'sqlite';
    const layerFile = path.join(work, 'layer.tar.gz');
    const layer = format === 'fbc' ? await writeConfigsLayer(options.configs!.dir, options.configs!.files, layerFile) : await writeDatabaseLayer(options.database!, layerFile);
    const { platforms, baseDigest } = await appendLayer(base, scratch, layer, configureCatalog(format), BUILT_TAG, signalOf(options));

    const engine = new CopyEngine({ ...(options.jobs ? { jobs: options.jobs } : {}), ...signalOf(options), ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
    const source: ImageLocation = { store: new OverlayStore(scratch, base), repository: '', reference: BUILT_TAG, display: `catalog built on ${base.display}` };
    const copied = await engine.copyImage(source, destination);
    await stores.close();
    return {
      destination: destination.display,
      digest: copied.digest,
      mediaType: copied.mediaType,
      platforms,
      format,
      layer: { digest: layer.digest, diffId: layer.diffId, size: layer.size },
      base: { reference: base.display, digest: baseDigest },
    };
  } catch (err) {
    await stores.abort();
    throw err;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function signalOf(options: { signal?: AbortSignal }): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}
