/**
 * One image layer written to a file: a deterministic tar of the given members (fixed mtime,
 * uid/gid 0, fixed modes), gzip-compressed at a fixed level with no name or time in its header,
 * while both digests are computed: the compressed blob's (the layer digest) and the tar's (the
 * config's diff_id). The same members always give the same bytes.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';
import { tarChunks, type TarMemberSpec } from '../../oci/archive/tar-writer.js';

export interface LayerFile {
  file: string;
  digest: string;
  size: number;
  diffId: string;
}

export async function writeLayerFile(members: readonly TarMemberSpec[], target: string): Promise<LayerFile> {
  const tarHash = createHash('sha256');
  const blobHash = createHash('sha256');
  let blobSize = 0;
  await pipeline(
    Readable.from(tarChunks(members)),
    tap((chunk) => tarHash.update(chunk)),
    createGzip({ level: constants.Z_BEST_COMPRESSION }),
    tap((chunk) => {
      blobHash.update(chunk);
      blobSize += chunk.length;
    }),
    createWriteStream(target, { flags: 'wx' }),
  );
  return { file: target, digest: `sha256:${blobHash.digest('hex')}`, size: blobSize, diffId: `sha256:${tarHash.digest('hex')}` };
}

/** The tar entries of the folders above `inside` (`a/`, `a/b/` for `a/b/c`), outermost first. */
export function parentDirs(inside: string): TarMemberSpec[] {
  const parts = inside.split('/').slice(0, -1);
  return parts.map((_, i) => ({ type: 'dir' as const, name: `${parts.slice(0, i + 1).join('/')}/` }));
}

function tap(fn: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      fn(chunk);
      callback(null, chunk);
    },
  });
}
