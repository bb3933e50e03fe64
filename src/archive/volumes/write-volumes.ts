/**
 * Writing a planned archive's volumes. Each volume tar is streamed (memory stays flat: member data
 * is read from its source in chunks, a piece as a byte range of its file) into a hidden temp file
 * `.NAME.001.tar.<random>.tmp` in the target folder, flushed, and its size checked against the
 * plan. Only when every volume is complete are they linked to their final names (`NAME.001.tar`…,
 * or `NAME.tar` for an unsplit archive), so the archive never appears half-written. On any failure
 * the temp files (and any final name this call already placed) are removed; files that existed
 * before are never touched. An existing final file is refused unless `overwrite` is true.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ExitCode, FerryError } from '../../errors.js';
import { ArchiveError, TAR_BLOCK, encodeTarHeader, padToBlock } from '../../oci/archive/tar-header.js';
import { IntegrityError } from '../../oci/digest.js';
import { VOLUME_HEADER_NAME } from './volume-header.js';
import { volumeFileName, type PlannedMember, type PlannedVolume, type VolumePlan } from './plan-volumes.js';

/** Where a logical member's bytes come from: held bytes (small metadata) or a file on disk. */
export type MemberSource = { kind: 'bytes'; bytes: Buffer } | { kind: 'file'; path: string; digest?: string };

export interface VolumeTarget {
  /** The folder the volumes are written to (must exist). */
  dir: string;
  /** The archive name: volumes are `<baseName>.001.tar`… (or `<baseName>.tar`). */
  baseName: string;
  /** The source of each logical member of the plan. */
  source(name: string): MemberSource;
}

export interface WriteVolumesOptions {
  signal?: AbortSignal;
  /** Replace existing volume files of the same names (default: refuse). */
  overwrite?: boolean;
}

const FILE_MODE = 0o644;
/** Blob bytes are read and written in 1 MiB chunks: 64 KiB chunks cost an async-generator step each, which dominated the write of a 1 GiB archive. */
const READ_CHUNK = 1024 * 1024;

/** Writes every volume of `plan`; returns the final paths in volume order. */
export async function writeVolumes(plan: VolumePlan, target: VolumeTarget, options: WriteVolumesOptions = {}): Promise<string[]> {
  const count = plan.volumes.length;
  const finals = plan.volumes.map((v) => path.join(target.dir, volumeFileName(target.baseName, v.volume, count, plan.numbered)));
  if (!options.overwrite) for (const f of finals) await refuseExisting(f);
  await mkdir(target.dir, { recursive: true });
  await removeStaleTemps(target.dir, target.baseName);

  const temps: string[] = [];
  const placed: string[] = [];
  const hashes = new Map<string, Hash>();
  const sizes = new Map(plan.members.map((m) => [m.name, m.size]));
  try {
    for (const [i, volume] of plan.volumes.entries()) {
      options.signal?.throwIfAborted();
      const temp = path.join(target.dir, `.${path.basename(finals[i]!)}.${randomBytes(6).toString('hex')}.tmp`);
      temps.push(temp);
      await pipeline(Readable.from(volumeChunks(sizes, volume, target, hashes)), createWriteStream(temp, { flags: 'wx', mode: FILE_MODE, highWaterMark: READ_CHUNK }), { signal: options.signal });
      const handle = await open(temp, 'r+');
      try {
        await handle.sync();
        const size = (await handle.stat()).size;
        if (size !== volume.size) throw new ArchiveError(`${finals[i]}: wrote ${size} bytes, the plan says ${volume.size}`, 'ARCHIVE_WRITE');
      } finally {
        await handle.close();
      }
    }
    options.signal?.throwIfAborted();
    for (const [i, temp] of temps.entries()) {
      const final = finals[i]!;
      if (options.overwrite) {
        await rename(temp, final);
      } else {
        // link() never replaces an existing file: a volume that appeared meanwhile is not clobbered.
        try {
          await link(temp, final);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw existsError(final);
          throw err;
        }
        await unlink(temp);
      }
      placed.push(final);
    }
    await syncDir(target.dir);
    return finals;
  } catch (err) {
    // Only overwrite renames can have replaced an old file; linked ones are removed again.
    if (!options.overwrite) for (const f of placed) await unlink(f).catch(() => undefined);
    for (const t of temps) await unlink(t).catch(() => undefined);
    throw err;
  }
}

