/**
 * `ferry push ARCHIVE --to REGISTRY[/NAMESPACE]`: an archive (or its volumes, read in place) into
 * the disconnected registry, and the cluster manifests that point at it.
 *
 * 1. Names: every image's destination by the naming of `registry images --to` (a bad --to fails
 *    here, before anything is read).
 * 2. Verify: the whole archive as `ferry verify` does, unless skipped, or unless these very volume
 *    files were verified before (verify-stamp); a damaged archive stops here, nothing sent.
 * 3. Journal: images a previous run finished at this target are checked still there (HEAD by tag,
 *    same digest) and skipped.
 * 4. Copy: the operand images through the copy engine (in a worker thread), each blob once,
 *    children before parents, tags last; then, only when all succeeded, the catalog image, so a
 *    cluster never sees a catalog whose images are not there.
 * 5. Manifests: ICSP, IDMS, ITMS, CatalogSource and mapping.txt for the real mirror, written only
 *    when the push is complete.
 */
import path from 'node:path';
import { FerryError, UsageError } from '../../errors.js';
import { buildMirrorFiles, defaultCatalogName, writeMirrorFiles, type MirrorFiles, type MirrorPlan } from '../../mirror/plan-mirror.js';
import type { MirrorSourcePolicy } from '../../mirror/cluster-manifests.js';
import type { CopyListener } from '../../oci/copy/progress.js';
import { copyImagesInWorker } from '../../oci/operations/copy-in-worker.js';
import type { CopyImagesResult, CopyJob, FailedCopy } from '../../oci/operations/copy-images.js';
import type { RegistryOptions } from '../../oci/registry/client.js';
import { StoreSet } from '../../oci/store-set.js';
import { parseImageName } from '../../oci/transport.js';
import { ferryCacheDir } from '../../util/cache-dir.js';
import { mapSettled } from '../../oci/copy/limiter.js';
import type { ArchivedImage } from '../archive-metadata.js';
import { openArchive, type OpenedArchive } from '../read/open-archive.js';
import { loadPublicKey, publicKeyFingerprint } from '../signing.js';
import { assertIntact, verifyArchive } from '../verify/verify-archive.js';
import { PushJournal } from './push-journal.js';
import { recordVerified, verifiedBefore } from './verify-stamp.js';

export interface PushOptions {
  /** The archive (NAME.tar) or its first volume (NAME.001.tar). */
  archive: string;
  /** REGISTRY[/NAMESPACE...]. */
  to: string;
  maxComponents?: number;
  /** Where the cluster manifests go (default ./manifests). */
  manifestsDir?: string;
  catalogName?: string;
  displayName?: string;
  publisher?: string;
  mirrorSourcePolicy?: MirrorSourcePolicy;
  /** The journal and verify stamps (default ~/.cache/ferry/push). */
  cacheDir?: string;
  skipVerify?: boolean;
  publicKeyFile?: string;
  requireSignature?: boolean;
  registry?: RegistryOptions;
  jobs?: number;
  signal?: AbortSignal;
  onEvent?: CopyListener;
  /** Bytes hashed by the verify step. */
  onVerifyProgress?: (done: number, total: number) => void;
}

export type VerifyMode = 'full' | 'unchanged' | 'skipped';

export interface PushedImage {
  source: string;
  destination: string;
  digest: string;
  /** pushed: sent this run; skipped: already there (journaled and checked, or found complete); withheld: the catalog, when an image failed. */
  status: 'pushed' | 'skipped' | 'failed' | 'withheld';
}

export interface PushResult {
  archive: string;
  identity: string;
  to: string;
  verify: VerifyMode;
  images: { total: number; pushed: number; skipped: number; failed: number };
  blobs: { pushed: number; mounted: number; skipped: number };
  /** Bytes of blobs sent. */
  bytes: number;
  seconds: number;
  list: PushedImage[];
  failed: FailedCopy[];
  catalog: PushedImage & { reason?: string };
  /** Written only when every image is in place. */
  manifests?: MirrorPlan;
  /** What to run next. */
  next?: string;
  journal: string;
  warnings: string[];
}

