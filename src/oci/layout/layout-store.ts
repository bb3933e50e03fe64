/**
 * An OCI image layout folder as an ImageStore (`oci:DIR[:ref]`): `oci-layout`, `index.json` naming
 * images by `org.opencontainers.image.ref.name`, and content-addressed `blobs/sha256/<hex>`.
 * Every blob is written to a temp file beside its target and renamed only after verification.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFoundError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { IntegrityError, VerifyingStream, digestHex, isDigest, sha256Digest, verified } from '../digest.js';
import { REF_NAME_ANNOTATION, type Descriptor } from '../descriptor.js';
import { MAX_MANIFEST_SIZE, ManifestError, descriptorOf, parseManifest, type RawManifest } from '../manifest.js';
import type { BlobSource, Cancellable, ImageStore, PutManifestOptions } from '../store.js';
import { readLayoutIndex, type LayoutIndex } from './layout-index.js';

export const OCI_LAYOUT_FILE = 'oci-layout';
export const OCI_LAYOUT_CONTENT = '{"imageLayoutVersion":"1.0.0"}';

export class LayoutStore implements ImageStore {
  readonly description: string;
  readonly key: string;
  /** index.json writes run one after another; changes waiting for the next write. */
  private indexQueue: Promise<void> = Promise.resolve();
  private cachedIndex: Promise<LayoutIndex> | undefined;
  private readonly pendingChanges: Array<{ change: (manifests: Descriptor[]) => Descriptor[]; resolve: () => void; reject: (err: unknown) => void }> = [];

  constructor(readonly dir: string) {
    this.dir = path.resolve(dir);
    this.description = `oci:${this.dir}`;
    this.key = `oci:${this.dir}`;
  }

  /** Opens an existing layout; throws NotFoundError when `dir` is not one. */
  static async open(dir: string): Promise<LayoutStore> {
    const store = new LayoutStore(dir);
    await readLayoutIndex(store.dir);
    return store;
  }

  /** Opens a layout, creating the folder, `oci-layout` and an empty `index.json` when missing. */
  static async create(dir: string): Promise<LayoutStore> {
    const store = new LayoutStore(dir);
    await mkdir(path.join(store.dir, 'blobs', 'sha256'), { recursive: true });
    const marker = path.join(store.dir, OCI_LAYOUT_FILE);
    if (!(await exists(marker))) await writeFileAtomic(marker, OCI_LAYOUT_CONTENT);
    if (!(await exists(path.join(store.dir, 'index.json')))) {
      await writeFileAtomic(path.join(store.dir, 'index.json'), `${JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] })}\n`);
    }
    return store;
  }

  blobPath(digest: string): string {
    return path.join(this.dir, 'blobs', 'sha256', digestHex(digest));
  }

  /**
   * Removes partial blobs (`<hex>.<pid>.<random>.tmp`) whose writing process is gone: a killed run
   * cannot clean up after itself. Files of a live process (another ferry using this folder) stay.
   */
  async removeStaleTemps(): Promise<number> {
    const dir = path.join(this.dir, 'blobs', 'sha256');
    let removed = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const pid = /^[0-9a-f]{64}\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name)?.[1];
      if (pid === undefined || processAlive(Number(pid))) continue;
      await rm(path.join(dir, name), { force: true });
      removed++;
    }
    return removed;
  }

  /**
   * index.json, read once and then kept in step by this store's own writes (every tag lookup of a
   * run would otherwise read the whole file again; one store per folder is the rule, see StoreSet).
   */
  async index(): Promise<LayoutIndex> {
    this.cachedIndex ??= readLayoutIndex(this.dir);
    this.cachedIndex.catch(() => (this.cachedIndex = undefined));
    return this.cachedIndex;
  }

  async getManifest(_repository: string, reference: string): Promise<RawManifest> {
    const descriptor = await this.resolve(reference);
    if (descriptor === undefined) throw new NotFoundError(`${this.description}: no image named "${reference}"`);
    if (descriptor.size > MAX_MANIFEST_SIZE) throw new ManifestError(`${this.description}: manifest ${descriptor.digest} is larger than ${MAX_MANIFEST_SIZE} bytes`, 'MANIFEST_TOO_LARGE');
    let bytes: Buffer;
    try {
      bytes = await readFile(this.blobPath(descriptor.digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`${this.description}: manifest ${descriptor.digest} is missing from blobs/`);
      throw err;
    }
    const actual = sha256Digest(bytes);
    if (actual !== descriptor.digest) throw new IntegrityError(`${this.description}: manifest blob ${descriptor.digest} has digest ${actual}`);
    const parsed = parseManifest(bytes, descriptor.mediaType, `${this.description}:${reference}`);
    return { mediaType: parsed.mediaType, digest: parsed.digest, bytes };
  }

  async headManifest(_repository: string, reference: string): Promise<Descriptor | undefined> {
    const descriptor = await this.resolve(reference);
    if (descriptor === undefined || !(await this.hasBlob('', descriptor))) return undefined;
    return descriptor;
  }

  async putManifest(_repository: string, manifest: RawManifest, options: PutManifestOptions = {}): Promise<void> {
    const descriptor = descriptorOf(manifest);
    if (sha256Digest(manifest.bytes) !== manifest.digest) throw new IntegrityError(`manifest bytes do not match ${manifest.digest}`);
    // Content-addressed and checked above: like layer blobs, written without an fsync of its own.
    if (!(await this.hasBlob('', descriptor))) await writeFileAtomic(this.blobPath(manifest.digest), manifest.bytes, { sync: false });
    if (options.tag === undefined && options.root !== true) return;
    await this.updateIndex((manifests) => {
      const kept = manifests.filter((d) => (options.tag === undefined ? d.digest !== descriptor.digest || d.annotations?.[REF_NAME_ANNOTATION] !== undefined : d.annotations?.[REF_NAME_ANNOTATION] !== options.tag));
      const entry: Descriptor = { ...descriptor, ...(options.tag === undefined ? {} : { annotations: { [REF_NAME_ANNOTATION]: options.tag } }) };
      return [...kept, entry];
    });
  }

  async hasBlob(_repository: string, descriptor: Descriptor): Promise<boolean> {
    try {
      const s = await stat(this.blobPath(descriptor.digest));
      return s.isFile() && s.size === descriptor.size;
    } catch {
      return false;
    }
  }

  async getBlob(repository: string, descriptor: Descriptor): Promise<Readable> {
    const file = await this.openBlob(descriptor, 0);
    return verified(file, { digest: descriptor.digest, size: descriptor.size, source: `${this.description} (${repository || 'layout'})` });
  }

  async getBlobFrom(_repository: string, descriptor: Descriptor, start: number): Promise<Readable> {
    return this.openBlob(descriptor, start);
  }

  async putBlob(_repository: string, descriptor: Descriptor, source: BlobSource, options: Cancellable = {}): Promise<void> {
    const target = this.blobPath(descriptor.digest);
    if (await this.hasBlob('', descriptor)) return;
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const input = await source.open(0);
      const output = createWriteStream(temp, { flags: 'wx' });
      // A verifying source fails the pipeline at its end on a bad size or digest, before the rename;
      // hashing the same bytes twice would only halve the throughput.
      if (source.verifying) await pipeline(input, output, { signal: options.signal });
      else await pipeline(input, new VerifyingStream({ digest: descriptor.digest, size: descriptor.size, source: `blob ${descriptor.digest}` }), output, { signal: options.signal });
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async listTags(): Promise<string[]> {
    const { manifests } = await this.index();
    return manifests.map((d) => d.annotations?.[REF_NAME_ANNOTATION]).filter((n): n is string => n !== undefined);
  }

  /** The index.json entry for a ref name, or a descriptor built from the blob for a digest. */
  private async resolve(reference: string): Promise<Descriptor | undefined> {
    const { manifests } = await this.index();
    if (isDigest(reference)) {
      const listed = manifests.find((d) => d.digest === reference);
      if (listed) return listed;
      try {
        const bytes = await readFile(this.blobPath(reference));
        const parsed = parseManifest(bytes, undefined, `${this.description}@${reference}`);
        // A blob not listed in index.json is found by its file name: the bytes must be that digest.
        if (parsed.digest !== reference) throw new IntegrityError(`${this.description}: blob ${reference} has digest ${parsed.digest}`);
        return descriptorOf(parsed);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    }
    const named = manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] === reference);
    if (named.length > 0) return named[named.length - 1];
    // `oci:DIR` without a name: the layout's only image, as skopeo reads it.
    if (reference === '' && manifests.length === 1) return manifests[0];
    return undefined;
  }

  private async openBlob(descriptor: Descriptor, start: number): Promise<Readable> {
    const file = this.blobPath(descriptor.digest);
    try {
      await stat(file);
    } catch {
      throw new NotFoundError(`${this.description}: blob ${descriptor.digest} is missing`);
    }
    return createReadStream(file, { start });
  }

  /**
   * Applies `change` to index.json. Changes that arrive while a write is under way are applied
   * together in the next write: one read, one fsync'd atomic write for many images.
   */
  private updateIndex(change: (manifests: Descriptor[]) => Descriptor[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pendingChanges.push({ change, resolve, reject });
      if (this.pendingChanges.length === 1) this.indexQueue = this.indexQueue.then(() => this.writeIndex());
    });
  }

  private async writeIndex(): Promise<void> {
    const batch = this.pendingChanges.splice(0);
    try {
      const index = await this.index();
      const manifests = batch.reduce((list, c) => c.change(list), [...index.manifests]);
      const document = { ...index.document, manifests };
      await writeFileAtomic(path.join(this.dir, 'index.json'), `${JSON.stringify(document)}\n`);
      this.cachedIndex = Promise.resolve({ document, manifests });
      for (const c of batch) c.resolve();
    } catch (err) {
      for (const c of batch) c.reject(err);
    }
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
