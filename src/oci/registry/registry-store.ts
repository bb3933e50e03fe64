/**
 * A registry (the OCI distribution API) as an ImageStore. One store per registry host; the
 * repository is the path inside it. Reads ask for `pull` on one repository; a store opened for
 * writing asks for `pull,push`; a mount also asks `pull` on the repository it mounts from.
 */
import type { Readable } from 'node:stream';
import { IntegrityError, isDigest, sha256Digest, verified } from '../digest.js';
import type { Descriptor } from '../descriptor.js';
import { MAX_MANIFEST_SIZE, ManifestError, parseManifest, type RawManifest } from '../manifest.js';
import { MANIFEST_ACCEPT } from '../media-types.js';
import type { BlobMounter, BlobSource, Cancellable, Closable, ImageStore, PutManifestOptions } from '../store.js';
import { repositoryScope } from './auth.js';
import { RegistryClient, type RegistryOptions } from './client.js';
import { resumableDownload } from './download.js';
import { drain, header, readBody } from './http.js';
import { DEFAULT_CHUNK_SIZE, startUpload, uploadBlob, type UploadTarget } from './upload.js';

export interface RegistryStoreOptions extends RegistryOptions {
  /** Ask for push access as well as pull (a destination). */
  write?: boolean;
}

export class RegistryStore implements ImageStore, BlobMounter, Closable {
  readonly description: string;
  readonly key: string;
  readonly client: RegistryClient;
  private readonly actions: 'pull' | 'pull,push';
  private readonly chunkSize: number;

  constructor(
    readonly host: string,
    options: RegistryStoreOptions = {},
  ) {
    this.description = `docker://${host}`;
    this.key = `docker://${host}`;
    this.client = new RegistryClient(host, options);
    this.actions = options.write ? 'pull,push' : 'pull';
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  }