export interface PushPlan {
  dryRun: true;
  archive: string;
  identity: string;
  to: string;
  images: Array<{ source: string; destination: string; digest: string; size: number; journaled: boolean }>;
  catalog: { source: string; destination: string; digest: string; size: number; journaled: boolean };
  blobs: { count: number; bytes: number };
  manifestsDir: string;
  warnings: string[];
}

export async function planPush(options: PushOptions): Promise<PushPlan> {
  const { opened, files, cacheDir } = await prepare(options);
  // A key means a signature that checks, even for a plan (the chain is small; no blob is read).
  if (options.publicKeyFile) assertIntact(await verifyArchive(options.archive, { ...(opened.volumes ? { volumes: opened.volumes } : {}), publicKeyFile: options.publicKeyFile, chainOnly: true }), 'failed verification');
  const journal = await PushJournal.open(cacheDir, opened.identity, target(options));
  const destination = destinations(files);
  const describe = (image: ArchivedImage) => ({ source: image.source, destination: destination(image.source), digest: image.digest, size: image.size, journaled: journal.done(image.source, destination(image.source), image.digest) });
  return {
    dryRun: true,
    archive: options.archive,
    identity: opened.identity,
    to: options.to,
    images: opened.metadata.images.map(describe),
    catalog: describe(opened.metadata.catalog),
    blobs: opened.metadata.blobs,
    manifestsDir: options.manifestsDir ?? './manifests',
    warnings: files.warnings,
  };
}

export async function pushArchive(options: PushOptions): Promise<PushResult> {
  const started = Date.now();
  const { opened, files, cacheDir } = await prepare(options);
  const verify = await verifyFirst(opened, options, cacheDir);
  const journal = await PushJournal.open(cacheDir, opened.identity, target(options));
  const destination = destinations(files);
  const { metadata } = opened;

  const operands = metadata.images.map((image) => job(opened, image, destination(image.source)));
  const catalogJob = job(opened, metadata.catalog, destination(metadata.catalog.source));
  const skipped = await stillThere([...operands, catalogJob], journal, options);
  const result = emptyResult(opened, options, verify, journal.file, files.warnings);
  const status = (j: ImageJob): PushedImage['status'] => (skipped.has(j.image.source) ? 'skipped' : 'pushed');
  for (const j of operands) result.list.push({ source: j.image.source, destination: j.destination.slice('docker://'.length), digest: j.image.digest, status: status(j) });
  result.catalog = { source: catalogJob.image.source, destination: catalogJob.destination.slice('docker://'.length), digest: catalogJob.image.digest, status: status(catalogJob) };

  // One engine for all, so the catalog's blobs shared with the images are mounted, not sent again.
  const copied = await copy(
    operands.filter((j) => !skipped.has(j.image.source)),
    skipped.has(catalogJob.image.source) ? [] : [catalogJob],
    journal,
    options,
  );
  result.failed.push(...copied.failed);
  result.blobs = { pushed: copied.blobs.copied, mounted: copied.blobs.mounted, skipped: copied.blobs.skipped };
  result.bytes = copied.blobs.bytes;
  const failedSources = new Set(copied.failed.map((f) => f.source));
  // An image the engine found complete at the destination (nothing to send, not even a check of a blob) was already there.
  const foundComplete = new Set(copied.images.filter((i) => i.blobs.copied + i.blobs.mounted + i.blobs.skipped === 0).map((i) => i.source));
  for (const item of [...result.list, result.catalog]) {
    const name = jobName(opened, item.source);
    if (failedSources.has(name)) item.status = 'failed';
    else if (foundComplete.has(name)) item.status = 'skipped';
  }
  if (copied.withheld.length > 0) {
    result.catalog.status = 'withheld';
    result.catalog.reason = `not pushed: ${result.failed.length} image${result.failed.length === 1 ? '' : 's'} failed, and a catalog must not name images the mirror lacks; run push again`;
  }

  const all = [...result.list, result.catalog];
  result.images = {
    total: all.length,
    pushed: all.filter((i) => i.status === 'pushed').length,
    skipped: all.filter((i) => i.status === 'skipped').length,
    failed: all.filter((i) => i.status === 'failed').length,
  };
  if (result.failed.length === 0) {
    result.manifests = await writeMirrorFiles(options.manifestsDir ?? './manifests', files);
    result.next = `oc apply -f ${result.manifests.manifestsDir}`;
  }
  result.seconds = (Date.now() - started) / 1000;
  return result;
}