/**
 * Temp volumes a killed run left (`.NAME.tar.<hex>.tmp`, `.NAME.001.tar.<hex>.tmp`): a crash skips
 * the cleanup, and on removable media such a file can be as large as the archive.
 */
async function removeStaleTemps(dir: string, baseName: string): Promise<void> {
  const escaped = baseName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const stale = new RegExp(`^\\.${escaped}(\\.\\d{3,})?\\.tar\\.[0-9a-f]{12}\\.tmp$`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) if (stale.test(name)) await unlink(path.join(dir, name)).catch(() => undefined);
}

async function refuseExisting(file: string): Promise<void> {
  try {
    await stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  throw existsError(file);
}

function existsError(file: string): FerryError {
  return new FerryError('ARCHIVE_EXISTS', `${file} already exists; pack never replaces an archive or its volumes, and nothing was written`, ExitCode.invalidInput, {
    suggestions: ['give another name with -o/--output, or remove the old archive (every NAME.NNN.tar volume of it) first'],
  });
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // some filesystems refuse fsync on a folder; the files themselves are synced
  } finally {
    await handle.close();
  }
}

/** One volume's tar: the header member, each member's header, data and padding, two zero blocks. */
async function* volumeChunks(sizes: ReadonlyMap<string, number>, volume: PlannedVolume, target: VolumeTarget, hashes: Map<string, Hash>): AsyncGenerator<Buffer> {
  yield encodeTarHeader({ name: VOLUME_HEADER_NAME, type: 'file', size: volume.header.length, mode: FILE_MODE });
  yield volume.header;
  yield* padding(volume.header.length);
  for (const member of volume.members) {
    const logicalSize = sizes.get(member.member);
    if (logicalSize === undefined) throw new Error(`internal error: ${member.member} is not in the plan`);
    yield encodeTarHeader({ name: member.name, type: 'file', size: member.size, mode: FILE_MODE });
    yield* memberData(member, logicalSize, target.source(member.member), hashes);
    yield* padding(member.size);
  }
  yield Buffer.alloc(2 * TAR_BLOCK);
}

function* padding(size: number): Generator<Buffer> {
  const pad = padToBlock(size) - size;
  if (pad > 0) yield Buffer.alloc(pad);
}

async function* memberData(member: PlannedMember, logicalSize: number, source: MemberSource, hashes: Map<string, Hash>): AsyncGenerator<Buffer> {
  if (source.kind === 'bytes') {
    if (source.bytes.length !== logicalSize) throw new ArchiveError(`archive member ${member.member} has ${source.bytes.length} bytes, the plan says ${logicalSize}`, 'ARCHIVE_WRITE');
    if (member.size > 0) yield source.bytes.subarray(member.start, member.start + member.size);
    return;
  }
  // The file must still have the size it was planned with (a piece is a byte range of it).
  const actual = (await stat(source.path)).size;
  if (actual !== logicalSize) throw new ArchiveError(`${source.path} has ${actual} bytes, expected ${logicalSize} (it changed since the archive was planned)`, 'ARCHIVE_WRITE');
  let hash: Hash | undefined;
  if (source.digest !== undefined) {
    hash = member.start === 0 ? createHash('sha256') : hashes.get(member.member);
    if (hash === undefined) throw new Error(`internal error: pieces of ${member.member} out of order`);
    hashes.set(member.member, hash);
  }
  let written = 0;
  if (member.size > 0) {
    for await (const chunk of createReadStream(source.path, { start: member.start, end: member.start + member.size - 1, highWaterMark: READ_CHUNK })) {
      const buffer = chunk as Buffer;
      written += buffer.length;
      hash?.update(buffer);
      yield buffer;
    }
  }
  if (written !== member.size) throw new ArchiveError(`${source.path}: read ${written} bytes at offset ${member.start}, expected ${member.size}`, 'ARCHIVE_WRITE');
  if (hash !== undefined && member.start + member.size === logicalSize) {
    hashes.delete(member.member);
    const digest = `sha256:${hash.digest('hex')}`;
    if (digest !== source.digest) throw new IntegrityError(`${source.path}: content does not match its digest: expected ${source.digest}, got ${digest}`);
  }
}
