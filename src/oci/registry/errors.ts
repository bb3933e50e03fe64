/**
 * Registry errors: the HTTP status and the OCI error codes from the body, with a URL stripped of
 * credentials and query, mapped to ferry's exit codes (401/403 → auth, 404 → not found, digest
 * mismatches → integrity).
 */
import { ExitCode, FerryError } from '../../errors.js';

export interface OciErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

export class RegistryError extends FerryError {
  constructor(
    readonly status: number,
    readonly ociErrors: OciErrorEntry[],
    readonly url: string,
    message: string,
    code: string,
    exitCode: ExitCode,
    suggestions?: string[],
  ) {
    super(code, message, exitCode, { suggestions });
    this.name = 'RegistryError';
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status, registryErrors: this.ociErrors, url: this.url };
  }
}

/** A URL safe to print: no user info, no query (upload state, signed storage URLs). */
export function redactUrl(url: URL | string): string {
  const u = new URL(url.toString());
  u.username = '';
  u.password = '';
  u.search = '';
  return u.toString();
}

export function parseOciErrors(body: string): OciErrorEntry[] {
  try {
    const doc = JSON.parse(body) as { errors?: unknown };
    if (!Array.isArray(doc.errors)) return [];
    return doc.errors.filter((e): e is OciErrorEntry => e !== null && typeof e === 'object' && typeof (e as OciErrorEntry).code === 'string');
  } catch {
    return [];
  }
}

const NOT_FOUND_CODES = new Set(['BLOB_UNKNOWN', 'MANIFEST_UNKNOWN', 'NAME_UNKNOWN', 'BLOB_UPLOAD_UNKNOWN']);
const INTEGRITY_CODES = new Set(['DIGEST_INVALID', 'SIZE_INVALID']);

/** Builds the error for an unexpected response to `what` (e.g. "pull manifest quay.io/x:1"). */
export function registryError(status: number, body: string, method: string, url: URL | string, what: string): RegistryError {
  const ociErrors = parseOciErrors(body);
  const codes = ociErrors.map((e) => e.code);
  const detail = ociErrors.length > 0 ? ociErrors.map((e) => `${e.code}${e.message ? `: ${e.message}` : ''}`).join('; ') : body.trim().slice(0, 200) || `HTTP ${status}`;
  const where = `${method} ${redactUrl(url)}`;
  if (status === 401 || codes.includes('UNAUTHORIZED')) {
    return new RegistryError(status, ociErrors, redactUrl(url), `${what}: authentication required or credentials rejected (${detail})`, 'AUTH', ExitCode.auth, [
      'log in with --creds USER:PASSWORD or an auth file (--authfile, REGISTRY_AUTH_FILE, ~/.docker/config.json)',
    ]);
  }
  if (status === 403 || codes.includes('DENIED')) {
    return new RegistryError(status, ociErrors, redactUrl(url), `${what}: access denied (${detail})`, 'DENIED', ExitCode.auth);
  }
  if (status === 404 || codes.some((c) => NOT_FOUND_CODES.has(c))) {
    return new RegistryError(status, ociErrors, redactUrl(url), `${what}: not found (${detail})`, 'NOT_FOUND', ExitCode.notFound);
  }
  if (codes.some((c) => INTEGRITY_CODES.has(c))) {
    return new RegistryError(status, ociErrors, redactUrl(url), `${what}: the registry rejected the content (${detail})`, 'INTEGRITY', ExitCode.integrity);
  }
  if (status === 429 || codes.includes('TOOMANYREQUESTS')) {
    return new RegistryError(status, ociErrors, redactUrl(url), `${what}: rate limited by the registry after retries (${detail})`, 'RATE_LIMITED', ExitCode.failure);
  }
  return new RegistryError(status, ociErrors, redactUrl(url), `${what}: ${where} answered ${status} (${detail})`, 'REGISTRY', ExitCode.failure);
}

/** Network failures as FerryErrors naming the host. */
export function connectionError(err: unknown, host: string, what: string): FerryError {
  const e = err as NodeJS.ErrnoException;
  if (e instanceof FerryError) return e;
  const code = e?.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code) || /certificate/i.test(e?.message ?? '')) {
    return new FerryError('TLS', `${what}: TLS verification of ${host} failed (${e.message})`, ExitCode.failure, {
      cause: err,
      suggestions: ['give the registry CA with --ca-file FILE, or turn verification off with --tls-verify=false'],
    });
  }
  return new FerryError('CONNECTION', `${what}: cannot reach ${host} (${e?.message ?? String(err)})`, ExitCode.failure, { cause: err });
}