interface Prepared {
  opened: OpenedArchive;
  files: MirrorFiles;
  cacheDir: string;
}

async function prepare(options: PushOptions): Promise<Prepared> {
  if (options.requireSignature && !options.publicKeyFile) throw new UsageError('--require-signature needs --key: the public key to check the signature with');
  const opened = await openArchive(options.archive);
  if (opened.kind !== 'archive') {
    throw new UsageError(`${options.archive} is a folder: push reads an archive (NAME.tar or NAME.001.tar)`, [`a folder ferry unpack wrote is an OCI layout: ferry image mirror -f ${options.archive}/manifests/mapping.txt works with its source names, or push the archive itself`]);
  }
  const { metadata } = opened;
  const catalog = metadata.catalog.source;
  const files = buildMirrorFiles({
    images: [catalog, ...metadata.images.map((i) => i.source)],
    catalog,
    naming: target(options),
    catalogName: options.catalogName ?? defaultCatalogName(catalog),
    ...(options.displayName ? { displayName: options.displayName } : {}),
    ...(options.publisher ? { publisher: options.publisher } : {}),
    ...(options.mirrorSourcePolicy ? { mirrorSourcePolicy: options.mirrorSourcePolicy } : {}),
  });
  // What pack could not gather is not in the archive: the cluster will miss it too.
  const missing = metadata.missing.map((m) => `${m.source} was missing when the archive was packed (${m.error.code}: ${m.error.message}); bundles needing it: ${m.bundles.join(', ') || 'none'}`);
  files.warnings.push(...missing);
  return { opened, files, cacheDir: options.cacheDir ?? ferryCacheDir('push') };
}

function target(options: PushOptions): { to: string; maxComponents?: number } {
  return { to: options.to, ...(options.maxComponents === undefined ? {} : { maxComponents: options.maxComponents }) };
}

function destinations(files: MirrorFiles): (source: string) => string {
  const bySource = new Map(files.mappings.map((m) => [m.source, m.destination]));
  return (source) => {
    const destination = bySource.get(source);
    if (destination === undefined) throw new FerryError('INTERNAL', `no destination was mapped for ${source}`);
    return destination;
  };
}

