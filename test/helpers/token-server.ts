import { createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { removeOnExit } from './cleanup.js';
import { tempDir } from './paths.js';
import { makeSigningKeyPair } from './tls.js';

export interface TokenServerOptions {
  username?: string;
  password?: string;
  /** Token lifetime in seconds: both `expires_in` and the JWT's exp (default 300). */
  expiresIn?: number;
  /** The OAuth2 refresh token (docker `identitytoken`) accepted by POST /token. */
  refreshToken?: string;
  service?: string;
  issuer?: string;
  /** Where to write the issuer key pair (default: a new temp dir). */
  dir?: string;
}

export interface TokenRequest {
  /** Every `scope` query parameter, in order (each may itself be space-separated). */
  scopes: string[];
  /** The Basic-auth user name, when credentials were sent (right or wrong). */
  user?: string;
  service?: string;
  account?: string;
  /** 200 when a token was issued, 401 when refused. */
  /** 'refresh_token' for the OAuth2 POST form; absent for GET with Basic credentials. */
  grant?: 'refresh_token';
  status: number;
}

export interface GrantedAccess {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenServer {
  /** Base URL, http://127.0.0.1:PORT */
  url: string;
  /** The realm for auth.token.realm: `${url}/token`. */
  realm: string;
  host: string;
  port: number;
  service: string;
  issuer: string;
  /** The issuer certificate: the registry's auth.token.rootcertbundle. */
  certFile: string;
  keyFile: string;
  username: string;
  password: string;
  /** Every GET /token, in order, including refused ones. */
  /** The refresh token POST /token accepts. */
  refreshToken: string;
  requests: TokenRequest[];
  /** Lifetime of tokens issued from now on (seconds). */
  setExpiresIn(seconds: number): void;
  /** Forgets the recorded requests. */
  reset(): void;
  stop(): Promise<void>;
}

/** Parses "repository:name:pull,push" (name may hold colons, e.g. a port) into a JWT access entry. */
export function parseScope(scope: string): GrantedAccess | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope.slice(last + 1).split(',').filter((a) => a !== ''),
  };
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Signs a JWT with RS256 and puts the issuer certificate in the x5c header. */
function makeJwt(key: KeyObject, certDerBase64: string, claims: Record<string, unknown>): string {
  const header = { typ: 'JWT', alg: 'RS256', x5c: [certDerBase64] };
  const signingInput = `${b64url(header)}.${b64url(claims)}`;
  const signature = sign('sha256', Buffer.from(signingInput), key).toString('base64url');
  return `${signingInput}.${signature}`;
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * A Docker token-auth server (https://distribution.github.io/distribution/spec/auth/token/) for tests:
 * GET /token?service=..&scope=..&scope=..&account=.. with Basic credentials. Anonymous or wrong
 * credentials get 401; otherwise every requested scope is granted as asked.
 */
export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const username = options.username ?? 'ferry';
  const password = options.password ?? 'ferry-secret-pw';
  const service = options.service ?? 'test-registry';
  const issuer = options.issuer ?? 'ferry-test-issuer';
  let expiresIn = options.expiresIn ?? 300;
  let dir = options.dir;
  if (!dir) {
    dir = tempDir('ferry-token-');
    removeOnExit(dir);
  }
  const { certFile, keyFile } = makeSigningKeyPair(dir, issuer);
  const key = createPrivateKey(readFileSync(keyFile));
  const certDer = new X509Certificate(readFileSync(certFile)).raw.toString('base64');
  const requests: TokenRequest[] = [];

  const refreshToken = options.refreshToken ?? 'ferry-refresh-token';

  const issue = (res: http.ServerResponse, record: TokenRequest, subject: string): void => {
    const access = record.scopes
      .flatMap((s) => s.split(' '))
      .map(parseScope)
      .filter((a): a is GrantedAccess => a !== undefined);
    const now = Math.floor(Date.now() / 1000);
    const token = makeJwt(key, certDer, {
      iss: issuer,
      sub: subject,
      aud: record.service ?? service,
      exp: now + expiresIn,
      nbf: now - 1,
      iat: now,
      jti: randomUUID(),
      access,
    });
    record.status = 200;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() }));
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token.invalid');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/token' && req.method === 'POST') {
      // OAuth2 refresh-token grant (docker's `identitytoken`), form-encoded.
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const record: TokenRequest = { scopes: (form.get('scope') ?? '').split(' ').filter((x) => x !== ''), service: form.get('service') ?? undefined, status: 401, grant: 'refresh_token' };
        requests.push(record);
        if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== refreshToken) {
          send(401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid refresh token' }] });
          return;
        }
        issue(res, record, username);
      });
      return;
    }
    if (url.pathname !== '/token' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      send(404, { errors: [{ code: 'NOT_FOUND', message: 'only GET or POST /token' }] });
      return;
    }
    const creds = parseBasic(req.headers.authorization);
    const record: TokenRequest = {
      scopes: url.searchParams.getAll('scope'),
      user: creds?.user,
      service: url.searchParams.get('service') ?? undefined,
      account: url.searchParams.get('account') ?? undefined,
      status: 401,
    };
    requests.push(record);
    if (!creds || creds.user !== username || creds.password !== password) {
      send(401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, {
        'WWW-Authenticate': 'Basic realm="ferry-test-token"',
      });
      return;
    }
    issue(res, record, creds.user);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;

  return {
    url,
    realm: `${url}/token`,
    host: `127.0.0.1:${port}`,
    port,
    service,
    issuer,
    certFile,
    keyFile,
    username,
    password,
    requests,
    refreshToken,
    setExpiresIn(seconds: number) {
      expiresIn = seconds;
    },
    reset() {
      requests.length = 0;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
