/**
 * The one copy engine, written against ImageStore. For each image: children first (layers and
 * config, then child manifests, then the index), the tag last. Each blob goes down a fixed ladder:
 * already at the destination → skip; same registry (this run put it in another repository, or the
 * source is there) → mount; else stream source → destination. Work is shared by digest across the
 * whole run (a map of promises, dropped on failure so a later image may retry), and at most `jobs`
 * blobs stream at once.
 */
import { setMaxListeners } from 'node:events';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { ExitCode, FerryError } from '../../errors.js';
import type { Descriptor, Platform } from '../descriptor.js';
import { parseManifest, type Manifest, type RawManifest } from '../manifest.js';
import { formatPlatform, selectPlatform } from '../platform.js';
import { blobSourceFrom, canMount, type BlobSource } from '../store.js';
import { countBlob, emptyStats, type BlobStats } from './blob-stats.js';
import { Limiter } from './limiter.js';
import { isDigestReference, type ImageLocation } from './location.js';
import type { BlobOutcome, CopyListener } from './progress.js';

export const DEFAULT_JOBS = 6;

export interface CopyEngineOptions {
  /** Blobs streamed at once across the run. */
  jobs?: number;
  signal?: AbortSignal;
  onEvent?: CopyListener;
  /**
   * Blobs an earlier run put into the destination registry: digest → a repository holding it. A
   * blob missing from its repository is mounted from there before it is streamed (a push run again
   * after an interruption sends nothing twice).
   */
  mountHints?: Readonly<Record<string, string>>;
}

export interface CopyImageOptions {
  /** Copy only this platform when the source is an index named by tag. */
  platform?: Platform;
}

export interface CopiedImage {
  source: string;
  destination: string;
  /** Digest of the manifest copied (unchanged from the source). */
  digest: string;
  mediaType: string;
  /** Platforms of an index's images, or the one platform picked. */
  platforms: string[];
  blobs: BlobStats;
  manifests: number;
}

interface BlobHome {
  repository: string;
  done: Promise<BlobOutcome>;
}

export class CopyEngine {
  private readonly limiter: Limiter;
  /** destination store key | repository | digest → the blob's copy. */
  private readonly blobs = new Map<string, Promise<BlobOutcome>>();
  /** destination store key | digest → where this run first put the blob (for mounts). */
  private readonly homes = new Map<string, BlobHome>();

  constructor(private readonly options: CopyEngineOptions = {}) {
    this.limiter = new Limiter(options.jobs ?? DEFAULT_JOBS);
    // Every request and pipeline of the run listens on this one signal: many listeners are expected.
    if (options.signal) setMaxListeners(0, options.signal);
  }

  async copyImage(source: ImageLocation, destination: ImageLocation, options: CopyImageOptions = {}): Promise<CopiedImage> {
    this.checkAborted();
    let root = await source.store.getManifest(source.repository, source.reference, this.cancel());
    let manifest = parseManifest(root.bytes, root.mediaType, source.display);
    let platforms = manifest.kind === 'index' ? manifest.manifests.flatMap((d) => (d.platform ? [formatPlatform(d.platform)] : [])) : [];
    if (options.platform && manifest.kind === 'index' && !isDigestReference(source)) {
      const chosen = selectPlatform(manifest.manifests, options.platform);
      if (!chosen) {
        throw new FerryError('PLATFORM_NOT_FOUND', `${source.display} has no image for ${formatPlatform(options.platform)} (it has ${platforms.join(', ') || 'no platform entries'})`, ExitCode.notFound);
      }
      root = await source.store.getManifest(source.repository, chosen.digest, this.cancel());
      manifest = parseManifest(root.bytes, root.mediaType, `${source.display}@${chosen.digest}`);
      platforms = [formatPlatform(chosen.platform!)];
    }
    if (isDigestReference(destination) && destination.reference !== manifest.digest) {
      throw new FerryError('DIGEST_MISMATCH', `${destination.display} names digest ${destination.reference}, but the image copied has ${manifest.digest}`, ExitCode.invalidInput);
    }
    const stats = emptyStats();
    const counter = { manifests: 0 };
    // A registry accepts a manifest only once all it points at is there; so does a layout written by this engine.
    const present = await destination.store.headManifest(destination.repository, manifest.digest, this.cancel());
    if (present?.digest !== manifest.digest) await this.copyTree(source, destination, manifest, stats, counter);
    const tag = destination.reference === '' || isDigestReference(destination) ? undefined : destination.reference;
    await destination.store.putManifest(destination.repository, root, { ...(tag === undefined ? {} : { tag }), root: true, ...this.cancel() });
    return { source: source.display, destination: destination.display, digest: manifest.digest, mediaType: manifest.mediaType, platforms, blobs: stats, manifests: counter.manifests + 1 };
  }

