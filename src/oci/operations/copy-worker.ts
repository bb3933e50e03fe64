/**
 * Worker-thread entry for copyImagesInWorker: runs copyImages on a fresh heap and posts back its
 * events (byte counts batched every 100 ms), then the result or the error as plain data.
 */
import { setMaxListeners } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import { ExitCode, FerryError, errorToTransfer } from '../../errors.js';
import type { CopyEvent } from '../copy/progress.js';
import { copyImages, type CopyImagesOptions, type CopyJob } from './copy-images.js';
import type { WorkerMessage } from './copy-in-worker.js';

interface Input {
  jobs: CopyJob[];
  options: Omit<CopyImagesOptions, 'signal' | 'onEvent'>;
  progress: boolean;
}

const port = parentPort!;
const input = workerData as Input;
const controller = new AbortController();
setMaxListeners(0, controller.signal);
port.on('message', (m: { type: string }) => {
  if (m.type === 'abort') controller.abort(new FerryError('INTERRUPTED', 'interrupted', ExitCode.interrupted));
});

const post = (message: WorkerMessage): void => port.postMessage(message);
let pendingBytes = 0;
const flush = (): void => {
  if (pendingBytes > 0) post({ type: 'event', event: { type: 'blob-bytes', digest: '', bytes: pendingBytes } });
  pendingBytes = 0;
};
const timer = input.progress ? setInterval(flush, 100) : undefined;
const onEvent = (event: CopyEvent): void => {
  if (event.type === 'blob-bytes') pendingBytes += event.bytes;
  else post({ type: 'event', event: event.type === 'image-failed' ? { ...event, error: { name: 'Error', message: event.error.message } } : event });
};

try {
  const result = await copyImages(input.jobs, { ...input.options, signal: controller.signal, ...(input.progress ? { onEvent } : {}) });
  flush();
  post({ type: 'result', result });
} catch (err) {
  post({ type: 'error', error: errorToTransfer(err) });
} finally {
  if (timer) clearInterval(timer);
  port.close();
}
