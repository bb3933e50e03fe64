/**
 * Planning how an archive's members (in their final order) are laid out over volumes of at most
 * `volumeSize` bytes. Greedy and deterministic: each member goes whole into the current volume when
 * it fits, else into a new volume; a member that does not fit even in an empty volume is split into
 * pieces (`<name>.ferry-piece-<i>-of-<n>`) that fill the rest of the current volume and the
 * following ones. Every volume's size is computed exactly: the `ferry-volume.json` header member
 * (whose JSON depends on the plan itself: volume numbers, count, members), each member's 512-byte
 * tar header and block-padded data, and the two zero end blocks. No volumeSize: one unnumbered
 * volume (`NAME.tar`) that still starts with its header.
 */
import { ArchiveError, TAR_BLOCK, encodeTarHeader, padToBlock } from '../../oci/archive/tar-header.js';
import { VOLUME_HEADER_NAME, encodeVolumeHeader, pieceName, type VolumeHeaderMember } from './volume-header.js';

export interface LogicalMember {
  name: string;
  size: number;
}

/** One tar member of a volume: a whole logical member, or a piece of one. */
export interface PlannedMember extends VolumeHeaderMember {
  /** The logical member this tar member holds (all or part of). */
  member: string;
  /** Where this tar member's bytes start in the logical member (0 for a whole member). */
  start: number;
}

export interface PlannedVolume {
  /** 1-based. */
  volume: number;
  /** Tar members after the header, in order. */
  members: PlannedMember[];
  /** The exact bytes of this volume's `ferry-volume.json`. */
  header: Buffer;
  /** The exact size of the volume's tar file. */
  size: number;
}

export interface VolumePlan {
  archive: string;
  /** undefined: a single unnumbered volume. */
  volumeSize: number | undefined;
  /** True when volume files are numbered (`NAME.001.tar`); false for a single `NAME.tar`. */
  numbered: boolean;
  members: LogicalMember[];
  volumes: PlannedVolume[];
}

const END_BLOCKS = 2 * TAR_BLOCK;

/** Bytes a tar member of `size` bytes takes: its header and its block-padded data. */
export function tarMemberBytes(size: number): number {
  return TAR_BLOCK + padToBlock(size);
}

/** The exact length of a volume file: its volume header (`headerSize` bytes), its members, the two end blocks. */
export function volumeFileBytes(headerSize: number, members: ReadonlyArray<{ size: number }>): number {
  return members.reduce((n, m) => n + tarMemberBytes(m.size), tarMemberBytes(headerSize)) + END_BLOCKS;
}

/**
 * Plans the volumes; `archive` is the identity written in every volume header (its length changes
 * the header size, so it is part of the plan). Throws ArchiveError for duplicate or unencodable
 * names and for a volume size too small to hold a header and one data block.
 */
export function planVolumes(members: readonly LogicalMember[], volumeSize: number | undefined, archive: string): VolumePlan {
  if (archive === '') throw new ArchiveError('the archive identity must not be empty');
  if (volumeSize !== undefined && (!Number.isSafeInteger(volumeSize) || volumeSize <= 0)) throw new ArchiveError(`invalid volume size ${volumeSize}`);
  const seen = new Set<string>();
  for (const m of members) {
    if (m.name === '' || m.name === VOLUME_HEADER_NAME) throw new ArchiveError(`invalid archive member name "${m.name}"`);
    if (seen.has(m.name)) throw new ArchiveError(`duplicate archive member "${m.name}"`);
    if (!Number.isSafeInteger(m.size) || m.size < 0) throw new ArchiveError(`archive member ${m.name}: invalid size ${m.size}`);
    seen.add(m.name);
  }
  const limit = volumeSize ?? Infinity;
  // The volume count appears in every header; only its number of digits changes sizes. Plan with a
  // guess, replan with the result until the digit count agrees (monotonic: more digits, more volumes).
  let guess = 1;
  for (;;) {
    const layout = layOut(members, limit, archive, guess);
    if (String(layout.length).length === String(guess).length) return finish(members, volumeSize, archive, layout);
    guess = layout.length;
  }
}

/** The file name of volume `volume` of `count`: `NAME.001.tar` (wider from 1000 volumes), or `NAME.tar`. */
export function volumeFileName(baseName: string, volume: number, count: number, numbered: boolean): string {
  if (!numbered) return `${baseName}.tar`;
  return `${baseName}.${String(volume).padStart(Math.max(3, String(count).length), '0')}.tar`;
}

function jsonLength(member: VolumeHeaderMember): number {
  return Buffer.byteLength(JSON.stringify(member.piece === undefined ? { name: member.name, size: member.size } : member));
}

