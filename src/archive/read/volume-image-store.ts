/**
 * The images of a ferry archive (one file or its volumes), read in place as an ImageStore: the OCI
 * layout part (index.json naming each image by its source reference, blobs/sha256/…) is served as
 * archive members, pieces joined across volumes, never extracted. Read-only, like the volumes.
 * Blobs read whole are checked for size and digest as they end; manifests are checked before use.
 */
import { Readable, addAbortSignal } from 'node:stream';
import { ExitCode, FerryError, NotFoundError } from '../../errors.js';
import { blobMemberName } from '../../oci/archive/docker-manifest.js';
import { IntegrityError, isDigest, sha256Digest } from '../../oci/digest.js';
import { REF_NAME_ANNOTATION, type Descriptor } from '../../oci/descriptor.js';
import { parseLayoutIndex } from '../../oci/layout/layout-index.js';
import { MAX_MANIFEST_SIZE, ManifestError, descriptorIfManifest, parseManifest, type RawManifest } from '../../oci/manifest.js';
import type { Cancellable, ImageStore } from '../../oci/store.js';
import { readMember } from '../verify/read-member.js';
import type { VolumeSet } from '../volumes/read-volumes.js';

export class VolumeImageStore implements ImageStore {
  readonly description: string;
  readonly key: string;

  private constructor(
    private readonly set: VolumeSet,
    /** index.json's manifests: one per image, named by its source reference. */
    readonly manifests: readonly Descriptor[],
  ) {
    this.description = `ferry-archive:${set.files[0]}`;
    this.key = `ferry-archive:${set.archive}`;
  }

  static async open(set: VolumeSet): Promise<VolumeImageStore> {
    const where = set.files[0]!;
    const marker = await readMember(set, 'oci-layout', 64 * 1024);
    const index = await readMember(set, 'index.json', 64 * 1024 * 1024);
    const { manifests } = parseLayoutIndex(marker.toString('utf8'), index.toString('utf8'), where);
    return new VolumeImageStore(set, manifests);
  }

  /** The ref names of index.json (the images' source references). */
  async listTags(): Promise<string[]> {
    return this.manifests.map((d) => d.annotations?.[REF_NAME_ANNOTATION]).filter((n): n is string => n !== undefined);
  }

  async getManifest(_repository: string, reference: string): Promise<RawManifest> {
    const descriptor = await this.resolve(reference);
    if (descriptor === undefined) throw new NotFoundError(`${this.description}: no image named "${reference}"`);
    return this.readManifest(descriptor, reference);
  }

  async headManifest(_repository: string, reference: string): Promise<Descriptor | undefined> {
    const descriptor = await this.resolve(reference);
    return descriptor !== undefined && (await this.hasBlob('', descriptor)) ? descriptor : undefined;
  }

  async hasBlob(_repository: string, descriptor: Descriptor): Promise<boolean> {
    return this.set.member(blobMemberName(descriptor.digest))?.size === descriptor.size;
  }

  async getBlob(_repository: string, descriptor: Descriptor, options: Cancellable = {}): Promise<Readable> {
    const name = this.existing(descriptor);
    return this.cancellable(this.set.openVerified(name, descriptor.digest), options);
  }

  async getBlobFrom(_repository: string, descriptor: Descriptor, start: number, options: Cancellable = {}): Promise<Readable> {
    return this.cancellable(this.set.openMember(this.existing(descriptor), start), options);
  }

  async putManifest(): Promise<void> {
    throw this.readOnly();
  }

  async putBlob(): Promise<void> {
    throw this.readOnly();
  }

  /** A digest (listed, or any manifest blob), a ref name (the last entry wins, as in a layout), or '' for the only image. */
  private async resolve(reference: string): Promise<Descriptor | undefined> {
    if (isDigest(reference)) {
      const listed = this.manifests.find((d) => d.digest === reference);
      if (listed) return listed;
      const member = this.set.member(blobMemberName(reference));
      if (member === undefined || member.size > MAX_MANIFEST_SIZE) return undefined;
      const bytes = await readMember(this.set, member.name, MAX_MANIFEST_SIZE);
      return descriptorIfManifest(bytes, `${this.description}@${reference}`);
    }
    if (reference === '') return this.manifests.length === 1 ? this.manifests[0] : undefined;
    const named = this.manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] === reference);
    return named[named.length - 1];
  }

  private async readManifest(descriptor: Descriptor, reference: string): Promise<RawManifest> {
    if (descriptor.size > MAX_MANIFEST_SIZE) throw new ManifestError(`${this.description}: manifest ${descriptor.digest} is larger than ${MAX_MANIFEST_SIZE} bytes`, 'MANIFEST_TOO_LARGE');
    const bytes = await readMember(this.set, this.existing(descriptor), MAX_MANIFEST_SIZE);
    const actual = sha256Digest(bytes);
    if (actual !== descriptor.digest) throw new IntegrityError(`${this.description}: manifest blob ${descriptor.digest} has digest ${actual}`);
    const parsed = parseManifest(bytes, descriptor.mediaType, `${this.description}:${reference}`);
    return { mediaType: parsed.mediaType, digest: parsed.digest, bytes };
  }

  private existing(descriptor: Descriptor): string {
    const name = blobMemberName(descriptor.digest);
    if (this.set.member(name) === undefined) throw new NotFoundError(`${this.description}: blob ${descriptor.digest} is not in the archive`);
    return name;
  }

  private cancellable(stream: Readable, options: Cancellable): Readable {
    return options.signal ? addAbortSignal(options.signal, stream) : stream;
  }

  private readOnly(): FerryError {
    return new FerryError('READ_ONLY', `${this.description} is read-only`, ExitCode.usage);
  }
}
