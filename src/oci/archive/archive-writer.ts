/**
 * A new `oci-archive:FILE` written as an ImageStore. Content is staged in an OCI layout folder
 * beside the target (`.FILE.ferry-<random>/`, same filesystem), so every ImageStore method is the
 * LayoutStore's; `close()` then writes the tar to a temp file beside the target and renames it
 * into place. An existing FILE is untouched until the new archive is complete; on any failure,
 * and on `abort()`, the temp file and the staging folder are removed.
 *
 * The tar is deterministic (sorted members, fixed metadata: see tar-writer.ts): `oci-layout`,
 * `index.json` (entries sorted by ref name, then digest), `blobs/`, `blobs/sha256/`, every blob,
 * and a docker `manifest.json` (see docker-manifest.ts) so `docker load` and `podman load` accept it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { FerryError, UsageError } from '../../errors.js';
import { REF_NAME_ANNOTATION, type Descriptor } from '../descriptor.js';
import { LayoutStore, OCI_LAYOUT_FILE } from '../layout/layout-store.js';
import type { RawManifest } from '../manifest.js';
import type { BlobSource, Cancellable, Closable, ImageStore, PutManifestOptions } from '../store.js';
import { dockerManifestFor } from './docker-manifest.js';
import { writeTarFile, type TarMemberSpec } from './tar-writer.js';

const HEX_RE = /^[0-9a-f]{64}$/;

export class ArchiveWriteStore implements ImageStore, Closable {
  readonly description: string;
  readonly key: string;
  private state: 'open' | 'closing' | 'done' = 'open';
  private closing: Promise<void> | undefined;

  private constructor(
    /** The archive to write (absolute). */
    readonly file: string,
    /** The staging layout folder beside it. */
    readonly stagingDir: string,
    private readonly layout: LayoutStore,
  ) {
    this.description = `oci-archive:${file}`;
    this.key = this.description;
  }

  /** Starts a new archive at `file` (replaced on close if it exists). */
  static async create(file: string): Promise<ArchiveWriteStore> {
    const target = path.resolve(file);
    const existing = await stat(target).catch(() => undefined);
    if (existing?.isDirectory()) throw new UsageError(`${target} is a folder; an oci-archive is a file (use oci:${target} for a layout folder)`);
    await mkdir(path.dirname(target), { recursive: true });
    const staging = path.join(path.dirname(target), `.${path.basename(target)}.ferry-${randomBytes(6).toString('hex')}`);
    try {
      const layout = await LayoutStore.create(staging);
      return new ArchiveWriteStore(target, staging, layout);
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
  }

  async getManifest(repository: string, reference: string, options?: Cancellable): Promise<RawManifest> {
    return this.open().getManifest(repository, reference, options);
  }

  async headManifest(repository: string, reference: string, options?: Cancellable): Promise<Descriptor | undefined> {
    return this.open().headManifest(repository, reference, options);
  }

  async putManifest(repository: string, manifest: RawManifest, options?: PutManifestOptions): Promise<void> {
    return this.open().putManifest(repository, manifest, options);
  }

  async hasBlob(repository: string, descriptor: Descriptor, options?: Cancellable): Promise<boolean> {
    return this.open().hasBlob(repository, descriptor, options);
  }

  async getBlob(repository: string, descriptor: Descriptor, options?: Cancellable): Promise<Readable> {
    return this.open().getBlob(repository, descriptor, options);
  }

  async getBlobFrom(repository: string, descriptor: Descriptor, start: number, options?: Cancellable): Promise<Readable> {
    return this.open().getBlobFrom(repository, descriptor, start, options);
  }

  async putBlob(repository: string, descriptor: Descriptor, source: BlobSource, options?: Cancellable): Promise<void> {
    return this.open().putBlob(repository, descriptor, source, options);
  }

  async listTags(repository: string, options?: Cancellable): Promise<string[]> {
    return this.open().listTags(repository, options);
  }

  /**
   * Writes the archive and renames it into place, then removes the staging folder. On failure
   * nothing is left behind and an existing FILE is unchanged. Calling it again returns the same
   * outcome; after it the store accepts no more calls.
   */
  close(options: Cancellable = {}): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    if (this.state === 'done') return Promise.resolve();
    this.state = 'closing';
    this.closing = this.finish(options);
    return this.closing;
  }

  /** Discards everything staged; an existing FILE is unchanged. */
  async abort(): Promise<void> {
    if (this.state === 'closing') await this.closing?.catch(() => undefined);
    this.state = 'done';
    await rm(this.stagingDir, { recursive: true, force: true });
  }

  private async finish(options: Cancellable): Promise<void> {
    const dir = path.dirname(this.file);
    const temp = path.join(dir, `.${path.basename(this.file)}.ferry-${randomBytes(6).toString('hex')}.tmp`);
    try {
      const members = await this.plan();
      await writeTarFile(temp, members, options);
      await rename(temp, this.file);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    } finally {
      this.state = 'done';
      await rm(this.stagingDir, { recursive: true, force: true });
    }
  }

  /** Every member of the tar, in name order. */
  private async plan(): Promise<TarMemberSpec[]> {
    const index = await this.layout.index();
    const manifests = [...index.manifests].sort(compareIndexEntries);
    const indexJson = Buffer.from(`${JSON.stringify({ ...index.document, manifests })}\n`, 'utf8');
    const docker = await dockerManifestFor(this.layout, manifests);
    const blobDir = path.join(this.stagingDir, 'blobs', 'sha256');
    const blobs: TarMemberSpec[] = [];
    for (const name of (await readdir(blobDir)).filter((n) => HEX_RE.test(n)).sort()) {
      const file = path.join(blobDir, name);
      blobs.push({ type: 'file', name: `blobs/sha256/${name}`, path: file, size: (await stat(file)).size, digest: `sha256:${name}` });
    }
    const members: TarMemberSpec[] = [
      { type: 'dir', name: 'blobs/' },
      { type: 'dir', name: 'blobs/sha256/' },
      ...blobs,
      { type: 'file', name: 'index.json', bytes: indexJson },
      ...(docker.length > 0 ? [{ type: 'file' as const, name: 'manifest.json', bytes: Buffer.from(JSON.stringify(docker), 'utf8') }] : []),
      { type: 'file', name: OCI_LAYOUT_FILE, bytes: await readFile(path.join(this.stagingDir, OCI_LAYOUT_FILE)) },
    ];
    const names = members.map((m) => m.name);
    if (names.some((n, i) => i > 0 && n <= names[i - 1]!)) throw new FerryError('ARCHIVE_WRITE', 'internal error: archive members are not in name order');
    return members;
  }

  /** The staging layout, as an ImageStore, while the archive is open. */
  private open(): ImageStore {
    if (this.state !== 'open') throw new FerryError('CLOSED', `${this.description} is ${this.state === 'closing' ? 'being written' : 'closed'}`);
    return this.layout;
  }
}

function compareIndexEntries(a: Descriptor, b: Descriptor): number {
  const an = a.annotations?.[REF_NAME_ANNOTATION] ?? '';
  const bn = b.annotations?.[REF_NAME_ANNOTATION] ?? '';
  if (an !== bn) return an < bn ? -1 : 1;
  return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
}
