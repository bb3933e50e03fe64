/**
 * A tar archive read in place as an ImageStore: `oci-archive:FILE` (a tarred OCI image layout) or
 * `docker-archive:FILE` (what `docker save` and `skopeo copy ... docker-archive:` write). Only the
 * tar headers are indexed at open; manifests and blobs are served as byte ranges of the file,
 * never extracted. Read-only.
 *
 * For a docker archive, each `manifest.json` entry becomes a synthesized Docker v2 schema 2 image
 * manifest whose config and layer digests are the sha256 of the members' bytes exactly as stored
 * (layers are hashed as streams at open). It is serialized once, in the field order skopeo uses.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable, addAbortSignal } from 'node:stream';
import { ExitCode, FerryError, NotFoundError } from '../../errors.js';
import { IntegrityError, isDigest, sha256Digest, verified } from '../digest.js';
import { REF_NAME_ANNOTATION, type Descriptor } from '../descriptor.js';
import { parseLayoutIndex } from '../layout/layout-index.js';
import { MAX_MANIFEST_SIZE, ManifestError, descriptorIfManifest, descriptorOf, parseManifest, type RawManifest } from '../manifest.js';
import { MediaType } from '../media-types.js';
import { normalizeReference } from '../reference.js';
import type { Cancellable, Closable, ImageStore } from '../store.js';
import { ArchiveError } from './tar-header.js';
import { openTarMember, readTarIndex, type TarEntry, type TarIndex } from './tar-index.js';

export type ArchiveKind = 'oci' | 'docker' | 'auto';

/** index.json, manifest.json and configs are read whole; cap them. */
const MAX_METADATA_SIZE = 64 * 1024 * 1024;
const BLOB_PATH_RE = /^blobs\/sha256\/([0-9a-f]{64})$/;

/** One image of a docker archive, with its synthesized manifest. */
export interface DockerArchiveImage {
  /** RepoTags exactly as manifest.json lists them. */
  repoTags: string[];
  manifest: RawManifest;
}

/** Where a blob's bytes are: a tar member, or bytes ferry holds (a synthesized manifest). */
type BlobLocation = { entry: TarEntry } | { bytes: Buffer };

export class ArchiveReadStore implements ImageStore, Closable {
  readonly description: string;
  readonly key: string;
  private closed = false;

  private constructor(
    readonly file: string,
    readonly format: 'oci' | 'docker',
    private readonly handle: FileHandle,
    private readonly tar: TarIndex,
    /** Blobs by digest. */
    private readonly blobs: Map<string, BlobLocation>,
    /** OCI: index.json's manifests; docker: one descriptor per image, named by its first RepoTag. */
    private readonly manifests: readonly Descriptor[],
    /** Docker archives only. */
    readonly dockerImages: readonly DockerArchiveImage[],
  ) {
    this.description = `${format === 'oci' ? 'oci-archive' : 'docker-archive'}:${file}`;
    this.key = this.description;
  }

