import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultKind = 'injected' | 'cut-download' | 'cut-upload';

export interface ProxyLogEntry {
  method: string;
  /** Path and query, as the client sent it. */
  path: string;
  /** Status sent to the client; 0 when the request was cut before any response. */
  status: number;
  fault?: FaultKind;
}

export interface RequestMatch {
  method?: string;
  /** Tested against path + query. */
  path?: RegExp;
  /** Let this many matching requests through before the fault applies (e.g. fail the 4th PATCH). */
  after?: number;
}

export interface FaultProxy {
  /** "http://127.0.0.1:PORT" */
  url: string;
  /** "127.0.0.1:PORT", for image references. */
  host: string;
  port: number;
  /** The next n GET blob responses (200/206) are cut after about half of their body. */
  cutBlobDownloads(n: number): void;
  /**
   * The next `count` requests (that match `match`, when given) are answered with `status` and
   * `headers` (e.g. 429 with { 'Retry-After': '1' }) and a registry-style JSON error, without
   * reaching the registry.
   */
  failWith(status: number, count?: number, headers?: Record<string, string>, match?: RequestMatch): void;
  /** The next n PATCH/PUT requests with a body to /blobs/uploads/ are forwarded only in part, then cut. */
  cutUploads(n: number): void;
  /** Requests received, by method (faulted ones included). */
  counts: Record<string, number>;
  /** Every request, in arrival order (entries are pushed when the outcome is known). */
  log: ProxyLogEntry[];
  /** How many requests matched (by method and/or path regex). */
  requestCount(match?: RequestMatch): number;
  /** Clears counts, log and pending faults. */
  reset(): void;
  stop(): Promise<void>;
}

const BLOB_GET = /^\/v2\/.+\/blobs\/sha256:[0-9a-f]{64}(\?.*)?$/;
const UPLOAD = /^\/v2\/.+\/blobs\/uploads\//;
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade'];

function matches(match: RequestMatch | undefined, method: string, path: string): boolean {
  if (!match) return true;
  if (match.method && match.method.toUpperCase() !== method) return false;
  if (match.path && !match.path.test(path)) return false;
  return true;
}

function withoutHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = { ...headers };
  for (const h of HOP_BY_HOP) delete out[h];
  return out;
}

/**
 * A plain-HTTP reverse proxy in front of a plain-HTTP registry, with programmable faults. Pass a
 * TestRegistry (its host "127.0.0.1:PORT" is understood) or { host: '127.0.0.1', port }.
 * Location headers pointing at the registry are rewritten to point at the proxy.
 */
