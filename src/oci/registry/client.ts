/**
 * The registry client's request pipeline, one concern per step: choose the scheme once (ping),
 * attach authorization for the scopes a request needs (asking for a fresh token on a 401), retry
 * replayable requests on 408/429/5xx and dropped connections with backoff, and follow redirects
 * without carrying credentials to another host.
 */
import { FerryError } from '../../errors.js';
import { Authenticator, isLoopbackHost } from './auth.js';
import { lookupCredentials, type CredentialOptions } from './credentials.js';
import { connectionError, registryError } from './errors.js';
import { HttpTransport, drain, header, readBody, readCaFile, type HttpResponse } from './http.js';
import { MAX_ATTEMPTS, backoffDelay, isRetryableError, isRetryableStatus, sleep } from './retry.js';
import type { Readable } from 'node:stream';

export interface RegistryOptions {
  /** Verify TLS certificates (default true); false also allows falling back to plain HTTP, as skopeo does. */
  tlsVerify?: boolean;
  /** A PEM file of CA certificates trusted in addition to the system roots. */
  caFile?: string;
  /** Speak plain HTTP to this registry. Loopback registries may answer plain HTTP without it. */
  plainHttp?: boolean;
  credentials?: CredentialOptions;
  /** Connections per registry. */
  maxSockets?: number;
  /** Blobs above this size are uploaded in chunks of this size (POST/PATCH/PUT); default 64 MiB. */
  chunkSize?: number;
  /** Attempts per request before giving up (default 6). */
  maxAttempts?: number;
}

export interface RegistryRequest {
  method: string;
  /** A path below the registry root (`/v2/...`) or an absolute URL (an upload Location). */
  path: string | URL;
  headers?: Record<string, string>;
  /** A Buffer is replayed on retry; a stream is sent once (the caller retries). */
  body?: Buffer | Readable;
  scopes: string[];
  /** What is being done, for messages: "pull manifest quay.io/x:1". */
  what: string;
  signal?: AbortSignal;
}

const MAX_REDIRECTS = 5;
const ERROR_BODY_LIMIT = 64 * 1024;

export class RegistryClient {
  readonly http: HttpTransport;
  readonly auth: Authenticator;
  readonly maxAttempts: number;
  private base: Promise<URL> | undefined;

  constructor(
    readonly host: string,
    readonly options: RegistryOptions = {},
  ) {
    const ca = options.caFile ? readCaFile(options.caFile) : undefined;
    this.http = new HttpTransport({ verify: options.tlsVerify ?? true, ...(ca ? { ca } : {}) }, options.maxSockets ?? 32);
    this.auth = new Authenticator(host, lookupCredentials(host, undefined, options.credentials ?? {}), this.http);
    this.maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
  }

  /** The registry's base URL, found by pinging `/v2/` once. */
  baseUrl(signal?: AbortSignal): Promise<URL> {
    this.base ??= this.ping(signal);
    this.base.catch(() => (this.base = undefined));
    return this.base;
  }

  async url(path: string | URL, signal?: AbortSignal): Promise<URL> {
    return new URL(path, await this.baseUrl(signal));
  }

  /**
   * Sends a request through auth and retry. Returns any final response (the caller checks the
   * status); throws on network failure after retries.
   */
  async request(req: RegistryRequest): Promise<HttpResponse> {
    let url = await this.url(req.path, req.signal);
    const replayable = req.body === undefined || Buffer.isBuffer(req.body);
    let authRetried = false;
    let redirects = 0;
    for (let attempt = 0; ; attempt++) {
      const sameHost = url.host === (await this.baseUrl()).host;
      const headers: Record<string, string> = { ...req.headers };
      if (sameHost) {
        const authorization = await this.auth.authorization(req.scopes, req.signal);
        if (authorization) headers.Authorization = authorization;
      }
      let res: HttpResponse;
      try {
        res = await this.http.send({ method: req.method, url, headers, ...(req.body ? { body: req.body } : {}), ...(req.signal ? { signal: req.signal } : {}) });
      } catch (err) {
        if (req.signal?.aborted) throw req.signal.reason;
        if (replayable && isRetryableError(err) && attempt + 1 < this.maxAttempts) {
          await sleep(backoffDelay(attempt), req.signal);
          continue;
        }
        throw connectionError(err, url.host, req.what);
      }
      if (res.status === 401 && sameHost && !authRetried && replayable) {
        // A first 401, or a cached token that expired or lacks the scope: take the new challenge.
        authRetried = true;
        this.auth.setChallenge(header(res.headers, 'www-authenticate'));
        this.auth.invalidate(req.scopes);
        await drain(res.body);
        attempt--;
        continue;
      }
      if (replayable && isRetryableStatus(res.status) && attempt + 1 < this.maxAttempts) {
        const retryAfter = header(res.headers, 'retry-after');
        await drain(res.body);
        await sleep(backoffDelay(attempt, retryAfter), req.signal);
        continue;
      }
      if ([301, 302, 303, 307, 308].includes(res.status) && (req.method === 'GET' || req.method === 'HEAD')) {
        const location = header(res.headers, 'location');
        await drain(res.body);
        if (!location || ++redirects > MAX_REDIRECTS) throw registryError(res.status, '', req.method, url, `${req.what}: too many or empty redirects`);
        // Blob storage redirects (S3, CDN): followed, but Authorization stays with the registry host.
        url = new URL(location, url);
        attempt--;
        continue;
      }
      return res;
    }
  }

  /** Reads the body of an unexpected response and throws the matching RegistryError. */
  async fail(res: HttpResponse, method: string, what: string): Promise<never> {
    const body = await readBody(res.body, ERROR_BODY_LIMIT).catch(() => Buffer.alloc(0));
    throw registryError(res.status, body.toString('utf8'), method, res.url, what);
  }

  close(): void {
    this.http.close();
  }

  private async ping(signal?: AbortSignal): Promise<URL> {
    const loopback = isLoopbackHost(this.host.replace(/:\d+$/, ''));
    const schemes = this.options.plainHttp ? ['http'] : this.options.tlsVerify === false || loopback ? ['https', 'http'] : ['https'];
    let lastError: unknown;
    for (const scheme of schemes) {
      const base = new URL(`${scheme}://${this.host}/`);
      for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
        try {
          const res = await this.http.send({ method: 'GET', url: new URL('/v2/', base), ...(signal ? { signal } : {}) });
          await drain(res.body);
          if (isRetryableStatus(res.status) && attempt + 1 < this.maxAttempts) {
            await sleep(backoffDelay(attempt, header(res.headers, 'retry-after')), signal);
            continue;
          }
          if (res.status === 401) this.auth.setChallenge(header(res.headers, 'www-authenticate'));
          else if (res.status !== 200) throw registryError(res.status, '', 'GET', new URL('/v2/', base), `${this.host} is not an OCI registry (GET /v2/ answered ${res.status})`);
          return base;
        } catch (err) {
          if (signal?.aborted) throw signal.reason;
          lastError = err;
          if (err instanceof FerryError) throw err;
          if (scheme === 'https' && schemes.length > 1 && speaksPlainHttp(err)) break;
          if (isRetryableError(err) && attempt + 1 < this.maxAttempts) {
            await sleep(backoffDelay(attempt), signal);
            continue;
          }
          throw connectionError(err, this.host, `connect to ${this.host}`);
        }
      }
    }
    throw connectionError(lastError, this.host, `connect to ${this.host}`);
  }
}

/** The TLS handshake met a plain-HTTP server. */
function speaksPlainHttp(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  return e?.code === 'EPROTO' || /wrong version number|packet length too long|http request/i.test(e?.message ?? '');
}
