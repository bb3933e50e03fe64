/**
 * copyImages in a worker thread. The CLI's own modules make the main heap large enough that V8
 * collects it in full again and again as blob buffers stream by (measured: ~85 full collections and
 * ~1 s per GiB on a 2-core machine); a worker starts with a fresh heap and copies at library speed.
 * Same contract as copyImages: events arrive on the caller's thread, an abort of `signal` stops
 * the copy, errors come back as FerryErrors with their codes.
 */
import { Worker } from 'node:worker_threads';
import { errorFromTransfer, type TransferredError } from '../../errors.js';
import type { CopyEvent } from '../copy/progress.js';
import type { CopyImagesOptions, CopyImagesResult, CopyJob } from './copy-images.js';

export type WorkerMessage = { type: 'event'; event: CopyEvent } | { type: 'result'; result: CopyImagesResult } | { type: 'error'; error: TransferredError };

export function copyImagesInWorker(jobs: readonly CopyJob[], options: CopyImagesOptions = {}): Promise<CopyImagesResult> {
  const { signal, onEvent, ...rest } = options;
  return new Promise<CopyImagesResult>((resolve, reject) => {
    const worker = new Worker(new URL('./copy-worker.js', import.meta.url), { workerData: { jobs, options: rest, progress: onEvent !== undefined } });
    let settled = false;
    const onAbort = (): void => worker.postMessage({ type: 'abort' });
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'event') onEvent?.(m.event);
      else if (m.type === 'result') finish(() => resolve(m.result));
      else finish(() => reject(signal?.aborted ? signal.reason : errorFromTransfer(m.error)));
    });
    worker.once('error', (err) => finish(() => reject(err)));
    worker.once('exit', (code) => finish(() => reject(new Error(`copy worker exited with code ${code} before it finished`))));
  });
}
