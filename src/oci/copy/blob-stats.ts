/** Counts of what happened to the blobs of one copy. */
import type { BlobOutcome } from './progress.js';

export interface BlobStats {
  copied: number;
  mounted: number;
  skipped: number;
  /** Bytes streamed (copied blobs only). */
  bytes: number;
}

export function emptyStats(): BlobStats {
  return { copied: 0, mounted: 0, skipped: 0, bytes: 0 };
}

export function countBlob(stats: BlobStats, how: BlobOutcome, size: number): void {
  stats[how]++;
  if (how === 'copied') stats.bytes += size;
}
