/**
 * Copies images between any stores (the library call behind `ferry image copy` and
 * `ferry image mirror`): one engine for the run, so blobs shared by several images move once.
 * Each image succeeds or fails on its own; the result lists both.
 */
import { ExitCode, FerryError, InvalidInputError, type Problem } from '../../errors.js';
import { CopyEngine, DEFAULT_JOBS, type CopiedImage } from '../copy/engine.js';
import { mapSettled } from '../copy/limiter.js';
import type { CopyListener } from '../copy/progress.js';
import type { Platform } from '../descriptor.js';
import type { RegistryOptions } from '../registry/client.js';
import { StoreSet } from '../store-set.js';
import { parseImageName, type ImageName } from '../transport.js';

export interface CopyJob {
  source: string;
  destination: string;
  /** Where the job came from (a mapping file line), for messages. */
  origin?: string;
}

export interface CopyImagesOptions {
  jobs?: number;
  platform?: Platform;
  source?: RegistryOptions;
  destination?: RegistryOptions;
  signal?: AbortSignal;
  onEvent?: CopyListener;
  /** Throw the first failure (after the others settle) instead of listing failures in the result. */
  failFast?: boolean;
  /**
   * Copied by the same engine (so their blobs are mounted or skipped, not sent again) only once every
   * job has succeeded; withheld when any failed. A catalog image after the images it names.
   */
  afterAll?: readonly CopyJob[];
  /** Blobs an earlier run put into the destination registry (see CopyEngineOptions.mountHints). */
  mountHints?: Readonly<Record<string, string>>;
}

export interface FailedCopy {
  source: string;
  destination: string;
  error: { code: string; message: string; exitCode: number };
}

export interface CopyImagesResult {
  images: CopiedImage[];
  failed: FailedCopy[];
  /** The `afterAll` jobs not copied because a job failed. */
  withheld: CopyJob[];
  blobs: { copied: number; mounted: number; skipped: number; bytes: number };
  seconds: number;
}

export async function copyImages(jobs: readonly CopyJob[], options: CopyImagesOptions = {}): Promise<CopyImagesResult> {
  const afterAll = options.afterAll ?? [];
  const names = parseJobs([...jobs, ...afterAll]);
  const started = Date.now();
  const stores = new StoreSet({ ...(options.source ? { source: options.source } : {}), ...(options.destination ? { destination: options.destination } : {}) });
  const engine = new CopyEngine({ jobs: options.jobs ?? DEFAULT_JOBS, ...(options.signal ? { signal: options.signal } : {}), ...(options.onEvent ? { onEvent: options.onEvent } : {}), ...(options.mountHints ? { mountHints: options.mountHints } : {}) });
  const onEvent = options.onEvent;
  const copyAll = (batch: Array<[ImageName, ImageName]>): Promise<PromiseSettledResult<CopiedImage>[]> =>
    mapSettled(batch, options.jobs ?? DEFAULT_JOBS, async ([source, destination]) => {
      const label = `${source.input} → ${destination.input}`;
      onEvent?.({ type: 'image-start', image: label });
      try {
        const copied = await engine.copyImage(await stores.locate(source, 'source'), await stores.locate(destination, 'destination'), options.platform ? { platform: options.platform } : {});
        onEvent?.({ type: 'image-done', image: label, digest: copied.digest });
        return copied;
      } catch (err) {
        onEvent?.({ type: 'image-failed', image: label, error: err as Error });
        throw err;
      }
    });
  let settled: PromiseSettledResult<CopiedImage>[];
  let withheld: CopyJob[] = [];
  try {
    settled = await copyAll(names.slice(0, jobs.length));
    if (options.signal?.aborted) throw options.signal.reason;
    if (!settled.some((s) => s.status === 'rejected')) settled.push(...(await copyAll(names.slice(jobs.length))));
    else withheld = [...afterAll];
    if (options.signal?.aborted) throw options.signal.reason;
    const firstFailure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (firstFailure && options.failFast) throw firstFailure.reason;
    if (settled.every((s) => s.status === 'rejected')) await stores.abort();
    else await stores.close();
  } catch (err) {
    await stores.abort();
    throw err;
  }
  const images: CopiedImage[] = [];
  const failed: FailedCopy[] = [];
  const all = [...jobs, ...afterAll];
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') images.push(s.value);
    else failed.push({ source: all[i]!.source, destination: all[i]!.destination, error: describe(s.reason) });
  });
  const blobs = { copied: 0, mounted: 0, skipped: 0, bytes: 0 };
  for (const image of images) {
    blobs.copied += image.blobs.copied;
    blobs.mounted += image.blobs.mounted;
    blobs.skipped += image.blobs.skipped;
    blobs.bytes += image.blobs.bytes;
  }
  return { images, failed, withheld, blobs, seconds: (Date.now() - started) / 1000 };
}

/** Parses every name first, so one typo is reported before anything moves. */
function parseJobs(jobs: readonly CopyJob[]): Array<[ImageName, ImageName]> {
  const problems: Problem[] = [];
  const names: Array<[ImageName, ImageName]> = [];
  for (const job of jobs) {
    try {
      names.push([parseImageName(job.source), parseImageName(job.destination)]);
    } catch (err) {
      if (jobs.length === 1 || !(err instanceof FerryError)) throw err;
      problems.push({ file: job.origin ?? `${job.source}=${job.destination}`, message: err.message });
    }
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return names;
}

function describe(err: unknown): FailedCopy['error'] {
  if (err instanceof FerryError) return { code: err.code, message: err.message, exitCode: err.exitCode };
  return { code: 'INTERNAL', message: (err as Error)?.message ?? String(err), exitCode: ExitCode.failure };
}
