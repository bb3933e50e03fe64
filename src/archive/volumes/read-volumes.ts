/**
 * Reading a ferry archive's volumes in place, strictly read-only (they may sit on a DVD): nothing
 * is ever written, renamed or deleted, and files are opened for reading only. Given the first
 * volume (`NAME.001.tar`, or a single `NAME.tar`), finds the others beside it by name, indexes each
 * tar from its headers alone, and checks every volume header: same archive identity, volume
 * numbers 1..N, the same count, and the tar members exactly those the header lists (an extra or a
 * missing member is an error), each file exactly as long as its members. Logical members are
 * streamed by joining their pieces across volumes in order; `openVerified` also checks size and
 * digest at the end (the IntegrityError names the volume files the member spans).
 *
 * A volume set that fails these checks is damaged: ArchiveDamagedError (ARCHIVE_DAMAGED, exit 6,
 * kind VOLUMES). A first volume that does not exist is NotFoundError (exit 5); a tar holding
 * headers pack never writes is UNSUPPORTED_ARCHIVE (exit 3).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { NotFoundError } from '../../errors.js';
import { ArchiveError } from '../../oci/archive/tar-header.js';
import { openTarMember, readTarIndex, type TarEntry, type TarIndex } from '../../oci/archive/tar-index.js';
import { verified } from '../../oci/digest.js';
import { ArchiveDamagedError } from '../archive-damaged.js';
import { VOLUME_HEADER_NAME, logicalName, parseVolumeHeader, type VolumeHeader } from './volume-header.js';
import { volumeFileBytes, volumeFileName } from './plan-volumes.js';

/** The largest volume header ferry reads (a volume of tiny members lists many). */
const MAX_HEADER = 64 * 1024 * 1024;

interface Part {
  file: string;
  volume: number;
  entry: TarEntry;
}

export interface VolumeInfo {
  file: string;
  /** 1-based. */
  volume: number;
  /** Tar members after the volume header. */
  members: number;
  /** The file's size in bytes. */
  size: number;
}

export interface ArchiveMemberInfo {
  name: string;
  size: number;
  /** The volumes (1-based) holding its bytes, in order. */
  volumes: number[];
}

export interface VolumeSet {
  /** The archive identity every volume header carries. */
  readonly archive: string;
  /** The volume files, in order. */
  readonly files: readonly string[];
  readonly volumes: readonly VolumeInfo[];
  /** The logical members in archive order (pieces joined), with the volumes (1-based) holding them. */
  members(): ReadonlyArray<ArchiveMemberInfo>;
  /** One logical member, or undefined. */
  member(name: string): ArchiveMemberInfo | undefined;
  /** Streams a logical member from byte `start` (default 0) to its end, joining its pieces across volumes. Unverified. */
  openMember(name: string, start?: number): Readable;
  /** As openMember, failing at the end (IntegrityError) unless size and sha256 `digest` match. */
  openVerified(name: string, digest: string): Readable;
}

/** Opens and validates the archive whose first volume is `firstVolume`. */
export async function openVolumes(firstVolume: string): Promise<VolumeSet> {
  // The name given is the user's choice (INVALID_ARCHIVE, exit 3); what the files hold is damage.
  const dir = path.dirname(firstVolume);
  const base = path.basename(firstVolume);
  const numberedMatch = /^(.+)\.(\d{3,})\.tar$/.exec(base);
  const numbered = numberedMatch !== null;
  const baseName = numberedMatch?.[1] ?? /^(.+)\.tar$/.exec(base)?.[1];
  if (baseName === undefined) throw new ArchiveError(`${firstVolume}: not a ferry archive volume name (expected NAME.001.tar or NAME.tar)`);
  if (numbered && Number(numberedMatch[2]) !== 1) {
    throw new ArchiveError(`${firstVolume} is volume ${Number(numberedMatch[2])}, not the first: open ${path.join(dir, volumeFileName(baseName, 1, 1, true))}`);
  }
  try {
    return await readVolumeSet(firstVolume, dir, baseName, numbered);
  } catch (err) {
    if (err instanceof ArchiveError) throw new ArchiveDamagedError(firstVolume, [{ kind: 'VOLUMES', message: err.message }]);
    throw err;
  }
}

