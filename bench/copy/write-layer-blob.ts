/**
 * One synthetic layer blob: seeded, incompressible bytes (AES-128-CTR keystream) in a hand-written
 * gzip frame of stored deflate blocks, streamed to a layout's blobs folder.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { MediaType } from '../../src/oci/media-types.js';
import { type Descriptor } from '../../src/oci/descriptor.js';

export interface LayerBlob extends Descriptor {
  /** sha256 of the uncompressed content (the config's rootfs.diff_ids entry). */
  diffId: string;
}

/** Deflate's largest stored block. */
const STORED_BLOCK = 65_535;
const BLOCKS_PER_WRITE = 64;
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]); // deflate, no flags, mtime 0, OS unknown

/** A 128-bit value derived from the seed and a purpose, for AES keys and IVs. */
function derive(seed: string, purpose: string): Buffer {
  return createHash('sha256').update(`${seed}|${purpose}`).digest().subarray(0, 16);
}

/**
 * Writes a layer blob: `payload` bytes of AES-128-CTR keystream (keyed by `seed` and `label`) framed
 * as a real gzip stream of stored (uncompressed) deflate blocks, streamed to disk a few MiB at a time.
 * A real gzip stream, not just the label: skopeo sniffs layer compression, and without
 * --preserve-digests it gzips a layer it finds uncompressed, which would change every digest. The
 * framing is written by hand, so the bytes do not depend on the zlib version.
 */
export async function writeLayerBlob(blobsDir: string, seed: string, label: string, payload: number): Promise<LayerBlob> {
  const cipher = createCipheriv('aes-128-ctr', derive(seed, `key|${label}`), derive(seed, `iv|${label}`));
  const zeros = Buffer.alloc(STORED_BLOCK * BLOCKS_PER_WRITE);
  const out = Buffer.alloc((STORED_BLOCK + 5) * BLOCKS_PER_WRITE);
  const blobHash = createHash('sha256');
  const diffHash = createHash('sha256');
  let crc = 0;
  let size = 0;
  const temp = path.join(blobsDir, `.tmp-${label}`);
  const file = await open(temp, 'w');
  const write = async (chunk: Buffer): Promise<void> => {
    blobHash.update(chunk);
    size += chunk.length;
    for (let off = 0; off < chunk.length; ) off += (await file.write(chunk, off, chunk.length - off)).bytesWritten;
  };
  try {
    await write(GZIP_HEADER);
    for (let left = payload; left > 0; ) {
      const n = Math.min(zeros.length, left);
      const data = cipher.update(zeros.subarray(0, n));
      diffHash.update(data);
      crc = crc32(data, crc);
      let o = 0;
      for (let i = 0; i < n; i += STORED_BLOCK) {
        const len = Math.min(STORED_BLOCK, n - i);
        out[o] = left - i - len === 0 ? 1 : 0; // BFINAL on the last block, BTYPE 00 (stored)
        out.writeUInt16LE(len, o + 1);
        out.writeUInt16LE(~len & 0xffff, o + 3);
        data.copy(out, o + 5, i, i + len);
        o += 5 + len;
      }
      await write(out.subarray(0, o));
      left -= n;
    }
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE(payload % 2 ** 32, 4);
    await write(trailer);
  } finally {
    await file.close();
  }
  const hex = blobHash.digest('hex');
  await rename(temp, path.join(blobsDir, hex));
  return { mediaType: MediaType.ociLayerGzip, digest: `sha256:${hex}`, size, diffId: `sha256:${diffHash.digest('hex')}` };
}
