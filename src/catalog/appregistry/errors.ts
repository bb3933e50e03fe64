/**
 * App Registry answers as ferry errors: 401/403 → auth (exit 4, telling the user to pass
 * --auth-token), 404 → not found (exit 5), anything else → REGISTRY (exit 1). Server text quoted in a
 * message goes through `scrubSecret` first, so an echoed token never reaches the user's terminal or logs.
 */
import { ExitCode, FerryError, NotFoundError } from '../../errors.js';
import { redactUrl } from '../../oci/registry/errors.js';

const REDACTED = '<redacted>';

/**
 * `text` with every occurrence of the token removed, and of its credential part too (`basic abc==`
 * also hides a bare `abc==`). Short fragments are left alone so that messages stay readable.
 */
export function scrubSecret(text: string, token: string | undefined): string {
  if (!token) return text;
  const parts = [token, token.trim(), token.trim().split(/\s+/).slice(1).join(' ')].filter((p) => p.length >= 4);
  let out = text;
  for (const p of parts.sort((a, b) => b.length - a.length)) out = out.split(p).join(REDACTED);
  return out;
}

/** The useful part of an error body: Quay's `{"error":{"code","message"}}`, a `message`, or the text. */
function describeBody(body: string): string {
  try {
    const doc = JSON.parse(body) as { error?: { code?: unknown; message?: unknown }; message?: unknown };
    const e = doc.error;
    if (e && typeof e === 'object') {
      const parts = [e.code, e.message].filter((x): x is string => typeof x === 'string' && x !== '');
      if (parts.length > 0) return parts.join(': ');
    }
    if (typeof doc.message === 'string' && doc.message !== '') return doc.message;
  } catch {
    // not JSON: quote the text
  }
  return body.replace(/\s+/g, ' ').trim().slice(0, 200);
}

export interface StatusErrorContext {
  /** What was being done, e.g. `list App Registry namespace "community"`. */
  what: string;
  method: string;
  url: URL;
  /** The endpoint as the user gave it (redacted), named in auth errors. */
  endpoint: string;
  token: string | undefined;
}

/** The error for a final, unsuccessful HTTP status. */
export function statusError(status: number, body: string, ctx: StatusErrorContext): FerryError {
  const detail = scrubSecret(describeBody(body), ctx.token) || `HTTP ${status}`;
  if (status === 401 || status === 403) {
    const why = ctx.token ? 'the auth token was rejected' : 'no auth token was given and the registry requires one';
    return new FerryError(
      status === 401 ? 'AUTH' : 'DENIED',
      `${ctx.what}: App Registry ${ctx.endpoint} answered ${status} (${detail}): ${why}; pass a valid token with --auth-token`,
      ExitCode.auth,
      { suggestions: ['pass the App Registry token with --auth-token "basic <base64>" (Quay issues it from POST <endpoint>/api/v1/users/login)'] },
    );
  }
  if (status === 404) return new NotFoundError(`${ctx.what}: not found (404 from ${redactUrl(ctx.url)}: ${detail})`);
  return new FerryError('REGISTRY', `${ctx.what}: ${ctx.method} ${redactUrl(ctx.url)} answered ${status} (${detail})`, ExitCode.failure);
}
