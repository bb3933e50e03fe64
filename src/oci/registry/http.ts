/**
 * The bottom HTTP layer: one request, no retry, no auth. Keep-alive agents per scheme, TLS verified
 * unless the user turned it off, an extra CA added to (not replacing) the system roots.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { readFileSync } from 'node:fs';
import { ExitCode, FerryError } from '../../errors.js';
import type { Readable } from 'node:stream';

export interface TlsOptions {
  /** Verify certificates (the default). */
  verify: boolean;
  /** PEM CA certificates trusted in addition to the system roots. */
  ca?: string;
}

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /** A Buffer (replayable) or a stream (sent once). */
  body?: Buffer | Readable;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
  url: URL;
}

export const USER_AGENT = 'ferry/0.1 (+https://github.com/ferry)';

export class HttpTransport {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(tls: TlsOptions, maxSockets = 32) {
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets,
      rejectUnauthorized: tls.verify,
      ...(tls.ca ? { ca: [...rootCertificates, tls.ca] } : {}),
    });
  }

  send(request: HttpRequest): Promise<HttpResponse> {
    const { url } = request;
    const isHttps = url.protocol === 'https:';
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...request.headers };
    if (Buffer.isBuffer(request.body)) headers['Content-Length'] = String(request.body.length);
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = (isHttps ? https : http).request(url, { method: request.method, headers, agent: isHttps ? this.httpsAgent : this.httpAgent, signal: request.signal });
      req.once('response', (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url }));
      req.once('error', reject);
      const body = request.body;
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        body.once('error', (err) => req.destroy(err));
        body.pipe(req);
      }
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** Reads a (small) response body, refusing more than `limit` bytes. */
export async function readBody(res: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) {
      res.destroy();
      throw Object.assign(new Error(`response larger than ${limit} bytes`), { code: 'ETOOBIG' });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Reads and discards a body so the connection can be reused; errors ignored. */
export async function drain(res: IncomingMessage): Promise<void> {
  try {
    for await (const _ of res as AsyncIterable<Buffer>) void _;
  } catch {
    /* the connection is dropped anyway */
  }
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The PEM of a `--ca-file`; NOT_FOUND naming the file when it cannot be read. */
export function readCaFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new FerryError('NOT_FOUND', `cannot read CA file ${file} (${(err as Error).message})`, ExitCode.notFound);
  }
}
