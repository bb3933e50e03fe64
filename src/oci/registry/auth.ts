/**
 * Registry authentication: the challenge a registry answers with (`WWW-Authenticate`), Basic
 * credentials, and Bearer tokens from the token endpoint, cached per scope until shortly before
 * they expire. Credentials go only to the registry host and to the token realm it names; never
 * with a redirect to another host.
 */
import { ExitCode, FerryError } from '../../errors.js';
import type { Credentials } from './credentials.js';
import { registryError, redactUrl, connectionError } from './errors.js';
import { header, readBody, type HttpTransport } from './http.js';

export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** Parses `Bearer realm="https://auth",service="reg",scope="repository:x:pull"` (and Basic). */
export function parseChallenge(value: string | undefined): Challenge | undefined {
  if (!value) return undefined;
  const match = /^\s*(\w+)\s*(.*)$/s.exec(value);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let m = re.exec(match[2]!); m; m = re.exec(match[2]!)) params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  return { scheme, params };
}

/** `repository:NAME:ACTIONS` */
export function repositoryScope(repository: string, actions: 'pull' | 'pull,push'): string {
  return `repository:${repository}:${actions}`;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

const TOKEN_MARGIN_MS = 10_000;

export class Authenticator {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly host: string,
    private readonly credentials: Credentials | undefined,
    private readonly http: HttpTransport,
  ) {}

  get scheme(): 'none' | 'basic' | 'bearer' {
    return this.challenge?.scheme ?? 'none';
  }

  /** Records the challenge from a ping or a 401. */
  setChallenge(value: string | undefined): void {
    const parsed = parseChallenge(value);
    if (parsed) this.challenge = parsed;
  }

  /** The Authorization header for a request needing `scopes`, or undefined (anonymous). */
  async authorization(scopes: string[], signal?: AbortSignal): Promise<string | undefined> {
    if (this.challenge === undefined) return undefined;
    if (this.challenge.scheme === 'basic') {
      if (!this.credentials?.username) return undefined;
      return basicHeader(this.credentials);
    }
    const key = scopes.slice().sort().join(' ');
    let pending = this.tokens.get(key);
    if (pending !== undefined) {
      const cached = await pending.catch(() => undefined);
      if (cached === undefined || cached.expiresAt <= Date.now()) {
        this.tokens.delete(key);
        pending = undefined;
      }
    }
    if (pending === undefined) {
      pending = this.fetchToken(scopes, signal);
      this.tokens.set(key, pending);
      pending.catch(() => this.tokens.delete(key));
    }
    return `Bearer ${(await pending).token}`;
  }

  /** Forgets the token for `scopes` (a 401 with it means it expired or was revoked). */
  invalidate(scopes: string[]): void {
    this.tokens.delete(scopes.slice().sort().join(' '));
  }

  private async fetchToken(scopes: string[], signal?: AbortSignal): Promise<CachedToken> {
    const params = this.challenge!.params;
    const realm = params.realm;
    if (!realm) throw new FerryError('AUTH', `${this.host}: the registry asked for a Bearer token without naming a realm`, ExitCode.auth);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new FerryError('AUTH', `${this.host}: invalid token realm "${realm}"`, ExitCode.auth);
    }
    const what = `get a token from ${redactUrl(url)} for ${this.host}`;
    const creds = this.credentials;
    const headers: Record<string, string> = { Accept: 'application/json' };
    let method = 'GET';
    let body: Buffer | undefined;
    if (creds?.identityToken) {
      // docker's identitytoken is an OAuth2 refresh token: exchanged by POST (distribution's token spec).
      method = 'POST';
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'ferry', access_type: 'offline' });
      if (params.service) form.set('service', params.service);
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      body = Buffer.from(form.toString());
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else {
      if (params.service) url.searchParams.set('service', params.service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      if (creds?.username) {
        url.searchParams.set('account', creds.username);
        headers.Authorization = basicHeader(creds);
      }
    }
    if (headers.Authorization !== undefined || creds?.identityToken) assertSafeRealm(url, this.host);
    let res;
    try {
      res = await this.http.send({ method, url, headers, ...(body ? { body } : {}), ...(signal ? { signal } : {}) });
    } catch (err) {
      throw connectionError(err, url.host, what);
    }
    const text = (await readBody(res.body, 1024 * 1024)).toString('utf8');
    if (res.status !== 200) throw registryError(res.status === 400 ? 401 : res.status, text, method, url, what);
    let doc: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch {
      throw new FerryError('AUTH', `${what}: the token endpoint did not answer JSON`, ExitCode.auth);
    }
    const token = doc.token ?? doc.access_token;
    if (!token) throw new FerryError('AUTH', `${what}: the answer holds no token`, ExitCode.auth);
    const lifetime = (typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : 60) * 1000;
    const issued = doc.issued_at ? Date.parse(doc.issued_at) : NaN;
    const start = Number.isNaN(issued) ? Date.now() : Math.min(issued, Date.now());
    return { token, expiresAt: start + lifetime - Math.min(TOKEN_MARGIN_MS, lifetime / 2) };
  }

  /** The challenge header of a 401, for callers that read it themselves. */
  static challengeOf(headers: Parameters<typeof header>[0]): string | undefined {
    return header(headers, 'www-authenticate');
  }
}

function basicHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`;
}

/** Credentials travel to a realm on another host only over TLS (or on loopback, as in tests). */
function assertSafeRealm(url: URL, host: string): void {
  if (url.protocol === 'https:' || url.host === host || isLoopbackHost(url.hostname)) return;
  throw new FerryError('AUTH', `refusing to send credentials for ${host} over plain HTTP to the token realm ${redactUrl(url)}`, ExitCode.auth);
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}