async function readVolumeSet(firstVolume: string, dir: string, baseName: string, numbered: boolean): Promise<VolumeSet> {

  const first = await loadVolume(firstVolume, 1, undefined);
  const count = first.header.volumes;
  if (!numbered && count !== 1) throw new ArchiveError(`${firstVolume}: its header says it is volume 1 of ${count}, but an unnumbered NAME.tar archive has one volume`);
  if (numbered && path.basename(firstVolume) !== volumeFileName(baseName, 1, count, true)) {
    throw new ArchiveError(`${firstVolume}: an archive of ${count} volumes names its first volume ${volumeFileName(baseName, 1, count, true)}`);
  }
  const volumes = [first];
  for (let n = 2; n <= count; n++) {
    const file = path.join(dir, volumeFileName(baseName, n, count, true));
    volumes.push(await loadVolume(file, n, { archive: first.header.archive, count, firstFile: firstVolume }));
  }

  // Join pieces into logical members, checking their sequence.
  const logical = new Map<string, { size: number; parts: Part[] }>();
  const order: string[] = [];
  let open: { name: string; of: number; next: number; offset: number; file: string } | undefined;
  for (const v of volumes) {
    for (const [i, m] of v.header.members.entries()) {
      const entry = v.entries[i]!;
      const name = logicalName(m);
      const where = `${v.file}: member ${m.name}`;
      if (open !== undefined && (m.piece === undefined || name !== open.name)) {
        throw new ArchiveError(`${where}: expected piece ${open.next} of ${open.of} of ${open.name} (continuing from ${open.file})`);
      }
      if (m.piece === undefined) {
        if (logical.has(name)) throw new ArchiveError(`${where}: duplicate archive member`);
        logical.set(name, { size: m.size, parts: [{ file: v.file, volume: v.header.volume, entry }] });
        order.push(name);
        continue;
      }
      if (open === undefined) {
        if (m.piece.index !== 1 || m.piece.offset !== 0) throw new ArchiveError(`${where}: piece ${m.piece.index} of ${m.piece.of} without the pieces before it`);
        if (logical.has(name)) throw new ArchiveError(`${where}: duplicate archive member ${name}`);
        logical.set(name, { size: 0, parts: [] });
        order.push(name);
        open = { name, of: m.piece.of, next: 1, offset: 0, file: v.file };
      }
      if (m.piece.index !== open.next || m.piece.of !== open.of || m.piece.offset !== open.offset) {
        throw new ArchiveError(`${where}: expected piece ${open.next} of ${open.of} at offset ${open.offset}, found piece ${m.piece.index} of ${m.piece.of} at offset ${m.piece.offset}`);
      }
      const item = logical.get(name)!;
      item.parts.push({ file: v.file, volume: v.header.volume, entry });
      item.size += m.size;
      open.offset += m.size;
      open.next++;
      open.file = v.file;
      if (m.piece.index === m.piece.of) open = undefined;
    }
  }
  if (open !== undefined) throw new ArchiveError(`${open.file}: the archive ends after piece ${open.next - 1} of ${open.of} of ${open.name}`);

  const files = volumes.map((v) => v.file);
  const infos: ArchiveMemberInfo[] = order.map((name) => {
    const item = logical.get(name)!;
    return { name, size: item.size, volumes: [...new Set(item.parts.map((p) => p.volume))] };
  });
  const infoByName = new Map(infos.map((i) => [i.name, i]));
  const get = (name: string): { size: number; parts: Part[] } => {
    const item = logical.get(name);
    if (item === undefined) throw new NotFoundError(`${firstVolume}: the archive has no member ${name}`);
    return item;
  };
  return {
    archive: first.header.archive,
    files,
    volumes: volumes.map((v) => ({ file: v.file, volume: v.header.volume, members: v.entries.length, size: v.size })),
    members: () => infos,
    member: (name) => infoByName.get(name),
    openMember: (name, start = 0) => {
      const item = get(name);
      if (!Number.isSafeInteger(start) || start < 0 || start > item.size) throw new ArchiveError(`archive member ${name}: offset ${start} is outside its ${item.size} bytes`);
      return joined(item.parts, start);
    },
    openVerified: (name, digest) => {
      const item = get(name);
      const spans = [...new Set(item.parts.map((p) => p.file))].join(', ');
      return verified(joined(item.parts), { digest, size: item.size, source: `archive member ${name} (in ${spans})` });
    },
  };
}

