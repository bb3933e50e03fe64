/**
 * The two ways a blob leaves the server. Whole: the store's verifying stream, with its last chunk
 * held back until the digest has been checked, so a damaged blob never reaches its announced length
 * (the response is cut short instead, and the client sees a broken transfer, never a complete one).
 * A slice: `length` bytes from an offset of a blob already proven whole (./verified-blobs.ts).
 */
import { Readable, Transform, type TransformCallback } from 'node:stream';

/** Passes every chunk on one step late; the last one only when the input ends without error. */
export class HoldLastChunk extends Transform {
  private held: Buffer | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const previous = this.held;
    this.held = chunk;
    callback(null, previous);
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.held);
  }
}

/** The first `length` bytes of `source` (which is then destroyed); errors if it ends sooner. */
export function firstBytes(source: Readable, length: number, what: string): Readable {
  return Readable.from(
    (async function* () {
      let remaining = length;
      if (remaining === 0) {
        source.destroy();
        return;
      }
      for await (const chunk of source) {
        const buffer = chunk as Buffer;
        if (buffer.length >= remaining) {
          yield buffer.subarray(0, remaining);
          return; // ends the loop: source is destroyed
        }
        remaining -= buffer.length;
        yield buffer;
      }
      throw new Error(`${what} ended ${remaining} bytes short of the range`);
    })(),
    { objectMode: false },
  );
}