  /**
   * Indexes the tar `file`. `auto` reads an archive holding an OCI layout as OCI (a Docker 25+
   * `docker save` holds both), else as a docker archive.
   */
  static async open(file: string, kind: ArchiveKind = 'auto'): Promise<ArchiveReadStore> {
    const absolute = path.resolve(file);
    let handle: FileHandle;
    try {
      handle = await open(absolute, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`${absolute}: no such archive`);
      throw err;
    }
    try {
      const tar = await readTarIndex(handle, absolute);
      const hasLayout = tar.resolve('oci-layout')?.type === 'file';
      const hasDocker = tar.resolve('manifest.json')?.type === 'file';
      const format = kind === 'auto' ? (hasLayout ? 'oci' : hasDocker ? 'docker' : undefined) : kind;
      if (format === undefined) {
        throw new ArchiveError(`${absolute}: neither an OCI image layout archive (no oci-layout) nor a docker archive (no manifest.json)`);
      }
      if (format === 'oci') {
        if (!hasLayout) throw new ArchiveError(`${absolute}: not an OCI archive (no oci-layout member)${hasDocker ? '; it is a docker archive: read it as docker-archive' : ''}`);
        const { blobs, manifests } = await readOciArchive(handle, tar, absolute);
        return new ArchiveReadStore(absolute, 'oci', handle, tar, blobs, manifests, []);
      }
      if (!hasDocker) throw new ArchiveError(`${absolute}: not a docker archive (no manifest.json member)${hasLayout ? '; it is an OCI archive: read it as oci-archive' : ''}`);
      const { blobs, images } = await readDockerArchive(handle, tar, absolute);
      const manifests = images.map((image) => ({
        ...descriptorOf(image.manifest),
        ...(image.repoTags.length > 0 ? { annotations: { [REF_NAME_ANNOTATION]: image.repoTags[0]! } } : {}),
      }));
      return new ArchiveReadStore(absolute, 'docker', handle, tar, blobs, manifests, images);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** The tar member table (for diagnostics and tests). */
  get members(): TarIndex {
    return this.tar;
  }

  async getManifest(_repository: string, reference: string): Promise<RawManifest> {
    this.checkOpen();
    const descriptor = await this.resolve(reference);
    if (descriptor === undefined) throw new NotFoundError(`${this.description}: no image named "${reference}"`);
    return this.readManifest(descriptor, reference);
  }

  async headManifest(_repository: string, reference: string): Promise<Descriptor | undefined> {
    this.checkOpen();
    const descriptor = await this.resolve(reference);
    if (descriptor === undefined || !(await this.hasBlob('', descriptor))) return undefined;
    return descriptor;
  }

  async putManifest(_repository: string, _manifest: RawManifest): Promise<void> {
    throw this.readOnly();
  }

  async hasBlob(_repository: string, descriptor: Descriptor): Promise<boolean> {
    this.checkOpen();
    const location = this.blobs.get(descriptor.digest);
    if (location === undefined) return false;
    return ('bytes' in location ? location.bytes.length : location.entry.size) === descriptor.size;
  }

  async getBlob(repository: string, descriptor: Descriptor, options: Cancellable = {}): Promise<Readable> {
    const source = this.openBlob(descriptor, 0, options);
    return verified(source, { digest: descriptor.digest, size: descriptor.size, source: `${this.description}${repository ? ` (${repository})` : ''}` });
  }

  async getBlobFrom(_repository: string, descriptor: Descriptor, start: number, options: Cancellable = {}): Promise<Readable> {
    return this.openBlob(descriptor, start, options);
  }

  async putBlob(_repository: string, _descriptor: Descriptor): Promise<void> {
    throw this.readOnly();
  }

  /** OCI: the ref names of index.json; docker: every RepoTag of manifest.json. */
  async listTags(_repository: string): Promise<string[]> {
    this.checkOpen();
    if (this.format === 'docker') return this.dockerImages.flatMap((image) => image.repoTags);
    return this.manifests.map((d) => d.annotations?.[REF_NAME_ANNOTATION]).filter((n): n is string => n !== undefined);
  }

  /** Releases the file handle; streams still reading fail. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }

  /**
   * OCI: a digest (listed or any manifest blob), a ref name (the last entry wins, as in a layout),
   * or '' for the only image. Docker: a digest, a RepoTag (compared as written and normalized:
   * `busybox:latest` = `docker.io/library/busybox:latest`), `@N` for the N-th manifest.json
   * entry (skopeo's syntax), or '' for the only image.
   */
  private async resolve(reference: string): Promise<Descriptor | undefined> {
    if (isDigest(reference)) {
      const listed = this.manifests.find((d) => d.digest === reference);
      if (listed) return listed;
      const location = this.blobs.get(reference);
      if (location === undefined || !('entry' in location) || location.entry.size > MAX_MANIFEST_SIZE) return undefined;
      const bytes = await this.readMember(location.entry, 'manifest');
      return descriptorIfManifest(bytes, `${this.description}@${reference}`);
    }
    if (reference === '') return this.manifests.length === 1 ? this.manifests[0] : undefined;
    if (this.format === 'oci') {
      const named = this.manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] === reference);
      return named[named.length - 1];
    }
    const position = /^@(\d+)$/.exec(reference);
    if (position) return this.manifests[Number(position[1])];
    const wanted = normalizeTag(reference);
    const index = this.dockerImages.findIndex((image) => image.repoTags.some((t) => t === reference || (wanted !== undefined && normalizeTag(t) === wanted)));
    return index < 0 ? undefined : this.manifests[index];
  }

