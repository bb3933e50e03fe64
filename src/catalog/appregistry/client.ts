/**
 * The HTTP side of the App Registry protocol: GETs with the token sent verbatim as `Authorization`,
 * redirects followed (the token is dropped when one leaves the endpoint's origin), 408/429/5xx and
 * dropped connections retried with backoff, and blobs streamed to a file through a VerifyingStream so
 * a blob whose bytes do not match its digest never ends well. Reuses ferry's registry HTTP layer.
 */
import { createWriteStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ExitCode, FerryError } from '../../errors.js';
import { VerifyingStream, type Expected } from '../../oci/digest.js';
import { resumableDownload } from '../../oci/registry/download.js';
import { connectionError, redactUrl } from '../../oci/registry/errors.js';
import { drain, header, HttpTransport, readBody, readCaFile, type HttpResponse } from '../../oci/registry/http.js';
import { backoffDelay, isRetryableError, isRetryableStatus, MAX_ATTEMPTS, sleep } from '../../oci/registry/retry.js';
import { scrubSecret, statusError } from './errors.js';

export interface AppRegistryClientOptions {
  endpoint: URL;
  authToken?: string;
  tlsVerify?: boolean;
  caFile?: string;
  maxAttempts?: number;
  signal?: AbortSignal;
  onRetry?: (event: { what: string; attempt: number; delayMs: number; reason: string }) => void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/** Namespace listings of thousands of operators stay far below this. */
const MAX_JSON_BYTES = 32 * 1024 * 1024;
const MAX_ERROR_BODY = 64 * 1024;
const PROGRESS_STEP = 1024 * 1024;

export class AppRegistryClient {
  /** The endpoint as printed in messages (no user info, no query). */
  readonly endpointLabel: string;
  private readonly transport: HttpTransport;
  private readonly token: string | undefined;
  private readonly maxAttempts: number;

  constructor(private readonly options: AppRegistryClientOptions) {
    this.endpointLabel = redactUrl(options.endpoint).replace(/\/$/, '');
    this.token = options.authToken ? options.authToken : undefined;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? MAX_ATTEMPTS);
    const ca = options.caFile ? readCaFile(options.caFile) : undefined;
    this.transport = new HttpTransport({ verify: options.tlsVerify ?? true, ...(ca ? { ca } : {}) }, 8);
  }

  close(): void {
    this.transport.close();
  }

