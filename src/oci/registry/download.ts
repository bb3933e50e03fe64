/**
 * A blob download that survives dropped connections: when a response breaks off, the rest is asked
 * for with `Range: bytes=N-` and the stream goes on where it stopped. The caller sees one stream.
 */
import { Readable } from 'node:stream';
import { ExitCode, FerryError } from '../../errors.js';
import { header, type HttpResponse } from './http.js';
import { backoffDelay, isRetryableError, sleep } from './retry.js';

export interface DownloadOptions {
  /** Opens the blob at `offset` (sends Range when offset > 0). */
  open(offset: number): Promise<HttpResponse>;
  /** Throws the error for an unexpected response. */
  fail(res: HttpResponse): Promise<never>;
  size: number;
  start: number;
  maxAttempts: number;
  what: string;
  signal?: AbortSignal;
}

export function resumableDownload(options: DownloadOptions): Readable {
  return Readable.from(chunks(options), { objectMode: false });
}

async function* chunks(o: DownloadOptions): AsyncGenerator<Buffer> {
  let offset = o.start;
  let failures = 0;
  for (;;) {
    let res: HttpResponse | undefined;
    try {
      res = await o.open(offset);
      let skip = 0;
      if (res.status === 200 && offset > 0) skip = offset; // the server ignored Range: drop what we have
      else if (res.status === 206) checkContentRange(header(res.headers, 'content-range'), offset, o.what);
      else if (res.status !== 200) await o.fail(res);
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        let data = chunk;
        if (skip > 0) {
          const n = Math.min(skip, data.length);
          skip -= n;
          data = data.subarray(n);
          if (data.length === 0) continue;
        }
        offset += data.length;
        yield data;
      }
      if (offset >= o.size) return;
      throw Object.assign(new Error(`connection closed after ${offset} of ${o.size} bytes`), { retryable: true });
    } catch (err) {
      if (o.signal?.aborted) throw o.signal.reason;
      if (!isRetryableError(err) || ++failures >= o.maxAttempts) {
        if (err instanceof FerryError) throw err;
        throw new FerryError('CONNECTION', `${o.what}: download failed after ${offset} of ${o.size} bytes (${(err as Error).message})`, ExitCode.failure, { cause: err });
      }
      await sleep(backoffDelay(failures - 1), o.signal);
    } finally {
      // Stopped early (consumer gone, or an error): drop the connection rather than read the rest.
      if (res && !res.body.readableEnded) res.body.destroy();
    }
  }
}

function checkContentRange(value: string | undefined, offset: number, what: string): void {
  const m = /^bytes (\d+)-/.exec(value ?? '');
  if (m && Number(m[1]) !== offset) throw new FerryError('REGISTRY', `${what}: asked for bytes from ${offset}, got ${value}`, ExitCode.failure);
}