  private async readManifest(descriptor: Descriptor, reference: string): Promise<RawManifest> {
    if (descriptor.size > MAX_MANIFEST_SIZE) throw new ManifestError(`${this.description}: manifest ${descriptor.digest} is larger than ${MAX_MANIFEST_SIZE} bytes`, 'MANIFEST_TOO_LARGE');
    const location = this.blobs.get(descriptor.digest);
    if (location === undefined) throw new NotFoundError(`${this.description}: manifest ${descriptor.digest} is missing from the archive`);
    const bytes = 'bytes' in location ? location.bytes : await this.readMember(location.entry, 'manifest');
    const actual = sha256Digest(bytes);
    if (actual !== descriptor.digest) throw new IntegrityError(`${this.description}: manifest blob ${descriptor.digest} has digest ${actual}`);
    const parsed = parseManifest(bytes, descriptor.mediaType, `${this.description}:${reference}`);
    return { mediaType: parsed.mediaType, digest: parsed.digest, bytes };
  }

  private openBlob(descriptor: Descriptor, start: number, options: Cancellable): Readable {
    this.checkOpen();
    const location = this.blobs.get(descriptor.digest);
    if (location === undefined) throw new NotFoundError(`${this.description}: blob ${descriptor.digest} is not in the archive`);
    let stream: Readable;
    if ('bytes' in location) {
      if (start < 0 || start > location.bytes.length) throw new ArchiveError(`${this.description}: offset ${start} is outside blob ${descriptor.digest}`);
      const rest = location.bytes.subarray(start);
      stream = Readable.from(rest.length === 0 ? [] : [rest]);
    } else {
      stream = openTarMember(this.handle, location.entry, start);
    }
    return options.signal ? addAbortSignal(options.signal, stream) : stream;
  }

  private readMember(entry: TarEntry, what: string): Promise<Buffer> {
    return readWhole(this.handle, entry, `${this.description}: ${what} ${entry.name}`);
  }

  private checkOpen(): void {
    if (this.closed) throw new FerryError('CLOSED', `${this.description} is closed`);
  }

  private readOnly(): FerryError {
    return new FerryError('READ_ONLY', `${this.description} is read-only: ferry writes archives only as new oci-archive files`, ExitCode.usage);
  }
}

async function readOciArchive(handle: FileHandle, tar: TarIndex, where: string): Promise<{ blobs: Map<string, BlobLocation>; manifests: Descriptor[] }> {
  const marker = await readWhole(handle, tar.resolve('oci-layout')!, `${where}: oci-layout`);
  const indexEntry = tar.resolve('index.json');
  const indexJson = indexEntry?.type === 'file' ? (await readWhole(handle, indexEntry, `${where}: index.json`)).toString('utf8') : undefined;
  const { manifests } = parseLayoutIndex(marker.toString('utf8'), indexJson, where);
  const blobs = new Map<string, BlobLocation>();
  for (const entry of tar.entries) {
    const match = BLOB_PATH_RE.exec(entry.name);
    if (!match) continue;
    const resolved = tar.resolve(entry.name);
    if (resolved?.type === 'file') blobs.set(`sha256:${match[1]}`, { entry: resolved });
  }
  return { blobs, manifests };
}

