/**
 * `pack --packages a,b`: the catalog the archive carries is rebuilt so the cluster sees only what
 * the archive holds. The catalog image gets one more layer:
 * - sqlite: the database pruned to those packages (opm's `index prune` rules), at the path the
 *   image's database label names;
 * - file-based: the configs folder made opaque (`.wh..wh..opq`) and refilled with only those
 *   packages' objects (one JSON stream per package). A pre-built serving cache (`opm serve
 *   --cache-dir DIR`) would now be stale, and opm refuses to serve a stale cache by default, so
 *   the cache folder is whited out and the cache flags are dropped from the command: opm builds
 *   its cache when the pod starts.
 * The new image is written into the pack cache (its base blobs are already there) under the
 * catalog's name, replacing the original there.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { forEachFbcDocument } from '../../catalog/fbc/fbc-images.js';
import { appendLayer, type ConfigureImage } from '../../catalog/image/append-layer.js';
import { writeDatabaseLayer } from '../../catalog/image/database-layer.js';
import { parentDirs, writeLayerFile, type LayerFile } from '../../catalog/image/layer-file.js';
import type { CatalogContent } from '../../catalog/image/read-catalog-image.js';
import { pruneDatabase } from '../../catalog/operations/change-database.js';
import { NotFoundError, UsageError } from '../../errors.js';
import type { TarMemberSpec } from '../../oci/archive/tar-writer.js';
import type { ImageLocation } from '../../oci/copy/location.js';
import { readImageConfig, type ImageConfigDocument } from '../../oci/image-config.js';
import { resolveImage } from '../../oci/resolve-image.js';
import type { LayoutStore } from '../../oci/layout/layout-store.js';
import { formatReference, parseReference } from '../../oci/reference.js';

export interface PrunedCatalog {
  /** The name the rebuilt image carries in the cache and the archive. */
  reference: string;
  digest: string;
  mediaType: string;
  platforms: string[];
  content: CatalogContent;
  /** The original image's digest. */
  sourceDigest: string;
}

export async function pruneCatalogImage(options: { cache: LayoutStore; catalog: ImageLocation; content: CatalogContent; keep: readonly string[]; workDir: string; signal?: AbortSignal }): Promise<PrunedCatalog> {
  const keep = [...new Set(options.keep)];
  if (keep.length === 0) throw new UsageError('--packages needs at least one package name');
  const work = path.join(options.workDir, 'pruned');
  await mkdir(work, { recursive: true });
  let layer: LayerFile;
  let configure: ConfigureImage;
  let content: CatalogContent;
  if (options.content.kind === 'sqlite') {
    const database = path.join(work, 'index.db');
    await copyFile(options.content.database, database);
    await pruneDatabase({ database, keep }).catch((err: unknown) => {
      if (err instanceof NotFoundError) throw new NotFoundError(`${options.catalog.display}: ${err.message.replace(database, 'the catalog')}`);
      throw err;
    });
    layer = await writeDatabaseLayer(database, path.join(work, 'layer.tar.gz'), options.content.label.replace(/^\/+/, ''));
    configure = addLayer(`ferry pack --packages ${keep.join(',')}: pruned ${options.content.label}`);
    content = { kind: 'sqlite', database, label: options.content.label };
  } else {
    const configsDir = path.join(work, 'configs');
    const files = await filterFbc(options.content.configsDir, configsDir, keep, options.catalog.display);
    const inside = options.content.label.replace(/^\/+|\/+$/g, '');
    configure = (base, diffId, created) => {
      const config = base.config ?? {};
      const entrypoint = withoutServeCache(config.Entrypoint ?? []);
      const cmd = withoutServeCache(config.Cmd ?? []);
      const next = addLayer(`ferry pack --packages ${keep.join(',')}: filtered ${options.content.label}${[...entrypoint.cacheDirs, ...cmd.cacheDirs].length > 0 ? ', serving cache removed' : ''}`)(base, diffId, created);
      return { ...next, config: { ...config, ...(config.Entrypoint ? { Entrypoint: entrypoint.args } : {}), ...(config.Cmd ? { Cmd: cmd.args } : {}) } };
    };
    // The cache folders are named by the command in the config (every platform runs the same one).
    const cacheDirs = await serveCacheDirs(options.catalog, options.signal);
    const members: TarMemberSpec[] = [...parentDirs(`${inside}/x`), { type: 'file', name: `${inside}/.wh..wh..opq`, bytes: Buffer.alloc(0) }];
    for (const f of files) {
      members.push(...parentDirs(`${inside}/${f.relative}`));
      members.push({ type: 'file', name: `${inside}/${f.relative}`, bytes: f.bytes });
    }
    for (const dir of cacheDirs) {
      const clean = dir.replace(/^\/+|\/+$/g, '');
      if (clean === '' || clean === inside || inside.startsWith(`${clean}/`)) continue;
      members.push(...parentDirs(clean), { type: 'file', name: `${path.posix.dirname(clean) === '.' ? '' : `${path.posix.dirname(clean)}/`}.wh.${path.posix.basename(clean)}`, bytes: Buffer.alloc(0) });
    }
    layer = await writeLayerFile(dedupeDirs(members), path.join(work, 'layer.tar.gz'));
    content = { kind: 'fbc', configsDir, label: options.content.label, files: files.map((f) => f.relative) };
  }
  const reference = prunedName(options.catalog.reference);
  const appended = await appendLayer(options.catalog, options.cache, layer, configure, reference, options.signal ? { signal: options.signal } : {});
  return { reference, digest: appended.raw.digest, mediaType: appended.raw.mediaType, platforms: appended.platforms, content, sourceDigest: appended.baseDigest };
}