  /** GET `url` and parse its JSON body, retrying what is worth retrying. */
  async getJson(url: URL, what: string): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const more = attempt + 1 < this.maxAttempts;
      let res: HttpResponse;
      try {
        res = await this.exchange(url, 'application/json');
      } catch (err) {
        this.throwIfAborted();
        if (more && isRetryableError(err)) {
          await this.pause(what, attempt, undefined, this.reasonOf(err));
          continue;
        }
        throw this.networkError(err, what);
      }
      if (res.status >= 200 && res.status < 300) {
        let text: string;
        try {
          text = (await readBody(res.body, MAX_JSON_BYTES)).toString('utf8');
        } catch (err) {
          this.throwIfAborted();
          if (more && isRetryableError(err)) {
            await this.pause(what, attempt, undefined, this.reasonOf(err));
            continue;
          }
          if ((err as NodeJS.ErrnoException).code === 'ETOOBIG') {
            throw new FerryError('REGISTRY', `${what}: the answer from ${redactUrl(res.url)} is larger than ${MAX_JSON_BYTES} bytes`, ExitCode.failure);
          }
          throw this.networkError(err, what);
        }
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new FerryError('REGISTRY', `${what}: ${redactUrl(res.url)} did not answer JSON (${scrubSecret(text.slice(0, 120), this.token)})`, ExitCode.failure);
        }
      }
      const body = await this.errorBody(res);
      if (more && isRetryableStatus(res.status)) {
        await this.pause(what, attempt, header(res.headers, 'retry-after'), `HTTP ${res.status}`);
        continue;
      }
      throw statusError(res.status, body, { what, method: 'GET', url: res.url, endpoint: this.endpointLabel, token: this.token });
    }
  }

  /**
   * Streams the blob at `url` into `file` (created, must not exist) through a VerifyingStream; rejects
   * with IntegrityError (exit 6) on a size or digest mismatch. A connection that breaks off is resumed
   * with Range. The caller removes `file` on failure.
   */
  async downloadTo(url: URL, expected: Expected, file: string, what: string, onBytes?: (bytes: number) => void): Promise<void> {
    const source = resumableDownload({
      open: (offset) => this.exchange(url, 'application/x-gzip', offset > 0 ? { Range: `bytes=${offset}-` } : undefined),
      fail: async (res) => {
        const body = await this.errorBody(res);
        if (isRetryableStatus(res.status)) throw Object.assign(new Error(`HTTP ${res.status} from ${redactUrl(res.url)}`), { retryable: true });
        throw statusError(res.status, body, { what, method: 'GET', url: res.url, endpoint: this.endpointLabel, token: this.token });
      },
      size: expected.size,
      start: 0,
      maxAttempts: this.maxAttempts,
      what,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    });
    try {
      await pipeline(source, new VerifyingStream(expected), new ByteCounter(onBytes), createWriteStream(file, { flags: 'wx', mode: 0o644 }), {
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      });
    } catch (err) {
      this.throwIfAborted();
      if (err instanceof FerryError) {
        const message = scrubSecret(err.message, this.token);
        throw message === err.message ? err : new FerryError(err.code, message, err.exitCode, { suggestions: err.suggestions });
      }
      throw this.networkError(err, what);
    }
  }

  /** One GET, following redirects; resolves with the final response whatever its status. */
  private async exchange(url: URL, accept: string, extra?: Record<string, string>): Promise<HttpResponse> {
    const headers: Record<string, string> = { Accept: accept, ...extra };
    if (this.token !== undefined) headers['Authorization'] = this.token;
    let current = url;
    for (let hops = 0; ; hops++) {
      const res = await this.transport.send({ method: 'GET', url: current, headers, ...(this.options.signal ? { signal: this.options.signal } : {}) });
      const location = header(res.headers, 'location');
      if (!REDIRECTS.has(res.status) || location === undefined || hops >= MAX_REDIRECTS) return res;
      const next = new URL(location, current);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') return res;
      await drain(res.body);
      // Storage redirects (signed URLs) must not receive the registry token.
      if (next.origin !== current.origin) delete headers['Authorization'];
      current = next;
    }
  }

  private async errorBody(res: HttpResponse): Promise<string> {
    try {
      return (await readBody(res.body, MAX_ERROR_BODY)).toString('utf8');
    } catch {
      return '';
    }
  }

  private async pause(what: string, attempt: number, retryAfter: string | undefined, reason: string): Promise<void> {
    const delayMs = backoffDelay(attempt, retryAfter);
    this.options.onRetry?.({ what, attempt: attempt + 1, delayMs, reason: scrubSecret(reason, this.token) });
    await sleep(delayMs, this.options.signal);
  }

  private reasonOf(err: unknown): string {
    const e = err as NodeJS.ErrnoException;
    return e?.code ?? e?.message ?? String(err);
  }

  private networkError(err: unknown, what: string): FerryError {
    const e = connectionError(err, `App Registry ${this.endpointLabel}`, what);
    return new FerryError(e.code, scrubSecret(e.message, this.token), e.exitCode, { cause: err, suggestions: e.suggestions });
  }

  private throwIfAborted(): void {
    if (this.options.signal?.aborted) throw this.options.signal.reason;
  }
}

/** Passes bytes through, reporting the running count about every MiB and at the end. */
class ByteCounter extends Transform {
  private bytes = 0;
  private reported = 0;

  constructor(private readonly onBytes: ((bytes: number) => void) | undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.onBytes && this.bytes - this.reported >= PROGRESS_STEP) {
      this.reported = this.bytes;
      this.onBytes(this.bytes);
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.onBytes && this.bytes !== this.reported) this.onBytes(this.bytes);
    callback();
  }
}