interface DockerManifestItem {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

async function readDockerArchive(handle: FileHandle, tar: TarIndex, where: string): Promise<{ blobs: Map<string, BlobLocation>; images: DockerArchiveImage[] }> {
  const raw = await readWhole(handle, tar.resolve('manifest.json')!, `${where}: manifest.json`);
  let items: unknown;
  try {
    items = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new ArchiveError(`${where}: manifest.json is not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(items)) throw new ArchiveError(`${where}: manifest.json is not a list of images`);
  const blobs = new Map<string, BlobLocation>();
  /** Digests by member offset, so a layer shared by several images is hashed once. */
  const hashed = new Map<number, { digest: string; gzip: boolean }>();
  const describe = async (member: string, what: string): Promise<{ entry: TarEntry; digest: string; gzip: boolean }> => {
    const entry = tar.resolve(member);
    if (entry?.type !== 'file') throw new ArchiveError(`${where}: manifest.json names ${what} "${member}", which is not a file in the archive`);
    let known = hashed.get(entry.offset);
    if (known === undefined) {
      const gzip = await startsWithGzip(handle, entry);
      // Docker 25+ archives name members by digest; a wrong name is caught when the blob is read.
      const named = BLOB_PATH_RE.exec(normalizeMember(member));
      known = { digest: named ? `sha256:${named[1]}` : await hashMember(handle, entry), gzip };
      hashed.set(entry.offset, known);
    }
    blobs.set(known.digest, { entry });
    return { entry, ...known };
  };

  const images: DockerArchiveImage[] = [];
  for (const [i, value] of items.entries()) {
    const item = value as Partial<DockerManifestItem> | null;
    if (item === null || typeof item !== 'object' || typeof item.Config !== 'string' || !Array.isArray(item.Layers) || item.Layers.some((l) => typeof l !== 'string')) {
      throw new ArchiveError(`${where}: manifest.json entry ${i} has no Config and Layers`);
    }
    const config = await describe(item.Config, 'config');
    const layers = [];
    for (const layer of item.Layers) layers.push(await describe(layer, 'layer'));
    // Field order and compact form as skopeo's docker-archive source serializes (Go structs).
    const document = {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, size: config.entry.size, digest: config.digest },
      layers: layers.map((l) => ({ mediaType: l.gzip ? MediaType.dockerLayerGzip : MediaType.dockerLayerTar, size: l.entry.size, digest: l.digest })),
    };
    const bytes = Buffer.from(JSON.stringify(document), 'utf8');
    const manifest: RawManifest = { mediaType: MediaType.dockerManifest, digest: sha256Digest(bytes), bytes };
    blobs.set(manifest.digest, { bytes });
    const repoTags = Array.isArray(item.RepoTags) ? item.RepoTags.filter((t): t is string => typeof t === 'string') : [];
    images.push({ repoTags, manifest });
  }
  return { blobs, images };
}

function normalizeMember(name: string): string {
  return path.posix.normalize(name).replace(/^\.\//, '');
}

/** A reference's normalized form for comparison, or undefined when it is not a valid one. */
function normalizeTag(reference: string): string | undefined {
  try {
    return normalizeReference(reference);
  } catch {
    return undefined;
  }
}

async function startsWithGzip(handle: FileHandle, entry: TarEntry): Promise<boolean> {
  if (entry.size < 2) return false;
  const head = Buffer.alloc(2);
  await handle.read(head, 0, 2, entry.offset);
  return head[0] === 0x1f && head[1] === 0x8b;
}

async function hashMember(handle: FileHandle, entry: TarEntry): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of openTarMember(handle, entry)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

async function readWhole(handle: FileHandle, entry: TarEntry, what: string): Promise<Buffer> {
  if (entry.type !== 'file') throw new ArchiveError(`${what} is not a file`);
  if (entry.size > MAX_METADATA_SIZE) throw new ArchiveError(`${what} is ${entry.size} bytes, more than the ${MAX_METADATA_SIZE}-byte limit`);
  const buffer = Buffer.alloc(entry.size);
  let done = 0;
  while (done < entry.size) {
    const { bytesRead } = await handle.read(buffer, done, entry.size - done, entry.offset + done);
    if (bytesRead === 0) throw new ArchiveError(`${what}: archive ended early`);
    done += bytesRead;
  }
  return buffer;
}
