/**
 * A read-only store that serves what ferry built (manifests, config and new layer blobs in a
 * scratch layout) over the image it was built from (whose layers stay where they are), so the copy
 * engine moves a built image like any other: base layers are streamed (or mounted, or skipped) from
 * the base's own store.
 */
import type { Readable } from 'node:stream';
import { ExitCode, FerryError } from '../errors.js';
import type { ImageLocation } from './copy/location.js';
import type { Descriptor } from './descriptor.js';
import type { LayoutStore } from './layout/layout-store.js';
import type { RawManifest } from './manifest.js';
import type { Cancellable, ImageStore } from './store.js';

export class OverlayStore implements ImageStore {
  readonly description: string;
  readonly key: string;

  constructor(
    private readonly built: LayoutStore,
    private readonly base: ImageLocation,
  ) {
    this.description = `${base.display} + ${built.description}`;
    this.key = `overlay:${built.dir}`;
  }

  getManifest(_repository: string, reference: string): Promise<RawManifest> {
    return this.built.getManifest('', reference);
  }

  headManifest(_repository: string, reference: string): Promise<Descriptor | undefined> {
    return this.built.headManifest('', reference);
  }

  async hasBlob(_repository: string, descriptor: Descriptor, options?: Cancellable): Promise<boolean> {
    return (await this.built.hasBlob('', descriptor)) || this.base.store.hasBlob(this.base.repository, descriptor, options);
  }

  async getBlob(_repository: string, descriptor: Descriptor, options?: Cancellable): Promise<Readable> {
    if (await this.built.hasBlob('', descriptor)) return this.built.getBlob('', descriptor);
    return this.base.store.getBlob(this.base.repository, descriptor, options);
  }

  async getBlobFrom(_repository: string, descriptor: Descriptor, start: number, options?: Cancellable): Promise<Readable> {
    if (await this.built.hasBlob('', descriptor)) return this.built.getBlobFrom('', descriptor, start);
    return this.base.store.getBlobFrom(this.base.repository, descriptor, start, options);
  }

  async putManifest(): Promise<void> {
    throw new FerryError('READ_ONLY', `${this.description} is read-only`, ExitCode.usage);
  }

  async putBlob(): Promise<void> {
    throw new FerryError('READ_ONLY', `${this.description} is read-only`, ExitCode.usage);
  }

  async listTags(): Promise<string[]> {
    return this.built.listTags();
  }
}
