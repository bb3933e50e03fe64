/**
 * Blob upload. Small blobs: POST, then one PUT with the body (monolithic). Large blobs: POST, then
 * PATCH chunks with Content-Range, then PUT ?digest=. When a chunk fails, `GET <Location>` tells how
 * much the registry holds and the upload goes on from there; a registry that dropped the session
 * gets a new one. The registry verifies the digest at the final PUT; a whole-blob source stream
 * verifies it too as it ends.
 */
import { Readable } from 'node:stream';
import { ExitCode, FerryError } from '../../errors.js';
import type { Descriptor } from '../descriptor.js';
import type { BlobSource } from '../store.js';
import type { RegistryClient } from './client.js';
import { connectionError } from './errors.js';
import { drain, header, type HttpResponse } from './http.js';
import { backoffDelay, isRetryableError, isRetryableStatus, sleep } from './retry.js';

export const DEFAULT_CHUNK_SIZE = 64 * 1024 * 1024;

export interface UploadTarget {
  client: RegistryClient;
  repository: string;
  scopes: string[];
  what: string;
  chunkSize: number;
  signal?: AbortSignal;
}

export async function uploadBlob(t: UploadTarget, descriptor: Descriptor, source: BlobSource): Promise<void> {
  if (descriptor.size <= t.chunkSize) await uploadMonolithic(t, descriptor, source);
  else await uploadChunked(t, descriptor, source);
}

/** POST /v2/<name>/blobs/uploads/ → the session's Location. */
export async function startUpload(t: UploadTarget, query = ''): Promise<{ res: HttpResponse; location?: URL }> {
  const res = await t.client.request({ method: 'POST', path: `/v2/${t.repository}/blobs/uploads/${query}`, headers: { 'Content-Length': '0' }, body: Buffer.alloc(0), scopes: t.scopes, what: t.what, ...signal(t) });
  const location = header(res.headers, 'location');
  return { res, ...(location ? { location: new URL(location, res.url) } : {}) };
}

async function newSession(t: UploadTarget): Promise<URL> {
  const { res, location } = await startUpload(t);
  if (res.status !== 202 || location === undefined) return t.client.fail(res, 'POST', t.what);
  await drain(res.body);
  return location;
}

async function uploadMonolithic(t: UploadTarget, d: Descriptor, source: BlobSource): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const location = await newSession(t);
    const body = await source.open(0);
    let res: HttpResponse;
    try {
      res = await t.client.request({ method: 'PUT', path: withDigest(location, d.digest), headers: octetStream(d.size), body, scopes: t.scopes, what: t.what, ...signal(t) });
    } catch (err) {
      body.destroy();
      if (t.signal?.aborted) throw t.signal.reason;
      if (isRetryableError(rootCause(err)) && attempt + 1 < t.client.maxAttempts) {
        await sleep(backoffDelay(attempt), t.signal);
        continue;
      }
      throw connectionError(err, t.client.host, t.what);
    }
    if (res.status === 201) return finished(t, res, d);
    if (isRetryableStatus(res.status) && attempt + 1 < t.client.maxAttempts) {
      await drain(res.body);
      await sleep(backoffDelay(attempt, header(res.headers, 'retry-after')), t.signal);
      continue;
    }
    return t.client.fail(res, 'PUT', t.what);
  }
}

async function uploadChunked(t: UploadTarget, d: Descriptor, source: BlobSource): Promise<void> {
  const cursor = new SourceCursor(source);
  let location = await newSession(t);
  let offset = 0;
  let failures = 0;
  try {
    while (offset < d.size) {
      const length = Math.min(t.chunkSize, d.size - offset);
      await cursor.seek(offset);
      let res: HttpResponse | undefined;
      try {
        res = await t.client.request({
          method: 'PATCH',
          path: location,
          headers: { ...octetStream(length), 'Content-Range': `${offset}-${offset + length - 1}` },
          body: Readable.from(cursor.take(length)),
          scopes: t.scopes,
          what: t.what,
          ...signal(t),
        });
      } catch (err) {
        if (t.signal?.aborted) throw t.signal.reason;
        if (!isRetryableError(rootCause(err)) || ++failures >= t.client.maxAttempts) throw connectionError(err, t.client.host, t.what);
      }
      if (res?.status === 202) {
        const next = header(res.headers, 'location');
        if (next) location = new URL(next, res.url);
        offset = rangeEnd(header(res.headers, 'range')) ?? offset + length;
        await drain(res.body);
        failures = 0;
        continue;
      }
      if (res !== undefined) {
        if (!isRetryableStatus(res.status) && res.status !== 416) return await t.client.fail(res, 'PATCH', t.what);
        if (++failures >= t.client.maxAttempts) return await t.client.fail(res, 'PATCH', t.what);
        await drain(res.body);
      }
      cursor.invalidate();
      await sleep(backoffDelay(failures - 1, res ? header(res.headers, 'retry-after') : undefined), t.signal);
      ({ location, offset } = await recover(t, location));
    }
    await cursor.finish();
  } finally {
    cursor.close();
  }
  const res = await t.client.request({ method: 'PUT', path: withDigest(location, d.digest), headers: octetStream(0), body: Buffer.alloc(0), scopes: t.scopes, what: t.what, ...signal(t) });
  if (res.status !== 201) return t.client.fail(res, 'PUT', t.what);
  await finished(t, res, d);
}

