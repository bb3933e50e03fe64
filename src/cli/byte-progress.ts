/**
 * Progress of one long pass over a known number of bytes (verify, push): a bar with rate and ETA on
 * a terminal, a plain line at each tenth when stderr is not a TTY, nothing when disabled.
 */
import cliProgress from 'cli-progress';
import { formatBytes } from '../util/format-bytes.js';

export interface ByteProgress {
  update(done: number, total: number): void;
  stop(): void;
}

export function byteProgress(options: { enabled: boolean; label: string; log: (line: string) => void }): ByteProgress {
  if (!options.enabled) return { update: () => undefined, stop: () => undefined };
  const started = Date.now();
  const rate = (done: number): string => `${formatBytes(done / Math.max((Date.now() - started) / 1000, 0.001))}/s`;
  if (!process.stderr.isTTY) {
    let tenth = 0;
    return {
      update: (done, total) => {
        const now = total === 0 ? 10 : Math.floor((done / total) * 10);
        if (now > tenth) {
          tenth = now;
          options.log(`${options.label}: ${formatBytes(done)} of ${formatBytes(total)} (${now * 10}%, ${rate(done)})`);
        }
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${options.label} {bar} {percentage}% | {done}/{total_h} | {speed} | ETA {eta_formatted}`, hideCursor: true, clearOnComplete: true, fps: 5 },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  return {
    update: (done, total) => {
      const payload = { done: formatBytes(done), total_h: formatBytes(total), speed: rate(done) };
      if (!running) {
        bar.start(Math.max(total, 1), done, payload);
        running = true;
      }
      bar.update(Math.min(done, Math.max(total, 1)), payload);
    },
    stop: () => {
      if (running) bar.stop();
    },
  };
}