/** The pieces' bytes in order, from byte `start` of the whole. */
function joined(parts: readonly Part[], start = 0): Readable {
  if (parts.length === 1) return openTarMember(parts[0]!.file, parts[0]!.entry, start);
  return Readable.from(
    (async function* () {
      let skip = start;
      for (const p of parts) {
        if (skip >= p.entry.size) {
          skip -= p.entry.size;
          continue;
        }
        yield* openTarMember(p.file, p.entry, skip);
        skip = 0;
      }
    })(),
    { objectMode: false },
  );
}

interface LoadedVolume {
  file: string;
  header: VolumeHeader;
  /** The tar entries after the header, matching header.members one to one. */
  entries: TarEntry[];
  size: number;
}

async function loadVolume(file: string, volume: number, expect: { archive: string; count: number; firstFile: string } | undefined): Promise<LoadedVolume> {
  const label = expect === undefined ? file : `${file} (volume ${volume} of ${expect.count})`;
  let index: TarIndex;
  try {
    index = await readTarIndex(file, file, { strict: true });
  } catch (err) {
    if (err instanceof NotFoundError) {
      if (expect === undefined) throw new NotFoundError(`${file}: no such archive`);
      throw new ArchiveError(`missing volume ${volume} of ${expect.count}: expected ${file} beside ${expect.firstFile}`);
    }
    if (err instanceof ArchiveError) throw new ArchiveError(`${label} is truncated or damaged: ${err.message}`);
    throw err;
  }
  const [head, ...entries] = index.entries;
  if (head === undefined || head.name !== VOLUME_HEADER_NAME || head.type !== 'file') {
    throw new ArchiveError(`${label}: not a ferry archive volume (its first member is ${head === undefined ? 'missing' : `"${head.name}"`}, not ${VOLUME_HEADER_NAME})`);
  }
  if (head.size > MAX_HEADER) throw new ArchiveError(`${label}: ${VOLUME_HEADER_NAME} is ${head.size} bytes, more than ${MAX_HEADER}`);
  const header = parseVolumeHeader(await readAll(openTarMember(file, head)), label);

  if (expect !== undefined && header.archive !== expect.archive) {
    throw new ArchiveError(`${file} belongs to another archive: its header names archive ${header.archive}, but ${expect.firstFile} is archive ${expect.archive}`);
  }
  if (header.volume !== volume) throw new ArchiveError(`${label}: its header says it is volume ${header.volume}, expected volume ${volume}`);
  if (expect !== undefined && header.volumes !== expect.count) {
    throw new ArchiveError(`${label}: its header says the archive has ${header.volumes} volumes, ${expect.firstFile} says ${expect.count}`);
  }

  // The tar's members must be exactly those the header lists, in order.
  for (let i = 0; i < Math.max(entries.length, header.members.length); i++) {
    const entry = entries[i];
    const listed = header.members[i];
    if (listed === undefined) throw new ArchiveError(`${label} has a tar member "${entry!.name}" that its volume header does not list`);
    if (entry === undefined) throw new ArchiveError(`${label} is truncated or incomplete: it lacks member "${listed.name}" that its volume header lists`);
    if (entry.stored !== undefined) throw new ArchiveError(`${label}: tar member ${i + 2} is stored as "${entry.stored}", not in canonical form (absolute, "./" or trailing "/")`);
    if (entry.name !== listed.name || entry.type !== 'file') throw new ArchiveError(`${label}: tar member ${i + 2} is ${entry.type} "${entry.name}", its volume header lists file "${listed.name}"`);
    if (entry.size !== listed.size) throw new ArchiveError(`${label}: tar member "${entry.name}" has ${entry.size} bytes, its volume header says ${listed.size}`);
  }

  // Exactly the members and the two end blocks: a shorter file lost its end, a longer one has extra data.
  const expected = volumeFileBytes(head.size, entries);
  const actual = (await stat(file)).size;
  if (actual < expected) throw new ArchiveError(`${label} is truncated: ${actual} bytes, expected ${expected}`);
  if (actual > expected) throw new ArchiveError(`${label} has ${actual - expected} unexpected bytes after its last member (${actual} bytes, expected ${expected})`);
  return { file, header, entries, size: actual };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