  async getManifest(repository: string, reference: string, options: Cancellable = {}): Promise<RawManifest> {
    const what = `pull manifest ${this.name(repository, reference)}`;
    const res = await this.client.request({ method: 'GET', path: manifestPath(repository, reference), headers: { Accept: MANIFEST_ACCEPT }, scopes: this.scopes(repository), what, ...sig(options) });
    if (res.status !== 200) return this.client.fail(res, 'GET', what);
    const declaredLength = Number(header(res.headers, 'content-length') ?? '0');
    if (declaredLength > MAX_MANIFEST_SIZE) {
      res.body.destroy();
      throw new ManifestError(`${this.name(repository, reference)}: manifest is ${declaredLength} bytes, more than the ${MAX_MANIFEST_SIZE}-byte limit`, 'MANIFEST_TOO_LARGE');
    }
    const bytes = await readBody(res.body, MAX_MANIFEST_SIZE).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ETOOBIG') throw new ManifestError(`${this.name(repository, reference)}: manifest is more than ${MAX_MANIFEST_SIZE} bytes`, 'MANIFEST_TOO_LARGE');
      throw err;
    });
    const digest = sha256Digest(bytes);
    if (isDigest(reference) && digest !== reference) throw new IntegrityError(`${this.name(repository, reference)}: the registry served a manifest whose digest is ${digest}`);
    const served = header(res.headers, 'docker-content-digest');
    if (served !== undefined && served.startsWith('sha256:') && served !== digest) {
      throw new IntegrityError(`${this.name(repository, reference)}: manifest bytes hash to ${digest} but the registry says ${served}`);
    }
    const parsed = parseManifest(bytes, header(res.headers, 'content-type'), this.name(repository, reference));
    return { mediaType: parsed.mediaType, digest, bytes };
  }

  async headManifest(repository: string, reference: string, options: Cancellable = {}): Promise<Descriptor | undefined> {
    const what = `check manifest ${this.name(repository, reference)}`;
    const res = await this.client.request({ method: 'HEAD', path: manifestPath(repository, reference), headers: { Accept: MANIFEST_ACCEPT }, scopes: this.scopes(repository), what, ...sig(options) });
    await drain(res.body);
    if (res.status === 404) return undefined;
    if (res.status !== 200) return this.client.fail(res, 'HEAD', what);
    const digest = header(res.headers, 'docker-content-digest');
    const size = Number(header(res.headers, 'content-length'));
    const mediaType = header(res.headers, 'content-type')?.split(';')[0]?.trim();
    if (digest === undefined || !isDigest(digest) || !Number.isSafeInteger(size) || !mediaType) {
      // Some registries omit the digest on HEAD: fall back to GET and hash.
      const m = await this.getManifest(repository, reference, options);
      return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
    }
    return { mediaType, digest, size };
  }

  async putManifest(repository: string, manifest: RawManifest, options: PutManifestOptions = {}): Promise<void> {
    const reference = options.tag ?? manifest.digest;
    const what = `push manifest ${this.name(repository, reference)}`;
    const res = await this.client.request({
      method: 'PUT',
      path: manifestPath(repository, reference),
      headers: { 'Content-Type': manifest.mediaType },
      body: manifest.bytes,
      scopes: this.scopes(repository, true),
      what,
      ...sig(options),
    });
    if (res.status !== 201 && res.status !== 200) return this.client.fail(res, 'PUT', what);
    const stored = header(res.headers, 'docker-content-digest');
    await drain(res.body);
    if (stored !== undefined && stored !== manifest.digest) throw new IntegrityError(`${what}: the registry stored ${stored}, expected ${manifest.digest}`);
  }

  async hasBlob(repository: string, descriptor: Descriptor, options: Cancellable = {}): Promise<boolean> {
    const what = `check blob ${descriptor.digest} in ${this.name(repository)}`;
    const res = await this.client.request({ method: 'HEAD', path: `/v2/${repository}/blobs/${descriptor.digest}`, scopes: this.scopes(repository), what, ...sig(options) });
    await drain(res.body);
    if (res.status === 404) return false;
    if (res.status !== 200) return this.client.fail(res, 'HEAD', what);
    const size = header(res.headers, 'content-length');
    return size === undefined || Number(size) === descriptor.size;
  }

  async getBlob(repository: string, descriptor: Descriptor, options: Cancellable = {}): Promise<Readable> {
    const stream = await this.download(repository, descriptor, 0, options);
    return verified(stream, { digest: descriptor.digest, size: descriptor.size, source: this.name(repository) });
  }

  async getBlobFrom(repository: string, descriptor: Descriptor, start: number, options: Cancellable = {}): Promise<Readable> {
    return this.download(repository, descriptor, start, options);
  }

  async putBlob(repository: string, descriptor: Descriptor, source: BlobSource, options: Cancellable = {}): Promise<void> {
    await uploadBlob(this.uploadTarget(repository, `push blob ${descriptor.digest} to ${this.name(repository)}`, options), descriptor, source);
  }

  async mountBlob(repository: string, descriptor: Descriptor, fromRepository: string, options: Cancellable = {}): Promise<boolean> {
    const target = this.uploadTarget(repository, `mount blob ${descriptor.digest} from ${fromRepository} into ${this.name(repository)}`, options);
    target.scopes = [repositoryScope(repository, 'pull,push'), repositoryScope(fromRepository, 'pull')];
    const query = `?mount=${encodeURIComponent(descriptor.digest)}&from=${encodeURIComponent(fromRepository)}`;
    const { res, location } = await startUpload(target, query);
    await drain(res.body);
    if (res.status === 201) return true;
    if (res.status === 202 && location) {
      // Not mounted: the registry opened an upload session instead. Close it; the caller streams.
      await this.client.request({ method: 'DELETE', path: location, scopes: target.scopes, what: target.what, ...sig(options) }).then((r) => drain(r.body)).catch(() => undefined);
      return false;
    }
    if (res.status === 401 || res.status === 403 || res.status === 404) return false;
    return this.client.fail(res, 'POST', target.what);
  }

  async listTags(repository: string, options: Cancellable = {}): Promise<string[]> {
    const tags: string[] = [];
    let path: string | URL = `/v2/${repository}/tags/list?n=1000`;
    const what = `list tags of ${this.name(repository)}`;
    for (let page = 0; page < 10_000; page++) {
      const res = await this.client.request({ method: 'GET', path, scopes: this.scopes(repository), what, ...sig(options) });
      if (res.status !== 200) return this.client.fail(res, 'GET', what);
      const doc = JSON.parse((await readBody(res.body, 16 * 1024 * 1024)).toString('utf8')) as { tags?: string[] | null };
      tags.push(...(doc.tags ?? []));
      const link = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header(res.headers, 'link') ?? '');
      if (!link) break;
      path = new URL(link[1]!, res.url);
    }
    return tags;
  }

  async close(): Promise<void> {
    this.client.close();
  }

  private async download(repository: string, descriptor: Descriptor, start: number, options: Cancellable): Promise<Readable> {
    const what = `pull blob ${descriptor.digest} from ${this.name(repository)}`;
    const path = `/v2/${repository}/blobs/${descriptor.digest}`;
    const scopes = this.scopes(repository);
    const open = (offset: number) =>
      this.client.request({ method: 'GET', path, headers: offset > 0 ? { Range: `bytes=${offset}-` } : {}, scopes, what, ...sig(options) });
    // Fail fast (not-found, auth) before handing out a stream.
    const first = await open(start);
    if (first.status !== 200 && first.status !== 206) await this.client.fail(first, 'GET', what);
    let opened = false;
    return resumableDownload({
      open: (offset) => {
        if (!opened && offset === start) {
          opened = true;
          return Promise.resolve(first);
        }
        return open(offset);
      },
      fail: (res) => this.client.fail(res, 'GET', what),
      size: descriptor.size,
      start,
      maxAttempts: this.client.maxAttempts,
      what,
      ...sig(options),
    });
  }

  private uploadTarget(repository: string, what: string, options: Cancellable): UploadTarget {
    return { client: this.client, repository, scopes: this.scopes(repository, true), what, chunkSize: this.chunkSize, ...sig(options) };
  }

  private scopes(repository: string, write = false): string[] {
    return [repositoryScope(repository, write ? 'pull,push' : this.actions)];
  }

  private name(repository: string, reference?: string): string {
    if (reference === undefined) return `${this.host}/${repository}`;
    return `${this.host}/${repository}${isDigest(reference) ? '@' : ':'}${reference}`;
  }
}

function manifestPath(repository: string, reference: string): string {
  return `/v2/${repository}/manifests/${reference}`;
}

function sig(options: Cancellable): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}
