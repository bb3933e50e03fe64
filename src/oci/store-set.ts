/**
 * Opens the store behind an image name, one store per registry host and role for the whole run (so
 * tokens and connections are shared), and closes them all at the end. An archive being written is
 * finished by `close()` only when the run succeeded; `abort()` discards it.
 *
 * With `imagesFrom`, a registry reference asked for as a source is first looked up in that OCI
 * layout (LayoutImages): the images it holds are read from it, the rest from their registries.
 */
import path from 'node:path';
import { openArchiveStore } from '../archive/read/open-archive.js';
import { ArchiveReadStore } from './archive/archive-reader.js';
import { ArchiveWriteStore } from './archive/archive-writer.js';
import type { ImageLocation } from './copy/location.js';
import { LayoutImages } from './layout/layout-images.js';
import { LayoutStore } from './layout/layout-store.js';
import { formatReference } from './reference.js';
import type { RegistryOptions } from './registry/client.js';
import { RegistryStore } from './registry/registry-store.js';
import { isClosable, type ImageStore } from './store.js';
import { TransportError, formatImageName, type ImageName } from './transport.js';

export type Role = 'source' | 'destination';

export interface StoreSetOptions {
  source?: RegistryOptions;
  destination?: RegistryOptions;
  /** An OCI layout folder consulted before the registries for source images (`--images-from`). */
  imagesFrom?: string;
}

export class StoreSet {
  private readonly stores = new Map<string, ImageStore>();
  private readonly writers = new Map<string, ArchiveWriteStore>();
  private readonly opening = new Map<string, Promise<ImageStore>>();
  private layoutImages: Promise<LayoutImages> | undefined;

  constructor(private readonly options: StoreSetOptions = {}) {}

  async locate(name: ImageName, role: Role): Promise<ImageLocation> {
    const display = formatImageName(name);
    if (name.transport === 'docker') {
      const ref = name.reference;
      if (role === 'source' && this.options.imagesFrom !== undefined) {
        const local = await (await this.imagesFrom(this.options.imagesFrom)).find(ref);
        if (local !== undefined) return local;
      }
      const reference = role === 'source' ? (ref.digest ?? ref.tag ?? 'latest') : (ref.tag ?? ref.digest ?? 'latest');
      return { store: this.registry(ref.domain, role), repository: ref.path, reference, display: formatReference(ref) };
    }
    const key = `${name.transport}:${name.path}|${role}`;
    // One store per file for the whole run, even when many images open it at once: a layout's
    // index.json is updated through its store's queue, so two instances would lose entries.
    let opening = this.opening.get(key);
    if (opening === undefined) {
      opening = this.openFileStore(name, role).then((store) => {
        this.stores.set(key, store);
        return store;
      });
      this.opening.set(key, opening);
      opening.catch(() => this.opening.delete(key));
    }
    return { store: await opening, repository: '', reference: name.reference, display };
  }

  /** The `imagesFrom` layout, opened through locate so that an `oci:` name of the same folder shares its store. */
  private imagesFrom(dir: string): Promise<LayoutImages> {
    const name: ImageName = { transport: 'oci', path: path.resolve(dir), reference: '', input: `oci:${dir}` };
    this.layoutImages ??= this.locate(name, 'source').then((l) => new LayoutImages(l.store as LayoutStore));
    this.layoutImages.catch(() => (this.layoutImages = undefined));
    return this.layoutImages;
  }

  /** Finishes archives being written and releases connections and files. */
  async close(): Promise<void> {
    const all = [...this.stores.values()];
    this.stores.clear();
    this.opening.clear();
    this.layoutImages = undefined;
    for (const store of all) if (isClosable(store)) await store.close();
  }

  /** Discards archives being written (nothing appears at their path) and releases the rest. */
  async abort(): Promise<void> {
    for (const writer of this.writers.values()) await writer.abort();
    const rest = [...this.stores.values()].filter((s) => !(s instanceof ArchiveWriteStore));
    this.stores.clear();
    this.opening.clear();
    this.layoutImages = undefined;
    for (const store of rest) if (isClosable(store)) await store.close();
  }

  private registry(host: string, role: Role): RegistryStore {
    const key = `docker://${host}|${role}`;
    let store = this.stores.get(key) as RegistryStore | undefined;
    if (store === undefined) {
      store = new RegistryStore(host, { ...(role === 'source' ? this.options.source : this.options.destination), write: role === 'destination' });
      this.stores.set(key, store);
    }
    return store;
  }

  private async openFileStore(name: Extract<ImageName, { path: string }>, role: Role): Promise<ImageStore> {
    if (name.transport === 'oci') return role === 'source' ? LayoutStore.open(name.path) : LayoutStore.create(name.path);
    if (name.transport === 'ferry-archive') {
      if (role === 'destination') throw new TransportError(`${formatImageName(name)}: ferry archives are written by ferry pack, not as a copy destination`);
      return openArchiveStore(name.path);
    }
    if (role === 'source') return ArchiveReadStore.open(name.path, name.transport === 'oci-archive' ? 'oci' : 'docker');
    if (name.transport === 'docker-archive') {
      throw new TransportError(`${formatImageName(name)}: ferry reads docker-archive: but writes oci-archive: (which docker load and podman load also accept)`);
    }
    const writer = await ArchiveWriteStore.create(name.path);
    this.writers.set(name.path, writer);
    return writer;
  }
}
