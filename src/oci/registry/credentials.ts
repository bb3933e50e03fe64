/**
 * Registry credentials, looked up as podman and skopeo do: `--creds USER:PASS` first, then the
 * first auth file found among `--authfile`, `$REGISTRY_AUTH_FILE`,
 * `$XDG_RUNTIME_DIR/containers/auth.json`, `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
 * Entries are keyed by host (`quay.io`), `host/namespace[/repo]` (most specific wins), or a URL
 * (`https://index.docker.io/v1/`); each holds `auth` (base64 USER:PASS) or `identitytoken`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { ExitCode, FerryError } from '../../errors.js';

export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (docker's `identitytoken`), exchanged at the token endpoint. */
  identityToken?: string;
}

export interface CredentialOptions {
  /** `USER:PASSWORD` (or `USER` alone with an empty password). */
  creds?: string;
  authfile?: string;
}

export function parseCreds(value: string): Credentials {
  const colon = value.indexOf(':');
  if (colon === 0) throw new FerryError('USAGE', '--creds needs a user name: USER[:PASSWORD]', ExitCode.usage);
  return colon < 0 ? { username: value, password: '' } : { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

/** The auth files to consult, in order; only the first that exists is read (as containers/image does). */
export function authFileCandidates(options: CredentialOptions, env: NodeJS.ProcessEnv = process.env): string[] {
  if (options.authfile) return [options.authfile];
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) files.push(path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  files.push(path.join(env.DOCKER_CONFIG ?? path.join(env.HOME ?? homedir(), '.docker'), 'config.json'));
  return files;
}

export function lookupCredentials(host: string, repository: string | undefined, options: CredentialOptions, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  if (options.creds !== undefined) return parseCreds(options.creds);
  const file = authFileCandidates(options, env).find((f) => existsSync(f));
  if (file === undefined) {
    if (options.authfile) throw new FerryError('NOT_FOUND', `auth file ${options.authfile} does not exist`, ExitCode.notFound);
    return undefined;
  }
  const auths = readAuths(file);
  for (const key of lookupKeys(host, repository)) {
    const entry = auths[key];
    if (entry !== undefined) return decodeEntry(entry, file, key);
  }
  return undefined;
}

interface AuthEntry {
  auth?: string;
  identitytoken?: string;
  username?: string;
  password?: string;
}

function readAuths(file: string): Record<string, AuthEntry> {
  let doc: { auths?: Record<string, AuthEntry> };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as typeof doc;
  } catch (err) {
    throw new FerryError('INVALID_INPUT', `auth file ${file} is not valid JSON (${(err as Error).message})`, ExitCode.invalidInput);
  }
  const out: Record<string, AuthEntry> = {};
  for (const [key, entry] of Object.entries(doc.auths ?? {})) out[normalizeKey(key)] = entry;
  return out;
}

/** `https://quay.io/v1/` → `quay.io`; `index.docker.io` → `docker.io`; `host/ns/repo` kept. */
function normalizeKey(key: string): string {
  let k = key.replace(/^https?:\/\//, '');
  if (/^[^/]+\/v[12]\/?$/.test(k)) k = k.split('/')[0]!;
  k = k.replace(/\/+$/, '');
  if (k === 'index.docker.io' || k.startsWith('index.docker.io/') || k === 'registry-1.docker.io') k = k.replace(/^(index|registry-1)\.docker\.io/, 'docker.io');
  return k;
}

/** Most specific first: `host/a/b/c`, `host/a/b`, `host/a`, `host`. */
function lookupKeys(host: string, repository: string | undefined): string[] {
  const normalizedHost = normalizeKey(host);
  const keys: string[] = [];
  if (repository) {
    const parts = repository.split('/');
    for (let i = parts.length; i > 0; i--) keys.push(`${normalizedHost}/${parts.slice(0, i).join('/')}`);
  }
  keys.push(normalizedHost);
  return keys;
}

function decodeEntry(entry: AuthEntry, file: string, key: string): Credentials {
  if (entry.identitytoken) return { identityToken: entry.identitytoken, ...(entry.username ? { username: entry.username } : {}) };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new FerryError('INVALID_INPUT', `auth file ${file}: entry "${key}" has an "auth" value that is not base64 USER:PASSWORD`, ExitCode.invalidInput);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username !== undefined) return { username: entry.username, password: entry.password ?? '' };
  return {};
}
