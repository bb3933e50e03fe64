/**
 * The node:http server around the registry handler: binds (127.0.0.1 unless told otherwise; port 0
 * picks a free port), reports one event per request (for a debug log) and every damaged blob, and
 * closes on demand, cutting open connections (a read-only registry's clients retry).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExitCode, FerryError } from '../../errors.js';
import { createRegistryHandler, type DamageEvent } from './registry-handler.js';
import type { ServedArchive } from './served-archive.js';

export const DEFAULT_LISTEN_HOST = '127.0.0.1';
export const DEFAULT_LISTEN_PORT = 5000;

export interface RequestEvent {
  kind: 'request';
  method: string;
  /** Path and query as requested. */
  path: string;
  status: number;
  /** False when the connection closed before the whole response was sent. */
  completed: boolean;
  durationMs: number;
  /** Why the server failed the request (a 5xx, or a transfer cut short on purpose). */
  error?: string;
}

export type ServeEvent = RequestEvent | DamageEvent;

export interface RegistryServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 5000; 0 picks a free port. */
  port?: number;
  onEvent?: (event: ServeEvent) => void;
}

export interface RunningRegistry {
  /** The address bound (`127.0.0.1`, `::1`, `0.0.0.0`). */
  host: string;
  port: number;
  /** `HOST:PORT` as image references write it (IPv6 in brackets). */
  address: string;
  /** `http://HOST:PORT`. */
  url: string;
  /** True when only this machine can connect. */
  loopback: boolean;
  /** Requests answered so far. */
  requests(): number;
  /** Stops listening, cuts open connections, resolves when the server is closed. */
  close(): Promise<void>;
}

export async function startRegistryServer(served: ServedArchive, options: RegistryServerOptions = {}): Promise<RunningRegistry> {
  const host = options.host ?? DEFAULT_LISTEN_HOST;
  const port = options.port ?? DEFAULT_LISTEN_PORT;
  const emit = options.onEvent ?? (() => undefined);
  const failures = new WeakMap<ServerResponse, string>();
  const handler = createRegistryHandler(served, {
    onDamage: (event) => emit(event),
    onFailure: (res, message) => failures.set(res, message),
  });
  let requests = 0;

  const server: Server = createServer((req, res) => {
    requests++;
    const started = performance.now();
    res.once('close', () => {
      const error = failures.get(res);
      emit({
        kind: 'request',
        method: req.method ?? '',
        path: req.url ?? '',
        status: res.statusCode,
        completed: res.writableFinished,
        durationMs: Math.round(performance.now() - started),
        ...(error === undefined ? {} : { error }),
      });
    });
    void handler(req, res);
  });
  // A request that is not HTTP (a TLS handshake from a client trying https first) gets a plain 400, so
  // the client sees a plain-HTTP server (and falls back to http) rather than a dropped connection.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException): void => reject(listenError(err, host, port));
    server.once('error', fail);
    server.listen({ host, port }, () => {
      server.removeListener('error', fail);
      resolve();
    });
  });

  const bound = server.address() as AddressInfo;
  const address = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  let closing: Promise<void> | undefined;
  return {
    host: bound.address,
    port: bound.port,
    address,
    url: `http://${address}`,
    loopback: isLoopbackAddress(bound.address),
    requests: () => requests,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

export function isLoopbackAddress(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): FerryError {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (err.code === 'EADDRINUSE') {
    return new FerryError('LISTEN', `cannot listen on ${where}: the address is in use`, ExitCode.failure, { suggestions: ['choose another --listen port, or port 0 for a free one'] });
  }
  if (err.code === 'EACCES') return new FerryError('LISTEN', `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`, ExitCode.failure);
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    return new FerryError('LISTEN', `cannot listen on ${where}: this machine has no such address`, ExitCode.failure);
  }
  return new FerryError('LISTEN', `cannot listen on ${where}: ${err.message}`, ExitCode.failure, { cause: err });
}
