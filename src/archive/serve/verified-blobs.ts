/**
 * Which blobs this server has read whole and found to match their digests, and which it found
 * damaged. A whole-blob GET verifies as it streams; a `Range` GET first needs the whole blob proven
 * (a slice cannot be checked on its own), so the first range request of a blob reads it whole once,
 * concurrent ones share that read, and later ones are served straight from the archive.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../../oci/descriptor.js';
import { IntegrityError } from '../../oci/digest.js';
import type { ImageStore } from '../../oci/store.js';

export class VerifiedBlobs {
  private readonly verified = new Set<string>();
  private readonly damaged = new Map<string, IntegrityError>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly store: ImageStore) {}

  /** The error a blob was found damaged with, if it was. */
  damage(digest: string): IntegrityError | undefined {
    return this.damaged.get(digest);
  }

  /** Records the outcome of a whole read: undefined = it matched. */
  record(digest: string, error: unknown): void {
    if (error === undefined) this.verified.add(digest);
    else if (error instanceof IntegrityError) this.damaged.set(digest, error);
  }

  /** Resolves once the whole blob was read and matched; rejects with the IntegrityError otherwise. */
  async ensure(descriptor: Descriptor): Promise<void> {
    const digest = descriptor.digest;
    if (this.verified.has(digest)) return;
    const known = this.damaged.get(digest);
    if (known) throw known;
    let run = this.running.get(digest);
    if (run === undefined) {
      run = this.readWhole(descriptor).finally(() => this.running.delete(digest));
      this.running.set(digest, run);
    }
    return run;
  }

  private async readWhole(descriptor: Descriptor): Promise<void> {
    let stream: Readable | undefined;
    try {
      stream = await this.store.getBlob('', descriptor);
      for await (const _chunk of stream) {
        // read to the end: the stream checks size and digest as it ends
      }
      this.record(descriptor.digest, undefined);
    } catch (err) {
      this.record(descriptor.digest, err);
      throw err;
    }
  }
}
