/**
 * Answers the requests of a read-only OCI distribution registry from a ServedArchive: manifests by
 * tag or digest (the exact stored bytes, checked against their digest before they are sent), blobs
 * streamed from the archive and verified as they go (./blob-streams.ts), `Range`, tag lists and the
 * catalog with `n`/`last` pagination. A repository serves only what its own images reach. Every
 * write method is refused with 405 UNSUPPORTED. Nothing is ever written.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { Descriptor } from '../../oci/descriptor.js';
import { IntegrityError, isDigest } from '../../oci/digest.js';
import { HoldLastChunk, firstBytes } from './blob-streams.js';
import { parseByteRange } from './byte-range.js';
import { DistributionError, blobUnknown, manifestUnknown, nameUnknown } from './distribution-error.js';
import { nextLink, paginate } from './pagination.js';
import { matchRoute } from './registry-routes.js';
import type { ServedArchive, ServedRepository } from './served-archive.js';
import { VerifiedBlobs } from './verified-blobs.js';

export const API_VERSION_HEADER = 'Docker-Distribution-API-Version';
export const API_VERSION = 'registry/2.0';
const JSON_TYPE = 'application/json; charset=utf-8';

/** A blob or manifest of the archive found not to match its digest while being served. */
export interface DamageEvent {
  kind: 'damaged';
  repository: string;
  digest: string;
  message: string;
}

