/**
 * Renders copy events: a progress bar of bytes on a terminal, plain lines when stderr is not a TTY
 * (CI logs, pipes), nothing with --json or --log-level below info.
 */
import cliProgress from 'cli-progress';
import type { CopyEvent, CopyListener } from '../oci/copy/progress.js';
import { formatBytes } from '../util/format-bytes.js';

export interface ProgressSink {
  listener: CopyListener | undefined;
  stop(): void;
}

export function copyProgress(options: { enabled: boolean; log: (line: string) => void }): ProgressSink {
  if (!options.enabled) return { listener: undefined, stop: () => undefined };
  if (process.stderr.isTTY) return barProgress();
  return lineProgress(options.log);
}

function barProgress(): ProgressSink {
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{bar} {percentage}% | {done}/{total_h} | {images} | {speed} | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let total = 0;
  let done = 0;
  let imagesDone = 0;
  let imagesStarted = 0;
  const started = Date.now();
  let running = false;
  const payload = () => ({
    done: formatBytes(done),
    total_h: formatBytes(total),
    images: `${imagesDone}/${imagesStarted} images`,
    speed: `${formatBytes(done / Math.max((Date.now() - started) / 1000, 0.001))}/s`,
  });
  const listener = (e: CopyEvent): void => {
    if (!running) {
      bar.start(1, 0, payload());
      running = true;
    }
    if (e.type === 'image-start') imagesStarted++;
    else if (e.type === 'image-done' || e.type === 'image-failed') imagesDone++;
    else if (e.type === 'blob-start') total += e.size;
    else if (e.type === 'blob-bytes') done += e.bytes;
    bar.setTotal(Math.max(total, 1));
    bar.update(Math.min(done, Math.max(total, 1)), payload());
  };
  return { listener, stop: () => running && bar.stop() };
}

function lineProgress(log: (line: string) => void): ProgressSink {
  const listener = (e: CopyEvent): void => {
    if (e.type === 'image-done') log(`copied ${e.image} (${e.digest})`);
    else if (e.type === 'image-failed') log(`failed ${e.image}: ${e.error.message}`);
  };
  return { listener, stop: () => undefined };
}