async function verifyFirst(opened: OpenedArchive, options: PushOptions, cacheDir: string): Promise<VerifyMode> {
  const common = {
    ...(opened.volumes ? { volumes: opened.volumes } : {}),
    ...(options.publicKeyFile ? { publicKeyFile: options.publicKeyFile } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  if (options.skipVerify) {
    // A key still means a signature that checks: the chain is small, only the blobs go unread.
    if (options.publicKeyFile) assertIntact(await verifyArchive(options.archive, { ...common, chainOnly: true }), 'failed verification, nothing was pushed');
    return 'skipped';
  }
  const signedBy = options.publicKeyFile ? publicKeyFingerprint(await loadPublicKey(options.publicKeyFile)) : undefined;
  if (await verifiedBefore(cacheDir, opened.identity, opened.files, signedBy)) return 'unchanged';
  const report = await verifyArchive(options.archive, {
    ...common,
    stopOnChainProblem: true,
    ...(options.onVerifyProgress ? { onProgress: options.onVerifyProgress } : {}),
  });
  assertIntact(report, 'failed verification, nothing was pushed');
  // The signature (when a key was given) is valid here: verify reports a missing or bad one as a problem.
  await recordVerified(cacheDir, opened.identity, opened.files, report.signature === 'valid' ? signedBy : undefined);
  return 'full';
}

interface ImageJob extends CopyJob {
  image: ArchivedImage;
  destination: string;
}

/** The archive's image, named `ferry-archive:FILE:SOURCE`, to `docker://DESTINATION`. */
function job(opened: OpenedArchive, image: ArchivedImage, destination: string): ImageJob {
  return { source: jobName(opened, image.source), destination: `docker://${destination}`, image };
}

/** As the copy engine displays it (the path made absolute), so results match jobs. */
function jobName(opened: OpenedArchive, source: string): string {
  return `ferry-archive:${path.resolve(opened.files[0]!)}:${source}`;
}

/** The journaled jobs whose destination tag still names their digest (checked in parallel); the rest are forgotten. */
async function stillThere(jobs: readonly ImageJob[], journal: PushJournal, options: PushOptions): Promise<Set<string>> {
  const recorded = jobs.filter((j) => journal.done(j.image.source, j.destination.slice('docker://'.length), j.image.digest));
  const there = new Set<string>();
  if (recorded.length === 0) return there;
  const stores = new StoreSet(options.registry ? { destination: options.registry } : {});
  try {
    await mapSettled(recorded, options.jobs ?? 6, async (j) => {
      const location = await stores.locate(parseImageName(j.destination), 'destination');
      const found = await location.store.headManifest(location.repository, location.reference, options.signal ? { signal: options.signal } : {});
      if (found?.digest === j.image.digest) there.add(j.image.source);
      else await journal.forget(j.image.source);
    });
  } finally {
    await stores.close();
  }
  return there;
}

/** Copies `jobs`, then `last` once all succeeded, in the worker, recording each finished image in the journal as it lands. */
async function copy(jobs: readonly ImageJob[], last: readonly ImageJob[], journal: PushJournal, options: PushOptions): Promise<CopyImagesResult> {
  if (jobs.length + last.length === 0) return { images: [], failed: [], withheld: [], blobs: { copied: 0, mounted: 0, skipped: 0, bytes: 0 }, seconds: 0 };
  const byLabel = new Map([...jobs, ...last].map((j) => [`${j.source} → ${j.destination}`, j]));
  const records: Promise<void>[] = [];
  const plain = (list: readonly ImageJob[]): CopyJob[] => list.map(({ source, destination }) => ({ source, destination }));
  const result = await copyImagesInWorker(
    plain(jobs),
    {
      ...(last.length > 0 ? { afterAll: plain(last) } : {}),
      mountHints: journal.blobHomes(),
      ...(options.jobs ? { jobs: options.jobs } : {}),
      ...(options.registry ? { destination: options.registry } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onEvent: (event) => {
        if (event.type === 'blob-done' && event.repository !== undefined) records.push(journal.recordBlob(event.digest, event.repository));
        if (event.type === 'image-done') {
          const j = byLabel.get(event.image);
          if (j !== undefined && event.digest === j.image.digest) records.push(journal.record(j.image.source, { destination: j.destination.slice('docker://'.length), digest: event.digest }));
        }
        options.onEvent?.(event);
      },
    },
  );
  await Promise.all(records);
  return result;
}

function emptyResult(opened: OpenedArchive, options: PushOptions, verify: VerifyMode, journal: string, warnings: string[]): PushResult {
  return {
    archive: options.archive,
    identity: opened.identity,
    to: options.to,
    verify,
    images: { total: 0, pushed: 0, skipped: 0, failed: 0 },
    blobs: { pushed: 0, mounted: 0, skipped: 0 },
    bytes: 0,
    seconds: 0,
    list: [],
    failed: [],
    catalog: { source: opened.metadata.catalog.source, destination: '', digest: opened.metadata.catalog.digest, status: 'withheld' },
    journal,
    warnings: [...warnings],
  };
}
