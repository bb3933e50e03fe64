/**
 * When and how long to wait before retrying a registry request. Retries 408, 429 and 5xx (except
 * 501, which will not change) and dropped connections; never other 4xx.
 */

export const MAX_ATTEMPTS = 6;
const BASE_DELAY_MS = 200;
const MAX_DELAY_MS = 10_000;
const MAX_RETRY_AFTER_MS = 60_000;

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ERR_STREAM_PREMATURE_CLOSE']);

/** A dropped or refused connection, a reset, a premature end: worth another try. */
export function isRetryableError(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException & { retryable?: boolean };
  if (e?.retryable === true) return true;
  if (e?.code !== undefined && RETRYABLE_CODES.has(e.code)) return true;
  return /socket hang up|aborted|premature close/i.test(e?.message ?? '');
}

/**
 * Delay before attempt `attempt + 1` (attempt counts from 0): exponential with full jitter, or the
 * server's Retry-After (seconds or an HTTP date) when it gave one.
 */
export function backoffDelay(attempt: number, retryAfter?: string | null, now: number = Date.now(), random: () => number = Math.random): number {
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.min(Math.max(date - now, 0), MAX_RETRY_AFTER_MS);
  }
  const ceiling = Math.min(BASE_DELAY_MS * 2 ** attempt, MAX_DELAY_MS);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
