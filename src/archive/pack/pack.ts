/**
 * `ferry pack --catalog REF`: gather (collectImages, into the cache) then write (writeArchive).
 * Images that could not be gathered are recorded in the archive's metadata and listed in the
 * result; the archive holds everything else.
 */
import path from 'node:path';
import type { CopyListener } from '../../oci/copy/progress.js';
import { normalizeReference, parseReference } from '../../oci/reference.js';
import { buildCatalog, type CatalogSources } from '../../catalog/operations/build-catalog.js';
import { LayoutStore } from '../../oci/layout/layout-store.js';
import type { RegistryOptions } from '../../oci/registry/client.js';
import { ferryCacheDir } from '../../util/cache-dir.js';
import { loadPrivateKey } from '../signing.js';
import { archiveManifests } from './archive-manifests.js';
import { collectImages, type MissingImage } from './collect-images.js';
import { writeArchive, type WrittenArchive } from './write-archive.js';

export interface PackOptions {
  /** The catalog image to pack; with `build`, the name the built catalog carries. */
  catalog: string;
  /** Build the catalog first (as `registry build`), into the cache, on `base`. */
  build?: { sources: CatalogSources; base: string };
  /** Keep only these packages (the catalog is rebuilt). */
  packages?: readonly string[];
  output?: string;
  cacheDir?: string;
  volumeSize?: number;
  signKeyFile?: string;
  continueOnError?: boolean;
  registry?: RegistryOptions;
  /** An OCI layout consulted before the registries (for the catalog, its base and every image): what it holds is not pulled. */
  imagesFrom?: string;
  jobs?: number;
  ferryVersion: string;
  signal?: AbortSignal;
  onEvent?: CopyListener;
}

export interface PackResult extends WrittenArchive {
  catalog: { reference: string; digest: string; kind: 'sqlite' | 'fbc' };
  images: number;
  missing: MissingImage[];
  invalid: Array<{ image: string; reason: string; bundles: string[] }>;
  /** From the cluster manifests (e.g. images named only by tag). */
  warnings: string[];
  cacheDir: string;
}

/** What `pack --dry-run` reports: what would be packed and its size, from manifests only. */
export interface PackPlan {
  dryRun: true;
  catalog: { reference: string; digest: string; kind: 'sqlite' | 'fbc' };
  packages: string[];
  images: Array<{ source: string; digest: string; size: number; platforms: string[]; bundles: string[] }>;
  missing: MissingImage[];
  invalid: Array<{ image: string; reason: string; bundles: string[] }>;
  /** Distinct blobs of the related images (each stored once) and how much of that the cache holds already. */
  blobs: { count: number; bytes: number; cached: { count: number; bytes: number } };
  output: string;
  cacheDir: string;
}

/** `<last path component of the catalog>.tar` in the current folder. */
export function defaultOutput(catalog: string): string {
  return `${parseReference(catalog).path.split('/').pop()}.tar`;
}

export async function pack(options: PackOptions): Promise<PackResult> {
  const cacheDir = options.cacheDir ?? ferryCacheDir('pack');
  const signKey = options.signKeyFile ? await loadPrivateKey(options.signKeyFile) : undefined;
  await checkImagesFrom(options);
  const built = await buildFirst(options, cacheDir);
  const collected = await collect(options, cacheDir, false, built);
  const manifests = archiveManifests(collected.catalog.source, collected.images.map((i) => i.source));
  const written = await writeArchive({
    collected,
    manifests: manifests.files,
    output: options.output ?? defaultOutput(options.catalog),
    ...(options.volumeSize ? { volumeSize: options.volumeSize } : {}),
    ...(signKey ? { signKey } : {}),
    ferryVersion: options.ferryVersion,
    ...(built ? { builtFrom: built.from } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return {
    ...written,
    catalog: { reference: collected.catalog.source, digest: collected.catalog.digest, kind: collected.catalog.kind },
    images: collected.images.length,
    missing: collected.missing,
    invalid: collected.invalid,
    warnings: [...(built?.warnings ?? []), ...manifests.warnings],
    cacheDir,
  };
}

/** `pack --dry-run`: the catalog is gathered (its content names the images), the images are only measured. */
export async function planPack(options: PackOptions): Promise<PackPlan> {
  const cacheDir = options.cacheDir ?? ferryCacheDir('pack');
  await checkImagesFrom(options);
  const built = await buildFirst(options, cacheDir);
  const collected = await collect(options, cacheDir, true, built);
  const measured = collected.measured!;
  return {
    dryRun: true,
    catalog: { reference: collected.catalog.source, digest: collected.catalog.digest, kind: collected.catalog.kind },
    packages: collected.packages.map((p) => p.name),
    images: collected.images.map((i) => ({ source: i.source, digest: i.digest, size: measured.sizes.get(i.source) ?? 0, platforms: i.platforms, bundles: i.bundles })),
    missing: collected.missing,
    invalid: collected.invalid,
    blobs: { count: measured.blobs, bytes: measured.bytes, cached: { count: measured.cached.blobs, bytes: measured.cached.bytes } },
    output: options.output ?? defaultOutput(options.catalog),
    cacheDir,
  };
}

/** An `imagesFrom` that is not an OCI layout fails the run at once (not once per image). */
async function checkImagesFrom(options: PackOptions): Promise<void> {
  if (options.imagesFrom !== undefined) await LayoutStore.open(options.imagesFrom);
}

interface BuiltFirst {
  platforms: string[];
  /** What it was built from, for the metadata. */
  from: string;
  /** The build's warnings (e.g. a sqlite catalog on opm:latest). */
  warnings: string[];
}

/** With `build`: the catalog built (as `registry build`) straight into the pack cache. */
async function buildFirst(options: PackOptions, cacheDir: string): Promise<BuiltFirst | undefined> {
  if (options.build === undefined) return undefined;
  const name = normalizeReference(options.catalog);
  const result = await buildCatalog({
    ...options.build.sources,
    base: options.build.base,
    destination: `oci:${path.join(cacheDir, 'layout')}:${name}`,
    ...(options.registry ? { source: options.registry } : {}),
    ...(options.imagesFrom !== undefined ? { imagesFrom: options.imagesFrom } : {}),
    ...(options.jobs ? { jobs: options.jobs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { platforms: result.image?.platforms ?? [], from: describeSources(options.build.sources, options.build.base), warnings: result.warnings };
}

function describeSources(s: CatalogSources, base: string): string {
  return [
    ...(s.fromDirs ?? []).map((d) => `--from-dir ${d}`),
    ...(s.bundles ?? []).map((b) => `--bundles ${b}`),
    ...(s.fromDb ? [`--from-db ${s.fromDb}`] : []),
    ...(s.fromIndex ? [`--from-index ${s.fromIndex}`] : []),
    ...(s.appRegistry ? [`--appregistry-namespace ${s.appRegistry.namespace} (${s.appRegistry.endpoint})`] : []),
    `--from ${base}`,
  ].join(' ');
}

function collect(options: PackOptions, cacheDir: string, dryRun: boolean, built: BuiltFirst | undefined): ReturnType<typeof collectImages> {
  return collectImages({
    catalog: options.catalog,
    cacheDir,
    ...(built ? { builtCatalog: { platforms: built.platforms } } : {}),
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.imagesFrom !== undefined ? { imagesFrom: options.imagesFrom } : {}),
    ...(options.jobs ? { jobs: options.jobs } : {}),
    ...(options.packages ? { packages: options.packages } : {}),
    ...(options.continueOnError === false ? { continueOnError: false } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(dryRun ? { dryRun: true } : {}),
  });
}
