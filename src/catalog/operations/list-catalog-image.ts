/**
 * `registry images --from REF | --from-archive FILE`: the images a catalog image needs, read from
 * its sqlite database or its file-based catalog, plus the catalog image itself.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ArchiveReadStore } from '../../oci/archive/archive-reader.js';
import type { ImageLocation } from '../../oci/copy/location.js';
import { formatReference, normalizeReference } from '../../oci/reference.js';
import type { RegistryOptions } from '../../oci/registry/client.js';
import { StoreSet } from '../../oci/store-set.js';
import { parseImageName } from '../../oci/transport.js';
import { listFbcImages } from '../fbc/fbc-images.js';
import { readCatalogImage } from '../image/read-catalog-image.js';
import { listDatabaseImages, type ListImagesResult } from './list-images.js';

export interface CatalogImageImages extends ListImagesResult {
  catalog: { reference: string; digest: string; kind: 'sqlite' | 'fbc'; platform?: string };
}

export interface CatalogImageSource {
  /** A catalog image reference (`docker://`, `oci:`, `oci-archive:` or a bare registry reference). */
  from?: string;
  /** A tarball written by `registry build --save` (OCI archive or docker save format). */
  fromArchive?: string;
  registry?: RegistryOptions;
  signal?: AbortSignal;
}

export async function listCatalogImageImages(source: CatalogImageSource): Promise<CatalogImageImages> {
  const work = await mkdtemp(path.join(tmpdir(), 'ferry-catalog-'));
  const stores = new StoreSet(source.registry ? { source: source.registry } : {});
  let archive: ArchiveReadStore | undefined;
  try {
    let location: ImageLocation;
    let catalogReference: string | undefined;
    if (source.fromArchive !== undefined) {
      archive = await ArchiveReadStore.open(source.fromArchive, 'auto');
      const names = await archive.listTags('');
      const reference = names.length === 1 ? names[0]! : '';
      location = { store: archive, repository: '', reference, display: `${archive.description}${reference ? `:${reference}` : ''}` };
      catalogReference = fullReference(reference);
    } else {
      const name = parseImageName(source.from!);
      location = await stores.locate(name, 'source');
      catalogReference = name.transport === 'docker' ? formatReference(name.reference) : fullReference(name.reference);
    }
    const catalog = await readCatalogImage(location, work, source.signal ? { signal: source.signal } : {});
    const listed = catalog.content.kind === 'sqlite' ? await listDatabaseImages({ database: catalog.content.database }) : await listFbcImages(catalog.content.configsDir);
    const images = new Set(listed.images);
    if (catalogReference !== undefined) images.add(catalogReference);
    return {
      images: [...images].sort(),
      invalid: listed.invalid,
      catalog: { reference: catalogReference ?? location.display, digest: catalog.digest, kind: catalog.content.kind, ...(catalog.platform ? { platform: catalog.platform } : {}) },
    };
  } finally {
    await archive?.close();
    await stores.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** A layout or archive ref name that is a full image reference (`quay.io/x/catalog:v1`), normalized. */
function fullReference(name: string): string | undefined {
  if (!name.includes('/')) return undefined;
  try {
    return normalizeReference(name);
  } catch {
    return undefined;
  }
}