/** The rebuilt catalog keeps the catalog's repository and tag; a digest reference (which the new image cannot match) gets the tag `pruned`. */
function prunedName(reference: string): string {
  const ref = parseReference(reference);
  return formatReference({ ...ref, tag: ref.tag ?? 'pruned', digest: undefined });
}

function addLayer(comment: string): ConfigureImage {
  return (base, diffId, created) => ({
    ...base,
    created,
    rootfs: { type: 'layers', diff_ids: [...(base.rootfs?.diff_ids ?? []), diffId] },
    history: [...(base.history ?? []), { created, created_by: comment, comment: 'ferry' }],
  });
}

/** The objects of the kept packages, one JSON stream per package (`<package>/catalog.json`), plus objects of no package. */
async function filterFbc(from: string, to: string, keep: readonly string[], display: string): Promise<Array<{ relative: string; bytes: Buffer }>> {
  const byPackage = new Map<string, Array<Record<string, unknown>>>();
  const present = new Set<string>();
  await forEachFbcDocument(from, (doc) => {
    const pkg = doc.schema === 'olm.package' ? doc.name : doc.package;
    if (typeof pkg !== 'string') {
      (byPackage.get('') ?? byPackage.set('', []).get('')!).push(doc);
      return;
    }
    present.add(pkg);
    if (keep.includes(pkg)) (byPackage.get(pkg) ?? byPackage.set(pkg, []).get(pkg)!).push(doc);
  });
  const missing = keep.filter((k) => !present.has(k));
  if (missing.length > 0) throw new NotFoundError(`${display}: no package named ${missing.join(', ')} in the catalog (it has ${[...present].sort().join(', ') || 'none'})`);
  const files: Array<{ relative: string; bytes: Buffer }> = [];
  for (const [pkg, docs] of [...byPackage.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const relative = pkg === '' ? 'catalog.json' : `${pkg}/catalog.json`;
    const bytes = Buffer.from(docs.map((d) => JSON.stringify(d, null, 2)).join('\n') + '\n', 'utf8');
    await mkdir(path.dirname(path.join(to, relative)), { recursive: true });
    await writeFile(path.join(to, relative), bytes);
    files.push({ relative, bytes });
  }
  return files;
}

/** `opm serve` arguments without the serving-cache flags; the folders they named. */
export function withoutServeCache(args: readonly string[]): { args: string[]; cacheDirs: string[] } {
  const out: string[] = [];
  const cacheDirs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--cache-dir') {
      if (args[i + 1] !== undefined) cacheDirs.push(args[i + 1]!);
      i++;
    } else if (a.startsWith('--cache-dir=')) {
      cacheDirs.push(a.slice('--cache-dir='.length));
    } else if (a === '--cache-only' || a.startsWith('--cache-only=') || a === '--cache-enforce-integrity' || a.startsWith('--cache-enforce-integrity=')) {
      continue;
    } else {
      out.push(a);
    }
  }
  return { args: out, cacheDirs };
}

async function serveCacheDirs(catalog: ImageLocation, signal: AbortSignal | undefined): Promise<string[]> {
  const { image } = await resolveImage(catalog, signal ? { signal } : {});
  const config: ImageConfigDocument = (await readImageConfig(catalog, image.config, signal ? { signal } : {})).config;
  return [...withoutServeCache(config.config?.Entrypoint ?? []).cacheDirs, ...withoutServeCache(config.config?.Cmd ?? []).cacheDirs];
}

/** Folder entries once each, in first-seen order (files keep their order). */
function dedupeDirs(members: readonly TarMemberSpec[]): TarMemberSpec[] {
  const seen = new Set<string>();
  return members.filter((m) => {
    if (m.type !== 'dir') return true;
    if (seen.has(m.name)) return false;
    seen.add(m.name);
    return true;
  });
}
