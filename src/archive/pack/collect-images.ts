/**
 * The gathering half of `ferry pack`: the catalog image and every image its bundles name are
 * copied into a cache (an OCI layout, each image named by its normalized source reference), with
 * digests unchanged and whole indexes. The cache is what a later write turns into the archive.
 *
 * Resumable by construction: blobs in the cache are verified files and are never fetched again; an
 * image named by digest that the cache holds is not even asked for. An image that cannot be copied
 * (gone upstream, denied) is recorded with the bundles that need it, and the others go on.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { readFbcContent } from '../../catalog/fbc/fbc-listing.js';
import { packageListing, type PackageListing } from '../../catalog/operations/list-catalog.js';
import { readCatalogImage } from '../../catalog/image/read-catalog-image.js';
import { openDatabase } from '../../catalog/sqlite/database.js';
import { CatalogQueries } from '../../catalog/sqlite/queries.js';
import { FerryError, errorToTransfer, type TransferredError } from '../../errors.js';
import { CopyEngine } from '../../oci/copy/engine.js';
import type { ImageLocation } from '../../oci/copy/location.js';
import type { CopyListener } from '../../oci/copy/progress.js';
import { mapSettled } from '../../oci/copy/limiter.js';
import { isDigest } from '../../oci/digest.js';
import { LayoutStore } from '../../oci/layout/layout-store.js';
import { formatReference, normalizeReference, parseReference } from '../../oci/reference.js';
import type { RegistryOptions } from '../../oci/registry/client.js';
import { StoreSet } from '../../oci/store-set.js';
import { parseImageName } from '../../oci/transport.js';
import { cachedPart, measureImage } from './measure-image.js';
import { pruneCatalogImage } from './prune-catalog.js';

export interface CollectOptions {
  /** The catalog image (a registry reference). */
  catalog: string;
  /** The cache folder (kept between runs). */
  cacheDir: string;
  registry?: RegistryOptions;
  /** An OCI layout consulted before the registries: the images it holds are taken from it (StoreSet `imagesFrom`). */
  imagesFrom?: string;
  jobs?: number;
  /** The catalog was built into the cache by pack itself (under `catalog`): nothing to copy. */
  builtCatalog?: { platforms: string[] };
  /** Keep only these packages: the catalog image is rebuilt with its catalog pruned (prune-catalog.ts). */
  packages?: readonly string[];
  /** Only measure the related images from their manifests (no layer downloaded); the catalog is still gathered (its content names the images). */
  dryRun?: boolean;
  /** False: the first image that cannot be copied fails the whole run. Default true. */
  continueOnError?: boolean;
  signal?: AbortSignal;
  onEvent?: CopyListener;
}

export interface CollectedImage {
  /** Normalized source reference, also its ref name in the cache. */
  source: string;
  digest: string;
  mediaType: string;
  platforms: string[];
  bundles: string[];
}

/** A catalog rebuilt by --packages: which packages it keeps, and the original image's digest. */
export interface PrunedFrom {
  packages: string[];
  sourceDigest: string;
}

export interface MissingImage {
  source: string;
  bundles: string[];
  error: TransferredError;
}

export interface CollectResult {
  layoutDir: string;
  catalog: CollectedImage & { kind: 'sqlite' | 'fbc'; database?: string; configsDir?: string; pruned?: PrunedFrom };
  /** The catalog's packages, channels and bundles. */
  packages: PackageListing[];
  images: CollectedImage[];
  missing: MissingImage[];
  /** Strings in the catalog that are not image references, with their bundles. */
  invalid: Array<{ image: string; reason: string; bundles: string[] }>;
  /** With dryRun: every distinct blob the kept images reach, and how much of it the cache holds. */
  measured?: { blobs: number; bytes: number; cached: { blobs: number; bytes: number }; sizes: Map<string, number> };
}