/** After a failed chunk: how much does the registry hold? A lost or invalid session starts over. */
async function recover(t: UploadTarget, location: URL): Promise<{ location: URL; offset: number }> {
  const res = await t.client.request({ method: 'GET', path: location, scopes: t.scopes, what: t.what, ...signal(t) });
  if (res.status === 204) {
    const next = header(res.headers, 'location');
    await drain(res.body);
    return { location: next ? new URL(next, res.url) : location, offset: rangeEnd(header(res.headers, 'range')) ?? 0 };
  }
  await drain(res.body);
  if (res.status === 404 || res.status === 400 || res.status === 416) return { location: await newSession(t), offset: 0 };
  return t.client.fail(res, 'GET', t.what);
}

/**
 * `Range: 0-N` → N + 1 bytes held. distribution writes `0-0` for an empty upload (and for one
 * byte); ferry reads it as empty, and a one-byte holding then fails the next PATCH and restarts.
 */
function rangeEnd(value: string | undefined): number | undefined {
  const m = /^(?:bytes=)?0-(\d+)$/.exec(value?.trim() ?? '');
  if (!m) return undefined;
  const end = Number(m[1]);
  return end === 0 ? 0 : end + 1;
}

async function finished(t: UploadTarget, res: HttpResponse, d: Descriptor): Promise<void> {
  const digest = header(res.headers, 'docker-content-digest');
  await drain(res.body);
  if (digest && digest !== d.digest) throw new FerryError('INTEGRITY', `${t.what}: the registry stored ${digest}, expected ${d.digest}`, ExitCode.integrity);
}

function withDigest(location: URL, digest: string): URL {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url;
}

function octetStream(length: number): Record<string, string> {
  return { 'Content-Type': 'application/octet-stream', 'Content-Length': String(length) };
}

function signal(t: UploadTarget): { signal?: AbortSignal } {
  return t.signal ? { signal: t.signal } : {};
}

function rootCause(err: unknown): unknown {
  return (err as { cause?: unknown })?.cause ?? err;
}

/** Reads a source sequentially in slices, reopening it at an offset when an upload must go back. */
class SourceCursor {
  private stream: Readable | undefined;
  private iterator: AsyncIterator<Buffer> | undefined;
  private leftover: Buffer | undefined;
  private position = 0;

  constructor(private readonly source: BlobSource) {}

  async seek(offset: number): Promise<void> {
    if (this.stream !== undefined && this.position === offset) return;
    this.close();
    this.stream = await this.source.open(offset);
    this.iterator = this.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.position = offset;
  }

  async *take(length: number): AsyncGenerator<Buffer> {
    let remaining = length;
    while (remaining > 0) {
      let chunk = this.leftover;
      this.leftover = undefined;
      if (chunk === undefined) {
        const next = await this.iterator!.next();
        if (next.done) throw new FerryError('INTEGRITY', `blob source ended ${remaining} bytes early`, ExitCode.integrity);
        chunk = next.value;
      }
      if (chunk.length > remaining) {
        this.leftover = chunk.subarray(remaining);
        chunk = chunk.subarray(0, remaining);
      }
      remaining -= chunk.length;
      this.position += chunk.length;
      yield chunk;
    }
  }

  /** Reads to the source's end so a verifying source checks size and digest. */
  async finish(): Promise<void> {
    if (this.leftover !== undefined && this.leftover.length > 0) throw new FerryError('INTEGRITY', 'blob source is longer than its declared size', ExitCode.integrity);
    const next = await this.iterator?.next();
    if (next !== undefined && !next.done) throw new FerryError('INTEGRITY', 'blob source is longer than its declared size', ExitCode.integrity);
  }

  invalidate(): void {
    this.close();
  }

  close(): void {
    this.stream?.destroy();
    this.stream = undefined;
    this.iterator = undefined;
    this.leftover = undefined;
  }
}