  /** Copies what `manifest` points at (children first), then non-root manifests themselves. */
  private async copyTree(source: ImageLocation, destination: ImageLocation, manifest: Manifest, stats: BlobStats, counter: { manifests: number }): Promise<void> {
    if (manifest.kind === 'image') {
      const outcomes = await Promise.all([manifest.config, ...manifest.layers].map((d) => this.copyBlob(source, destination, d)));
      outcomes.forEach((how, i) => countBlob(stats, how, i === 0 ? manifest.config.size : manifest.layers[i - 1]!.size));
      return;
    }
    await Promise.all(
      manifest.manifests.map(async (child) => {
        const present = await destination.store.headManifest(destination.repository, child.digest, this.cancel());
        if (present?.digest === child.digest) return;
        const raw: RawManifest = await source.store.getManifest(source.repository, child.digest, this.cancel());
        const parsed = parseManifest(raw.bytes, raw.mediaType ?? child.mediaType, `${source.display}@${child.digest}`);
        await this.copyTree(source, destination, parsed, stats, counter);
        await destination.store.putManifest(destination.repository, raw, this.cancel());
        counter.manifests++;
      }),
    );
  }

  private copyBlob(source: ImageLocation, destination: ImageLocation, descriptor: Descriptor): Promise<BlobOutcome> {
    const key = `${destination.store.key}|${destination.repository}|${descriptor.digest}`;
    let pending = this.blobs.get(key);
    if (pending === undefined) {
      pending = this.ladder(source, destination, descriptor);
      this.blobs.set(key, pending);
      pending.catch(() => this.blobs.delete(key));
      const homeKey = `${destination.store.key}|${descriptor.digest}`;
      if (!this.homes.has(homeKey)) {
        const home = { repository: destination.repository, done: pending };
        this.homes.set(homeKey, home);
        pending.catch(() => {
          if (this.homes.get(homeKey) === home) this.homes.delete(homeKey);
        });
      }
      return pending;
    }
    // Already done (or under way) for this destination in this run: nothing more to move.
    return pending.then(() => 'skipped' as const);
  }

  private async ladder(source: ImageLocation, destination: ImageLocation, descriptor: Descriptor): Promise<BlobOutcome> {
    this.checkAborted();
    const dst = destination.store;
    const home = this.homes.get(`${dst.key}|${descriptor.digest}`);
    if (home && home.repository !== destination.repository) await home.done.catch(() => undefined);
    if (await dst.hasBlob(destination.repository, descriptor, this.cancel())) return this.done(descriptor, 'skipped', destination.repository);
    if (canMount(dst)) {
      const from = this.mountSource(source, destination, descriptor, home);
      if (from !== undefined && (await dst.mountBlob(destination.repository, descriptor, from, this.cancel()))) return this.done(descriptor, 'mounted', destination.repository);
    }
    return this.limiter.run(async () => {
      this.checkAborted();
      this.options.onEvent?.({ type: 'blob-start', digest: descriptor.digest, size: descriptor.size });
      await dst.putBlob(destination.repository, descriptor, this.counted(blobSourceFrom(source.store, source.repository, descriptor, this.cancel()), descriptor), this.cancel());
      return this.done(descriptor, 'copied', destination.repository);
    });
  }

  /** Another repository of the destination registry holding the blob: where this run put it, the source's own, or where an earlier run did. */
  private mountSource(source: ImageLocation, destination: ImageLocation, descriptor: Descriptor, home: BlobHome | undefined): string | undefined {
    const candidates = [home?.repository, source.store.key === destination.store.key ? source.repository : undefined, this.options.mountHints?.[descriptor.digest]];
    return candidates.find((repository) => repository !== undefined && repository !== destination.repository);
  }

  private done(descriptor: Descriptor, how: BlobOutcome, repository: string): BlobOutcome {
    this.options.onEvent?.({ type: 'blob-done', digest: descriptor.digest, size: descriptor.size, how, repository });
    return how;
  }

  /** Reports bytes as they pass (for progress), without buffering. */
  private counted(source: BlobSource, descriptor: Descriptor): BlobSource {
    const listener = this.options.onEvent;
    if (listener === undefined) return source;
    return {
      ...(source.verifying ? { verifying: true } : {}),
      open: async (start: number): Promise<Readable> => {
        const input = await source.open(start);
        const meter = new Transform({
          transform(chunk: Buffer, _enc, callback) {
            listener({ type: 'blob-bytes', digest: descriptor.digest, bytes: chunk.length });
            callback(null, chunk);
          },
        });
        input.once('error', (err) => meter.destroy(err));
        return input.pipe(meter) as PassThrough;
      },
    };
  }

  private cancel(): { signal?: AbortSignal } {
    return this.options.signal ? { signal: this.options.signal } : {};
  }

  private checkAborted(): void {
    if (this.options.signal?.aborted) throw this.options.signal.reason;
  }
}
