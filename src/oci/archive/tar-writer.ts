/**
 * Writing a tar file deterministically from an explicit, already ordered member list: ustar
 * headers with mtime 0, uid/gid 0, no user or group names, mode 0644 for files and 0755 for
 * folders, no pax times. File members are streamed from disk (memory stays flat whatever their
 * size), counted, and hashed when a digest is given, so a file that changed since it was listed
 * fails the write instead of producing a wrong archive.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IntegrityError } from '../digest.js';
import type { Cancellable } from '../store.js';
import { ArchiveError, TAR_BLOCK, encodeTarHeader, padToBlock } from './tar-header.js';

export type TarMemberSpec =
  | { type: 'dir'; name: string }
  /** A file whose bytes ferry holds (small metadata: index.json, manifest.json). */
  | { type: 'file'; name: string; bytes: Buffer }
  /** A file streamed from `path`, which must have exactly `size` bytes (and `digest`, when given). */
  | { type: 'file'; name: string; path: string; size: number; digest?: string };

export const FILE_MODE = 0o644;
export const DIR_MODE = 0o755;

/** Writes the tar to `target`, which must not exist, and flushes it to disk. */
export async function writeTarFile(target: string, members: readonly TarMemberSpec[], options: Cancellable = {}): Promise<void> {
  await pipeline(Readable.from(tarChunks(members)), createWriteStream(target, { flags: 'wx', mode: FILE_MODE }), { signal: options.signal });
  const handle = await open(target, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The tar as a sequence of chunks: header, data, padding per member, then two zero blocks. */
export async function* tarChunks(members: readonly TarMemberSpec[]): AsyncGenerator<Buffer> {
  for (const member of members) {
    if (member.type === 'dir') {
      yield encodeTarHeader({ name: member.name.endsWith('/') ? member.name : `${member.name}/`, type: 'dir', size: 0, mode: DIR_MODE });
      continue;
    }
    const size = 'bytes' in member ? member.bytes.length : member.size;
    yield encodeTarHeader({ name: member.name, type: 'file', size, mode: FILE_MODE });
    if ('bytes' in member) {
      if (size > 0) yield member.bytes;
    } else {
      const hash = member.digest === undefined ? undefined : createHash('sha256');
      let written = 0;
      for await (const chunk of createReadStream(member.path)) {
        const buffer = chunk as Buffer;
        written += buffer.length;
        if (written > size) throw new ArchiveError(`${member.path} grew beyond the ${size} bytes it had when the archive was planned`, 'ARCHIVE_WRITE');
        hash?.update(buffer);
        yield buffer;
      }
      if (written !== size) throw new ArchiveError(`${member.path} has ${written} bytes, expected ${size}`, 'ARCHIVE_WRITE');
      if (hash !== undefined) {
        const actual = `sha256:${hash.digest('hex')}`;
        if (actual !== member.digest) throw new IntegrityError(`${member.path}: content does not match its digest: expected ${member.digest}, got ${actual}`);
      }
    }
    const padding = padToBlock(size) - size;
    if (padding > 0) yield Buffer.alloc(padding);
  }
  yield Buffer.alloc(2 * TAR_BLOCK);
}