export async function startFaultProxy(target: { host: string; port: number; tls?: boolean }): Promise<FaultProxy> {
  if (target.tls) throw new Error('startFaultProxy: the target must be a plain-HTTP registry');
  const targetHost = target.host.replace(/:\d+$/, '');
  const targetAuthority = `${targetHost}:${target.port}`;
  const agent = new http.Agent({ keepAlive: true });
  const counts: Record<string, number> = {};
  const log: ProxyLogEntry[] = [];
  let failures: { status: number; remaining: number; headers: Record<string, string>; match?: RequestMatch; seen?: number }[] = [];
  /** Counts a matching request; true once `match.after` of them have gone through. */
  const passed = (f: (typeof failures)[0], _method: string, _path: string): boolean => {
    const after = f.match?.after ?? 0;
    if (after === 0) return true;
    f.seen = (f.seen ?? 0) + 1;
    return f.seen > after;
  };
  let cutDownloads = 0;
  let cutUploadsLeft = 0;
  let proxyUrl = '';

  const rewriteLocation = (headers: http.OutgoingHttpHeaders): void => {
    const location = headers.location;
    if (typeof location !== 'string') return;
    for (const prefix of [`http://${targetAuthority}`, `http://localhost:${target.port}`]) {
      if (location.startsWith(prefix)) headers.location = proxyUrl + location.slice(prefix.length);
    }
  };

  const inject = (req: IncomingMessage, res: ServerResponse, entry: ProxyLogEntry, failure: (typeof failures)[0]): void => {
    const body = JSON.stringify({ errors: [{ code: 'UNKNOWN', message: `injected by fault proxy (${failure.status})`, detail: null }] });
    const respond = (): void => {
      res.writeHead(failure.status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        ...failure.headers,
      });
      res.end(body);
      log.push({ ...entry, status: failure.status, fault: 'injected' });
    };
    // Read the whole request first, so the client sees the status rather than a reset mid-upload.
    req.on('end', respond);
    req.on('error', () => undefined);
    req.resume();
  };

  const server = http.createServer((req, res) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = req.url ?? '/';
    counts[method] = (counts[method] ?? 0) + 1;
    const entry: ProxyLogEntry = { method, path, status: 0 };

    const failure = failures.find((f) => f.remaining > 0 && matches(f.match, method, path) && passed(f, method, path));
    if (failure) {
      failure.remaining--;
      failures = failures.filter((f) => f.remaining > 0);
      inject(req, res, entry, failure);
      return;
    }

    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    const cutThisUpload = cutUploadsLeft > 0 && (method === 'PATCH' || method === 'PUT') && UPLOAD.test(path) && hasBody;
    if (cutThisUpload) cutUploadsLeft--;

    const headers = withoutHopByHop(req.headers);
    headers.host = targetAuthority;
    const upstream = http.request({ host: targetHost, port: target.port, method, path, headers, agent }, (upRes) => {
      const status = upRes.statusCode ?? 502;
      const outHeaders = withoutHopByHop(upRes.headers);
      rewriteLocation(outHeaders);
      const cutThisDownload =
        cutDownloads > 0 && method === 'GET' && (status === 200 || status === 206) && BLOB_GET.test(path);
      if (!cutThisDownload) {
        res.writeHead(status, outHeaders);
        upRes.pipe(res);
        res.once('close', () => log.push({ ...entry, status }));
        return;
      }
      cutDownloads--;
      log.push({ ...entry, status, fault: 'cut-download' });
      res.writeHead(status, outHeaders);
      const length = Number(upRes.headers['content-length']);
      let budget = Number.isFinite(length) ? Math.floor(length / 2) : -1;
      const cut = (): void => {
        upRes.destroy();
        res.destroy();
      };
      if (budget === 0) {
        res.flushHeaders();
        setTimeout(cut, 20);
        return;
      }
      upRes.on('data', (chunk: Buffer) => {
        if (budget < 0) budget = Math.max(1, Math.floor(chunk.length / 2)); // unknown length: half a chunk
        if (chunk.length < budget) {
          budget -= chunk.length;
          res.write(chunk);
          return;
        }
        upRes.pause();
        upRes.removeAllListeners('data');
        res.write(chunk.subarray(0, budget), () => setTimeout(cut, 20));
      });
    });
    upstream.on('error', (e) => {
      if (cutThisUpload) return;
      if (!res.headersSent) {
        const body = JSON.stringify({ errors: [{ code: 'UNKNOWN', message: `fault proxy: upstream error: ${e.message}` }] });
        res.writeHead(502, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
        log.push({ ...entry, status: 502 });
      } else {
        res.destroy();
      }
    });

    if (!cutThisUpload) {
      req.pipe(upstream);
      return;
    }
    // Forward about half of the body, then break both connections.
    const length = Number(req.headers['content-length']);
    let budget = Number.isFinite(length) && length > 0 ? Math.floor(length / 2) : -1;
    let done = false;
    const cut = (): void => {
      if (done) return;
      done = true;
      log.push({ ...entry, status: 0, fault: 'cut-upload' });
      upstream.destroy();
      req.socket.destroy();
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      if (budget < 0) budget = Math.max(1, Math.floor(chunk.length / 2));
      if (chunk.length < budget) {
        budget -= chunk.length;
        upstream.write(chunk);
        return;
      }
      req.pause();
      upstream.write(chunk.subarray(0, budget), () => setTimeout(cut, 20));
    });
    req.on('end', () => setTimeout(cut, 20));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  proxyUrl = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;

  return {
    url: proxyUrl,
    host: `127.0.0.1:${port}`,
    port,
    counts,
    log,
    cutBlobDownloads(n: number) {
      cutDownloads += n;
    },
    failWith(status: number, count = 1, headers: Record<string, string> = {}, match?: RequestMatch) {
      failures.push({ status, remaining: count, headers, match });
    },
    cutUploads(n: number) {
      cutUploadsLeft += n;
    },
    requestCount(match?: RequestMatch) {
      return log.filter((e) => matches(match, e.method, e.path)).length;
    },
    reset() {
      for (const k of Object.keys(counts)) delete counts[k];
      log.length = 0;
      failures = [];
      cutDownloads = 0;
      cutUploadsLeft = 0;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      });
      return stopped;
    },
  };
}
