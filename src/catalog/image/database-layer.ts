/**
 * The one layer a catalog image adds: `database/index.db` in a deterministic tar (fixed mtime,
 * uid/gid 0, fixed modes), gzip-compressed, written to a file while both digests are computed:
 * the compressed blob's (the layer digest) and the tar's (the config's diff_id).
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';
import { tarChunks } from '../../oci/archive/tar-writer.js';
import { DATABASE_PATH } from './catalog-labels.js';

export interface DatabaseLayer {
  file: string;
  digest: string;
  size: number;
  diffId: string;
}

export async function writeDatabaseLayer(database: string, target: string): Promise<DatabaseLayer> {
  const size = (await stat(database)).size;
  const inside = DATABASE_PATH.replace(/^\//, '');
  const tarHash = createHash('sha256');
  const blobHash = createHash('sha256');
  let blobSize = 0;
  await pipeline(
    Readable.from(tarChunks([{ type: 'dir', name: `${inside.split('/')[0]}/` }, { type: 'file', name: inside, path: database, size }])),
    tap((chunk) => tarHash.update(chunk)),
    // Fixed level and no file name or time in the header: the same tar always gives the same bytes.
    createGzip({ level: constants.Z_BEST_COMPRESSION }),
    tap((chunk) => {
      blobHash.update(chunk);
      blobSize += chunk.length;
    }),
    createWriteStream(target, { flags: 'wx' }),
  );
  return { file: target, digest: `sha256:${blobHash.digest('hex')}`, size: blobSize, diffId: `sha256:${tarHash.digest('hex')}` };
}

function tap(fn: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      fn(chunk);
      callback(null, chunk);
    },
  });
}