function layOut(members: readonly LogicalMember[], limit: number, archive: string, countGuess: number): PlannedMember[][] {
  const volumes: PlannedMember[][] = [[]];
  let entries = 0; // JSON bytes of the current header's member entries, with commas
  let data = 0; // tar bytes of the current volume's members
  const baseCache = new Map<number, number>();
  const base = (volume: number): number => {
    let b = baseCache.get(volume);
    if (b === undefined) {
      b = encodeVolumeHeader({ archive, volume, volumes: countGuess, members: [] }).length;
      baseCache.set(volume, b);
    }
    return b;
  };
  const current = (): PlannedMember[] => volumes[volumes.length - 1]!;
  const withEntry = (json: number): number => (current().length === 0 ? json : entries + 1 + json);
  const total = (entryJson: number, bytes: number): number => tarMemberBytes(base(volumes.length) + withEntry(entryJson)) + data + bytes + END_BLOCKS;
  const add = (m: PlannedMember): void => {
    entries = withEntry(jsonLength(m));
    data += tarMemberBytes(m.size);
    current().push(m);
  };
  const next = (): void => {
    volumes.push([]);
    entries = 0;
    data = 0;
  };

  for (const m of members) {
    checkName(m.name);
    const whole: PlannedMember = { name: m.name, size: m.size, member: m.name, start: 0 };
    const bytes = tarMemberBytes(m.size);
    if (total(jsonLength(whole), bytes) <= limit) {
      add(whole);
      continue;
    }
    if (current().length > 0) {
      const saved = { entries, data };
      next();
      if (total(jsonLength(whole), bytes) <= limit) {
        add(whole);
        continue;
      }
      // Too large for an empty volume: split it, starting in the volume it did not fit in.
      volumes.pop();
      ({ entries, data } = saved);
    }
    // The piece count appears in piece names and headers; as with the volume count, iterate on its digits.
    let pieceGuess = 2;
    for (;;) {
      const state = { volumes: volumes.length, last: current().length, entries, data };
      const count = split(m, pieceGuess, limit, { current, total, add, next, base: () => base(volumes.length), entriesNow: () => entries, dataNow: () => data });
      if (String(count).length === String(pieceGuess).length) {
        // Names were written with the guess; rename to the real count (same length, same sizes).
        if (count !== pieceGuess) renamePieces(volumes, m.name, count);
        break;
      }
      volumes.length = state.volumes;
      current().length = state.last;
      entries = state.entries;
      data = state.data;
      pieceGuess = count;
    }
  }
  return volumes;
}

interface Cursor {
  current(): PlannedMember[];
  total(entryJson: number, bytes: number): number;
  add(m: PlannedMember): void;
  next(): void;
  base(): number;
  entriesNow(): number;
  dataNow(): number;
}

/** Lays `m` out as pieces named with `of` = guess; returns how many pieces it took. */
function split(m: LogicalMember, guess: number, limit: number, c: Cursor): number {
  let offset = 0;
  let index = 1;
  for (;;) {
    const remaining = m.size - offset;
    const last: PlannedMember = { name: pieceName(m.name, index, guess), size: remaining, piece: { index, of: guess, offset }, member: m.name, start: offset };
    if (index > 1 && c.total(jsonLength(last), tarMemberBytes(remaining)) <= limit) {
      checkName(last.name);
      c.add(last);
      return index;
    }
    // The largest whole-block piece that fits, with the header entry sized for the largest size field.
    const conservative = jsonLength({ ...last, size: limit });
    const headerBytes = tarMemberBytes(c.base() + (c.current().length === 0 ? conservative : c.entriesNow() + 1 + conservative));
    const free = limit - END_BLOCKS - c.dataNow() - headerBytes - TAR_BLOCK;
    const size = Math.min(Math.floor(free / TAR_BLOCK) * TAR_BLOCK, remaining);
    if (size < TAR_BLOCK || size === remaining) {
      // size === remaining only for a first piece that would hold the whole member: never a piece 1 of 1.
      if (c.current().length === 0) throw new ArchiveError(`a volume of ${limit} bytes is too small to hold a volume header and a piece of ${m.name}`);
      c.next();
      continue;
    }
    const piece: PlannedMember = { name: pieceName(m.name, index, guess), size, piece: { index, of: guess, offset }, member: m.name, start: offset };
    checkName(piece.name);
    c.add(piece);
    c.next();
    offset += size;
    index++;
  }
}

function renamePieces(volumes: PlannedMember[][], name: string, count: number): void {
  for (const volume of volumes) {
    for (const p of volume) {
      if (p.member === name && p.piece !== undefined) {
        p.piece.of = count;
        p.name = pieceName(name, p.piece.index, count);
      }
    }
  }
}

/** Refuses a name a ustar header cannot hold (before anything is written). */
function checkName(name: string): void {
  encodeTarHeader({ name, type: 'file', size: 0, mode: 0o644 });
}

function finish(members: readonly LogicalMember[], volumeSize: number | undefined, archive: string, layout: PlannedMember[][]): VolumePlan {
  const count = layout.length;
  const volumes = layout.map((list, i): PlannedVolume => {
    const header = encodeVolumeHeader({ archive, volume: i + 1, volumes: count, members: list });
    const size = tarMemberBytes(header.length) + list.reduce((sum, m) => sum + tarMemberBytes(m.size), 0) + END_BLOCKS;
    if (volumeSize !== undefined && size > volumeSize) throw new Error(`internal error: volume ${i + 1} planned at ${size} bytes, over the ${volumeSize}-byte limit`);
    return { volume: i + 1, members: list, header, size };
  });
  return { archive, volumeSize, numbered: volumeSize !== undefined, members: members.map((m) => ({ name: m.name, size: m.size })), volumes };
}