export async function collectImages(options: CollectOptions): Promise<CollectResult> {
  const layoutDir = path.join(options.cacheDir, 'layout');
  const cache = await LayoutStore.create(layoutDir);
  await cache.removeStaleTemps();
  const stores = new StoreSet({ ...(options.registry ? { source: options.registry } : {}), ...(options.imagesFrom !== undefined ? { imagesFrom: options.imagesFrom } : {}) });
  const engine = new CopyEngine({ ...(options.jobs ? { jobs: options.jobs } : {}), ...(options.signal ? { signal: options.signal } : {}), ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
  const signal = options.signal ? { signal: options.signal } : {};
  try {
    const catalogRef = normalizeReference(options.catalog);
    let catalogCopy: CollectedImage & { pruned?: PrunedFrom } = options.builtCatalog ? await fromCache(cache, catalogRef, options.builtCatalog.platforms) : await copyInto(engine, stores, cache, catalogRef, []);
    const work = path.join(options.cacheDir, 'catalog');
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    const cached: ImageLocation = { store: cache, repository: '', reference: catalogRef, display: catalogRef };
    let content = (await readCatalogImage(cached, work, signal)).content;
    if (options.packages !== undefined) {
      const pruned = await pruneCatalogImage({ cache, catalog: cached, content, keep: options.packages, workDir: work, ...signal });
      content = pruned.content;
      catalogCopy = { source: pruned.reference, digest: pruned.digest, mediaType: pruned.mediaType, platforms: pruned.platforms.length > 0 ? pruned.platforms : catalogCopy.platforms, bundles: [], pruned: { packages: [...new Set(options.packages)].sort(), sourceDigest: pruned.sourceDigest } };
    }
    const { pairs, packages } = content.kind === 'sqlite' ? await sqliteContent(content.database) : await readFbcContent(content.configsDir);
    const { images: wanted, invalid } = groupByImage(pairs);

    const refs = [...wanted.keys()];
    const allBlobs = new Map<string, number>();
    const sizes = new Map<string, number>();
    const gather = options.dryRun
      ? async (ref: string): Promise<CollectedImage> => {
          const m = await measureImage(await stores.locate(parseImageName(ref), 'source'), signal);
          for (const [d, n] of m.blobs) allBlobs.set(d, n);
          sizes.set(ref, [...m.blobs.values()].reduce((a, b) => a + b, 0));
          return { source: ref, digest: m.digest, mediaType: m.mediaType, platforms: m.platforms, bundles: wanted.get(ref)! };
        }
      : (ref: string): Promise<CollectedImage> => copyInto(engine, stores, cache, ref, wanted.get(ref)!);
    const settled = await mapSettled(refs, options.jobs ?? 6, gather);
    const images: CollectedImage[] = [];
    const missing: MissingImage[] = [];
    settled.forEach((s, i) => {
      const ref = refs[i]!;
      if (s.status === 'fulfilled') images.push(s.value);
      else missing.push({ source: ref, bundles: wanted.get(ref)!, error: errorToTransfer(s.reason) });
    });
    if (options.signal?.aborted) throw options.signal.reason;
    if (missing.length > 0 && options.continueOnError === false) {
      const first = missing[0]!;
      throw new FerryError(first.error.code, `${first.source} (needed by ${first.bundles.join(', ')}): ${first.error.message}`, first.error.exitCode);
    }
    return {
      layoutDir,
      catalog: { ...catalogCopy, kind: content.kind, ...(content.kind === 'sqlite' ? { database: content.database } : { configsDir: content.configsDir }) },
      packages,
      images,
      missing,
      invalid,
      ...(options.dryRun ? { measured: { blobs: allBlobs.size, bytes: [...allBlobs.values()].reduce((a, b) => a + b, 0), cached: await cachedPart(cache, allBlobs), sizes } } : {}),
    };
  } finally {
    await stores.close();
  }
}

async function fromCache(cache: LayoutStore, ref: string, platforms: string[]): Promise<CollectedImage> {
  const head = await cache.headManifest('', ref);
  if (head === undefined) throw new FerryError('NOT_FOUND', `the built catalog ${ref} is not in the cache ${cache.dir}`, 5);
  return { source: ref, digest: head.digest, mediaType: head.mediaType, platforms, bundles: [] };
}

/** Copies one image into the cache under its source reference (skipped when a digest reference is already there). */
async function copyInto(engine: CopyEngine, stores: StoreSet, cache: LayoutStore, ref: string, bundles: string[]): Promise<CollectedImage> {
  const reference = parseReference(ref);
  const name = formatReference(reference);
  if (reference.digest !== undefined && isDigest(reference.digest)) {
    const present = await cache.headManifest('', name);
    if (present?.digest === reference.digest) return { source: name, digest: present.digest, mediaType: present.mediaType, platforms: [], bundles };
  }
  const source = await stores.locate(parseImageName(name), 'source');
  const copied = await engine.copyImage(source, { store: cache, repository: '', reference: name, display: `cache:${name}` });
  return { source: name, digest: copied.digest, mediaType: copied.mediaType, platforms: copied.platforms, bundles };
}

async function sqliteContent(database: string): Promise<{ pairs: Array<{ image: string; bundle: string }>; packages: PackageListing[] }> {
  const { db } = await openDatabase(database);
  try {
    const queries = new CatalogQueries(db);
    return { pairs: queries.listImagesWithBundles(), packages: packageListing(queries) };
  } finally {
    db.close();
  }
}

/** Normalized image → the bundles naming it (sorted); strings that are not references listed apart. */
function groupByImage(pairs: ReadonlyArray<{ image: string; bundle: string }>): { images: Map<string, string[]>; invalid: CollectResult['invalid'] } {
  const images = new Map<string, Set<string>>();
  const invalid = new Map<string, { reason: string; bundles: Set<string> }>();
  for (const { image, bundle } of pairs) {
    if (image === '') continue;
    try {
      const ref = normalizeReference(image);
      images.set(ref, (images.get(ref) ?? new Set()).add(bundle));
    } catch (err) {
      const entry = invalid.get(image) ?? { reason: (err as Error).message, bundles: new Set<string>() };
      entry.bundles.add(bundle);
      invalid.set(image, entry);
    }
  }
  return {
    images: new Map([...images.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, [...v].sort()])),
    invalid: [...invalid.entries()].map(([image, v]) => ({ image, reason: v.reason, bundles: [...v.bundles].sort() })),
  };
}