/** What the handler reports besides its responses. */
export interface HandlerEvents {
  onDamage?: (event: DamageEvent) => void;
  /** A request that failed on the server's side (answered 500, or its connection cut). */
  onFailure?: (res: ServerResponse, message: string) => void;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function createRegistryHandler(served: ServedArchive, events: HandlerEvents = {}): RequestHandler {
  const verified = new VerifiedBlobs(served.store);

  const damaged = (repository: string, digest: string, err: IntegrityError): DistributionError => {
    events.onDamage?.({ kind: 'damaged', repository, digest, message: err.message });
    return new DistributionError(500, 'UNKNOWN', `${digest} is damaged in the archive: ${err.message}`, { digest });
  };

  const repositoryOf = (name: string): ServedRepository => {
    const repository = served.repositories.get(name);
    if (repository === undefined) throw nameUnknown(name);
    return repository;
  };

  const manifest = async (req: IncomingMessage, res: ServerResponse, name: string, reference: string): Promise<void> => {
    const repository = repositoryOf(name);
    const descriptor = isDigest(reference) ? repository.manifests.get(reference) : repository.tags.get(reference);
    if (descriptor === undefined) throw manifestUnknown(name, reference);
    const headers: OutgoingHttpHeaders = {
      'Content-Type': descriptor.mediaType,
      'Content-Length': descriptor.size,
      'Docker-Content-Digest': descriptor.digest,
      ETag: `"${descriptor.digest}"`,
    };
    if (req.method === 'HEAD') {
      res.writeHead(200, headers).end();
      return;
    }
    let bytes: Buffer;
    try {
      bytes = (await served.store.getManifest('', descriptor.digest)).bytes;
    } catch (err) {
      if (err instanceof IntegrityError) throw damaged(name, descriptor.digest, err);
      throw err;
    }
    res.writeHead(200, { ...headers, 'Content-Length': bytes.length }).end(bytes);
  };

  const blob = async (req: IncomingMessage, res: ServerResponse, name: string, digest: string): Promise<void> => {
    const repository = repositoryOf(name);
    if (!isDigest(digest)) throw new DistributionError(400, 'DIGEST_INVALID', `invalid digest "${digest}": this registry serves sha256 digests`, { digest });
    const descriptor = repository.blobs.get(digest);
    if (descriptor === undefined) throw blobUnknown(name, digest);
    const known = verified.damage(digest);
    if (known) throw damaged(name, digest, known);
    const headers: OutgoingHttpHeaders = {
      'Content-Type': 'application/octet-stream',
      'Docker-Content-Digest': digest,
      'Accept-Ranges': 'bytes',
      ETag: `"${digest}"`,
      'Cache-Control': 'max-age=31536000',
    };
    if (req.method === 'HEAD') {
      res.writeHead(200, { ...headers, 'Content-Length': descriptor.size }).end();
      return;
    }
    const range = parseByteRange(req.headers.range, descriptor.size);
    if (range.kind === 'unsatisfiable') {
      throw new DistributionError(416, 'RANGE_INVALID', `invalid range "${req.headers.range}" for a blob of ${descriptor.size} bytes`, { size: descriptor.size });
    }
    if (range.kind === 'whole' || (range.start === 0 && range.end === descriptor.size - 1)) {
      await sendWhole(res, name, descriptor, range.kind === 'whole' ? headers : { ...headers, 'Content-Range': `bytes 0-${descriptor.size - 1}/${descriptor.size}` });
      return;
    }
    try {
      await verified.ensure(descriptor);
    } catch (err) {
      if (err instanceof IntegrityError) throw damaged(name, digest, err);
      throw err;
    }
    const length = range.end - range.start + 1;
    const slice = firstBytes(await served.store.getBlobFrom('', descriptor, range.start), length, `blob ${digest}`);
    res.writeHead(206, { ...headers, 'Content-Length': length, 'Content-Range': `bytes ${range.start}-${range.end}/${descriptor.size}` });
    pipeline(slice, res, (err) => {
      if (err && !res.writableFinished && !isClientGone(err)) events.onFailure?.(res, err.message);
    });
  };

  /** Streams the whole blob, verified; a mismatch found at its end destroys the connection before the last bytes go out. */
  const sendWhole = async (res: ServerResponse, name: string, descriptor: Descriptor, headers: OutgoingHttpHeaders): Promise<void> => {
    const stream = await served.store.getBlob('', descriptor);
    res.writeHead(headers['Content-Range'] === undefined ? 200 : 206, { ...headers, 'Content-Length': descriptor.size });
    pipeline(stream, new HoldLastChunk(), res, (err) => {
      if (err === undefined || err === null) {
        verified.record(descriptor.digest, undefined);
        return;
      }
      if (err instanceof IntegrityError) {
        verified.record(descriptor.digest, err);
        events.onDamage?.({ kind: 'damaged', repository: name, digest: descriptor.digest, message: err.message });
        events.onFailure?.(res, err.message);
      }
      res.destroy(); // pipeline has done so already: the client never sees the response complete
    });
  };

  return async (req, res) => {
    res.setHeader(API_VERSION_HEADER, API_VERSION);
    try {
      const url = new URL(req.url ?? '/', 'http://registry.invalid');
      if (!url.pathname.startsWith('/v2')) throw new DistributionError(404, 'UNSUPPORTED', `${url.pathname} is not part of the registry API (/v2/)`);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        throw new DistributionError(405, 'UNSUPPORTED', `${req.method} is not supported: this registry serves an archive read-only`);
      }
      const route = matchRoute(url.pathname);
      switch (route?.kind) {
        case 'ping':
          return sendJson(res, 200, {});
        case 'catalog': {
          const page = paginate(served.repositoryNames, url.searchParams);
          const link = nextLink('/v2/_catalog', page);
          if (link) res.setHeader('Link', link);
          return sendJson(res, 200, { repositories: page.items });
        }
        case 'tags': {
          const repository = repositoryOf(route.name);
          const page = paginate([...repository.tags.keys()], url.searchParams);
          const link = nextLink(`/v2/${route.name}/tags/list`, page);
          if (link) res.setHeader('Link', link);
          return sendJson(res, 200, { name: route.name, tags: page.items });
        }
        case 'manifest':
          return await manifest(req, res, route.name, route.reference);
        case 'blob':
          return await blob(req, res, route.name, route.digest);
        default:
          throw new DistributionError(404, 'UNSUPPORTED', `no such endpoint: ${url.pathname}`);
      }
    } catch (err) {
      const error = err instanceof DistributionError ? err : new DistributionError(500, 'UNKNOWN', (err as Error).message ?? String(err));
      if (error.status >= 500) events.onFailure?.(res, error.message);
      if (res.headersSent) res.destroy();
      else sendJson(res, error.status, error.toJSON());
    }
  };
}

/** The client closed the connection (not a failure of the server). */
function isClientGone(err: NodeJS.ErrnoException): boolean {
  return err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.code === 'ECONNRESET' || err.code === 'EPIPE';
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  res.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': body.length }).end(body);
}
