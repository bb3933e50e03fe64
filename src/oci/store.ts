/**
 * The one interface for every place images live: a registry, an OCI layout folder, a tar archive.
 * The copy engine, inspect and (later) pack and push are written once against it.
 *
 * `repository` is the image's name inside the store (a registry path such as `library/busybox`);
 * layouts and archives hold one namespace and ignore it. `reference` is a tag (for layouts and
 * archives, the `org.opencontainers.image.ref.name` annotation) or a digest.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from './descriptor.js';
import type { RawManifest } from './manifest.js';

export interface Cancellable {
  signal?: AbortSignal;
}

/** Where a blob's bytes come from when it is written: opened at an offset, so uploads can resume. */
export interface BlobSource {
  /** True when `open(0)` returns a stream that itself verifies size and digest as it ends. */
  readonly verifying?: boolean;
  /**
   * A stream of the blob from byte `start` to its end. From 0 the stream verifies size and digest
   * as it ends; from any other offset the destination's final check is what verifies.
   */
  open(start: number): Promise<Readable>;
}

export interface PutManifestOptions extends Cancellable {
  /** The tag (or layout ref name) to give the manifest; none for children of an index. */
  tag?: string;
  /** True for the manifest the user named (listed in a layout's index.json even without a tag). */
  root?: boolean;
}

export interface ImageStore {
  /** How the user would name this store: `docker://quay.io`, `oci:/path`, `oci-archive:/file.tar`. */
  readonly description: string;
  /** Stores with the same key share blob storage across repositories (one registry); mounts work within a key. */
  readonly key: string;

  /** The manifest by tag or digest; when `reference` is a digest the bytes are checked against it. */
  getManifest(repository: string, reference: string, options?: Cancellable): Promise<RawManifest>;
  /** The descriptor of a manifest, or undefined when the store does not have it. */
  headManifest(repository: string, reference: string, options?: Cancellable): Promise<Descriptor | undefined>;
  putManifest(repository: string, manifest: RawManifest, options?: PutManifestOptions): Promise<void>;

  hasBlob(repository: string, descriptor: Descriptor, options?: Cancellable): Promise<boolean>;
  /** The whole blob as a verifying stream (it errors at its end on a size or digest mismatch). */
  getBlob(repository: string, descriptor: Descriptor, options?: Cancellable): Promise<Readable>;
  /** The blob from byte `start` on, unverified (for resuming); the caller verifies the whole. */
  getBlobFrom(repository: string, descriptor: Descriptor, start: number, options?: Cancellable): Promise<Readable>;
  /** Writes a blob; it appears only once its size and digest are verified. */
  putBlob(repository: string, descriptor: Descriptor, source: BlobSource, options?: Cancellable): Promise<void>;

  listTags(repository: string, options?: Cancellable): Promise<string[]>;
}

/** Optional: cross-repository blob mount inside one store (a registry). */
export interface BlobMounter {
  /** True when mounted; false when the store declined (the caller then streams the blob). */
  mountBlob(repository: string, descriptor: Descriptor, fromRepository: string, options?: Cancellable): Promise<boolean>;
}

/** Optional: stores that must finish their output (an archive being written) or release resources. */
export interface Closable {
  close(options?: Cancellable): Promise<void>;
}

export function canMount(store: ImageStore): store is ImageStore & BlobMounter {
  return typeof (store as Partial<BlobMounter>).mountBlob === 'function';
}

export function isClosable(store: ImageStore): store is ImageStore & Closable {
  return typeof (store as Partial<Closable>).close === 'function';
}

/** A source for putBlob that reads from another store (verifying when read whole). */
export function blobSourceFrom(store: ImageStore, repository: string, descriptor: Descriptor, options?: Cancellable): BlobSource {
  return {
    verifying: true,
    open: (start) => (start === 0 ? store.getBlob(repository, descriptor, options) : store.getBlobFrom(repository, descriptor, start, options)),
  };
}
